"""search: rebuild SQLite's full-text index with collision-free rowids

The FTS5 rowid was taken from an object id's high 64 bits, which the ids of one import
batch share but for 12 random bits: rowids collided and objects went missing from full
text search. The index is rebuilt from the objects with rowids from the low, random 64
bits (cyberhub.intel.search_index.fts_rowid). PostgreSQL keeps its generated tsvector.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _rowid(hex_id: str) -> int:
    low = int(hex_id.replace("-", "")[16:], 16)
    return low - (1 << 64) if low >> 63 else low


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("DELETE FROM stix_objects_fts")
    # The importer indexes the objects that have STIX timestamps or a description, when
    # they carry a name or a description.
    rows = bind.exec_driver_sql(
        "SELECT id, name, description FROM stix_objects "
        "WHERE (stix_created IS NOT NULL OR description IS NOT NULL) "
        "AND (coalesce(name, '') != '' OR coalesce(description, '') != '')")
    while True:
        chunk = rows.fetchmany(BATCH)
        if not chunk:
            break
        data = [(_rowid(str(oid)), str(oid).replace("-", ""), name or "", desc or "")
                for oid, name, desc in chunk]
        bind.exec_driver_sql("INSERT OR REPLACE INTO stix_objects_fts(rowid, object_id, name, "
                             "description) VALUES (?, ?, ?, ?)", data)


def downgrade() -> None:
    """The old rowids lost rows; the rebuilt index serves the old code as well."""
