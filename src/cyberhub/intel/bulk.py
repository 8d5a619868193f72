"""Bulk inserts on the bare driver, inside the session's transaction.

The importer writes hundreds of thousands of rows; SQLAlchemy's per-value type
processing costs more than SQLite's own work at that rate. Here each column's value is
converted once by a converter chosen from the column's type and the dialect, then
handed to ``executemany`` (SQLite) or ``COPY`` (PostgreSQL). The stored
representation is exactly what SQLAlchemy itself would write, so the ORM reads these
rows like any other (a test compares the two paths).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Enum, Table, Uuid
from sqlalchemy.orm import Session

from cyberhub import generations
from cyberhub.db import UTCDateTime

Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _uuid_hex(value: Any) -> Any:
    return value.hex if isinstance(value, uuid.UUID) else value


def _sqlite_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is UTC:  # the common case, without a naive copy
            return value.isoformat(" ", "microseconds")[:26]
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def _bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


def _json(value: Any) -> Any:
    return None if value is None else orjson.dumps(value).decode()


def _enum(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def converter(column_type: Any, dialect: str) -> Converter:
    """How a value of ``column_type`` is handed to the driver of ``dialect``."""
    if isinstance(column_type, Enum):
        return _enum
    if isinstance(column_type, JSON):
        return _json
    if isinstance(column_type, Uuid):
        # SQLite stores the 32 hex digits; PostgreSQL's text COPY parses them, where
        # psycopg's dumper for uuid.UUID runs in Python, once per value (a twentieth of
        # a large import's time in the storing process).
        return _uuid_hex
    if dialect == "sqlite":
        if isinstance(column_type, UTCDateTime):
            return _sqlite_datetime
        if isinstance(column_type, Boolean):
            return _bool
    return _identity


_plans: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[Converter]]] = {}


def _plan(table: Table, dialect: str, columns: tuple[str, ...]) -> tuple[str, list[Converter]]:
    key = (table.name, dialect, columns)
    plan = _plans.get(key)
    if plan is None:
        converters = [converter(table.c[name].type, dialect) for name in columns]
        names = ", ".join(f'"{name}"' for name in columns)
        if dialect == "postgresql":
            sql = f'COPY "{table.name}" ({names}) FROM STDIN'
        else:
            marks = ", ".join("?" for _ in columns)
            # Names come from our own table metadata, never from input.
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
        plan = _plans[key] = (sql, converters)
    return plan


def insert_rows(session: Session, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], *, converted: bool = False) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``."""
    if not rows:
        return
    generations.touch(session, table.name)  # the driver writes where the ORM cannot see
    connection = session.connection()
    dialect = connection.dialect.name
    sql, converters = _plan(table, dialect, tuple(columns))
    plain = converted or all(c is _identity for c in converters)
    data = rows if plain else [tuple(c(v) for c, v in zip(converters, row, strict=True))
                               for row in rows]
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            with cursor.copy(sql) as copy:
                for row in data:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, data)
    finally:
        cursor.close()
