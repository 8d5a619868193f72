"""Bulk inserts on the bare driver, inside the session's transaction.

The importer writes hundreds of thousands of rows; SQLAlchemy's per-value type
processing costs more than SQLite's own work at that rate. Here each column's value is
converted once by a converter chosen from the column's type and the dialect, then
handed to ``executemany`` (SQLite) or ``COPY`` (PostgreSQL). The stored
representation is exactly what SQLAlchemy itself would write, so the ORM reads these
rows like any other (a test compares the two paths).

On PostgreSQL the ``COPY`` is binary when every column's type is one we know: psycopg
then formats a row in half the time of the text format (which escapes every string),
and the server skips parsing UUIDs and timestamps. The column types are read from the
database itself, because the binary format must match them exactly.
"""

from __future__ import annotations

import enum
import functools
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


@functools.cache
def _hex_uuid_dumper() -> type:
    """psycopg's dumper for a UUID given as 32 hex digits (what the converters hand
    over) in binary COPY; built on first use, so that SQLite hubs never load psycopg."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class HexUuidBinaryDumper(Dumper):
        format = Format.BINARY
        oid = 2950  # uuid

        def dump(self, obj: Any) -> bytes:
            return obj.bytes if isinstance(obj, uuid.UUID) else bytes.fromhex(obj)

    return HexUuidBinaryDumper


# PostgreSQL column type → the type psycopg's binary dumper is chosen by. Character
# types, JSON and enums travel in binary exactly as their text, so psycopg's C dumper
# for text serves them; a type missing here makes the table's COPY textual.
_BINARY_AS = {"text": "text", "character varying": "text", "character": "text",
              "json": "text", "uuid": "uuid", "timestamp with time zone": "timestamptz",
              "boolean": "bool", "smallint": "int2", "integer": "int4", "bigint": "int8",
              "bytea": "bytea", "double precision": "float8", "date": "date"}


class _Plan:
    __slots__ = ("binary_types", "converters", "sql")

    def __init__(self, sql: str, converters: list[Converter],
                 binary_types: list[str] | None = None) -> None:
        self.sql, self.converters, self.binary_types = sql, converters, binary_types


_plans: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def _postgres_types(raw: Any, table: str, columns: tuple[str, ...]) -> list[str] | None:
    """The binary COPY types of ``columns``, or None when one of them has no entry."""
    cursor = raw.cursor()
    try:
        cursor.execute("SELECT a.attname, t.typtype, a.atttypid::regtype::text"
                       " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                       " WHERE a.attrelid = %s::regclass AND a.attnum > 0", (table,))
        found = {name: "text" if kind == "e" else _BINARY_AS.get(sql_type)
                 for name, kind, sql_type in cursor.fetchall()}
    finally:
        cursor.close()
    types = [found.get(name) for name in columns]
    return None if None in types else types  # type: ignore[return-value]


def _plan(table: Table, dialect: str, columns: tuple[str, ...], raw: Any) -> _Plan:
    key = (table.name, dialect, columns)
    plan = _plans.get(key)
    if plan is None:
        converters = [converter(table.c[name].type, dialect) for name in columns]
        names = ", ".join(f'"{name}"' for name in columns)
        # Names come from our own table metadata, never from input.
        if dialect == "postgresql":
            types = _postgres_types(raw, table.name, columns)
            binary = " (FORMAT BINARY)" if types else ""
            plan = _Plan(f'COPY "{table.name}" ({names}) FROM STDIN{binary}', converters,
                         types)
        else:
            marks = ", ".join("?" for _ in columns)
            plan = _Plan(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',  # noqa: S608
                         converters)
        _plans[key] = plan
    return plan


def insert_rows(session: Session, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], *, converted: bool = False) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``."""
    if not rows:
        return
    generations.touch(session, table.name)  # the driver writes where the ORM cannot see
    connection = session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.dbapi_connection
    assert raw is not None
    plan = _plan(table, dialect, tuple(columns), raw)
    converters = plan.converters
    plain = converted or all(c is _identity for c in converters)
    data = rows if plain else [tuple(c(v) for c, v in zip(converters, row, strict=True))
                               for row in rows]
    cursor = raw.cursor()
    try:
        if dialect == "postgresql":
            if plan.binary_types:
                cursor.adapters.register_dumper(None, _hex_uuid_dumper())
            with cursor.copy(plan.sql) as copy:
                if plan.binary_types:
                    copy.set_types(plan.binary_types)
                for row in data:
                    copy.write_row(row)
        else:
            cursor.executemany(plan.sql, data)
    finally:
        cursor.close()
