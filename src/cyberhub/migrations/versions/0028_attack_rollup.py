"""the ATT&CK heatmap's roll-up

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 06:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'attack_rollups',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', cyberhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_attack_rollups')),
    )


def downgrade() -> None:
    op.drop_table('attack_rollups')
