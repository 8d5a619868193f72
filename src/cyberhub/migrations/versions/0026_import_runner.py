"""imports: the process running an import (host:pid), so that a worker starting next to
a live one leaves that one's import alone

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 22:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('imports') as batch:
        batch.add_column(sa.Column('runner', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('imports') as batch:
        batch.drop_column('runner')
