"""What a hostile or broken partner's pages make of a pull: a clear error recorded for
the operators, the cursor left where it was and nothing stored — never a crash. (Found
by ``tests/fuzz/test_partner_fuzz.py``; each case here is one it found.)"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
import pytest
from sqlalchemy import func, select

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.federation import peers, sync
from cyberhub.federation.models import Peer
from cyberhub.intel.models import StixObject
from cyberhub.intel.synthetic import Generator
from cyberhub.taxii.media import TAXII
from tests.factories import Community
from tests.taxii.conftest import Hub

INDICATOR = next(o for o in Generator(seed=5).objects(20) if o["type"] == "indicator")


class Page(http.server.BaseHTTPRequestHandler):
    """One page of objects, its body and date-added header as the test sets them."""

    body: ClassVar[bytes] = b""
    date_added: ClassVar[str] = "2026-03-01T10:00:00.000Z"
    media: ClassVar[str] = TAXII

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", Page.media)
        self.send_header("X-TAXII-Date-Added-Last", Page.date_added)
        self.send_header("Content-Length", str(len(Page.body)))
        self.end_headers()
        self.wfile.write(Page.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def partner(database: Database, community: Community, hub: Hub) -> Iterator[Peer]:
    Page.body, Page.date_added, Page.media = b"", "2026-03-01T10:00:00.000Z", TAXII
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    org = community.org("Hub P", kind="international-organisation")
    community.user(org, email="sync@p.example")
    with database.transaction() as s:
        admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
        peer = peers.add_peer(s, admin, peers.PeerSpec(
            name="P", url=f"http://127.0.0.1:{server.server_address[1]}/taxii2/hub/"
            "collections/shared/", org="Hub P", run_as="sync@p.example"))
    yield peer
    server.shutdown()
    server.server_close()


def stored(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(StixObject)) or 0


def assert_refused(database: Database, peer: Peer, outcome: sync.Outcome, says: str) -> None:
    assert outcome.error is not None and says in outcome.error, outcome.error
    assert "unexpectedly" not in outcome.error
    assert stored(database) == 0
    with database.transaction() as s:
        row = s.get(Peer, peer.id)
        assert row is not None and row.pull_cursor is None and row.last_error == outcome.error


def test_an_origins_map_beside_an_object_without_a_string_id(database: Database,
                                                             partner: Peer) -> None:
    """The map is read for the objects with an id; the object without one is refused by
    the import, the others are stored."""
    Page.body = orjson.dumps({"more": False, "objects": [{**INDICATOR, "id": []}, INDICATOR],
                              "x_cyberhub_origins": {INDICATOR["id"]: "https://o.example"}})
    outcome = sync.sync_now(database, partner.id)
    assert outcome.error is None, outcome.error
    assert (outcome.pulled, outcome.stored) == (2, 1)
    with database.transaction() as s:
        assert s.scalar(select(StixObject.origin_hub)) == "https://o.example"


@pytest.mark.parametrize("date_added", [
    "yesterday", "2026-02-30T10:00:00.000Z", "2026-03-01T10:00:00.000Z" * 3])
def test_a_date_added_that_is_not_a_timestamp(database: Database, partner: Peer,
                                              date_added: str) -> None:
    """It would become the cursor, sent back as added_after (and a column holds 40
    characters of it): refused, with the header named."""
    Page.body, Page.date_added = orjson.dumps({"more": False, "objects": [INDICATOR]}), date_added
    outcome = sync.sync_now(database, partner.id)
    assert_refused(database, partner, outcome, "X-TAXII-Date-Added-Last")


def test_an_object_nested_deeper_than_can_be_staged(database: Database,
                                                    partner: Peer) -> None:
    """orjson reads 1,024 levels but writes 254: an object between the two cannot be
    staged for the import."""
    deep = '{"x": [' * 150 + "1" + "]}" * 150
    Page.body = (b'{"more": false, "objects": [' + orjson.dumps(INDICATOR)[:-1]
                 + b', "x_deep": ' + deep.encode() + b"}]}")
    outcome = sync.sync_now(database, partner.id)
    assert_refused(database, partner, outcome, "nested too deep")


@pytest.mark.parametrize("media", ["text/html; charset=utf-8", "application/json",
                                   "application/taxii+json;version=2.0", ""])
def test_an_envelope_not_served_as_taxii_2_1(database: Database, partner: Peer,
                                             media: str) -> None:
    """A login page, a proxy's answer or another TAXII version is not the partner's
    collection, even when its body happens to read as an envelope (the OASIS client
    refuses it too)."""
    Page.body = orjson.dumps({"more": False, "objects": [INDICATOR]})
    Page.media = media
    outcome = sync.sync_now(database, partner.id)
    assert_refused(database, partner, outcome, "not as TAXII 2.1")


@pytest.mark.parametrize("media", [TAXII, "application/taxii+json",
                                   "Application/TAXII+JSON; version=2.1"])
def test_the_taxii_2_1_media_types_are_taken(database: Database, partner: Peer,
                                             media: str) -> None:
    Page.body = orjson.dumps({"more": False, "objects": [INDICATOR]})
    Page.media = media
    outcome = sync.sync_now(database, partner.id)
    assert outcome.error is None and outcome.stored == 1, outcome


def test_a_taxii_answer_that_is_not_json(database: Database, partner: Peer) -> None:
    Page.body = b"<html>not TAXII</html>"
    outcome = sync.sync_now(database, partner.id)
    assert_refused(database, partner, outcome, "not JSON")
