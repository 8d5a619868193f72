"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

Each test gets an empty, migrated database: on SQLite a copy of a migrated template
file, on PostgreSQL the per-worker test database with every table truncated.
``CYBERHUB_TEST_ENGINES=sqlite`` narrows the run for a quick inner loop; otherwise an
unreachable PostgreSQL fails the run rather than silently skipping half of it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

from cyberhub import jobs, migrate
from cyberhub.app import create_app
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.models import Base
from tests.factories import Community

ROOT = Path(__file__).resolve().parent.parent
# The command line speaks the shell's language: the suite expects English.
os.environ["LANGUAGE"] = "en"
# Tests post forms the instant they fetch them: the minimum time a person takes to fill
# in a form (web.pace) is off unless a test turns it on (tests/web/test_form_pace.py).
os.environ["CYBERHUB_MIN_FORM_SECONDS"] = "0"
# Background jobs run in-process, right after the transaction that queued them commits.
jobs.huey.immediate = True
# Property tests assert behaviour, never speed: no per-example deadline and no "too
# slow" health check, which both fail on a loaded machine (CI runs two workers on two
# cores) with nothing wrong in the code.
hypothesis_settings.register_profile(
    "cyberhub", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("cyberhub")
ENGINES = [e.strip() for e in os.environ.get("CYBERHUB_TEST_ENGINES", "sqlite,postgresql")
           .split(",") if e.strip()]


def redis_test_url() -> str:
    """The Redis of the tests marked ``redis`` (``make redis`` records it)."""
    url = os.environ.get("CYBERHUB_TEST_REDIS_URL")
    recorded = ROOT / "var" / "test-redis-url"
    if not url and recorded.exists():
        url = recorded.read_text().strip()
    if not url:
        pytest.fail("No Redis for the tests marked redis: run 'make redis' (or set "
                    "CYBERHUB_TEST_REDIS_URL), or leave them out with -m 'not redis'.")
    return url


def pg_admin_url() -> str:
    url = os.environ.get("CYBERHUB_TEST_PG_URL")
    if not url:
        recorded = ROOT / "var" / "test-postgres-url"
        url = recorded.read_text().strip() if recorded.exists() else \
            "postgresql://postgres@127.0.0.1:5432/postgres"
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own (for hub processes), dropped afterwards: its URL."""
    admin = pg_admin_url()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextmanager
def hub_database(engine: str, root: Path, prefix: str) -> Iterator[str]:
    """A database of its own for one hub process on ``engine`` (one of :data:`ENGINES`):
    a SQLite file under ``root``, or a :func:`scratch_database` dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{root / 'hub.sqlite3'}"
        return
    with scratch_database(prefix) as url:
        yield url


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    admin = pg_admin_url()
    # Unique per process: parallel runs (and xdist workers) never share a database.
    name = f"cyberhub_test_{_worker()}_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - environment problem, said plainly
        pytest.exit(f"PostgreSQL is not reachable at {admin} ({exc}). Run 'make postgres', or "
                    "set CYBERHUB_TEST_ENGINES=sqlite for a SQLite-only run.", returncode=3)
    url = admin.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    # No autovacuum's vacuum here: it would let new rows reuse the space of deleted ones,
    # and a table read without ORDER BY return them out of insertion order
    # (_truncate_all). Its ANALYZE still runs, for the planner of the larger tests.
    never = ("autovacuum_vacuum_threshold = 2000000000, "
             "autovacuum_vacuum_insert_threshold = -1")
    setup = create_engine(url)
    with setup.begin() as conn:
        for table in Base.metadata.sorted_tables:
            conn.execute(text(f'ALTER TABLE "{table.name}" SET ({never}, '
                              f'{never.replace("autovacuum", "toast.autovacuum")})'))
    setup.dispose()
    yield url
    if url in _RESET_ENGINES:
        _RESET_ENGINES.pop(url).dispose()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


_RESET_ENGINES: dict[str, Engine] = {}


# Written tables are emptied with DELETE while they hold little: TRUNCATE gives every
# table it empties, and (CASCADE) every table referring to one, new files — on this
# schema nearly every table, some 0.4 s before each PostgreSQL test. Past this many bytes
# of written tables (dead rows included) the next reset truncates them instead, so they
# never grow far.
_DELETE_BELOW_BYTES = 8 * 1024 * 1024


def _truncate_all(url: str) -> None:
    """Empty every table a test wrote to and restart the sequences it moved.

    Only the tables that hold rows are emptied. DELETE keeps the order a table returns
    its rows in (tests read without ORDER BY have come to rely on it): autovacuum never
    vacuums the test database (``pg_url``), so no space is reused and new rows always
    follow the old ones; TRUNCATE, once the written tables have grown, starts afresh.
    """
    engine = _RESET_ENGINES.get(url)
    if engine is None:
        engine = _RESET_ENGINES[url] = create_engine(url, pool_size=1)
    tables = Base.metadata.sorted_tables
    probe = " UNION ALL ".join(
        f"SELECT {i}, pg_relation_size('\"{t.name}\"') WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
        for i, t in enumerate(tables))
    with engine.begin() as conn:
        # The audit triggers refuse TRUNCATE and DELETE, and foreign keys are checked by
        # triggers too; replica mode (superuser) lets the fixture reset the database.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        found = conn.execute(text(probe)).all()
        written = [tables[i].name for i, _size in found]
        if sum(size for _i, size in found) >= _DELETE_BELOW_BYTES:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in written)
                              + " RESTART IDENTITY CASCADE"))
        else:
            for name in written:
                conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
            "FROM pg_sequences WHERE schemaname = current_schema() "
            "AND last_value IS NOT NULL"))
        conn.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) "
                          "VALUES (1, 0, :genesis)"), {"genesis": "0" * 64})


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        # The same path for every test of a process (a fresh copy each time, the old
        # file unlinked first), so that the process's Database can be kept (below).
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        path = factory.getbasetemp() / f"database-{_worker()}" / "hub.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for stale in (path, path.with_name(path.name + "-wal"),
                      path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


