"""network: TAXII collections, objects in the order their current version was stored,
partner hubs

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
    sa.Column('audience_ids', sa.JSON(), nullable=False),
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
        batch_op.add_column(sa.Column('origin_hub', sa.String(length=300), nullable=True))
        batch_op.create_index('ix_stix_objects_updated_at_id', ['updated_at', 'id'], unique=False)
    op.create_table('peers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('remote_user', sa.String(length=320), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('direction', sa.Enum('pull', 'push', 'both', name='peer_direction', native_enum=False, length=8), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('run_as_id', sa.Uuid(), nullable=False),
    sa.Column('share_green', sa.Boolean(), nullable=False),
    sa.Column('tlp', sa.Enum('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED', name='tlp', native_enum=False, length=16), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('trust', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=320), nullable=False),
    sa.Column('match_key', sa.Text(), nullable=False),
    sa.Column('match_key_id', sa.String(length=64), nullable=False),
    sa.Column('match_indexed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('match_window_start', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('match_window_count', sa.Integer(), nullable=False),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('pull_cursor', sa.String(length=40), nullable=True),
    sa.Column('push_cursor', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('push_cursor_id', sa.Uuid(), nullable=True),
    sa.Column('next_sync_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('syncing_since', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', cyberhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('objects_pulled', sa.BigInteger(), nullable=False),
    sa.Column('objects_pushed', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_peers_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_as_id'], ['users.id'], name=op.f('fk_peers_run_as_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peers')),
    sa.UniqueConstraint('name', name=op.f('uq_peers_name')),
    sa.UniqueConstraint('org_id', name=op.f('uq_peers_org_id'))
    )
    with op.batch_alter_table('peers', schema=None) as batch_op:
        batch_op.create_index('ix_peers_next_sync_at', ['next_sync_at'], unique=False)
    op.create_table('match_digests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('peer_id', sa.Uuid(), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.ForeignKeyConstraint(['peer_id'], ['peers.id'], name=op.f('fk_match_digests_peer_id_peers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_digests'))
    )
    with op.batch_alter_table('match_digests', schema=None) as batch_op:
        batch_op.create_index('ix_match_digests_peer_digest', ['peer_id', 'digest'], unique=False)


def downgrade() -> None:
    op.drop_table('match_digests')
    op.drop_table('peers')
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.drop_index('ix_stix_objects_updated_at_id')
        batch_op.drop_column('origin_hub')
    op.drop_table('taxii_collections')
