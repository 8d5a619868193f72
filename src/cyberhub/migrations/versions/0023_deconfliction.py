"""deconfliction: registrations (keyed digests only), hits, network digests, rate windows

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 07:06:01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deconfliction_rate_windows',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_start', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_deconfliction_rate_windows'))
    )
    op.create_table('deconfliction_registrations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('case_reference', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=500), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('renewed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_deconfliction_registrations_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deconfliction_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deconfliction_registrations'))
    )
    with op.batch_alter_table('deconfliction_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_deconfliction_registrations_digest', ['digest', 'key_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deconfliction_registrations_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_deconfliction_registrations_user', ['user_id', 'expires_at'], unique=False)

    op.create_table('deconfliction_hits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('first_id', sa.Uuid(), nullable=False),
    sa.Column('second_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['first_id'], ['deconfliction_registrations.id'], name=op.f('fk_deconfliction_hits_first_id_deconfliction_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['deconfliction_registrations.id'], name=op.f('fk_deconfliction_hits_second_id_deconfliction_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deconfliction_hits')),
    sa.UniqueConstraint('first_id', 'second_id', name='uq_deconfliction_hits_pair')
    )
    with op.batch_alter_table('deconfliction_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deconfliction_hits_first_id'), ['first_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deconfliction_hits_second_id'), ['second_id'], unique=False)

    op.create_table('deconfliction_network_digests',
    sa.Column('registration_id', sa.Uuid(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['deconfliction_registrations.id'], name=op.f('fk_deconfliction_network_digests_registration_id_deconfliction_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'key_id', name=op.f('pk_deconfliction_network_digests'))
    )
    with op.batch_alter_table('deconfliction_network_digests', schema=None) as batch_op:
        batch_op.create_index('ix_deconfliction_network_digests_lookup', ['key_id', 'digest'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deconfliction_network_digests', schema=None) as batch_op:
        batch_op.drop_index('ix_deconfliction_network_digests_lookup')

    op.drop_table('deconfliction_network_digests')
    with op.batch_alter_table('deconfliction_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deconfliction_hits_second_id'))
        batch_op.drop_index(batch_op.f('ix_deconfliction_hits_first_id'))

    op.drop_table('deconfliction_hits')
    with op.batch_alter_table('deconfliction_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_deconfliction_registrations_user')
        batch_op.drop_index(batch_op.f('ix_deconfliction_registrations_org_id'))
        batch_op.drop_index('ix_deconfliction_registrations_digest')

    op.drop_table('deconfliction_registrations')
    op.drop_table('deconfliction_rate_windows')
