"""Full-text index over objects' names and descriptions.

PostgreSQL: a generated ``tsvector`` column with a GIN index (migration 0003), kept by
the database itself. SQLite: an FTS5 table maintained here, by the importer and the
services, keyed by a 64-bit rowid derived from the object's UUID. (FTS5 tables that
borrow another table's rowid break when VACUUM renumbers a table without an integer
primary key, so the index owns its rows.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session


def fts_rowid(object_id: uuid.UUID) -> int:
    return int.from_bytes(object_id.bytes[:8], "big", signed=True)


def _sqlite(session: Session) -> Any | None:
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.dbapi_connection


def add(session: Session, rows: Iterable[tuple[uuid.UUID, str | None, str | None]]) -> None:
    """Index (object id, name, description) rows; a no-op on PostgreSQL."""
    raw = _sqlite(session)
    if raw is None:
        return
    data = [(fts_rowid(oid), oid.hex, name or "", desc or "") for oid, name, desc in rows
            if name or desc]
    if data:
        raw.executemany("INSERT OR REPLACE INTO stix_objects_fts(rowid, object_id, name, "
                        "description) VALUES (?, ?, ?, ?)", data)


def add_ids(session: Session, rows: Iterable[tuple[int, str | None, str | None]]) -> None:
    """add(), for object ids given as 128-bit integers (as the importer makes them)."""
    raw = _sqlite(session)
    if raw is None:
        return
    data = [((oid >> 64) - ((oid >> 127) << 64), f"{oid:032x}", name or "", desc or "")
            for oid, name, desc in rows if name or desc]
    if data:
        raw.executemany("INSERT OR REPLACE INTO stix_objects_fts(rowid, object_id, name, "
                        "description) VALUES (?, ?, ?, ?)", data)


def remove(session: Session, object_ids: Iterable[uuid.UUID]) -> None:
    raw = _sqlite(session)
    if raw is None:
        return
    raw.executemany("DELETE FROM stix_objects_fts WHERE rowid = ?",
                    [(fts_rowid(oid),) for oid in object_ids])
