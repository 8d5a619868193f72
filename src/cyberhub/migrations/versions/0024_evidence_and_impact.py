"""evidence registers (items, chain of custody) and operation outcomes with their publication flag

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evidence_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=48), nullable=False),
    sa.Column('registered_by_id', sa.Uuid(), nullable=False),
    sa.Column('registered_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_org_id', sa.Uuid(), nullable=False),
    sa.Column('custodian_name', sa.String(length=200), nullable=False),
    sa.Column('last_verified_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_verify_result', sa.String(length=16), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['custodian_org_id'], ['organisations.id'], name=op.f('fk_evidence_items_custodian_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_evidence_items_operation_id_operations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_evidence_items_registered_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_items')),
    sa.UniqueConstraint('operation_id', 'number', name='uq_evidence_items_operation_number'),
    sa.UniqueConstraint('storage_name', name=op.f('uq_evidence_items_storage_name'))
    )
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_items_custodian_org_id'), ['custodian_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_sha256'), ['sha256'], unique=False)

    op.create_table('operation_impact_publication',
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('allow_aggregates', sa.Boolean(), nullable=False),
    sa.Column('set_by_id', sa.Uuid(), nullable=False),
    sa.Column('set_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_impact_publication_operation_id_operations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_operation_impact_publication_set_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('operation_id', name=op.f('pk_operation_impact_publication'))
    )
    with op.batch_alter_table('operation_impact_publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_impact_publication_allow_aggregates'), ['allow_aggregates'], unique=False)

    op.create_table('operation_outcomes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=30, scale=8), nullable=True),
    sa.Column('currency', sa.String(length=10), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_operation_outcomes_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_outcomes_operation_id_operations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_operation_outcomes_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_outcomes'))
    )
    with op.batch_alter_table('operation_outcomes', schema=None) as batch_op:
        batch_op.create_index('ix_operation_outcomes_operation_on', ['operation_id', 'occurred_on'], unique=False)

    op.create_table('evidence_custody',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_org_id', sa.Uuid(), nullable=True),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('to_org_id', sa.Uuid(), nullable=False),
    sa.Column('to_name', sa.String(length=200), nullable=False),
    sa.Column('at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('audit_seq', sa.BigInteger(), nullable=False),
    sa.Column('audit_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['from_org_id'], ['organisations.id'], name=op.f('fk_evidence_custody_from_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['evidence_items.id'], name=op.f('fk_evidence_custody_item_id_evidence_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_evidence_custody_recorded_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisations.id'], name=op.f('fk_evidence_custody_to_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_custody'))
    )
    with op.batch_alter_table('evidence_custody', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_custody_item_seq', ['item_id', 'seq'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('evidence_custody', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_custody_item_seq')

    op.drop_table('evidence_custody')
    with op.batch_alter_table('operation_outcomes', schema=None) as batch_op:
        batch_op.drop_index('ix_operation_outcomes_operation_on')

    op.drop_table('operation_outcomes')
    with op.batch_alter_table('operation_impact_publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_impact_publication_allow_aggregates'))

    op.drop_table('operation_impact_publication')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_items_sha256'))
        batch_op.drop_index(batch_op.f('ix_evidence_items_operation_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_items_custodian_org_id'))

    op.drop_table('evidence_items')
