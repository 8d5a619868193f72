"""A worker that starts marks failed the imports whose process has ended — their
transaction never committed, so nothing of them is stored — and leaves alone those a
live process runs: another worker, or ``cyberhub import`` at the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from cyberhub.db import utcnow
from cyberhub.intel import imports
from cyberhub.intel.models import Import, ImportStatus


def running(database, community, user, runner: str | None, started_ago: float = 0) -> uuid.UUID:
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename="x.json", tlp="GREEN")
        job.status, job.runner = ImportStatus.RUNNING, runner
        job.started_at = utcnow() - timedelta(seconds=started_ago)
        return job.id


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_only_the_imports_of_ended_processes_are_marked_failed(database, community):
    user = community.user(community.org("Alpha CERT"))
    here = socket.gethostname()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        try:
            ids = {
                "dead here": running(database, community, user, f"{here}:{dead_pid()}"),
                "alive here": running(database, community, user, f"{here}:{alive.pid}"),
                "before runners were kept": running(database, community, user, None),
                "elsewhere, recent": running(database, community, user, "far-away:4242", 5),
                "elsewhere, silent": running(
                    database, community, user, "far-away:4243",
                    imports.OTHER_HOST_QUIET_SECONDS + 60),
            }
            with database.transaction() as s:
                assert imports.fail_interrupted(s) == 3
            with database.transaction() as s:
                status = {name: s.get(Import, i).status for name, i in ids.items()}
        finally:
            alive.kill()
    assert status == {
        "dead here": ImportStatus.FAILED, "alive here": ImportStatus.RUNNING,
        "before runners were kept": ImportStatus.FAILED,
        "elsewhere, recent": ImportStatus.RUNNING,
        "elsewhere, silent": ImportStatus.FAILED}
    with database.transaction() as s:
        failed = s.scalars(select(Import).where(Import.status == ImportStatus.FAILED)).all()
        assert all("interrupted" in job.message and job.finished_at for job in failed)


def test_an_import_records_the_process_that_runs_it(database, community, tmp_path):
    from cyberhub.intel.synthetic import bundle_bytes
    from tests.intel.test_import import run_import, sample

    user = community.user(community.org("Alpha CERT"))
    job = run_import(database, community, user, bundle_bytes(sample(5)), tmp_path)
    assert job.status is ImportStatus.SUCCEEDED
    assert job.runner == f"{socket.gethostname()}:{os.getpid()}"


@pytest.mark.slow
def test_a_worker_starting_beside_a_command_line_import_leaves_it_running(tmp_path):
    """On PostgreSQL (on SQLite the import's write lock makes the worker's check wait
    until the import is over)."""
    from sqlalchemy import create_engine

    from cyberhub.intel.synthetic import Generator, write_bundle
    from tests.conftest import scratch_database
    from tests.federation.network import HubProcess, org, user

    with scratch_database("cyberhub_runner") as url:
        hub = HubProcess("w", tmp_path, url)
        hub.setup(org("Alpha CERT"), user("ana@alpha.example", "Alpha CERT"))
        bundle = tmp_path / "big.json"
        with bundle.open("wb") as out:
            write_bundle(out, Generator(seed=5).objects(60_000))
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))

        def status() -> ImportStatus | None:
            with engine.connect() as conn:
                return conn.execute(select(Import.status)).scalar()

        importing = subprocess.Popen(
            [sys.executable, "-m", "cyberhub", "import", str(bundle), "--as",
             "ana@alpha.example", "--tlp", "GREEN"], env=hub.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        log = tmp_path / "worker.log"
        try:
            deadline = time.monotonic() + 60
            while status() is not ImportStatus.RUNNING:
                assert importing.poll() is None, "the import ended before the worker started"
                assert time.monotonic() < deadline
                time.sleep(0.02)
            with log.open("wb") as out:
                hub.worker = subprocess.Popen([sys.executable, "-m", "cyberhub", "worker"],
                                              env=hub.env, stdout=out, stderr=subprocess.STDOUT)
            # The worker checks for interrupted imports before it says it is ready.
            deadline = time.monotonic() + 60
            while "worker ready" not in log.read_text():
                assert hub.worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            assert "interrupted" not in log.read_text()
            assert status() in (ImportStatus.RUNNING, ImportStatus.SUCCEEDED)
            assert importing.wait(timeout=300) == 0
            assert status() is ImportStatus.SUCCEEDED
        finally:
            if importing.poll() is None:
                importing.kill()
            hub.stop()
            engine.dispose()
