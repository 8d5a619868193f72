"""A throwaway PostgreSQL primary with a streaming hot standby, for the read-routing tests.

Made once per test session (per xdist worker) in a temporary directory, on free ports:
``initdb``, then ``pg_basebackup -R`` of the running primary, both started with
``pg_ctl`` — as the ``postgres`` OS user when the tests run as root (as CI does), as the
current user otherwise. The hub's schema is migrated on the primary and reaches the
standby by replication. Both servers are stopped and their directory removed at the
end. Without the PostgreSQL server binaries (``make system-deps`` installs them) the
tests are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from cyberhub import migrate
from tests.conftest import ENGINES
from tests.postgres_programs import free_port, server_binaries

_server_binaries = server_binaries
_free_port = free_port


@dataclass
class StreamingPair:
    """The two servers, and what the tests do to them."""

    base: Path
    bin: Path
    as_user: list[str]
    primary_port: int
    standby_port: int

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/cyberhub"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.standby_port}/cyberhub"

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, name: str, *args: str) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.base / name), "-w", "-t", "60", *args)

    def start(self, name: str) -> None:
        port = self.primary_port if name == "primary" else self.standby_port
        self.pg_ctl(name, "-l", str(self.base / f"{name}.log"), "-o", f"-p {port}", "start")

    def engine(self, which: str) -> Engine:
        url = self.primary_url if which == "primary" else self.replica_url
        return create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                             poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def sql(self, which: str, query: str, **params: object) -> object:
        engine = self.engine(which)
        try:
            with engine.connect() as conn:
                return conn.execute(text(query), params).scalar()
        finally:
            engine.dispose()

    def catch_up(self, timeout: float = 15) -> None:
        """Wait until the standby has replayed all the primary has written."""
        target = self.sql("primary", "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql("replica", "SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)",
                        t=target):
                return
            time.sleep(0.02)
        raise AssertionError(f"the standby did not replay up to {target} in {timeout} s")

    def pause_replay(self) -> None:
        self.catch_up()
        self.sql("replica", "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.sql("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.02)

    def resume_replay(self) -> None:
        self.sql("replica", "SELECT pg_wal_replay_resume()")
        self.catch_up()


def _make_pair(base: Path, binaries: Path, as_user: list[str]) -> StreamingPair:
    pair = StreamingPair(base, binaries, as_user, _free_port(), _free_port())
    primary = base / "primary"
    pair.run(str(binaries / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions", "--wal-segsize=1")
    with (primary / "postgresql.conf").open("a") as conf:
        # Throwaway servers: no fsync. Sockets in the directory of their own.
        conf.write(f"\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                   "wal_level = replica\nhot_standby = on\nmax_wal_senders = 4\n"
                   "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n")
    with (primary / "pg_hba.conf").open("a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    pair.start("primary")
    pair.run(str(binaries / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(pair.primary_port),
             "-U", "postgres", "-D", str(base / "standby"), "-R", "-X", "stream", "-c", "fast",
             "--no-sync", "--no-manifest")
    pair.start("standby")
    admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{pair.primary_port}/postgres",
                          poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE cyberhub"))
    admin.dispose()
    migrate.upgrade(pair.primary_url)
    pair.catch_up()
    return pair


@pytest.fixture(scope="session")
def streaming_pair() -> Iterator[StreamingPair]:
    if "postgresql" not in ENGINES:
        pytest.skip("CYBERHUB_TEST_ENGINES leaves PostgreSQL out")
    binaries = _server_binaries()
    if binaries is None or not (binaries / "pg_ctl").exists():
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not "
                    "installed; 'make system-deps' installs them")
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root.
        try:
            postgres = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no 'postgres' user to run the "
                        "throwaway servers as")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="cyberhub-replica-"))
    if as_user:
        os.chown(base, postgres.pw_uid, postgres.pw_gid)
    started = time.monotonic()
    pair = StreamingPair(base, binaries, as_user, 0, 0)
    try:
        pair = _make_pair(base, binaries, as_user)
        print(f"\nprimary and hot standby ready in {time.monotonic() - started:.1f} s")
        yield pair
    finally:
        for name in ("standby", "primary"):
            if (base / name / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    pair.pg_ctl(name, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)
