"""The job worker is killed (kill -9) while it imports a large STIX bundle: nothing of
that import is stored, the import reads as interrupted once a worker starts again, and
importing the same file again stores everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import create_engine, func, select

from cyberhub.intel.importer import PARALLEL_MIN_BYTES
from cyberhub.intel.models import StixObject
from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.conftest import ENGINES, hub_database
from tests.federation.network import HubProcess, org, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

EMAIL = "ana@alpha-cert.example"
# Enough for a bundle the importer reads in a process of its own (PARALLEL_MIN_BYTES,
# about 27,000 objects) and an import that lasts seconds past its first progress.
OBJECTS = 32_000


@pytest.fixture(scope="module")
def bundle() -> bytes:
    """One bundle for both engines."""
    made = bundle_bytes(list(Generator(seed=23).objects(OBJECTS)))
    assert len(made) >= PARALLEL_MIN_BYTES * 1.1, "too small for the import's reader process"
    return made


@pytest.fixture(params=ENGINES)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubProcess]:
    with hub_database(request.param, tmp_path, "cyberhub_killed") as url:
        made = HubProcess("k", tmp_path, url)
        try:
            made.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"))
            yield made
        finally:
            made.stop()


def stored_objects(hub: HubProcess) -> int:
    engine = create_engine(hub.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(StixObject)) or 0)
    finally:
        engine.dispose()


def start_worker(hub: HubProcess) -> subprocess.Popen[bytes]:
    hub.worker = subprocess.Popen([sys.executable, "-m", "cyberhub", "worker"], env=hub.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return hub.worker


def wait_for(api: httpx2.Client, location: str, done: Any, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status: dict[str, Any] = api.get(location).json()
        if done(status):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def test_a_worker_killed_mid_import_leaves_nothing_half_written(
        hub: HubProcess, bundle: bytes) -> None:
    token = hub.token(EMAIL, scope="write")
    hub.start()
    api = httpx2.Client(base_url=hub.url, timeout=60,
                        headers={"Authorization": f"Bearer {token}"})
    accepted = api.post("/api/v1/import", params={"tlp": "GREEN", "filename": "big.json"},
                        content=bundle)
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]

    worker = start_worker(hub)
    running = wait_for(api, location, lambda s: s["status"] != "queued"
                       and s["counts"]["seen"] > 0, 60)
    assert running["status"] == "running", running
    # (forked by the job's thread: every thread's children, not only the main thread's)
    helpers = [pid for task in Path(f"/proc/{worker.pid}/task").iterdir()
               for pid in (task / "children").read_text().split()]
    assert helpers, "the import should run its reader in a process of its own"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    hub.worker = None
    # The processes the worker forked for the import (its reader) end with it.
    deadline = time.monotonic() + 15
    while left := [pid for pid in helpers if Path(f"/proc/{pid}").exists()
                   and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]:
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(int(pid), signal.SIGKILL)
            raise AssertionError(f"the killed worker's helpers {left} live on")
        time.sleep(0.1)
    assert 0 < running["counts"]["seen"] < OBJECTS, "the import ended before the kill"

    assert stored_objects(hub) == 0
    assert api.get(location).json()["status"] == "running"  # nobody has said otherwise yet

    # A worker starts again: the import reads as interrupted, nothing of it stored.
    restarted = start_worker(hub)
    failed = wait_for(api, location, lambda s: s["status"] != "running", 30)
    assert failed["status"] == "failed", failed
    assert "interrupted" in failed["message"] and "nothing was stored" in failed["message"]
    assert failed["counts"]["stored"] == 0
    assert stored_objects(hub) == 0
    listed = api.get("/api/v1/objects", params={"limit": 1})
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text

    # The same file again: everything stored.
    again = api.post("/api/v1/import", params={"tlp": "GREEN", "filename": "big.json"},
                     content=bundle)
    assert again.status_code == 202, again.text
    done = wait_for(api, again.headers["Location"],
                    lambda s: s["status"] not in ("queued", "running"), 120)
    assert done["status"] == "succeeded", done
    assert done["counts"]["invalid"] == 0
    assert stored_objects(hub) == done["counts"]["stored"] + done["counts"]["unchanged"] > 0
    assert restarted.poll() is None
