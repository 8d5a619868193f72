"""meetings (decisions, action items, reminders) and the lessons library with its search index

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lessons',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('what_happened_markdown', sa.Text(), nullable=False),
    sa.Column('what_happened_html', sa.Text(), nullable=False),
    sa.Column('what_worked_markdown', sa.Text(), nullable=False),
    sa.Column('what_worked_html', sa.Text(), nullable=False),
    sa.Column('what_to_change_markdown', sa.Text(), nullable=False),
    sa.Column('what_to_change_html', sa.Text(), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=True),
    sa.Column('source_id', sa.Uuid(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lessons_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_lessons_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index('ix_lessons_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lessons_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lessons_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('meetings',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=2000), nullable=False),
    sa.Column('agenda_markdown', sa.Text(), nullable=False),
    sa.Column('agenda_html', sa.Text(), nullable=False),
    sa.Column('minutes_markdown', sa.Text(), nullable=False),
    sa.Column('minutes_html', sa.Text(), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=True),
    sa.Column('source_id', sa.Uuid(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_meetings_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_meetings_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_starts_at'), ['starts_at'], unique=False)

    op.create_table('action_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('due_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('completed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_reminded_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_reminded_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_action_items_completed_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_action_items_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_action_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_action_items_owner_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_items'))
    )
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_items_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('ix_action_items_owner_status', ['owner_id', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_action_items_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('lesson_tags',
    sa.Column('lesson_id', sa.Uuid(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_tags_lesson_id_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'tag', name=op.f('pk_lesson_tags'))
    )
    with op.batch_alter_table('lesson_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_tags_tag'), ['tag'], unique=False)

    op.create_table('meeting_attendees',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendees_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_attendees'))
    )
    with op.batch_alter_table('meeting_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendees_user_id'), ['user_id'], unique=False)

    op.create_table('meeting_decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('decided_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_meeting_decisions_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_decisions_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_decisions'))
    )
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decisions_meeting_id'), ['meeting_id'], unique=False)

    # The lessons' full-text index, as the knowledge base's (migration 0003): 'simple'
    # on PostgreSQL (no stemming: tool and family names are not English prose).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE lessons ADD COLUMN search tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', title || ' ' || what_happened_markdown || ' ' || "
            "what_worked_markdown || ' ' || what_to_change_markdown)) STORED")
        op.execute("CREATE INDEX ix_lessons_search ON lessons USING gin (search)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE lessons_fts USING fts5(lesson_id UNINDEXED, title, body, "
            "tokenize = 'unicode61 remove_diacritics 2', detail = none)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_lessons_search")
        op.execute("ALTER TABLE lessons DROP COLUMN IF EXISTS search")
    else:
        op.execute("DROP TABLE IF EXISTS lessons_fts")
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_meeting_id'))

    op.drop_table('meeting_decisions')
    with op.batch_alter_table('meeting_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendees_user_id'))

    op.drop_table('meeting_attendees')
    with op.batch_alter_table('lesson_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_tags_tag'))

    op.drop_table('lesson_tags')
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_status_due_at')
        batch_op.drop_index('ix_action_items_owner_status')
        batch_op.drop_index(batch_op.f('ix_action_items_meeting_id'))

    op.drop_table('action_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_meetings_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_meetings_created_by_id'))
        batch_op.drop_index('ix_meetings_created_at_id')

    op.drop_table('meetings')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_lessons_created_by_id'))
        batch_op.drop_index('ix_lessons_created_at_id')

    op.drop_table('lessons')
