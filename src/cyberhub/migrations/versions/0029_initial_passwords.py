"""one-time initial passwords: when an administrator's choice of password stops working

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 07:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cyberhub.db

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: both engines add it in place (no table rebuild on SQLite).
    op.add_column('users', sa.Column('password_expires_at',
                                     cyberhub.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('password_expires_at')
