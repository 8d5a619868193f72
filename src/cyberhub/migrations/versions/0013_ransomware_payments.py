"""ransomware: wallet transactions imported from chain explorers (payments)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ransomware_wallet_transactions"


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('wallet', sa.String(length=300), nullable=False),
    sa.Column('chain', sa.String(length=32), nullable=False),
    sa.Column('txid', sa.String(length=130), nullable=False),
    sa.Column('tx_time', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('asset', sa.String(length=16), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('amount', sa.String(length=80), nullable=False),
    sa.Column('usd_cents', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ransomware_wallet_transactions_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_ransomware_wallet_transactions_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_wallet_transactions')),
    sa.UniqueConstraint('owner_org_id', 'wallet', 'txid', name='uq_ransomware_wallet_transactions_owner_wallet_txid')
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index('ix_ransomware_wallet_transactions_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_ransomware_wallet_transactions_wallet_time', ['wallet', 'tx_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_wallet_transactions_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_wallet_transactions_owner_org_id'), ['owner_org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ransomware_wallet_transactions_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_ransomware_wallet_transactions_created_by_id'))
        batch_op.drop_index('ix_ransomware_wallet_transactions_wallet_time')
        batch_op.drop_index('ix_ransomware_wallet_transactions_created_at_id')

    op.drop_table(TABLE)
