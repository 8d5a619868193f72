"""taxii: collections, and objects in the order their current version was stored

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('taxii_collections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=True),
    sa.Column('tlps', sa.JSON(), nullable=False),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('owner_org_ids', sa.JSON(), nullable=False),
    sa.Column('writable', sa.Boolean(), nullable=False),
    sa.Column('write_tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_taxii_collections_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_collections')),
    sa.UniqueConstraint('alias', name=op.f('uq_taxii_collections_alias'))
    )
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.create_index('ix_stix_objects_updated_at_id', ['updated_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.drop_index('ix_stix_objects_updated_at_id')
    op.drop_table('taxii_collections')
