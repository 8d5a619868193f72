"""The process running a sync with a partner hub is killed (kill -9) half way: while it
stages the partner's pages, while it imports them, and between two envelopes it pushes.
Nothing of the interrupted pull is kept (no object, no cursor move, no staged file left
behind, no import left "running"), the next sync takes everything exactly once, and an
interrupted push resumes after the last envelope the partner accepted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from cyberhub.federation.models import Peer
from cyberhub.intel.models import Import, ImportStatus, StixObject
from tests.conftest import ENGINES, hub_database
from tests.federation.network import HubProcess, collection, command, org, token, user
from tests.federation.test_network import sdos

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

OBJECTS = 6_000  # six TAXII pages, and an import that lasts long enough to be hit


@pytest.fixture(params=ENGINES)
def hubs(request: pytest.FixtureRequest, tmp_path: Path
         ) -> Iterator[tuple[HubProcess, HubProcess]]:
    """Two hubs on the engine, each with a database of its own."""
    made: list[HubProcess] = []
    with ExitStack() as databases:
        try:
            for name in ("a", "b"):
                root = tmp_path / name
                root.mkdir()
                url = databases.enter_context(
                    hub_database(request.param, root, f"cyberhub_sync_{name}"))
                made.append(HubProcess(name, root, url))
            yield made[0], made[1]
        finally:
            for hub in made:
                hub.stop()


def query(hub: HubProcess, statement: Any) -> list[Any]:
    engine = create_engine(hub.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(statement).all())
    finally:
        engine.dispose()


def objects_at(hub: HubProcess) -> int:
    return int(query(hub, select(func.count()).select_from(StixObject))[0][0])


def sync_killed_when(hub: HubProcess, peer: str, ready: Callable[[], bool]) -> None:
    """Start ``cyberhub sync PEER`` and kill -9 it as soon as ``ready()`` holds."""
    process = subprocess.Popen([sys.executable, "-m", "cyberhub", "sync", peer], env=hub.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, "the sync ended before it could be interrupted"
            assert time.monotonic() < deadline, "the sync never reached the point to kill"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def staged(hub: HubProcess) -> list[Path]:
    folder = hub.root / "var" / "sync"
    return sorted(folder.iterdir()) if folder.exists() else []


def after_lease() -> None:
    time.sleep(2.1)  # CYBERHUB_SYNC_LEASE_SECONDS of the test hubs: the killed run's lease


def test_a_pull_killed_half_way_keeps_nothing_and_the_next_takes_everything_once(
        hubs: tuple[HubProcess, HubProcess]) -> None:
    a, b = hubs
    green = sdos(OBJECTS, 21)
    b_reads_a, = a.setup(
        org("Alpha CERT"), user("ana@alpha.example", "Alpha CERT"),
        org("Hub B", kind="international-organisation"), user("sync@b.example", "Hub B"),
        token("sync@b.example"), collection("Shared", "--alias", "shared"),
        a.importing(green, "ana@alpha.example", "GREEN"))
    b.setup(org("Hub A", kind="international-organisation"), user("sync@a.example", "Hub A"))
    a.start()
    b.cli("peer", "add", "A", f"{a.url}/taxii2/hub/collections/shared/", "--org", "Hub A",
          "--run-as", "sync@a.example", "--remote-user", "sync@b.example", "--share-green",
          "--tlp", "GREEN", "--paused", env={"CYBERHUB_PEER_TOKEN": b_reads_a})

    def cursor() -> Any:
        return query(b, select(Peer.pull_cursor))[0][0]

    # Killed while it stages the partner's pages.
    sync_killed_when(b, "A", lambda: any(p.stat().st_size > 100_000 for p in staged(b)))
    assert objects_at(b) == 0 and cursor() is None
    assert staged(b), "the staged pages a killed run leaves are what the next run clears"
    after_lease()

    # Killed while it imports them (one transaction, never committed).
    def importing() -> bool:
        return bool(query(b, select(Import.id).where(Import.status == ImportStatus.RUNNING)))

    sync_killed_when(b, "A", importing)
    assert objects_at(b) == 0 and cursor() is None
    after_lease()

    done = b.cli("sync", "A")
    assert f"{OBJECTS} received ({OBJECTS} new)" in done.stdout, done.stdout
    assert objects_at(b) == OBJECTS
    assert len(query(b, select(StixObject.stix_id).distinct())) == OBJECTS  # each once
    assert cursor() is not None
    assert staged(b) == [], "a killed run's staged pages must not stay on disk"
    states = dict(query(b, select(Import.status, func.count()).group_by(Import.status)))
    assert states == {ImportStatus.FAILED: 1, ImportStatus.SUCCEEDED: 1}, states
    interrupted = query(b, select(Import.message).where(Import.status == ImportStatus.FAILED))
    assert "interrupted" in interrupted[0][0]
    assert "0 received" in b.cli("sync", "A").stdout  # and nothing comes twice


def test_a_push_killed_between_envelopes_resumes_after_the_last_one_accepted(
        hubs: tuple[HubProcess, HubProcess]) -> None:
    b, c = hubs
    green = sdos(5000, 22)  # five envelopes
    b.setup(org("Bravo Bank", kind="financial"), user("bea@bravo.example", "Bravo Bank"),
            org("Hub C", kind="international-organisation"), user("sync@c.example", "Hub C"),
            b.importing(green, "bea@bravo.example", "GREEN"))
    b_writes_c, cal = c.setup(
        org("Hub B", kind="international-organisation"), user("sync@b.example", "Hub B"),
        token("sync@b.example", "write"), org("Charlie Telecom", kind="telecom"),
        user("cal@charlie.example", "Charlie Telecom"), token("cal@charlie.example"),
        collection("Inbox", "--alias", "inbox", "--writable"),
        # C knows B as a partner whose GREEN it takes as GREEN (unknown senders' objects
        # are kept AMBER for the sending organisation alone).
        command("peer", "add", "B", "http://127.0.0.1:9/taxii2/hub/collections/shared/",
                "--org", "Hub B", "--run-as", "sync@b.example", "--share-green", "--tlp",
                "GREEN", "--paused",
                env={"CYBERHUB_PEER_TOKEN": "unused: C never pulls from B here"}))
    c.start(worker=True)
    b.cli("peer", "add", "C", f"{c.url}/taxii2/hub/collections/inbox/", "--org", "Hub C",
          "--run-as", "sync@c.example", "--remote-user", "sync@b.example",
          "--direction", "push", "--share-green", "--paused",
          env={"CYBERHUB_PEER_TOKEN": b_writes_c})

    def pushed() -> int:
        return int(query(b, select(Peer.objects_pushed))[0][0])

    sync_killed_when(b, "C", lambda: pushed() >= 2000)
    accepted = pushed()
    assert 2000 <= accepted < 5000
    after_lease()
    done = b.cli("sync", "C")
    # Only what had not been accepted before the kill is sent again.
    assert f"{5000 - accepted} sent" in done.stdout, (accepted, done.stdout)
    deadline = time.monotonic() + 120
    while len(at_c := c.taxii_objects("inbox", "cal@charlie.example", cal)) < 5000:
        assert time.monotonic() < deadline, "C did not take in B's objects"
        time.sleep(0.5)
    assert {o["id"] for o in at_c} == {o["id"] for o in green}
    assert len(at_c) == 5000  # nothing twice
