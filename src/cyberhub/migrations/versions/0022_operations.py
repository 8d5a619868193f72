"""joint operations

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 07:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('operations',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lead_user_id', sa.Uuid(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('objectives_markdown', sa.Text(), nullable=False),
    sa.Column('objectives_html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'approved', 'active', 'concluded', 'reviewed', name='operation_status', native_enum=False, length=16), nullable=False),
    sa.Column('status_changed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('aar_planned_markdown', sa.Text(), nullable=False),
    sa.Column('aar_planned_html', sa.Text(), nullable=False),
    sa.Column('aar_happened_markdown', sa.Text(), nullable=False),
    sa.Column('aar_happened_html', sa.Text(), nullable=False),
    sa.Column('aar_worked_markdown', sa.Text(), nullable=False),
    sa.Column('aar_worked_html', sa.Text(), nullable=False),
    sa.Column('aar_improve_markdown', sa.Text(), nullable=False),
    sa.Column('aar_improve_html', sa.Text(), nullable=False),
    sa.Column('aar_written_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('aar_written_by_id', sa.Uuid(), nullable=True),
    sa.Column('lesson_id', sa.Uuid(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['aar_written_by_id'], ['users.id'], name=op.f('fk_operations_aar_written_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_operations_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lead_user_id'], ['users.id'], name=op.f('fk_operations_lead_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_operations_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operations'))
    )
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.create_index('ix_operations_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operations_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operations_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operations_status'), ['status'], unique=False)

    op.create_table('operation_participants',
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_participants_operation_id_operations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_operation_participants_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('operation_id', 'org_id', name=op.f('pk_operation_participants'))
    )
    with op.batch_alter_table('operation_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_participants_org_id'), ['org_id'], unique=False)

    op.create_table('operation_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('assignee_org_id', sa.Uuid(), nullable=False),
    sa.Column('assignee_user_id', sa.Uuid(), nullable=True),
    sa.Column('due_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', 'cancelled', name='operation_task_status', native_enum=False, length=16), nullable=False),
    sa.Column('completed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_org_id'], ['organisations.id'], name=op.f('fk_operation_tasks_assignee_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_operation_tasks_assignee_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_operation_tasks_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_tasks_operation_id_operations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_tasks'))
    )
    with op.batch_alter_table('operation_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_tasks_assignee_org_id'), ['assignee_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_tasks_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index('ix_operation_tasks_operation_due', ['operation_id', 'due_at'], unique=False)

    op.create_table('operation_targets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('added_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_operation_targets_added_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['object_id'], ['stix_objects.id'], name=op.f('fk_operation_targets_object_id_stix_objects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_targets_operation_id_operations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_targets')),
    sa.UniqueConstraint('operation_id', 'object_id', name='uq_operation_targets_object')
    )
    with op.batch_alter_table('operation_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_targets_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_targets_operation_id'), ['operation_id'], unique=False)

    op.create_table('operation_timeline',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('operation_id', sa.Uuid(), nullable=False),
    sa.Column('at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_operation_timeline_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['object_id'], ['stix_objects.id'], name=op.f('fk_operation_timeline_object_id_stix_objects'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['operation_id'], ['operations.id'], name=op.f('fk_operation_timeline_operation_id_operations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_timeline'))
    )
    with op.batch_alter_table('operation_timeline', schema=None) as batch_op:
        batch_op.create_index('ix_operation_timeline_operation_at', ['operation_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('operation_timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_operation_timeline_operation_at')

    op.drop_table('operation_timeline')
    with op.batch_alter_table('operation_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_targets_operation_id'))
        batch_op.drop_index(batch_op.f('ix_operation_targets_object_id'))

    op.drop_table('operation_targets')
    with op.batch_alter_table('operation_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_operation_tasks_operation_due')
        batch_op.drop_index(batch_op.f('ix_operation_tasks_assignee_user_id'))
        batch_op.drop_index(batch_op.f('ix_operation_tasks_assignee_org_id'))

    op.drop_table('operation_tasks')
    with op.batch_alter_table('operation_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_participants_org_id'))

    op.drop_table('operation_participants')
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operations_status'))
        batch_op.drop_index(batch_op.f('ix_operations_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_operations_created_by_id'))
        batch_op.drop_index('ix_operations_created_at_id')

    op.drop_table('operations')
