"""landscape and graph roll-ups: data generations, the rolled-up counts, and partial indexes that
find a viewer's restricted rows among the shared ones

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESTRICTED = "tlp NOT IN ('CLEAR', 'GREEN')"


def upgrade() -> None:
    op.create_table(
        'data_generations',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_generations')),
    )
    op.create_table(
        'landscape_rollups',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('since', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'period', name=op.f('pk_landscape_rollups')),
    )
    op.create_table(
        'graph_node_rollups',
        sa.Column('stix_id', sa.String(length=300), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('stix_id', 'scope', name=op.f('pk_graph_node_rollups')),
    )
    for name, column in (("ix_stix_objects_restricted_owner", "owner_org_id"),
                         ("ix_stix_objects_restricted_author", "created_by_id")):
        op.create_index(name, 'stix_objects', [column, 'id'], unique=False,
                        sqlite_where=sa.text(RESTRICTED), postgresql_where=sa.text(RESTRICTED))
    for column in ("org_id", "group_id", "user_id"):
        op.create_index(f"ix_audience_entries_{column}_record", 'audience_entries',
                        [column, 'record_id'], unique=False,
                        sqlite_where=sa.text(f"{column} IS NOT NULL"),
                        postgresql_where=sa.text(f"{column} IS NOT NULL"))


def downgrade() -> None:
    for column in ("org_id", "group_id", "user_id"):
        op.drop_index(f"ix_audience_entries_{column}_record", table_name='audience_entries')
    op.drop_index("ix_stix_objects_restricted_author", table_name='stix_objects')
    op.drop_index("ix_stix_objects_restricted_owner", table_name='stix_objects')
    op.drop_table('graph_node_rollups')
    op.drop_table('landscape_rollups')
    op.drop_table('data_generations')
