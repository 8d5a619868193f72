"""The partners page: hub admins see each link's state and start a sync; a partner that
is down or answers garbage leaves a clear error, a back-off and its cursor unmoved."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.db import Database, utcnow
from cyberhub.federation import peers, sync
from cyberhub.federation.models import Peer
from tests.factories import Community, csrf_of, sign_in
from tests.taxii.conftest import Hub


class Garbage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>not TAXII</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def add(database: Database, community: Community, hub: Hub, url: str) -> Peer:
    org = community.org("Hub P", kind="international-organisation")
    community.user(org, email="sync@p.example")
    with database.transaction() as s:
        admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
        return peers.add_peer(s, admin, peers.PeerSpec(
            name="P", url=f"{url}/taxii2/hub/collections/shared/", org="Hub P",
            run_as="sync@p.example", remote_user="us@p.example", secret="chub_x",
            contact="desk@p.example"))


def test_partner_answering_garbage(database: Database, community: Community, hub: Hub,
                                   garbage_server: str) -> None:
    peer = add(database, community, hub, garbage_server)
    outcome = sync.sync_now(database, peer.id)
    assert outcome.error is not None and "not as TAXII 2.1" in outcome.error
    with database.transaction() as s:
        stored = s.get(Peer, peer.id)
        assert stored is not None
        assert stored.failures == 1 and stored.pull_cursor is None
        assert stored.syncing_since is None and stored.next_sync_at > utcnow()
        assert stored.last_error == outcome.error


def test_partner_that_is_down(database: Database, community: Community, hub: Hub,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync.time, "sleep", lambda _s: None)  # no real back-off waits
    peer = add(database, community, hub, "http://127.0.0.1:9")  # discard port: nothing there
    first = sync.sync_now(database, peer.id)
    second = sync.sync_now(database, peer.id)
    assert first.error and "did not answer" in first.error and second.error
    with database.transaction() as s:
        stored = s.get(Peer, peer.id)
        assert stored is not None and stored.failures == 2
        # Back-off doubles, capped by the partner's interval.
        assert (stored.next_sync_at - utcnow()).total_seconds() > 60


def test_partners_page(client: TestClient, database: Database, community: Community,
                       hub: Hub, garbage_server: str) -> None:
    peer = add(database, community, hub, garbage_server)
    sync.sync_now(database, peer.id)
    sign_in(client, "operator@hub.example")
    shown = client.get("/admin/partners")
    assert shown.status_code == 200
    assert "P" in shown.text and "desk@p.example" in shown.text and "failing" in shown.text
    assert "not as TAXII 2.1" in shown.text
    token = csrf_of(client, "/admin/partners")
    paused = client.post(f"/admin/partners/{peer.id}/pause", data={"csrf_token": token},
                         follow_redirects=False)
    assert paused.status_code == 303
    with database.transaction() as s:
        assert s.scalar(select(Peer.enabled)) is False
    started = client.post(f"/admin/partners/{peer.id}/sync", data={"csrf_token": token},
                          follow_redirects=False)
    assert started.status_code == 303 and "flash=syncing" in started.headers["location"]
    with database.transaction() as s:  # the job ran (immediately, in tests) and failed again
        assert s.scalar(select(Peer.failures)) == 2


def test_members_do_not_see_partners(client: TestClient, hub: Hub) -> None:
    sign_in(client, "bo@beta.example")
    assert client.get("/admin/partners").status_code == 403


class FakeTaxii(http.server.BaseHTTPRequestHandler):
    """A plain TAXII 2.1 server (not a hub): one page of two indicators."""

    seen: ClassVar[list[str]] = []
    objects: ClassVar[list[dict[str, Any]]] = []
    delay: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        FakeTaxii.seen.append(self.path)
        threading.Event().wait(FakeTaxii.delay)  # not time.sleep: tests patch that
        body = orjson.dumps({"more": False, "objects": FakeTaxii.objects})
        self.send_response(200)
        self.send_header("Content-Type", "application/taxii+json;version=2.1")
        self.send_header("X-TAXII-Date-Added-First", "2026-12-01T00:00:00.000Z")
        self.send_header("X-TAXII-Date-Added-Last", "2026-12-01T00:00:01.500Z")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may have given up waiting (the slow-partner test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_taxii() -> Iterator[str]:
    from cyberhub.intel.synthetic import Generator

    FakeTaxii.seen = []
    FakeTaxii.delay = 0.0
    FakeTaxii.objects = [o for o in Generator(seed=3).objects(40)
                         if o["type"] == "indicator"][:2]
    for o in FakeTaxii.objects:
        o.pop("confidence", None)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeTaxii)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_subscription_to_a_taxii_server(database: Database, community: Community, hub: Hub,
                                        fake_taxii: str) -> None:
    from cyberhub.intel.models import StixObject

    org = community.org("OSINT Source", kind="other")
    community.user(org, email="feed@osint.example")
    with database.transaction() as s:
        admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
        peer = peers.add_peer(s, admin, peers.PeerSpec(
            name="OSINT", url=f"{fake_taxii}/api/collections/abc/", org="OSINT Source",
            run_as="feed@osint.example", remote_user="us", secret="s3cret", tlp="GREEN",
            trust=60))
        peer_id = peer.id
    first = sync.sync_now(database, peer_id)
    assert first.error is None and (first.pulled, first.stored) == (2, 2)
    with database.transaction() as s:
        rows = s.scalars(select(StixObject).where(StixObject.source == "peer:OSINT")).all()
        assert {r.stix_id for r in rows} == {o["id"] for o in FakeTaxii.objects}
        assert {r.confidence for r in rows} == {60}
        assert {r.owner_org_id for r in rows} == {org.id}
        stored = s.get(Peer, peer_id)
        assert stored is not None and stored.pull_cursor == "2026-12-01T00:00:01.500Z"
    assert "added_after" not in FakeTaxii.seen[0] and "match%5Bversion%5D=all" in FakeTaxii.seen[0]
    again = sync.sync_now(database, peer_id)
    assert again.error is None and (again.pulled, again.stored) == (2, 0)
    assert "added_after=2026-12-01T00%3A00%3A01.500Z" in FakeTaxii.seen[-1]


def test_a_slow_partner(database: Database, community: Community, hub: Hub,
                        fake_taxii: str, settings: Any,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync.time, "sleep", lambda _s: None)
    settings.peer_read_timeout = 0.2
    FakeTaxii.delay = 1.0
    peer = add(database, community, hub, fake_taxii.replace("/taxii2", ""))
    outcome = sync.sync_now(database, peer.id)
    assert outcome.error is not None and "did not answer" in outcome.error
    assert len(FakeTaxii.seen) == sync.RETRIES + 1  # bounded retries


def test_an_oversized_answer_is_refused(database: Database, community: Community, hub: Hub,
                                        fake_taxii: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "MAX_RESPONSE_BYTES", 100)
    peer = add(database, community, hub, fake_taxii.replace("/taxii2", ""))
    outcome = sync.sync_now(database, peer.id)
    assert outcome.error is not None and "larger than 100 bytes" in outcome.error
