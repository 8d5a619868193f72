"""Full-text index over objects' names and descriptions.

PostgreSQL: a generated ``tsvector`` column with a GIN index (migration 0003), kept by
the database itself. SQLite: an FTS5 table maintained here, by the importer and the
services, keyed by a 64-bit rowid derived from the object's UUID. (FTS5 tables that
borrow another table's rowid break when VACUUM renumbers a table without an integer
primary key, so the index owns its rows.)

The rowid is the UUID's *low* 64 bits: in a version 7 UUID those are 62 random bits,
while the high ones are the millisecond and only 12 random bits, which the ids of one
import batch (made in the same millisecond) share — rowids taken from them collided and
``INSERT OR REPLACE`` silently dropped about a third of a large import from the index
(migration 0010 rebuilt it). The importer's ids count their low bits up by random steps
from a random start (importer._IdMaker): one import's rows then append to the index.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session


def fts_rowid(object_id: uuid.UUID) -> int:
    return int.from_bytes(object_id.bytes[8:], "big", signed=True)


def fts_rowid_of_int(object_id: int) -> int:
    """fts_rowid(), for an id given as a 128-bit integer."""
    low = object_id & 0xFFFF_FFFF_FFFF_FFFF
    return low - (1 << 64) if low >> 63 else low


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
    data = [(fts_rowid_of_int(oid), f"{oid:032x}", name or "", desc or "")
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