# Settings read from the environment once per process and set of CYBERHUB_ variables:
# pydantic-settings takes some 15 ms to read them, for each of thousands of tests.
_BASE_SETTINGS: dict[tuple[tuple[str, str], ...], Settings] = {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CYBERHUB_")))
    base = _BASE_SETTINGS.get(environment)
    if base is None:
        base = _BASE_SETTINGS[environment] = Settings(
            secret_key="test-secret-key", argon2_time_cost=1, argon2_memory_kib=8192)
    s = base.model_copy(update={"database_url": database_url, "var_dir": tmp_path / "var"})
    set_settings(s)
    return s


# One Database per test database URL, kept from test to test: SQLAlchemy keeps the SQL
# it compiled per engine, and compiling every statement afresh for each test cost about
# a tenth of a test's time. Its connections are closed after each test all the same, and
# so are those of the jobs' own handle, which would otherwise hold the SQLite file the
# next test's copy replaces.
_KEPT_DATABASES: dict[str, Database] = {}


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    url = settings.resolved_database_url()
    db = _KEPT_DATABASES.get(url) or _KEPT_DATABASES.setdefault(url, Database(url))
    yield db
    for kept in (db, jobs._database):  # a large import's checkpoint, before the file goes
        if kept is not None and kept.checkpointer is not None:
            kept.checkpointer.join()
    db.dispose()
    if jobs._database is not None:
        jobs._database.dispose()
        jobs._database = None


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def community(database: Database) -> Community:
    return Community(database)


# The anti-virus test file (eicar.org), put together here so that the repository itself
# holds no string a scanner would flag.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


@pytest.fixture(scope="session")
def clamd_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ClamAV daemon (``make system-deps`` installs it) whose only signature is
    the test file's: official signatures need a network this suite does not have."""
    import hashlib
    import socket
    import subprocess
    import time

    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    if not os.path.exists(binary):
        pytest.skip("ClamAV's daemon is not installed: make system-deps installs it")
    root = tmp_path_factory.mktemp("clamd")
    (root / "db").mkdir()
    (root / "db" / "cyberhub-test.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Cyberhub.Test.EICAR\n")
    sock = root / "clamd.sock"
    (root / "clamd.conf").write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {root / 'db'}\nForeground yes\n"
        f"TemporaryDirectory {root}\nLogFile {root / 'clamd.log'}\n")
    daemon = subprocess.Popen([binary, "-c", str(root / "clamd.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
            break
        except OSError:
            if daemon.poll() is not None or time.monotonic() > deadline:
                daemon.kill()
                log = (root / "clamd.log").read_text() if (root / "clamd.log").exists() else ""
                raise RuntimeError(f"clamd did not start: {log[-2000:]}") from None
            time.sleep(0.1)
    yield f"unix://{sock}"
    daemon.terminate()
    try:
        daemon.wait(timeout=10)
    except subprocess.TimeoutExpired:
        daemon.kill()
