"""ransomware: the decryptor catalogue

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ransomware_decryptors',
    sa.Column('family_ref', sa.String(length=300), nullable=False),
    sa.Column('family_name', sa.String(length=250), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('released', sa.Date(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ransomware_decryptors_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_ransomware_decryptors_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_decryptors'))
    )
    with op.batch_alter_table('ransomware_decryptors', schema=None) as batch_op:
        batch_op.create_index('ix_ransomware_decryptors_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_decryptors_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_decryptors_family_ref'), ['family_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_decryptors_owner_org_id'), ['owner_org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ransomware_decryptors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ransomware_decryptors_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_ransomware_decryptors_family_ref'))
        batch_op.drop_index(batch_op.f('ix_ransomware_decryptors_created_by_id'))
        batch_op.drop_index('ix_ransomware_decryptors_created_at_id')

    op.drop_table('ransomware_decryptors')
