"""Engine, sessions and the declarative base shared by every domain.

One code path for SQLite and PostgreSQL. On SQLite we run in WAL mode with foreign
keys enforced. Writing transactions start with ``BEGIN IMMEDIATE``: taking the write
lock up front avoids the "database is locked" error a deferred transaction gets when
it upgrades a read snapshot that another writer has since made stale (SQLite cannot
wait that out). Requests that only read start ``DEFERRED``, so pages keep loading
while an import holds the lock; when such a read does write (a session touch, the
audit entry of a sensitive read), its transaction restarts as ``BEGIN IMMEDIATE``
just before that first write (``_sqlite_upgrade``), which loses nothing because
nothing was written yet.

On PostgreSQL the hub may also read from a hot-standby replica (``cyberhub.replica``):
request sessions are :class:`RoutingSession`, which sends a statement there only when
it is a plain read and the request boundary has allowed it; everything else, and
everything after the session's first write, goes to the primary.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import DateTime, MetaData, Text, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CompoundSelect, Select
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from cyberhub.replica import Replica

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


class UnreadableValue(RuntimeError):
    """An encrypted column holds a value no configured secret key opens."""


class EncryptedText(TypeDecorator[str]):
    """Text kept encrypted at rest with the hub's secret key (Fernet: AES-128-CBC and
    HMAC-SHA256; ``community.security``), for personal data about people who are not
    members, such as a ransomware victim's identity. It cannot be searched or compared
    in SQL; key rotation (``keyrotation``) re-encrypts it through the raw column."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        from cyberhub.community.security import encrypt_secret

        return None if value is None else encrypt_secret(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        from cyberhub.community.security import decrypt_secret

        if value is None:
            return None
        plain = decrypt_secret(value)
        if plain is None:
            raise UnreadableValue(
                "An encrypted value opens with none of the configured secret keys: add "
                "the key it was written with to CYBERHUB_PREVIOUS_SECRET_KEYS.")
        return plain


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


# Set on a SQLite connection whose deferred transaction restarts as a writing one at
# its first write; a savepoint counts, since the restart would end it.
_UPGRADE = "cyberhub_sqlite_upgrade"
_SQLITE_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|DROP|ALTER)\b",
                           re.IGNORECASE)


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
            conn.info[_UPGRADE] = mode == "DEFERRED" and bool(
                conn.get_execution_options().get("sqlite_upgrade"))

        @event.listens_for(engine, "before_cursor_execute")
        def _sqlite_upgrade(conn: Any, cursor: Any, statement: str, _params: Any,
                            _context: Any, _executemany: bool) -> None:
            # A read's first write: trade its snapshot, which a writer may have made
            # stale since, for the write lock (waiting for it like a reader does).
            if conn.info.get(_UPGRADE) and _SQLITE_WRITE.match(statement):
                conn.info[_UPGRADE] = False
                cursor.execute("ROLLBACK")
                cursor.execute("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A database host that stops answering fails a connection attempt in seconds rather
    # than hanging a request; pre-ping replaces connections a restart or a cut left dead.
    connect = kwargs.setdefault("connect_args", {})
    connect.setdefault("connect_timeout", 5)
    from cyberhub.config import get_settings

    connect.setdefault("options", "-c max_parallel_workers_per_gather="
                                  f"{get_settings().db_parallel_workers}")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def pool_options() -> dict[str, Any]:
    """The connection pool the settings ask for (app processes)."""
    from cyberhub.config import get_settings

    s = get_settings()
    return {"pool_size": s.db_pool_size, "max_overflow": s.db_max_overflow,
            "pool_timeout": s.db_pool_timeout}


# ``Session.info`` keys of read routing. ROUTING: set by the request boundary on the
# session of a safe request when the hub has a replica: writes are tracked from then on
# and reads may be routed. READ_BIND: the replica connection (or engine) its reads may
# use, put there (``replica.Replica.route``) once the replica is known to have what the
# client must see. READ_BIND_USED: a statement went there. WROTE: the session sent a
# write to the primary (its client's read position moves on).
ROUTING = "cyberhub.routing"
READ_BIND = "cyberhub.read_bind"
READ_BIND_USED = "cyberhub.read_bind_used"
WROTE = "cyberhub.wrote"

# Functions that take locks or change state although they are called from a SELECT.
_WRITING_FUNCTIONS = re.compile(
    r"pg_(try_)?advisory|nextval|setval|set_config|pg_notify|txid_current|pg_current_xact_id",
    re.IGNORECASE)
# Textual SQL that only reads, or only tunes the transaction that reads (SET LOCAL
# work_mem before a heavy query must reach the connection the query runs on).
_READING_TEXT = re.compile(r"\s*(select|show|set\s+local|values)\b", re.IGNORECASE)
_LOCKING_TEXT = re.compile(r"\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|"
                           + _WRITING_FUNCTIONS.pattern, re.IGNORECASE)


def writes(clause: ClauseElement) -> bool:
    """Whether a statement must run on the primary: anything but a plain read.

    INSERT, UPDATE and DELETE; SELECT … FOR UPDATE/SHARE (a standby takes no row
    locks); a SELECT of a function that locks or changes state (advisory locks, sequences,
    settings); textual SQL other than SELECT, SHOW, VALUES and SET LOCAL; and every kind
    of statement not known to be a read."""
    if isinstance(clause, UpdateBase):
        return True
    if isinstance(clause, Select):
        if clause._for_update_arg is not None:
            return True
        for column in clause._raw_columns:  # as given to select(): no expansion
            element = getattr(column, "element", column)  # a labelled column
            if isinstance(element, FunctionElement) and _WRITING_FUNCTIONS.match(
                    str(getattr(element, "name", ""))):
                return True
        return False
    if isinstance(clause, CompoundSelect):
        return any(writes(s) for s in clause.selects)
    if isinstance(clause, TextClause):
        return not _READING_TEXT.match(clause.text) or bool(_LOCKING_TEXT.search(clause.text))
    return True


class RoutingSession(Session):
    """A session whose plain reads may go to a hot-standby replica.

    Without ``info[ROUTING]`` it is any session: everything goes to the primary. With
    it, writes are noted (``info[WROTE]``), and once ``info[READ_BIND]`` is set too,
    SELECTs go to the replica; flushes, DML, locking reads and anything not known to be
    a read go to the primary, and after the first write every statement does (the
    transaction must see its own writes, and a read that feeds a write must not be
    older than the write's other reads). Raw access gets the primary:
    ``session.get_bind()`` (asked for its dialect by many reads), and
    ``session.connection()``, which counts as a write (the importer writes through the
    driver)."""

    def connection(self, bind_arguments: dict[str, Any] | None = None,
                   execution_options: Any = None) -> Connection:
        if self.info.get(ROUTING) and (not bind_arguments
                                       or bind_arguments.get("clause") is None):
            self.info[WROTE] = True
        return super().connection(bind_arguments, execution_options)

    def get_bind(self, mapper: Any = None, *, clause: ClauseElement | None = None,
                 bind: Engine | Connection | None = None, **kw: Any) -> Engine | Connection:
        if bind is None and self.info.get(ROUTING):
            if self._flushing or (clause is not None and writes(clause)):
                self.info[WROTE] = True
            elif clause is not None and not self.info.get(WROTE):
                replica = self.info.get(READ_BIND)
                if replica is not None:
                    self.info[READ_BIND_USED] = True
                    return replica  # type: ignore[no-any-return]
        return super().get_bind(mapper, clause=clause, bind=bind, **kw)


class Database:
    """Holds the engine and the session factory for one hub, and the replica (if any)
    whose engine request sessions may read from."""

    def __init__(self, url: str, *, replica_url: str = "",
                 replica_max_lag: float = 5.0) -> None:
        # Every model, and the flush hooks that keep them consistent (comments go with
        # their record), registered whichever entry point opened the database.
        import cyberhub.models  # noqa: F401
        self.url = url
        pooled = url.startswith("postgresql") or (
            url.startswith("sqlite:///") and ":memory:" not in url)  # not an in-memory SQLite
        self.engine = make_engine(url, **(pool_options() if pooled else {}))
        self.replica: Replica | None = None
        if replica_url:
            if self.engine.dialect.name != "postgresql":
                raise ValueError("A read replica needs PostgreSQL: the primary "
                                 f"({self.engine.dialect.name}) cannot stream to one. "
                                 "Leave CYBERHUB_DATABASE_REPLICA_URL empty.")
            from cyberhub.replica import Replica

            self.replica = Replica(self.engine, replica_url, max_lag=replica_max_lag,
                                   **pool_options())
        self.sessionmaker = sessionmaker(self.engine, class_=RoutingSession,
                                         expire_on_commit=False)
        # Requests that only read start without SQLite's write lock, so pages keep
        # loading while an import holds it (PostgreSQL needs no such distinction).
        self.read_sessionmaker = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED", sqlite_upgrade=True)
            if self.engine.dialect.name == "sqlite" else self.engine,
            class_=RoutingSession, expire_on_commit=False)
        # Long reads (audit verification, exports) see one consistent snapshot and do
        # not hold SQLite's write lock while they walk.
        snapshot_engine = (self.engine.execution_options(sqlite_begin="DEFERRED")
                           if self.engine.dialect.name == "sqlite"
                           else self.engine.execution_options(isolation_level="REPEATABLE READ"))
        self.snapshot_sessionmaker = sessionmaker(snapshot_engine, expire_on_commit=False)
        self._deferring = 0  # blocks inside checkpoint_after()
        self.checkpointer: threading.Thread | None = None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "checkout", self._sqlite_checkout)

    def _sqlite_checkout(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # Automatic checkpoints as checkpoint_after() wants them now, set on a pooled
        # connection only when that changes (SQLite's default: after 1000 pages).
        pages = 0 if self._deferring else 1000
        if record.info.get("wal_autocheckpoint", 1000) != pages:
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint = {pages}")
            record.info["wal_autocheckpoint"] = pages

    @contextmanager
    def checkpoint_after(self) -> Iterator[None]:
        """SQLite: commits inside the block leave the write-ahead log as it is, and a
        thread copies it back into the database file after the block (``checkpointer``).

        A connection copies the log back on the commit that takes it past 1000 pages; a
        large import's log holds every page it wrote, and copying a million objects back
        takes seconds the import's job need not wait for. Readers see the committed data
        either way. A commit elsewhere meanwhile tries the copy without waiting, as ever;
        one that is cut short (a killed process) is safe, and the next commit finishes it.
        PostgreSQL: nothing changes."""
        if self.engine.dialect.name != "sqlite":
            yield
            return
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring:
                # Not a daemon: a process that ends (the CLI's import) first waits for
                # the copy, which would otherwise fall to the next writer, a page maybe.
                self.checkpointer = threading.Thread(
                    target=self._checkpoint, name="sqlite-checkpoint", daemon=False)
                self.checkpointer.start()

    def _checkpoint(self) -> None:
        try:
            raw = self.engine.raw_connection()  # in autocommit: no transaction is begun
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
            finally:
                raw.close()
        except Exception:  # the next commit, or the last connection's close, does it
            logging.getLogger(__name__).warning("the checkpoint after a large write failed",
                                                exc_info=True)

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
        if self.replica is not None:
            self.replica.dispose()
        self.engine.dispose()
