"""A hostile partner hub: what the sync client (``federation.sync``) makes of the TAXII
pages a partner sends back, served by a scripted TAXII server on 127.0.0.1.

Each example is one pull of one to three pages. The pages start from a valid envelope of
the hub's own synthetic STIX (some objects marked AMBER+STRICT or RED, which never leave
their hub) and are spoilt structurally and byte-wise (``tests/fuzz/hostile.py``) or are
random bytes; the answers come with hostile status codes, media types, ``more`` and
``next``, ``X-TAXII-Date-Added-Last`` headers and ``x_cyberhub_origins``, or are cut
short. Whatever the partner sends, the sync

- returns (never raises) and never "fails unexpectedly": it succeeds, or records an
  error that says what was wrong on the partner (``last_error``), backs off and leaves
  the pull cursor where it was — and then stores nothing (no object, version, indexed
  value, reference or audience row);
- when it succeeds, stores only objects the partner sent, exactly as sent, valid STIX
  2.1, none marked AMBER+STRICT or RED, as many as the import counts, and moves the
  cursor to the partner's last date added (a timestamp);
- and the hub keeps answering meanwhile.

Bounded and deterministic (derandomized, no example database); the example counts are
in docs/security.md#fuzzing.
"""

from __future__ import annotations

import contextlib
import copy
import http.server
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import select

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.federation import peers, sync
from cyberhub.federation.models import Peer
from cyberhub.formats.stix.validate import validate_object
from cyberhub.intel.markings import MARKING_BY_TLP
from cyberhub.intel.models import Import, StixObject
from cyberhub.intel.synthetic import Generator
from cyberhub.sharing import TLP
from cyberhub.taxii.media import TAXII, names_taxii_21
from tests.factories import Community, bearer
from tests.fuzz.hostile import dumps, has_deep, hostile_text, mutated, spoilt_bytes
from tests.fuzz.test_import_fuzz import CRASHED, fuzz, stored_state

Answer = tuple[int, list[tuple[bytes, bytes]], bytes, bool]  # status, headers, body, cut?
NEVER_LEAVE = (TLP.AMBER_STRICT, TLP.RED)


class Partner(http.server.BaseHTTPRequestHandler):
    """Answers each request with the next answer of the script (then: no more objects),
    written as raw bytes so that any status, header or length can be sent."""

    script: ClassVar[list[Answer]] = []
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Partner.seen.append(self.path)
        status, headers, body, cut = (Partner.script.pop(0) if Partner.script else
                                      (200, [(b"Content-Type", TAXII.encode())],
                                       b'{"more": false}', False))
        head = [f"HTTP/1.1 {status} Whatever".encode()]
        head += [name + b": " + value for name, value in headers]
        length = len(body) + (100 if cut else 0)  # a cut answer promises more than it sends
        head += [b"Content-Length: " + str(length).encode(), b"Connection: close"]
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client gave up
            self.wfile.write(b"\r\n".join(head) + b"\r\n\r\n" + body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Link:
    client: TestClient
    database: Database
    peer_id: uuid.UUID
    token: str  # a member's, to ask the hub whether it still answers


@pytest.fixture
def partner() -> Iterator[str]:
    Partner.script, Partner.seen = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def link(client: TestClient, database: Database, community: Community, settings: Settings,
         partner: str, monkeypatch: pytest.MonkeyPatch) -> Link:
    monkeypatch.setattr(sync.time, "sleep", lambda _s: None)  # no real back-off waits
    monkeypatch.setattr(sync, "MAX_PAGES", 4)  # bounds a run told there is ever more
    settings.peer_read_timeout = settings.peer_connect_timeout = 2.0
    ops = community.org("Hub Operators", kind="international-organisation")
    operator = community.user(ops, role="hub-admin", email="operator@hub.example")
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha, email="ana@alpha.example")
    org = community.org("Hub Partner", kind="international-organisation")
    community.user(org, email="sync@p.example")
    with database.transaction() as s:
        admin = access.viewer_for(s, s.get(User, operator.id))  # type: ignore[arg-type]
        peer = peers.add_peer(s, admin, peers.PeerSpec(
            name="P", url=f"{partner}/taxii2/hub/collections/shared/", org="Hub Partner",
            run_as="sync@p.example", remote_user="us@p.example", secret="chub_x",
            tlp="AMBER", audience=("Alpha CERT",)))
        peer_id = peer.id
    return Link(client, database, peer_id, community.token(ana, "read"))


