"""A partner hub that accepts connections and never answers: a sync gives up within the
configured timeouts (each of its few attempts bounded by CYBERHUB_PEER_READ_TIMEOUT),
records the failure for the operators, and the hub's pages answer at once meanwhile."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from cyberhub.federation.sync import RETRIES
from tests.faults.proxy import SilentServer
from tests.federation.network import HubProcess, org, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

EMAIL = "ana@alpha-cert.example"
READ_TIMEOUT = 1.0


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    made = HubProcess("h", tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    made.env.update({"CYBERHUB_PEER_CONNECT_TIMEOUT": "1",
                     "CYBERHUB_PEER_READ_TIMEOUT": str(READ_TIMEOUT)})
    try:
        made.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"), org("Hub Silent", kind="other"),
                   user("sync@silent.example", "Hub Silent"))
        yield made
    finally:
        made.stop()


def test_a_sync_with_a_hanging_partner_gives_up_and_says_so(hub: HubProcess) -> None:
    token = hub.token(EMAIL, scope="write")
    with SilentServer() as silent:
        hub.cli("peer", "add", "Silent",
                f"http://127.0.0.1:{silent.port}/taxii2/hub/collections/shared/",
                "--org", "Hub Silent", "--run-as", "sync@silent.example",
                "--remote-user", "sync@here.example", "--paused",
                env={"CYBERHUB_PEER_TOKEN": "secret-of-silent"})
        hub.start()
        api = httpx2.Client(base_url=hub.url, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        began = time.monotonic()
        sync = subprocess.Popen([sys.executable, "-m", "cyberhub", "sync", "Silent"],
                                env=hub.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            deadline = time.monotonic() + 30
            while silent.accepted == 0:
                assert time.monotonic() < deadline and sync.poll() is None
                time.sleep(0.05)
            # The sync is waiting on the partner: pages, reads and writes answer at once.
            waited: list[float] = []
            for n in range(3):
                for call in (lambda: api.get("/signin"), lambda: api.get("/api/v1/notes"),
                             lambda n=n: api.post("/api/v1/notes",
                                                  json={"title": f"meanwhile {n}",
                                                        "tlp": "GREEN"})):
                    t = time.monotonic()
                    assert call().status_code in (200, 201)
                    waited.append(time.monotonic() - t)
            assert sync.poll() is None, "the sync should still be waiting"
            assert max(waited) < 2, waited
            _out, err = sync.communicate(timeout=60)
        finally:
            if sync.poll() is None:
                sync.kill()
        elapsed = time.monotonic() - began

    assert sync.returncode == 1
    assert "Silent" in err and "did not answer" in err, err
    # Every attempt bounded by the read timeout, plus the back-off between attempts
    # (0.5, 1, 2 s) and the command's own start.
    attempts = RETRIES + 1
    assert silent.accepted >= attempts
    assert elapsed < attempts * READ_TIMEOUT + 3.5 + 15, elapsed
    listed = hub.cli("peer", "list", env={"COLUMNS": "300"}).stdout
    assert "did not answer" in listed, listed
    assert len(api.get("/api/v1/notes").json()["items"]) == 3
