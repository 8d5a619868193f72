"""atlas: covering indexes on stix_refs for the graph's expansion

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_stix_refs_source_kind", "stix_refs",
                    ["source_stix_id", "kind", "target_stix_id", "object_id"])
    op.create_index("ix_stix_refs_target_kind", "stix_refs",
                    ["target_stix_id", "kind", "source_stix_id", "object_id"])
    op.drop_index("ix_stix_refs_source", table_name="stix_refs")
    op.drop_index("ix_stix_refs_target", table_name="stix_refs")


def downgrade() -> None:
    op.create_index("ix_stix_refs_target", "stix_refs", ["target_stix_id"])
    op.create_index("ix_stix_refs_source", "stix_refs", ["source_stix_id"])
    op.drop_index("ix_stix_refs_target_kind", table_name="stix_refs")
    op.drop_index("ix_stix_refs_source_kind", table_name="stix_refs")
