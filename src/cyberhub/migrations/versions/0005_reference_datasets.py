"""reference data sets: which MISP galaxies are loaded, at which version

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cyberhub.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_datasets",
        sa.Column("key", sa.String(150), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("stix_type", sa.String(64), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("relationships", sa.Integer(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], ondelete="SET NULL",
                                name=op.f("fk_reference_datasets_import_id_imports")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reference_datasets")),
    )


def downgrade() -> None:
    op.drop_table("reference_datasets")
