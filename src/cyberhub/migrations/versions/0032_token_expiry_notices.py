"""API tokens remember when their owner was told they expire soon (ASVS 2.3.3)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: SQLite's batch mode adds it in place (no table rebuild). Tokens
    # that exist already have not been warned: the worker warns those expiring soon.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expiry_notified_at",
                                   cyberhub.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expiry_notified_at")
