"""Three hubs as separate processes on loopback (two on SQLite, one on PostgreSQL),
synced over TAXII 2.1: a chain of syncs, a hub killed mid-sync and restarted, a
revocation reaching every hub, and — from every payload each hub sent — proof that no
AMBER+STRICT or RED object left and AMBER left only for partners in its audience.

A (SQLite) ──pull── B (SQLite) ──push──▶ C (PostgreSQL); A also pulls from B (the loop).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from cyberhub.intel.markings import MARKING_BY_TLP
from cyberhub.intel.synthetic import Generator
from cyberhub.sharing import TLP
from tests.conftest import scratch_database
from tests.federation.network import HubProcess, collection, command, org, token, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("network")]

STRICT = MARKING_BY_TLP[TLP.AMBER_STRICT]
RED = MARKING_BY_TLP[TLP.RED]
AMBER = MARKING_BY_TLP[TLP.AMBER]


def sdos(n: int, seed: int) -> list[dict[str, Any]]:
    """Objects that stand alone (no references to resolve), with versions."""
    found = [o for o in Generator(seed=seed).objects(n * 4)
             if o.get("modified") and o["type"] not in ("relationship", "sighting", "report",
                                                        "note", "observed-data", "grouping",
                                                        "opinion")
             and not any(k.endswith("_ref") or k.endswith("_refs") for k in o
                         if k not in ("created_by_ref", "object_marking_refs"))]
    assert len(found) >= n
    return found[:n]


def ids(objects: list[dict[str, Any]]) -> set[str]:
    return {o["id"] for o in objects}


@pytest.fixture
def pg_database() -> Iterator[str]:
    with scratch_database("cyberhub_net") as url:
        yield url


@pytest.fixture
def hubs(tmp_path: Path, pg_database: str) -> Iterator[tuple[HubProcess, ...]]:
    made = []
    for name, url in (("a", None), ("b", None), ("c", pg_database)):
        root = tmp_path / name
        root.mkdir()
        made.append(HubProcess(name, root, url or f"sqlite:///{root / 'hub.sqlite3'}"))
    yield tuple(made)
    for hub in made:
        hub.stop()


def test_three_hubs(hubs: tuple[HubProcess, HubProcess, HubProcess]) -> None:
    a, b, c = hubs
    # ---------------------------------------------------------------- set-up
    b_reads_a, = a.setup(
        org("Alpha CERT"), user("ana@alpha.example", "Alpha CERT"),
        org("Hub B", kind="international-organisation"),  # stands for partner B here
        user("sync@b.example", "Hub B"), token("sync@b.example"),
        collection("Shared", "--alias", "shared"))
    a_reads_b, c_reads_b, bea = b.setup(
        org("Hub A", kind="international-organisation"), user("sync@a.example", "Hub A"),
        org("Hub C", kind="international-organisation"), user("sync@c.example", "Hub C"),
        token("sync@a.example"), token("sync@c.example"),
        org("Bravo Bank", kind="financial"), user("bea@bravo.example", "Bravo Bank"),
        token("bea@bravo.example"), collection("Shared", "--alias", "shared"))
    b_writes_c, cal = c.setup(
        org("Hub B", kind="international-organisation"), user("sync@b.example", "Hub B"),
        token("sync@b.example", "write"), org("Charlie Telecom", kind="telecom"),
        user("cal@charlie.example", "Charlie Telecom"), token("cal@charlie.example"),
        collection("Inbox", "--alias", "inbox", "--writable"))

    green = sdos(3000, 1)  # four TAXII pages: room to kill a hub half way
    amber_b = sdos(5, 2)  # AMBER for partner B
    amber_alpha = sdos(5, 3)  # AMBER for Alpha only
    strict_b = sdos(5, 4)  # AMBER+STRICT naming partner B: must never leave A
    red = sdos(5, 5)
    a.setup(a.importing(green, "ana@alpha.example", "GREEN"),
            a.importing(amber_b, "ana@alpha.example", "AMBER", "Hub B"),
            a.importing(amber_alpha, "ana@alpha.example", "AMBER", "Alpha CERT"),
            a.importing(strict_b, "ana@alpha.example", "AMBER+STRICT", "Hub B"),
            a.importing(red, "ana@alpha.example", "RED"))

    for hub in hubs:
        hub.start(worker=hub is c)
    a.cli("peer", "add", "B", f"{b.url}/taxii2/hub/collections/shared/", "--org", "Hub B",
          "--run-as", "sync@b.example", "--remote-user", "sync@a.example",
          "--share-green", "--tlp", "GREEN", "--paused",
          env={"CYBERHUB_PEER_TOKEN": a_reads_b})
    b.setup(
        command("peer", "add", "A", f"{a.url}/taxii2/hub/collections/shared/", "--org", "Hub A",
                "--run-as", "sync@a.example", "--remote-user", "sync@b.example",
                "--share-green", "--tlp", "GREEN", "--audience", "Bravo Bank", "--paused",
                env={"CYBERHUB_PEER_TOKEN": b_reads_a}),
        command("peer", "add", "C", f"{c.url}/taxii2/hub/collections/inbox/", "--org", "Hub C",
                "--run-as", "sync@c.example", "--remote-user", "sync@b.example",
                "--direction", "push", "--share-green", "--paused",
                env={"CYBERHUB_PEER_TOKEN": b_writes_c}))
    c.cli("peer", "add", "B", f"{b.url}/taxii2/hub/collections/shared/", "--org", "Hub B",
          "--run-as", "sync@b.example", "--remote-user", "sync@c.example", "--share-green",
          "--tlp", "GREEN", "--paused", env={"CYBERHUB_PEER_TOKEN": c_reads_b})

    # ---------------------------------------------------------------- A killed mid-sync
    first_page = threading.Event()

    def kill_after_first_page() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if a.wire.exists() and any(a.wire.iterdir()):
                a.kill()
                first_page.set()
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_after_first_page)
    killer.start()
    interrupted = b.cli("sync", "A", check=False)
    killer.join()
    assert first_page.is_set()
    assert interrupted.returncode == 1 and "did not answer" in interrupted.stderr
    assert b.taxii_objects("shared", "bea@bravo.example", bea) == []  # nothing half-kept
    a.start()
    time.sleep(2.1)  # the lease of the killed run (CYBERHUB_SYNC_LEASE_SECONDS) ends
    done = b.cli("sync", "A")
    assert "3005 received (3005 new)" in done.stdout, done.stdout

    # ---------------------------------------------------------------- the chain
    at_b = b.taxii_objects("shared", "bea@bravo.example", bea)
    assert ids(at_b) == ids(green) | ids(amber_b)
    assert len(at_b) == len(ids(at_b))  # nothing twice
    pushed = b.cli("sync", "C")
    assert "3000 sent" in pushed.stdout, pushed.stdout
    deadline = time.monotonic() + 120
    while len(c.taxii_objects("inbox", "cal@charlie.example", cal)) < 3000:
        assert time.monotonic() < deadline, "C did not take in B's objects"
        time.sleep(0.5)
    at_c = c.taxii_objects("inbox", "cal@charlie.example", cal)
    assert ids(at_c) == ids(green)  # A's AMBER named B, not C: it stops at B
    # Every hub on the way knows where the object entered the network.
    for hub, secret in ((b, bea), (c, cal)):
        found = httpx2.get(f"{hub.url}/api/v1/objects/{green[7]['id']}",
                           headers={"Authorization": f"Bearer {secret}"}, timeout=30)
        assert found.status_code == 200, found.text
        assert found.json()["origin_hub"] == a.url
        assert found.json()["source"] == ("peer:A" if hub is b else "peer:B")
    # Syncing again is idempotent; A pulling from B gets nothing of its own back.
    assert "0 received" in b.cli("sync", "A").stdout
    loop = a.cli("sync", "B")
    assert "(0 new)" in loop.stdout, loop.stdout
    # C pulls from B what B already pushed: taken as known.
    again = c.cli("sync", "B")
    assert "3000 received (0 new)" in again.stdout, again.stdout

    # ---------------------------------------------------------------- a revocation
    revoked_id = green[0]["id"]
    ana = a.token("ana@alpha.example", "write")
    response = httpx2.post(f"{a.url}/api/v1/objects/{revoked_id}/revoke",
                           headers={"Authorization": f"Bearer {ana}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert "1 received (1 new)" in b.cli("sync", "A").stdout
    assert "1 sent" in b.cli("sync", "C").stdout
    deadline = time.monotonic() + 60
    while True:
        at_c = {o["id"]: o for o in c.taxii_objects("inbox", "cal@charlie.example", cal)}
        if at_c[revoked_id].get("revoked"):
            break
        assert time.monotonic() < deadline, "the revocation did not reach C"
        time.sleep(0.5)
    at_b_now = {o["id"]: o for o in b.taxii_objects("shared", "bea@bravo.example", bea)}
    assert at_b_now[revoked_id]["revoked"] is True

    # ---------------------------------------------------------------- the wire
    # Every payload that went to another hub, pulled or pushed.
    never = ids(strict_b) | ids(red) | ids(amber_alpha)
    sent_by: dict[str, int] = {}
    for hub in hubs:
        for head, objects in hub.payloads():
            if not head["to"].startswith("partner:"):
                continue  # a member's own client, inside the hub's community
            sent_by[hub.name] = sent_by.get(hub.name, 0) + len(objects)
            for obj in objects:
                refs = set(obj.get("object_marking_refs", []))
                assert not refs & {STRICT, RED}, (hub.name, head, obj["id"])
                assert obj["id"] not in never, (hub.name, head, obj["id"])
                if obj["id"] in ids(amber_b):
                    # A's AMBER for B: only from A, only to B.
                    assert hub is a and head["to"] == "partner:B", (hub.name, head)
                if AMBER in refs:
                    assert obj["id"] in ids(amber_b), (hub.name, head, obj["id"])
    assert sent_by.get("a", 0) >= 3005 and sent_by.get("b", 0) >= 3000
