"""Engine, sessions and the declarative base shared by every domain.

One code path for SQLite and PostgreSQL. On SQLite we run in WAL mode with foreign
keys enforced, and every transaction starts with ``BEGIN IMMEDIATE``: requests
almost always write (session touch, audit), and taking the write lock up front
avoids the "database is locked" errors a deferred transaction gets when it upgrades
a stale read snapshot to a write.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7: 48-bit milliseconds, then 74 random bits).

    Unguessable like a version 4, but new rows land at the end of primary-key and
    (created_at, id) indexes instead of at random pages — what keeps bulk imports fast."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 \
        | (0b10 << 62) | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    return uuid.UUID(int=value)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    # orjson for JSON columns: the importer writes them by the hundred thousand.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"isolation_level": None, "check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            # Readers wait briefly for the write lock they may need at the end (a session
            # touch, an audit entry); writers queue patiently behind each other.
            timeout = 5000 if mode == "DEFERRED" else 30000
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {timeout}")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A database host that stops answering fails a connection attempt in seconds rather
    # than hanging a request; pre-ping replaces connections a restart or a cut left dead.
    kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def pool_options() -> dict[str, Any]:
    """The connection pool the settings ask for (app processes)."""
    from cyberhub.config import get_settings

    s = get_settings()
    return {"pool_size": s.db_pool_size, "max_overflow": s.db_max_overflow,
            "pool_timeout": s.db_pool_timeout}


class Database:
    """Holds the engine and the session factory for one hub."""

    def __init__(self, url: str) -> None:
        # Every model, and the flush hooks that keep them consistent (comments go with
        # their record), registered whichever entry point opened the database.
        import cyberhub.models  # noqa: F401
        self.url = url
        pooled = url.startswith("postgresql") or (
            url.startswith("sqlite:///") and ":memory:" not in url)  # not an in-memory SQLite
        self.engine = make_engine(url, **(pool_options() if pooled else {}))
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Requests that only read start without SQLite's write lock, so pages keep
        # loading while an import holds it (PostgreSQL needs no such distinction).
        self.read_sessionmaker = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED")
            if self.engine.dialect.name == "sqlite" else self.engine, expire_on_commit=False)
        # Long reads (audit verification, exports) see one consistent snapshot and do
        # not hold SQLite's write lock while they walk.
        snapshot_engine = (self.engine.execution_options(sqlite_begin="DEFERRED")
                           if self.engine.dialect.name == "sqlite"
                           else self.engine.execution_options(isolation_level="REPEATABLE READ"))
        self.snapshot_sessionmaker = sessionmaker(snapshot_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only unit of work over one consistent snapshot; never commits."""
        session = self.snapshot_sessionmaker()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
