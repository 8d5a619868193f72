"""vetting: community verdicts on records, and intelligence packages

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('intel_packages',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('narrative_markdown', sa.Text(), nullable=False),
    sa.Column('narrative_html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'in-review', 'released', name='package_status', native_enum=False, length=16), nullable=False),
    sa.Column('submitted_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Uuid(), nullable=True),
    sa.Column('reviewed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('released_by_id', sa.Uuid(), nullable=True),
    sa.Column('released_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('pap', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'RED', name='pap', native_enum=False, length=8), nullable=True),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_intel_packages_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_intel_packages_owner_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_intel_packages_released_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_intel_packages_reviewed_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_packages'))
    )
    with op.batch_alter_table('intel_packages', schema=None) as batch_op:
        batch_op.create_index('ix_intel_packages_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_packages_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_packages_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('intel_package_acks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('package_id', sa.Uuid(), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_intel_package_acks_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['package_id'], ['intel_packages.id'], name=op.f('fk_intel_package_acks_package_id_intel_packages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_intel_package_acks_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_package_acks')),
    sa.UniqueConstraint('package_id', 'recipient', name='uq_intel_package_acks_package_recipient')
    )
    with op.batch_alter_table('intel_package_acks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_package_acks_package_id'), ['package_id'], unique=False)

    op.create_table('intel_package_objects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('package_id', sa.Uuid(), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=False),
    sa.Column('added_by_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_intel_package_objects_added_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['object_id'], ['stix_objects.id'], name=op.f('fk_intel_package_objects_object_id_stix_objects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['package_id'], ['intel_packages.id'], name=op.f('fk_intel_package_objects_package_id_intel_packages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_package_objects')),
    sa.UniqueConstraint('package_id', 'object_id', name='uq_intel_package_objects_package_object')
    )
    with op.batch_alter_table('intel_package_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_package_objects_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intel_package_objects_package_id'), ['package_id'], unique=False)

    op.create_table('vetting_votes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('verdict', sa.Enum('confirm', 'dispute', name='verdict', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reason_html', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['object_id'], ['stix_objects.id'], name=op.f('fk_vetting_votes_object_id_stix_objects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_vetting_votes_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vetting_votes_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_votes')),
    sa.UniqueConstraint('object_id', 'org_id', name='uq_vetting_votes_object_org')
    )
    with op.batch_alter_table('vetting_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_votes_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_votes_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_votes_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vetting_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vetting_votes_user_id'))
        batch_op.drop_index(batch_op.f('ix_vetting_votes_org_id'))
        batch_op.drop_index(batch_op.f('ix_vetting_votes_object_id'))

    op.drop_table('vetting_votes')
    with op.batch_alter_table('intel_package_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_package_objects_package_id'))
        batch_op.drop_index(batch_op.f('ix_intel_package_objects_object_id'))

    op.drop_table('intel_package_objects')
    with op.batch_alter_table('intel_package_acks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_package_acks_package_id'))

    op.drop_table('intel_package_acks')
    with op.batch_alter_table('intel_packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_packages_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_intel_packages_created_by_id'))
        batch_op.drop_index('ix_intel_packages_created_at_id')

    op.drop_table('intel_packages')
