"""Hostile requests to the TAXII 2.1 server, end to end over HTTP.

Every endpoint (discovery, API root, collections, collection, objects, manifest, object,
versions, status) is asked with hostile path segments, query parameters (``added_after``,
``limit``, ``next``, ``match[…]``: garbage, huge, unicode, repeated) and ``Accept`` and
``Authorization`` headers; envelopes spoilt structurally and byte-wise are POSTed with
right and wrong media types. Whatever arrives, the server answers with the TAXII media
type, never a 5xx, and every refusal is a TAXII error message (section 3.6.1: ``title``,
``description``, ``http_status`` matching the status line). A refused POST stores nothing
and queues nothing; an accepted one ends complete, and its status accounts for every
object it was sent.
"""

from __future__ import annotations

import base64
import copy
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cyberhub.db import Database
from cyberhub.intel.models import Import, StixObject
from cyberhub.intel.synthetic import Generator
from cyberhub.taxii.media import STIX, TAXII
from tests.factories import Community
from tests.fuzz.hostile import dumps, form, has_deep, mutated, scaled, short_text, spoilt_bytes
from tests.taxii.conftest import add_collection, import_objects

ROOT = "/taxii2/hub"


def fuzz(examples: int) -> settings:
    """Deterministic and bounded: the same ``examples`` cases on every run
    (``CYBERHUB_FUZZ_SCALE=10`` runs ten times as many, for a longer hunt)."""
    return settings(max_examples=scaled(examples), derandomize=True, database=None,
                    deadline=None, report_multiple_bugs=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass
class Server:
    client: TestClient
    database: Database
    email: str
    token: str
    readable: str  # a collection id the member reads
    writable: str  # one the member may write to
    ids: list[str]  # objects in it
    types: list[str]
    next_token: str  # a valid next token of the objects endpoint (limit=2)

    def headers(self, **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": TAXII, **more}


@pytest.fixture
def server(client: TestClient, database: Database, community: Community,
           tmp_path: Path) -> Server:
    ops = community.org("Hub Operators", kind="international-organisation")
    alpha = community.org("Alpha CERT")
    operator = community.user(ops, role="hub-admin", email="operator@hub.example")
    ana = community.user(alpha, email="ana@alpha.example")
    sent = list(Generator(seed=21).objects(12))
    import_objects(database, community, ana, sent, tmp_path)
    readable = add_collection(database, operator, title="All", alias="all")
    writable = add_collection(database, operator, title="Drop box", alias="drop",
                              writable=True)
    token = community.token(ana, "write")
    first = client.get(f"{ROOT}/collections/{readable.id}/objects/", params={"limit": 2},
                       headers={"Authorization": f"Bearer {token}", "Accept": TAXII})
    assert first.status_code == 200, first.text
    return Server(client, database, ana.email, token, str(readable.id), str(writable.id),
                  [o["id"] for o in sent], sorted({o["type"] for o in sent}),
                  first.json()["next"])


def assert_taxii_answer(r: Any) -> Any:
    """A TAXII answer: never a server error, always the TAXII media type and JSON; a
    refusal is an error message with title, description and the status it came with."""
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert r.headers.get("content-type") == TAXII, (r.status_code, r.headers, r.text[:300])
    if r.status_code == 200 and not r.content:
        return None  # DELETE answers an empty body
    body = orjson.loads(r.content)
    if r.status_code >= 400:
        assert isinstance(body, dict), body
        assert isinstance(body.get("title"), str) and body["title"].strip(), body
        assert body.get("http_status") == str(r.status_code), body
        assert isinstance(body.get("description"), str) and body["description"].strip(), body
        if r.status_code == 401:
            assert "Basic" in r.headers.get("www-authenticate", ""), r.headers
    return body


def counts(database: Database) -> tuple[int, int]:
    with database.transaction() as s:
        return (s.scalar(select(func.count()).select_from(StixObject)) or 0,
                s.scalar(select(func.count()).select_from(Import)) or 0)


def segment(text: str) -> str:
    return quote(text, safe="", errors="surrogatepass")


PARAM_NAMES = st.one_of(st.sampled_from([
    "added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
    "match[spec_version]", "match[colour]", "match[]", "match[id", "match[ID]", "limit[]",
    "", "next ", "\u0645"]), short_text)
# Mostly the right Accept header, so that most requests get past it to the endpoint.
ACCEPTS = st.one_of(st.just(TAXII), st.just(TAXII), st.just(TAXII), st.sampled_from([
    TAXII, "application/taxii+json", "application/taxii+json;version=2.0",
    "application/taxii+json; version=2.1", "APPLICATION/TAXII+JSON;VERSION=2.1",
    "application/taxii+json;version=2.1;q=0.5, text/html", "*/*", "", "application/json",
    STIX, "application/taxii+json;version=99999999999999999999.1", "text/html", ",,,;;;",
    "application/taxii+json;version=2.1" + ";x" * 2000]))


@st.composite
def param_values(draw: st.DrawFn, server: Server) -> str:
    valid = st.sampled_from([
        *server.ids[:4], *server.types, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00Z",
        "first", "last", "all", "2.1", "2.0", "1", "1000", "0", "-1", "10" * 40, "1e3",
        server.next_token, server.next_token[:-1], server.next_token + "=",
        ",".join(server.ids[:3]), ",", " , ", "9999-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00+02:00Z",
        ",".join(["indicator"] * 101), "a" * 251, "indicator--" + "0" * 400,
        "1." * 5])
    return draw(st.one_of(valid, short_text))


@st.composite
def get_requests(draw: st.DrawFn, server: Server) -> tuple[str, list[tuple[str, str]]]:
    """A GET of any TAXII endpoint, with hostile path segments and query parameters."""
    root = draw(st.sampled_from(["hub"] * 8 + ["HUB", "hub%00", "%2e%2e", "api1"]) | short_text
                .map(segment)) if draw(st.integers(0, 9)) == 0 else "hub"
    collection = draw(st.sampled_from([server.readable, server.writable, "all", "drop"])
                      if draw(st.integers(0, 5)) else short_text.map(segment))
    obj = draw(st.one_of(st.sampled_from(server.ids), short_text.map(segment),
                         st.sampled_from(["indicator--" + "a" * 300, "x--y", "--",
                                          "indicator--00000000-0000-0000-0000-000000000000",
                                          "%00", "..", "."])))
    endpoint = draw(st.sampled_from([
        "/taxii2/", f"/taxii2/{root}/", f"/taxii2/{root}/collections/",
        f"/taxii2/{root}/collections/{collection}/",
        f"/taxii2/{root}/collections/{collection}/objects/",
        f"/taxii2/{root}/collections/{collection}/objects/",
        f"/taxii2/{root}/collections/{collection}/manifest/",
        f"/taxii2/{root}/collections/{collection}/objects/{obj}/",
        f"/taxii2/{root}/collections/{collection}/objects/{obj}/versions/",
        f"/taxii2/{root}/status/{draw(st.one_of(st.uuids().map(str), short_text.map(segment)))}/",
        f"/taxii2/{root}/collections/{collection}/objects",  # no trailing slash
    ]))
    params = draw(st.lists(st.tuples(PARAM_NAMES, param_values(server)), max_size=5))
    return endpoint, params


@fuzz(250)
@given(data=st.data())
def test_get_endpoints(server: Server, data: st.DataObject) -> None:
    """Hostile GETs: any path, filters, Accept and credentials."""
    path, params = data.draw(get_requests(server), label="request")
    headers = server.headers(Accept=data.draw(ACCEPTS, label="accept"))
    auth = data.draw(st.sampled_from(["basic", "none", "garbage", "wrong-email"])
                     if data.draw(st.integers(0, 7)) == 0 else st.just("bearer"), label="auth")
    if auth == "basic":
        raw = base64.b64encode(f"{server.email}:{server.token}".encode()).decode()
        headers["Authorization"] = f"Basic {raw}"
    elif auth == "none":
        del headers["Authorization"]
    elif auth == "garbage":
        headers["Authorization"] = data.draw(st.sampled_from([
            "Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "Bearer ",
            "Digest x", "Basic " + base64.b64encode(b"no-colon").decode(),
            "Bearer chub_" + "x" * 500]))
    elif auth == "wrong-email":
        raw = base64.b64encode(f"bo@beta.example:{server.token}".encode()).decode()
        headers["Authorization"] = f"Basic {raw}"
    query = form(params).decode()
    r = server.client.get(path + ("?" + query if query else ""), headers=headers)
    event(f"GET answered {r.status_code}")
    body = assert_taxii_answer(r)
    if r.status_code == 200 and path.endswith(("/objects/", "/manifest/", "/versions/")):
        assert isinstance(body, dict), body
        items = body.get("objects") or body.get("versions") or []
        assert isinstance(items, list), body
        if body.get("more"):
            assert body.get("next") or path.endswith("/versions/"), body


# ------------------------------------------------------------------------------ POST


def envelope(seed: int) -> dict[str, Any]:
    """A valid envelope of new objects (their own ids, never stored before)."""
    objects = []
    for obj in Generator(seed=100 + seed).objects(6):
        obj = copy.deepcopy(obj)
        if obj.get("created"):  # an SDO/SRO: a fresh id keeps the example independent
            obj["id"] = f"{obj['type']}--{uuid.UUID(int=seed * 1000 + len(objects), version=4)}"
        objects.append(obj)
    return {"objects": [o for o in objects if o["type"] != "relationship"]}


CONTENT_TYPES = st.sampled_from([
    *[TAXII] * 10, "application/taxii+json", "application/taxii+json;version=2.0",
    "application/json", STIX, "", "text/plain", "multipart/form-data; boundary=x",
    "application/taxii+json;version=2.1;charset=utf-16"])


@fuzz(120)
@given(data=st.data())
def test_post_envelopes(server: Server, data: st.DataObject) -> None:
    """Spoilt envelopes (and random bytes) POSTed with right and wrong media types."""
    if data.draw(st.integers(0, 9), label="random bytes?") == 0:
        doc, body = None, data.draw(st.binary(max_size=300), label="body")
    else:
        doc = data.draw(mutated(envelope(data.draw(st.integers(0, 10_000))), 3), label="doc")
        body = data.draw(spoilt_bytes(dumps(doc)), label="body")
    collection = data.draw(st.sampled_from([server.writable] * 8 + [server.readable, "drop"])
                           if data.draw(st.integers(0, 9)) else short_text.map(segment),
                           label="collection")
    headers = server.headers(**{"Content-Type": data.draw(CONTENT_TYPES, label="type"),
                                "Accept": data.draw(ACCEPTS, label="accept")})
    before = counts(server.database)
    r = server.client.post(f"{ROOT}/collections/{collection}/objects/", content=body,
                           headers=headers)
    event(f"POST answered {r.status_code}")
    status = assert_taxii_answer(r)
    if r.status_code != 202:
        assert counts(server.database) == before, "a refused POST stored or queued something"
        return
    assert status["status"] == "pending" and status["total_count"] >= 1, status
    got = server.client.get(f"{ROOT}/status/{status['id']}/", headers=server.headers())
    final = assert_taxii_answer(got)
    assert got.status_code == 200, final
    assert final["status"] == "complete" and final["pending_count"] == 0, final
    total = final["total_count"]
    event("some objects stored" if final["success_count"] else "no object stored")
    assert final["success_count"] + final["failure_count"] == total, final
    for failure in final.get("failures", []):
        assert isinstance(failure.get("message"), str) and failure["message"].strip(), failure
        assert "unexpectedly" not in failure["message"], failure
    stored, _jobs = counts(server.database)
    assert stored - before[0] <= final["success_count"], (stored, before, final)
    if final["success_count"] == 0:
        assert stored == before[0], final
    intact = doc is not None and body == dumps(doc) and not has_deep(doc)
    if intact and isinstance(doc, dict) and isinstance(doc.get("objects"), list):
        assert total == len(doc["objects"]), (total, final)
