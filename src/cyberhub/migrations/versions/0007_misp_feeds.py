"""federation: MISP feed subscriptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('misp_feeds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('run_as_id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('cursor', sa.BigInteger(), nullable=True),
    sa.Column('next_poll_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_polled_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Enum('new', 'polling', 'ok', 'failed', name='feed_status', native_enum=False, length=16), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_import_id', sa.Uuid(), nullable=True),
    sa.Column('events_imported', sa.Integer(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_import_id'], ['imports.id'], name=op.f('fk_misp_feeds_last_import_id_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_misp_feeds_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_as_id'], ['users.id'], name=op.f('fk_misp_feeds_run_as_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_misp_feeds')),
    sa.UniqueConstraint('org_id', 'name', name='uq_misp_feeds_org_id_name')
    )
    with op.batch_alter_table('misp_feeds', schema=None) as batch_op:
        batch_op.create_index('ix_misp_feeds_next_poll_at', ['next_poll_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_misp_feeds_run_as_id'), ['run_as_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('misp_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_misp_feeds_run_as_id'))
        batch_op.drop_index('ix_misp_feeds_next_poll_at')

    op.drop_table('misp_feeds')
