"""comments and insights

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 02:24:37
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('author_org_id', sa.Uuid(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['author_org_id'], ['organisations.id'], name=op.f('fk_comments_author_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], name=op.f('fk_comments_parent_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_comments_target_created_at_id', ['target_type', 'target_id', 'created_at', 'id'], unique=False)

    op.create_table('insights',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='insight_status', native_enum=False, length=16), nullable=False),
    sa.Column('published_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source_type', sa.String(length=40), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_insights_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_insights_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insights'))
    )
    with op.batch_alter_table('insights', schema=None) as batch_op:
        batch_op.create_index('ix_insights_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insights_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insights_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('insight_objects',
    sa.Column('insight_id', sa.Uuid(), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['insight_id'], ['insights.id'], name=op.f('fk_insight_objects_insight_id_insights'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['object_id'], ['stix_objects.id'], name=op.f('fk_insight_objects_object_id_stix_objects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('insight_id', 'object_id', name=op.f('pk_insight_objects'))
    )
    with op.batch_alter_table('insight_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_objects_object_id'), ['object_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('insight_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_objects_object_id'))

    op.drop_table('insight_objects')
    with op.batch_alter_table('insights', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insights_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_insights_created_by_id'))
        batch_op.drop_index('ix_insights_created_at_id')

    op.drop_table('insights')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_target_created_at_id')
        batch_op.drop_index(batch_op.f('ix_comments_parent_id'))
        batch_op.drop_index(batch_op.f('ix_comments_author_id'))

    op.drop_table('comments')