# ------------------------------------------------------------------------------ pages


def fresh(obj: dict[str, Any], n: int) -> dict[str, Any]:
    """The object under an id of its own (an SDO or SRO; an observable's id is its value),
    so that each example sends new objects rather than versions the hub holds."""
    obj = copy.deepcopy(obj)
    if obj.get("created"):
        obj["id"] = f"{obj['type']}--{uuid.UUID(int=n, version=4)}"
    return obj


@st.composite
def envelopes(draw: st.DrawFn, last: bool) -> dict[str, Any]:
    """A valid page: new objects, some marked to never leave their hub, some stating the
    hub they came from; ``more`` and ``next`` unless it is the last page."""
    seed = draw(st.integers(0, 10**6), label="seed")
    objects = [fresh(o, seed * 100 + i) for i, o in enumerate(Generator(seed=seed).objects(5))
               if o["type"] != "relationship"]
    for obj in objects:
        if obj.get("created") and draw(st.integers(0, 3)) == 0:
            tlp = draw(st.sampled_from([TLP.AMBER_STRICT, TLP.RED, TLP.GREEN, TLP.AMBER]))
            obj["object_marking_refs"] = [MARKING_BY_TLP[tlp]]
    page: dict[str, Any] = {"more": not last, "objects": objects}
    if not last:
        page["next"] = f"page-{seed}"
    if draw(st.booleans()):
        page["x_cyberhub_origins"] = {o["id"]: "https://origin.example" for o in objects[:2]}
        if draw(st.integers(0, 3)) == 0:  # an id no object can have, beside the map
            objects[0]["id"] = draw(st.sampled_from([[], {}, None, 7, ["x"]]))
    return page


DATES = st.one_of(
    st.just("2026-03-01T10:00:00.000Z"), st.just("2026-03-01T10:00:00.000Z"),
    st.sampled_from(["", "2026-03-01T10:00:00Z", "2026-03-01 10:00:00", "yesterday",
                     "2026-02-30T00:00:00.000Z", "9999-12-31T23:59:59.999999Z",
                     "2026-03-01T10:00:00.000000000000000000000000000000000000000Z",
                     "2026-03-01T10:00:00.000Z" * 3, "\u00e9t\u00e9", "0"]),
    hostile_text.map(lambda t: t.encode("latin-1", "replace").decode("latin-1")[:300]))
STATUSES = st.one_of(st.just(200), st.just(200), st.just(200), st.sampled_from([
    201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 406, 413, 416, 429, 500, 502, 503,
    504, 599, 999]))
MEDIA = st.one_of(st.just(TAXII), st.just(TAXII), st.sampled_from([
    "application/taxii+json", "application/json", "application/stix+json;version=2.1",
    "text/html", "application/octet-stream", "", "application/taxii+json;version=2.0"]))


def header_value(text: str) -> bytes:
    """What may stand in a header (no line breaks, which would end it)."""
    return text.encode("latin-1", "replace").translate(None, b"\r\n\x00")


