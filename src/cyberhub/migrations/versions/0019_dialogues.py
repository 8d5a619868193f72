"""dialogue: dialogues, contributions, reactions and attachments

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dialogues',
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('description_markdown', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('convenor_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rule', sa.Enum('open', 'chatham_house', name='dialogue_rule', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('planned', 'open', 'closed', name='dialogue_status', native_enum=False, length=16), nullable=False),
    sa.Column('outcomes_markdown', sa.Text(), nullable=False),
    sa.Column('outcomes_html', sa.Text(), nullable=False),
    sa.Column('opened_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['convenor_id'], ['users.id'], name=op.f('fk_dialogues_convenor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dialogues_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_dialogues_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogues'))
    )
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogues_convenor_id'), ['convenor_id'], unique=False)
        batch_op.create_index('ix_dialogues_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogues_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogues_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('dialogue_contributions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dialogue_id', sa.Uuid(), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('quote_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('author_org_kind', sa.String(length=32), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_dialogue_contributions_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], name=op.f('fk_dialogue_contributions_dialogue_id_dialogues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['dialogue_contributions.id'], name=op.f('fk_dialogue_contributions_parent_id_dialogue_contributions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['dialogue_contributions.id'], name=op.f('fk_dialogue_contributions_quote_id_dialogue_contributions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_contributions'))
    )
    with op.batch_alter_table('dialogue_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_contributions_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_dialogue_contributions_dialogue_created', ['dialogue_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_contributions_parent_id'), ['parent_id'], unique=False)

    op.create_table('dialogue_attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dialogue_id', sa.Uuid(), nullable=False),
    sa.Column('contribution_id', sa.Uuid(), nullable=True),
    sa.Column('uploader_id', sa.Uuid(), nullable=False),
    sa.Column('uploader_org_kind', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contribution_id'], ['dialogue_contributions.id'], name=op.f('fk_dialogue_attachments_contribution_id_dialogue_contributions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], name=op.f('fk_dialogue_attachments_dialogue_id_dialogues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_dialogue_attachments_uploader_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_attachments')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_dialogue_attachments_storage_name'))
    )
    with op.batch_alter_table('dialogue_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_attachments_dialogue_id'), ['dialogue_id'], unique=False)

    op.create_table('dialogue_reactions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contribution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contribution_id'], ['dialogue_contributions.id'], name=op.f('fk_dialogue_reactions_contribution_id_dialogue_contributions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dialogue_reactions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_reactions')),
    sa.UniqueConstraint('contribution_id', 'user_id', 'kind', name='uq_dialogue_reactions_one_per_kind')
    )
    with op.batch_alter_table('dialogue_reactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_reactions_contribution_id'), ['contribution_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dialogue_reactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_reactions_contribution_id'))

    op.drop_table('dialogue_reactions')
    with op.batch_alter_table('dialogue_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_attachments_dialogue_id'))

    op.drop_table('dialogue_attachments')
    with op.batch_alter_table('dialogue_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_contributions_parent_id'))
        batch_op.drop_index('ix_dialogue_contributions_dialogue_created')
        batch_op.drop_index(batch_op.f('ix_dialogue_contributions_author_id'))

    op.drop_table('dialogue_contributions')
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogues_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_dialogues_created_by_id'))
        batch_op.drop_index('ix_dialogues_created_at_id')
        batch_op.drop_index(batch_op.f('ix_dialogues_convenor_id'))

    op.drop_table('dialogues')
