"""The partners page: hub admins see each link's state and start a sync; a partner that
is down or answers garbage leaves a clear error, a back-off and its cursor unmoved."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

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
    assert outcome.error is not None and "not JSON" in outcome.error
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
    assert "not JSON" in shown.text
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
