"""deconfliction across hubs: partners' pointers (remote hits), a per-partner cursor

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 12:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deconfliction_remote_hits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('registration_id', sa.Uuid(), nullable=False),
    sa.Column('peer_id', sa.Uuid(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=500), nullable=False),
    sa.Column('other_expires_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['peer_id'], ['peers.id'], name=op.f('fk_deconfliction_remote_hits_peer_id_peers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['deconfliction_registrations.id'], name=op.f('fk_deconfliction_remote_hits_registration_id_deconfliction_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deconfliction_remote_hits')),
    sa.UniqueConstraint('registration_id', 'peer_id', 'organisation', 'contact', name='uq_deconfliction_remote_hits_pointer')
    )
    op.create_index(op.f('ix_deconfliction_remote_hits_registration_id'), 'deconfliction_remote_hits', ['registration_id'], unique=False)
    with op.batch_alter_table('peers') as batch:
        batch.add_column(sa.Column('deconfliction_cursor', cyberhub.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('peers') as batch:
        batch.drop_column('deconfliction_cursor')
    op.drop_index(op.f('ix_deconfliction_remote_hits_registration_id'), table_name='deconfliction_remote_hits')
    op.drop_table('deconfliction_remote_hits')
