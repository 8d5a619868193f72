"""ransomware: leak-site posts and the imports they came from

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ransomware_leak_post_imports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('unmatched_groups', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ransomware_leak_post_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_ransomware_leak_post_imports_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_leak_post_imports'))
    )
    with op.batch_alter_table('ransomware_leak_post_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ransomware_leak_post_imports_org_id'), ['org_id'], unique=False)

    op.create_table('ransomware_leak_posts',
    sa.Column('group_name', sa.String(length=200), nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('family_ref', sa.String(length=300), nullable=True),
    sa.Column('family_name', sa.String(length=250), nullable=False),
    sa.Column('post_title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('site', sa.String(length=500), nullable=False),
    sa.Column('post_url', sa.String(length=2000), nullable=False),
    sa.Column('published', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('discovered', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sector', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('dedup_key', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ransomware_leak_posts_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['import_id'], ['ransomware_leak_post_imports.id'], name=op.f('fk_ransomware_leak_posts_import_id_ransomware_leak_post_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_ransomware_leak_posts_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ransomware_leak_posts')),
    sa.UniqueConstraint('owner_org_id', 'dedup_key', name=op.f('uq_ransomware_leak_posts_owner_org_id'))
    )
    with op.batch_alter_table('ransomware_leak_posts', schema=None) as batch_op:
        batch_op.create_index('ix_ransomware_leak_posts_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_leak_posts_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_leak_posts_dedup_key'), ['dedup_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_leak_posts_family_ref'), ['family_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_leak_posts_group_key'), ['group_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_leak_posts_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ransomware_leak_posts_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index('ix_ransomware_leak_posts_published_id', ['published', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ransomware_leak_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_ransomware_leak_posts_published_id')
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_posts_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_posts_import_id'))
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_posts_group_key'))
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_posts_family_ref'))
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_posts_dedup_key'))
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_posts_created_by_id'))
        batch_op.drop_index('ix_ransomware_leak_posts_created_at_id')

    op.drop_table('ransomware_leak_posts')
    with op.batch_alter_table('ransomware_leak_post_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ransomware_leak_post_imports_org_id'))

    op.drop_table('ransomware_leak_post_imports')
