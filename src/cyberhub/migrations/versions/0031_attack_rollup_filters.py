"""the heatmap roll-up's pairs with their times, for heatmaps narrowed by actor, sector
and period (read only by those)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows rolled up before have no pairs: marked as of no generation, so that requests
    # count live until the worker has rolled up again.
    op.execute("UPDATE attack_rollups SET generation = -1")
    with op.batch_alter_table("attack_rollups") as batch:
        batch.add_column(sa.Column("pairs", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("attack_rollups") as batch:
        batch.drop_column("pairs")
