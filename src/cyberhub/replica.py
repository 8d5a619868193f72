"""Reads from a PostgreSQL hot standby, without ever showing a client less than it wrote.

Every write goes to the primary. A request with a safe method (GET, HEAD, OPTIONS) may
have its reads answered by the replica (``db.RoutingSession``) once the request
boundary has found out who is asking — on the primary, so that a revoked session or
token, a deactivated user or a changed membership counts at once — and
:meth:`Replica.route` has found that the replica may answer:

- it answers, is a standby (``pg_is_in_recovery()``) of this very primary (the same
  system identifier), and is at most ``CYBERHUB_REPLICA_MAX_LAG_SECONDS`` behind;
- it has replayed the client's *read position*: the primary's WAL position after the
  client's last request that wrote. Browsers carry it in a cookie; clients with an API
  token keep it in Redis under the token (shared by every process); without Redis
  they read from the primary.

Otherwise — and whenever the replica cannot be reached — the request reads from the
primary. Each process checks the replica once a second in a thread of its own (its
replay position and lag), so that no request waits for the check or for a replica
that stopped answering. Background jobs and the command line always use the primary.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from cyberhub.db import READ_BIND, READ_BIND_USED, ROUTING, WROTE, make_engine

log = logging.getLogger(__name__)

# Session.info key set by the request boundary (deps).
CLIENT: Final = "cyberhub.replica_client"  # the API token id the request authenticated with
# Request.state attribute: the read position to hand the browser in its cookie.
COOKIE_STATE: Final = "cyberhub_read_position"
COOKIE: Final = "cyberhub_read_position"  # "__Host-cyberhub_read_position" behind TLS

# Why a safe request read from the primary (the label of cyberhub_db_replica_fallbacks).
UNAVAILABLE: Final = "unavailable"  # unreachable, not a standby, another cluster, unchecked
LAGGING: Final = "lagging"  # more than the allowed lag behind
BEHIND_CLIENT: Final = "behind_client"  # has not replayed what this client wrote
UNKNOWN_POSITION: Final = "unknown_position"  # a token client, and no Redis to ask

CHECK_SECONDS: Final = 1.0
# While the replica cannot be reached, it is tried again this often.
RETRY_SECONDS: Final = 5.0
# Seconds to connect to the replica before giving up on it (and reading from the primary).
CONNECT_TIMEOUT: Final = 2

_PRIMARY_STATE = text(
    "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn,"
    " (SELECT system_identifier FROM pg_control_system())")
_WRITTEN = text(
    "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, pg_current_wal_insert_lsn() - '0/0'::pg_lsn,"
    " current_setting('synchronous_commit')")
_REPLICA_STATE = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn,"
    " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()),"
    " (SELECT system_identifier FROM pg_control_system())")
_HEX = re.compile(r"[0-9A-F]{1,16}")


def format_position(lsn: int) -> str:
    """A WAL position as 16 hex digits: what the cookie and Redis hold (fixed width, so
    that comparing the strings compares the positions)."""
    return f"{lsn:016X}"


def parse_position(value: str | None) -> int:
    """A position from a cookie; 0 (nothing to wait for) when absent or malformed. A
    client gains nothing by forging it: a higher value only keeps its reads on the
    primary, a lower one shows it data no older than any other client may get."""
    if value is None or not _HEX.fullmatch(value):
        return 0
    return int(value, 16)


@dataclass(frozen=True)
class Status:
    """What one check found. ``replayed`` and ``lag`` are as of ``checked``
    (``time.monotonic()``)."""

    checked: float
    usable: bool  # reachable, a standby, of this primary
    replayed: int = 0  # the replica's replay position
    lag: float | None = None  # seconds behind the primary; None when unknown
    problem: str = ""  # why it is not usable, for the log

    def lag_now(self, now: float) -> float | None:
        """The lag bound now: a replica cannot fall further behind than the time that
        passed since it was checked."""
        return None if self.lag is None else self.lag + max(0.0, now - self.checked)


UNCHECKED = Status(checked=float("-inf"), usable=False, problem="not checked yet")


def lag_of(written: int, replayed: int, since_last_replay: float | None) -> float | None:
    """Seconds the replica is behind: none when it has replayed all the primary had
    written (an idle primary commits nothing, so the age of the last replayed commit
    says nothing then); else the age of the last commit it replayed; None if unknown."""
    if replayed >= written:
        return 0.0
    if since_last_replay is None:
        return None
    return max(0.0, since_last_replay)


def decide(status: Status, required: int, max_lag: float, now: float) -> str | None:
    """Why the replica may not answer a client whose read position is ``required``, or
    None if it may."""
    if not status.usable:
        return UNAVAILABLE
    lag = status.lag_now(now)
    if lag is None or lag > max_lag:
        return LAGGING
    if required > status.replayed:
        return BEHIND_CLIENT
    return None


def _read_only(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _set_read_only(dbapi_conn: Any, _record: Any) -> None:
        # The standby refuses writes anyway; this makes a replica URL that points at a
        # primary by mistake refuse them too.
        cur = dbapi_conn.cursor()
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cur.close()
        dbapi_conn.commit()


class Replica:
    """The replica of one hub's primary: its engine, its last known state, and the
    decision where a request reads."""

    def __init__(self, primary: Engine, url: str, *, max_lag: float, **pool: Any) -> None:
        self.primary = primary
        self.max_lag = max_lag
        # Often enough that the time since the last check (which counts as lag) stays a
        # small part of the bound.
        self.check_seconds = min(CHECK_SECONDS, max_lag / 4)
        self.engine = make_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT},
                                  **pool)
        _read_only(self.engine)
        # The checks use connections of their own, so that they never wait behind
        # requests for a pooled one (one more connection per process on each server).
        self._probe_primary = make_engine(
            primary.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
        self._probe_replica = make_engine(
            url, connect_args={"connect_timeout": CONNECT_TIMEOUT}, pool_size=1,
            max_overflow=0)
        _read_only(self._probe_replica)
        self._status = UNCHECKED
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    # ------------------------------------------------------------------ state

    def start(self) -> None:
        """Start checking the replica in this process (the app does at startup; reads go
        to the primary until the first check has found the replica fit)."""
        self._ensure_thread()

    def status(self) -> Status:
        """The last check's result; starts the checking thread in this process."""
        self._ensure_thread()
        return self._status

    def refresh(self) -> Status:
        """Check the replica now (the thread does this every second)."""
        with self._lock:
            self._status = self._check()
        return self._status

    def _check(self) -> Status:
        try:
            with self._probe_primary.connect() as conn:
                written, primary_id = conn.execute(_PRIMARY_STATE).one()
        except Exception as exc:
            return self._unusable(
                f"the primary's WAL position could not be read ({_first_line(exc)})")
        try:
            with self._probe_replica.connect() as conn:
                standby, replayed, since, replica_id = conn.execute(_REPLICA_STATE).one()
        except Exception as exc:
            return self._unusable(f"unreachable ({_first_line(exc)})")
        if not standby or replayed is None:
            return self._unusable("not a standby (promoted, or a primary): refusing to read "
                                  "from it")
        if replica_id != primary_id:
            return self._unusable(f"a standby of another cluster (system identifier "
                                  f"{replica_id}, the primary's is {primary_id}): refusing "
                                  "to read from it")
        now = time.monotonic()
        if not self._status.usable and self._status.problem != UNCHECKED.problem:
            log.warning("replica: answering again; reads may go to it")
        return Status(now, True, int(replayed),
                      lag_of(int(written), int(replayed),
                             float(since) if since is not None else None))

    def _unusable(self, problem: str) -> Status:
        if self._status.usable or self._status.problem != problem:
            log.warning("replica: %s; reads go to the primary", problem)
        return Status(time.monotonic(), False, problem=problem)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() \
                    and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="cyberhub-replica-check",
                                             daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                status = self.refresh()
            except Exception:  # pragma: no cover - a bug in the check must not end it
                log.exception("replica: the check failed")
                status = self._status
            self._stop.wait(self.check_seconds if status.usable else RETRY_SECONDS)

    def dispose(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=CONNECT_TIMEOUT * 2 + 1)
        self._thread = None
        for engine in (self.engine, self._probe_primary, self._probe_replica):
            engine.dispose()

    # ---------------------------------------------------------------- routing

    def route(self, session: Session, *, cookie: str | None,
              token_id: uuid.UUID | None) -> str | None:
        """Let ``session`` read from the replica if it may answer this client; else
        leave it on the primary. Returns why not (None when routed)."""
        from cyberhub.observability import metrics

        required = parse_position(cookie)
        reason: str | None = None
        if token_id is not None:
            stored = token_position(token_id)
            if stored is None:
                reason = UNKNOWN_POSITION
            else:
                required = max(required, stored)
        if reason is None:
            reason = decide(self.status(), required, self.max_lag, time.monotonic())
        if reason is None:
            try:
                # Checked out now (the pool's pre-ping tests it): a replica that stopped
                # since the last check sends this request to the primary, not to an error.
                conn = self.engine.connect()
            except Exception as exc:
                self._status = self._unusable(f"unreachable ({_first_line(exc)})")
                reason = UNAVAILABLE
            else:
                session.info[READ_BIND] = conn
        if reason is not None:
            metrics.record_replica_fallback(reason)
        return reason

    def suspect(self) -> None:
        """A request failed on the replica: read from the primary until a check says
        otherwise."""
        if self._status.usable:
            self._status = Status(time.monotonic(), False,
                                  problem="a request failed on it")
            log.warning("replica: a request failed on it; reads go to the primary until it "
                        "is checked again")

    # ---------------------------------------------------------- read positions

    def written_position(self) -> int:
        """The primary's WAL position now: after a commit, at or past its commit record.

        The write position is enough when commits wait for their WAL to be flushed (the
        default); with ``synchronous_commit = off`` a commit may return before that, and
        the insert position is taken instead."""
        with self.primary.connect() as conn:
            written, inserted, sync_commit = conn.execute(_WRITTEN).one()
        return int(inserted if sync_commit == "off" else written)

    def cookie_lifetime(self) -> int:
        """Seconds a read position is kept: long after any replica fit to answer has
        replayed it (such a replica is at most ``max_lag`` behind)."""
        return int(max(3600.0, 2 * self.max_lag))