@st.composite
def answers(draw: st.DrawFn, last: bool) -> tuple[Answer, list[Any] | None]:
    """One answer of the partner, and the objects it carries when its body is an intact
    envelope (None when spoilt: then nothing in it is known)."""
    status = draw(STATUSES, label="status")
    headers = [(b"Content-Type", header_value(draw(MEDIA, label="media")))]
    date = draw(st.one_of(st.none(), DATES), label="date added last")
    if date is not None:
        headers.append((b"X-TAXII-Date-Added-Last", header_value(date)))
    page = draw(envelopes(last), label="page")
    if draw(st.integers(0, 2), label="well formed?") == 0:
        # As a good partner answers, so that many pulls get as far as storing.
        headers = [(b"Content-Type", TAXII.encode()),
                   (b"X-TAXII-Date-Added-Last", b"2026-03-01T10:00:00.000Z")]
        return (200, headers, dumps(page), False), page["objects"]
    cut = draw(st.integers(0, 19), label="cut?") == 0
    if draw(st.integers(0, 9), label="random bytes?") == 0:
        return (status, headers, draw(st.binary(max_size=300), label="random"), cut), None
    doc = draw(mutated(page, 3), label="doc")
    body = draw(spoilt_bytes(dumps(doc)), label="body")
    intact = body == dumps(doc) and not has_deep(doc) and isinstance(doc, dict) \
        and isinstance(doc.get("objects"), list)
    return (status, headers, body, cut), doc["objects"] if intact else None


def partner_state(link: Link) -> tuple[str | None, int, str | None]:
    with link.database.transaction() as s:
        peer = s.get(Peer, link.peer_id)
        assert peer is not None
        return peer.pull_cursor, peer.failures, peer.last_error


def is_timestamp(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


@fuzz(80)
@given(data=st.data())
def test_pull_from_a_hostile_partner(link: Link, data: st.DataObject) -> None:
    """One to three pages, each spoilt or not, with hostile statuses and headers."""
    pages = data.draw(st.integers(1, 3), label="pages")
    script: list[Answer] = []
    sent: list[Any] | None = []
    for n in range(pages):
        answer, objects = data.draw(answers(last=n == pages - 1), label=f"answer {n}")
        script.append(answer)
        sent = sent + objects if sent is not None and objects is not None else None
    Partner.script = list(script)
    cursor, failures, _error = partner_state(link)
    before = stored_state(link.database)
    started = datetime.now().astimezone()

    outcome = sync.sync_now(link.database, link.peer_id)

    after = stored_state(link.database)
    new_cursor, new_failures, last_error = partner_state(link)
    answered = link.client.get("/api/v1/notes", headers=bearer(link.token))
    assert answered.status_code == 200, answered.text[:300]  # the hub keeps answering
    status, headers, body, _cut = script[0]
    if status < 400 and body and not names_taxii_21(dict(headers)[b"Content-Type"].decode("latin-1")):
        assert outcome.error is not None, "a page not served as TAXII 2.1 was taken"
    if outcome.error is not None:
        event("sync failed")
        assert outcome.error.strip() and "unexpectedly" not in outcome.error, outcome.error
        assert last_error == outcome.error[:2000] and new_failures == failures + 1
        assert new_cursor == cursor, "a failed sync moved the cursor"
        assert after == before, f"a failed sync stored something: {outcome.error}"
        return
    event("sync succeeded: objects stored" if outcome.stored else "sync succeeded: none")
    assert new_failures == 0 and last_error is None
    assert new_cursor is None or is_timestamp(new_cursor), new_cursor
    with link.database.transaction() as s:
        job = s.scalars(select(Import).where(Import.created_at >= started)
                        .order_by(Import.created_at.desc())).first()
        rows = list(s.scalars(select(StixObject).where(StixObject.import_id == job.id))) \
            if job is not None else []
        if job is not None:
            assert CRASHED not in (job.message or ""), job.message
            assert outcome.stored == job.objects_stored + job.objects_new_versions, outcome
            assert after["stix_objects"] - before["stix_objects"] == job.objects_stored
        else:
            assert outcome.pulled == 0 and after == before, outcome
    for row in rows:
        data_ = orjson.loads(row.data)
        assert row.tlp not in NEVER_LEAVE, (row.tlp, data_)
        assert row.source == "peer:P", row.source
        assert validate_object(data_) == [], data_
        if sent is not None:
            assert data_ in sent, f"stored {data_!r} was never sent"