def release(session: Session) -> None:
    """Give back the replica connection a request held (after the session closed)."""
    conn = session.info.pop(READ_BIND, None)
    if isinstance(conn, Connection):
        conn.close()


def track(session: Session) -> None:
    """Note the session's writes, and let route() send its reads to the replica (the
    request boundary does this for safe requests)."""
    session.info[ROUTING] = True


def routing(session: Session) -> bool:
    return bool(session.info.get(ROUTING))


def served_by_replica(session: Session) -> bool:
    return bool(session.info.get(READ_BIND_USED))


def wrote(session: Session) -> bool:
    return bool(session.info.get(WROTE))


# ------------------------------------------------- read positions of API tokens (Redis)

# Keep the larger of the stored and the given position (16 hex digits compare as text).
_KEEP_MAX = """
local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


def _redis(url: str) -> Any:
    from cyberhub import redis_client

    # A Redis that stops answering costs a request a second at most (then it reads
    # from the primary), never a hang.
    return redis_client.client(url, timeout=1)


def _token_key(token_id: uuid.UUID) -> str | None:
    from cyberhub.config import get_settings

    s = get_settings()
    if not s.redis_url:
        return None
    return f"{s.queue_name}:read-position:{token_id}"


def token_position(token_id: uuid.UUID) -> int | None:
    """The read position of an API token; None when it cannot be known (no Redis, or
    Redis did not answer): then the token's client reads from the primary."""
    from cyberhub.config import get_settings

    key = _token_key(token_id)
    if key is None:
        return None
    try:
        value = _redis(get_settings().redis_url).get(key)
    except Exception as exc:
        log.warning("replica: the read position of a token could not be read from Redis "
                    "(%s); its reads go to the primary", _first_line(exc))
        return None
    return parse_position(value.decode() if isinstance(value, bytes) else value)


def remember_token_position(token_id: uuid.UUID, lsn: int, ttl: int) -> None:
    from cyberhub.config import get_settings

    key = _token_key(token_id)
    if key is None:
        return
    _redis(get_settings().redis_url).eval(_KEEP_MAX, 1, key, format_position(lsn), ttl)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
