"""Differential test: the hub and the OASIS reference server ``medallion`` (memory back
end, started on loopback by the test) get the same objects, loaded the same way — one
TAXII POST per object, in the same order — and then the same requests.

Every answer is checked against the TAXII 2.1 specification, written out here as a small
model of the collection (what each filter selects, in date-added order, cut into pages),
and the two servers are compared with each other: objects and their order on every
page, ``more``, ``next``, the date headers, status codes. The hub adds its TLP marking to
``object_marking_refs`` of what it serves; objects are compared without it.

Where medallion departs from the specification the hub is held to the specification, and
the departure is listed in :data:`MEDALLION_DEPARTURES` (and in docs/taxii.md) — each
listed departure is checked to still be there, so the list stays true.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from fastapi.testclient import TestClient

from cyberhub.db import Database
from cyberhub.intel.markings import TLP2
from cyberhub.intel.synthetic import Generator
from tests.taxii.conftest import Hub, add_collection, basic
from tests.taxii.medallion import TAXII, collection, running

ROOT = Path(__file__).resolve().parents[2]

# Where medallion 3.0.0 departs from TAXII 2.1 (OASIS Standard, 10 June 2021). Each entry:
# the section, what the specification asks, what medallion does. The hub follows the
# specification in each case; the tests below show both.
MEDALLION_DEPARTURES: dict[str, dict[str, str]] = {
    "versions-order": {
        "section": "3.5 (pagination), 5.8 (get object versions)",
        "spec": "the versions of an object are listed, and paged with added_after/next, "
                "in the order they were added (oldest first), like every other list",
        "medallion": "lists them newest version first, each page sorted on its own",
    },
    "version-with-added-after": {
        "section": "3.4 (filtering)",
        "spec": "filters combine with AND: match[version]=first (or last) selects the "
                "object's first (last) version, and added_after keeps it only if that "
                "version was added after the given time",
        "medallion": "applies added_after first and then picks the first/last among the "
                     "versions that remain, so it serves a version that is neither the "
                     "object's first nor its last",
    },
    "bad-filter-500": {
        "section": "3.4 (filtering), 3.6 (error message)",
        "spec": "a malformed added_after or match[version] timestamp is a bad request: 400 "
                "with a TAXII error message",
        "medallion": "fails with 500 and an HTML page",
    },
    "next-without-limit": {
        "section": "3.5 (pagination)",
        "spec": "next continues the listing with the original query; limit is optional",
        "medallion": "answers 500 (an HTML page) when next comes without limit",
    },
    "bare-media-type": {
        "section": "1.6 and 3.1 (media types)",
        "spec": "application/taxii+json without a version parameter names the latest "
                "version of TAXII (2.1), in Accept and in Content-Type",
        "medallion": "refuses it: 406 for Accept ('does not support version None'), "
                     "415 for Content-Type",
    },
    "error-bodies": {
        "section": "3.6 (error message)",
        "spec": "an HTTP error answer carries a TAXII error message "
                "(application/taxii+json;version=2.1)",
        "medallion": "answers 401 with text/html 'Unauthorized Access', and 400 with an "
                     "HTML page for a body that is not JSON",
    },
}

# Where the specification leaves a choice and the two servers choose differently (not
# departures; shown by the tests so that the list stays true).
MEDALLION_DIFFERENCES: dict[str, dict[str, str]] = {
    "unknown-filter": {
        "section": "3.4 (filtering)",
        "hub": "refuses a match[...] field it does not know, or one the endpoint does not "
               "take, with 400 (a filter that is not applied would widen the answer)",
        "medallion": "ignores it and answers as if it were not there",
    },
    "malformed-match-value": {
        "section": "3.4 (filtering)",
        "hub": "refuses a match[id] that is not a STIX id, a match[type] that is not a "
               "type name, a match[spec_version] that is not a version: 400",
        "medallion": "matches nothing: 200 and an empty resource",
    },
    "envelope-without-objects": {
        "section": "5.5 (add objects)",
        "hub": "a body that is not a TAXII envelope with objects is a bad request: 400",
        "medallion": "422",
    },
    "same-version-again": {
        "section": "5.5 (add objects)",
        "hub": "an object version the collection already holds, posted again, succeeds "
               "(nothing changes)",
        "medallion": "counts it as a failure in the status resource",
    },
}

HUB_MARKINGS = set(TLP2)
Page = dict[str, Any]


# ------------------------------------------------------------------ the data

def revised(obj: dict[str, Any], modified: str) -> dict[str, Any]:
    newer = copy.deepcopy(obj)
    newer["modified"] = modified
    newer["name"] = f"{obj.get('name', 'x')} (revised {modified[:10]})"
    return newer


@dataclass(frozen=True)
class Dataset:
    loads: list[dict[str, Any]]  # one POST each, in this order
    a: str  # three versions, added in order
    b: str  # two versions, added in order
    c: str  # two versions, the newer one added first
    a2: str  # the middle version of a (its modified)
    sco: str  # an observable (no modified, no created)
    relationship: str


def dataset() -> Dataset:
    base = list(Generator(seed=61).objects(24))
    types = {o["type"] for o in base}
    assert {"indicator", "malware", "relationship"} <= types and len(types) >= 5
    sdos = [o for o in base[:8] if o["type"] in ("indicator", "malware")]
    a, b = sdos[0], sdos[1]
    c_old = next(o for o in Generator(seed=62).objects(10) if o["type"] == "indicator")
    c_new = revised(c_old, "2031-01-01T00:00:00.000Z")
    a2, a3 = revised(a, "2030-01-01T00:00:00.000Z"), revised(a, "2031-06-01T00:00:00.000Z")
    b2 = revised(b, "2030-07-01T00:00:00.000Z")
    loads = [*base[:8], a2, *base[8:14], c_new, *base[14:20], a3, b2, *base[20:], c_old]
    sco = next(o for o in base if "created" not in o)
    rel = next(o for o in base if o["type"] == "relationship")
    return Dataset(loads, a["id"], b["id"], c_old["id"], a2["modified"], sco["id"], rel["id"])


# ------------------------------------------------------------------ the specification

def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Record:
    """One object version in the collection; ``seq`` is its place in the load order."""

    seq: int
    obj: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.obj["id"])

    @property
    def version(self) -> str | None:
        value = self.obj.get("modified") or self.obj.get("created")
        return str(value) if value else None


@dataclass
class Query:
    """A request's filters as the specification reads them (3.4)."""

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()
    after_seq: int | None = None  # added_after: the date added of this load


def expected(records: list[Record], q: Query) -> list[Record]:
    """What a collection answers: each field's values OR-ed, the fields AND-ed; the
    versions each object's ``match[version]`` selects (by modified); in date-added
    order."""
    chosen: list[Record] = []
    by_id: dict[str, list[Record]] = {}
    for r in records:
        by_id.setdefault(r.id, []).append(r)
    for oid, versions in by_id.items():
        if q.ids and oid not in q.ids:
            continue
        if q.types and oid.split("--")[0] not in q.types:
            continue
        if q.spec_versions and "2.1" not in q.spec_versions:
            continue
        ordered = sorted(versions, key=lambda r: stamp(r.version) if r.version else
                         datetime.min.replace(tzinfo=UTC))
        keep: set[int] = set()
        for v in q.versions:
            if v == "all":
                keep.update(r.seq for r in ordered)
            elif v == "first":
                keep.add(ordered[0].seq)
            elif v == "last":
                keep.add(ordered[-1].seq)
            else:
                keep.update(r.seq for r in ordered if r.version and stamp(r.version) == stamp(v))
        chosen += [r for r in versions if r.seq in keep]
    if q.after_seq is not None:
        chosen = [r for r in chosen if r.seq > q.after_seq]
    return sorted(chosen, key=lambda r: r.seq)


def pages_of(items: list[Any], limit: int | None) -> list[list[Any]]:
    if not items:
        return [[]]
    size = limit or len(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


# ------------------------------------------------------------------ the two servers

class Side:
    """One server, spoken to over HTTP with the same requests: ``send(method, url,
    params, headers, content)``; paths are relative to the collection (or the API root)."""

    def __init__(self, name: str, send: Callable[..., Any], root: str, collection_id: str,
                 headers: dict[str, str]) -> None:
        self.name = name
        self.send = send
        self.root = root  # the API root's URL (a path for the hub), with trailing slash
        self.base = f"{root}collections/{collection_id}/"
        self.headers = headers  # credentials and Accept
        self.read_only = ""  # the URL of a collection that may be read, not written

    def get(self, path: str, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Any:
        return self.send("GET", self.base + path, params or {},
                         self.headers if headers is None else headers, None)

    def get_root(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.send("GET", self.root + path, {},
                         self.headers if headers is None else headers, None)

    def delete(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.send("DELETE", self.base + path, params or {}, self.headers, None)

    def post(self, path: str, content: bytes, content_type: str | None = TAXII,
             headers: dict[str, str] | None = None) -> Any:
        sent = dict(self.headers if headers is None else headers)
        if content_type is not None:
            sent["Content-Type"] = content_type
        return self.send("POST", self.base + path, {}, sent, content)

    def with_params(self, **extra: str) -> Side:
        """The same server, with ``extra`` added to every request's parameters."""
        def send(method: str, url: str, params: dict[str, Any], headers: dict[str, str],
                 content: bytes | None) -> Any:
            return self.send(method, url, {**params, **extra}, headers, content)

        twin = Side(self.name, send, self.root, "", self.headers)
        twin.base = self.base
        return twin


@dataclass
class Walk:
    """The pages a listing answered, following ``next`` until ``more`` is false."""

    status: int
    pages: list[Page] = field(default_factory=list)
    headers: list[tuple[str | None, str | None]] = field(default_factory=list)


def walk(side: Side, path: str, params: dict[str, Any], limit: int | None) -> Walk:
    query = dict(params)
    if limit:
        query["limit"] = limit
    answer = side.get(path, query)
    result = Walk(answer.status_code)
    while answer.status_code == 200:
        body = answer.json()
        result.pages.append(body)
        result.headers.append((answer.headers.get("X-TAXII-Date-Added-First"),
                               answer.headers.get("X-TAXII-Date-Added-Last")))
        if not body.get("more"):
            break
        assert body.get("next"), f"{side.name}: more without next"
        assert len(result.pages) < 100, f"{side.name}: paging does not end"
        answer = side.get(path, {**query, "next": body["next"]})
    return result


def unmarked(obj: dict[str, Any]) -> dict[str, Any]:
    plain = dict(obj)
    refs = [r for r in plain.get("object_marking_refs", []) if r not in HUB_MARKINGS]
    if refs:
        plain["object_marking_refs"] = refs
    else:
        plain.pop("object_marking_refs", None)
    return plain


def entries(page: Page, key: str) -> list[Any]:
    """A page's items in comparable form: objects without the hub's marking; manifest
    records as (id, version, media type), the version of an object without timestamps
    being its date added; versions likewise."""
    items = page.get(key, [])
    if key == "objects" and items and "media_type" not in items[0]:
        return [unmarked(o) for o in items]
    if key == "objects":  # a manifest
        return [(m["id"], "=date_added" if m["version"] == m["date_added"] else m["version"],
                 m["media_type"]) for m in items]
    return items


def shape(result: Walk, key: str) -> list[tuple[list[Any], bool, bool]]:
    """Each page as (items, more, has next)."""
    return [(entries(p, key), bool(p.get("more")), "next" in p) for p in result.pages]


def model_shape(records: list[Record], key: str, what: str,
                limit: int | None) -> list[tuple[list[Any], bool, bool]]:
    def item(r: Record) -> Any:
        if what == "objects":
            return r.obj
        if what == "manifest":
            return (r.id, r.version or "=date_added", "application/stix+json;version=2.1")
        return r.version or "=date_added"

    cut = pages_of([item(r) for r in records], limit)
    if cut == [[]]:
        return [([], False, False)]
    return [(page, i < len(cut) - 1, i < len(cut) - 1) for i, page in enumerate(cut)]


def normal_empty(result: Walk) -> None:
    """An empty answer is an empty resource ({}), with no date headers."""
    for page, (first, last) in zip(result.pages, result.headers, strict=True):
        if not page:
            assert first is None and last is None


def check_headers(side: Side, result: Walk) -> None:
    """X-TAXII-Date-Added-First/Last name the first and last record of each page;
    on manifest pages they can be read against the records' date_added."""
    for page, (first, last) in zip(result.pages, result.headers, strict=True):
        items = page.get("objects", [])
        if items and "date_added" in items[0]:
            assert (first, last) == (items[0]["date_added"], items[-1]["date_added"]), \
                side.name
            dates = [stamp(m["date_added"]) for m in items]
            assert dates == sorted(dates), side.name
        elif items:
            assert first and last and stamp(first) <= stamp(last), side.name


# ------------------------------------------------------------------ fixtures

@dataclass
class Pair:
    data: Dataset
    records: list[Record]
    hub: Side
    medallion: Side


HUB_ROOT = "/taxii2/hub/"


@contextmanager
def paired(client: TestClient, database: Database, hub: Hub, tmp_path: Path,
           count: int | None = None) -> Iterator[Pair]:
    """The dataset (its first ``count`` loads) loaded into a hub collection and a
    medallion collection, one POST per object; each side also has a read-only
    collection (``Side.read_only``)."""
    full = dataset()
    data = replace(full, loads=full.loads[:count])
    cid = str(uuid.uuid4())
    ours = add_collection(database, hub.operator, title="Everything", writable=True,
                          write_tlp="green")
    add_collection(database, hub.operator, title="Read only", alias="read-only")
    with running(tmp_path / "medallion", [
            collection(cid, "Everything"),
            collection(MEDALLION_READ_ONLY, "Read only", can_write=False)]) as server, \
            requests.Session() as session:
        session.auth = server.auth

        def medallion_send(method: str, url: str, params: dict[str, Any],
                           headers: dict[str, str], content: bytes | None) -> Any:
            # Requests that bring their own Authorization go without the session's.
            sender = requests if "Authorization" in headers else session
            return sender.request(method, url, params=params, headers=headers, data=content,
                                  timeout=30)

        def hub_send(method: str, url: str, params: dict[str, Any], headers: dict[str, str],
                     content: bytes | None) -> Any:
            return client.request(method, url, params=params, headers=headers, content=content)

        ours_side = Side("hub", hub_send, HUB_ROOT, str(ours.id),
                         basic(hub.ana.email, hub.ana_token))
        ours_side.read_only = f"{HUB_ROOT}collections/read-only/"
        theirs = Side("medallion", medallion_send, server.root, cid, {"Accept": TAXII})
        theirs.read_only = f"{server.root}collections/{MEDALLION_READ_ONLY}/"
        for side in (ours_side, theirs):
            for obj in data.loads:
                answer = side.post("objects/", orjson.dumps({"objects": [obj]}))
                assert answer.status_code == 202, (side.name, answer.text)
        yield Pair(data, [Record(i, o) for i, o in enumerate(data.loads)], ours_side, theirs)


@pytest.fixture
def pair(client: TestClient, database: Database, hub: Hub, tmp_path: Path) -> Iterator[Pair]:
    with paired(client, database, hub, tmp_path) as both:
        yield both


@pytest.fixture
def small_pair(client: TestClient, database: Database, hub: Hub,
               tmp_path: Path) -> Iterator[Pair]:
    """The first ten loads only: a's first two versions among them."""
    with paired(client, database, hub, tmp_path, 10) as both:
        assert {r.id for r in both.records} >= {both.data.a, both.data.sco}
        yield both


MEDALLION_READ_ONLY = "5f0e8f43-6a8b-4c55-9d0b-36c2bd1b0c5e"


# ------------------------------------------------------------------ comparisons

@dataclass
class Case:
    path: str  # "objects/", "manifest/", "objects/<id>/", "objects/<id>/versions/"
    params: dict[str, str]
    query: Query
    limit: int | None = None
    departure: str | None = None  # the MEDALLION_DEPARTURES entry this case shows

    @property
    def what(self) -> str:
        if self.path == "manifest/":
            return "manifest"
        return "versions" if self.path.endswith("versions/") else "objects"


def compare(p: Pair, case: Case, problems: list[str]) -> None:
    key = "versions" if case.what == "versions" else "objects"
    want = model_shape(expected(p.records, case.query), key, case.what, case.limit)
    ours = walk(p.hub, case.path, case.params, case.limit)
    theirs = walk(p.medallion, case.path, case.params, case.limit)
    label = f"{case.path} {case.params} limit={case.limit}"
    assert ours.status == 200, f"hub: {label}: {ours.status}"
    check_headers(p.hub, ours)
    normal_empty(ours)
    if case.what == "versions":
        _date_added_as_version(p, p.hub, case, ours)
        _date_added_as_version(p, p.medallion, case, theirs)
    got = shape(ours, key)
    assert got == want, f"hub departs from the specification: {label}"
    if case.departure is None:
        if theirs.status != 200 or shape(theirs, key) != got:
            problems.append(f"medallion differs, not listed: {label}")
        else:
            check_headers(p.medallion, theirs)
    else:
        assert case.departure in MEDALLION_DEPARTURES
        if theirs.status == 200 and shape(theirs, key) == want:
            problems.append(f"listed departure {case.departure!r} no longer shows: {label}")


def _date_added_as_version(p: Pair, side: Side, case: Case, result: Walk) -> None:
    """An object without modified or created is versioned by its date added: such a
    version is checked against the server's own manifest and written "=date_added"."""
    (oid,) = case.query.ids
    known = {r.version for r in p.records if r.id == oid}
    if None not in known:
        return
    manifest = side.get("manifest/", {"match[id]": oid, "match[version]": "all"}).json()
    dates = {m["date_added"] for m in manifest["objects"]}
    for page in result.pages:
        listed = page.get("versions", [])
        assert set(listed) <= dates, side.name
        page["versions"] = ["=date_added" for _v in listed]


def listing_cases(d: Dataset, path: str) -> list[Case]:
    cases: list[Case] = []
    for limit in (None, 4):
        for params, q in (
                ({}, Query()),
                ({"match[type]": "indicator"}, Query(types=("indicator",))),
                ({"match[type]": "indicator,malware"}, Query(types=("indicator", "malware"))),
                ({"match[type]": "domain-name,ipv4-addr,url,email-addr"},
                 Query(types=("domain-name", "ipv4-addr", "url", "email-addr"))),
                ({"match[id]": f"{d.a},{d.c},{d.sco}"}, Query(ids=(d.a, d.c, d.sco))),
                ({"match[id]": d.a, "match[version]": "all"},
                 Query(ids=(d.a,), versions=("all",))),
                ({"match[version]": "all"}, Query(versions=("all",))),
                ({"match[version]": "first"}, Query(versions=("first",))),
                ({"match[version]": "first,last"}, Query(versions=("first", "last"))),
                ({"match[version]": d.a2}, Query(versions=(d.a2,))),
                ({"match[version]": f"{d.a2},last"}, Query(versions=(d.a2, "last"))),
                ({"match[type]": "indicator", "match[version]": "all"},
                 Query(types=("indicator",), versions=("all",))),
                ({"match[spec_version]": "2.1"}, Query(spec_versions=("2.1",))),
                ({"match[spec_version]": "2.0"}, Query(spec_versions=("2.0",))),
                ({"match[spec_version]": "2.1", "match[type]": "relationship"},
                 Query(spec_versions=("2.1",), types=("relationship",))),
                ({"match[type]": "x-nothing-here"}, Query(types=("x-nothing-here",)))):
            cases.append(Case(path, params, q, limit))
    return cases


def object_cases(d: Dataset) -> list[Case]:
    cases: list[Case] = []
    for oid in (d.a, d.b, d.c, d.sco, d.relationship):
        path = f"objects/{oid}/"
        for params, versions in (({}, ("last",)), ({"match[version]": "all"}, ("all",)),
                                 ({"match[version]": "first"}, ("first",)),
                                 ({"match[version]": "first,last"}, ("first", "last")),
                                 ({"match[version]": d.a2}, (d.a2,))):
            for limit in (None, 1):
                cases.append(Case(path, params, Query(ids=(oid,), versions=versions), limit))
        for limit in (None, 1):
            # a and b were revised in order: newest first differs on a page of several.
            departs = oid in (d.a, d.b) and limit is None
            cases.append(Case(f"{path}versions/", {}, Query(ids=(oid,), versions=("all",)),
                              limit, departure="versions-order" if departs else None))
    return cases


def test_same_answers_as_the_reference_server(pair: Pair) -> None:
    problems: list[str] = []
    d = pair.data
    for case in [*listing_cases(d, "objects/"), *listing_cases(d, "manifest/"),
                 *object_cases(d)]:
        compare(pair, case, problems)
    assert not problems, "\n".join(problems)


def date_of_load(side: Side, seq: int) -> str:
    """The date added of load ``seq``, read from the server's own header: the last record
    of a manifest page of all versions, seq + 1 long."""
    answer = side.get("manifest/", {"match[version]": "all", "limit": seq + 1})
    assert answer.status_code == 200
    records = answer.json()["objects"]
    assert len(records) == seq + 1
    last = answer.headers["X-TAXII-Date-Added-Last"]
    assert last == records[-1]["date_added"]
    return str(last)


def test_added_after_from_each_servers_own_headers(pair: Pair) -> None:
    problems: list[str] = []
    d = pair.data
    seq_of = {(r.id, r.version): r.seq for r in pair.records}
    c_new_seq = seq_of[(d.c, "2031-01-01T00:00:00.000Z")]
    a2_seq = seq_of[(d.a, d.a2)]
    # After the first version of a (before its second), after c's newer version (loaded
    # first), and near the end.
    for seq in (a2_seq - 1, c_new_seq, len(pair.records) - 3):
        ours, theirs = date_of_load(pair.hub, seq), date_of_load(pair.medallion, seq)
        for path in ("objects/", "manifest/"):
            for params, versions in (({}, ("last",)), ({"match[version]": "all"}, ("all",)),
                                     ({"match[version]": "first"}, ("first",))):
                q = Query(versions=versions, after_seq=seq)
                want = expected(pair.records, q)
                # medallion filters on added_after before choosing first/last.
                sequential = [r for r in pair.records if r.seq > seq]
                by_version = expected(sequential, Query(versions=versions))
                departs = versions != ("all",) and by_version != want
                for limit in (None, 3):
                    case = Case(path, params, q, limit,
                                departure="version-with-added-after" if departs else None)
                    compare(Pair(pair.data, pair.records,
                                 pair.hub.with_params(added_after=ours),
                                 pair.medallion.with_params(added_after=theirs)),
                            case, problems)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ writes and deletes

def test_deletes_agree(pair: Pair) -> None:
    d = pair.data
    for params in ({}, {"match[version]": "first"}):
        for oid in (d.a, d.c):
            for side in (pair.hub, pair.medallion):
                assert side.delete(f"objects/{oid}/", params).status_code == 200, side.name
    # a lost its last version, then its first: its middle one is left, with the date it
    # was added. c lost its last version (the newer one, added first), then its first:
    # the one it had left, added last.
    left = [r for r in pair.records if r.id != d.c and (r.id != d.a or r.version == d.a2)]
    after = Pair(d, left, pair.hub, pair.medallion)
    problems: list[str] = []
    for case in (Case("objects/", {"match[version]": "all"}, Query(versions=("all",))),
                 Case("objects/", {}, Query()),
                 Case("manifest/", {"match[version]": "all"}, Query(versions=("all",)), 5),
                 Case(f"objects/{d.a}/", {"match[version]": "all"},
                      Query(ids=(d.a,), versions=("all",))),
                 Case(f"objects/{d.a}/versions/", {}, Query(ids=(d.a,), versions=("all",)))):
        compare(after, case, problems)
    assert not problems, "\n".join(problems)
    # The last version goes: nothing is left of a; deleting again finds nothing.
    for side in (pair.hub, pair.medallion):
        assert side.delete(f"objects/{d.a}/", {"match[version]": "all"}).status_code == 200
        assert side.delete(f"objects/{d.a}/").status_code == 404, side.name
        assert side.delete(f"objects/{d.sco[:-4]}0000/").status_code == 404, side.name
        assert side.get(f"objects/{d.a}/").status_code == 404, side.name
        assert side.get(f"objects/{d.a}/versions/").status_code == 404, side.name


def test_posts_and_status_agree(small_pair: Pair) -> None:
    pair = small_pair
    # Objects the collections do not hold yet; no relationship (nothing dangles).
    fresh = [o for o in Generator(seed=63).objects(12) if o["type"] != "relationship"]
    envelope = orjson.dumps({"objects": fresh})
    ours = pair.hub.post("objects/", envelope)
    theirs = pair.medallion.post("objects/", envelope)
    assert ours.status_code == theirs.status_code == 202
    for side, answer in ((pair.hub, ours), (pair.medallion, theirs)):
        status = answer.json()
        assert status["total_count"] == len(fresh)
        for _attempt in range(100):
            status = side.get_root(f"status/{status['id']}/").json()
            if status["status"] == "complete":
                break
        assert status["status"] == "complete", side.name
        assert status["success_count"] == len(fresh) and status["failure_count"] == 0
        assert sorted(s["id"] for s in status["successes"]) == sorted(o["id"] for o in fresh)
    for side in (pair.hub, pair.medallion):
        found = side.get("objects/", {"match[id]": ",".join(o["id"] for o in fresh)}).json()
        assert sorted(unmarked(o)["id"] for o in found["objects"]) == \
            sorted(o["id"] for o in fresh), side.name
        assert {o["id"]: unmarked(o) for o in found["objects"]} == \
            {o["id"]: o for o in fresh}, side.name


# ------------------------------------------------------------------ errors and refusals

@dataclass
class Refusal:
    label: str
    call: Callable[[Side], Any]
    status: int  # what the specification asks for
    departure: str | None = None  # the MEDALLION_DEPARTURES entry it shows


def envelope_of(p: Pair) -> bytes:
    return orjson.dumps({"objects": [p.data.loads[0]]})


def refusals(p: Pair) -> list[Refusal]:
    unknown = str(uuid.uuid4())
    missing_object = p.data.a[:-4] + "0000"
    ok = envelope_of(p)

    def at_root(path: str) -> Callable[[Side], Any]:
        return lambda s: s.get_root(path)

    def accept(value: str) -> Callable[[Side], Any]:
        return lambda s: s.get("objects/", headers={**s.headers, "Accept": value})

    def content_type(value: str | None) -> Callable[[Side], Any]:
        return lambda s: s.post("objects/", ok, value)

    def query(**params: str) -> Callable[[Side], Any]:
        return lambda s: s.get("objects/", params)

    def no_credentials(s: Side) -> Any:
        return s.send("GET", s.base + "objects/", {}, {"Accept": TAXII, "Authorization": ""},
                      None)

    def wrong_password(s: Side) -> Any:
        return s.send("GET", s.base + "objects/", {},
                      {**basic("ana@alpha.example", "wrong-password")}, None)

    def next_without_limit(s: Side) -> Any:
        token = s.get("objects/", {"limit": 3}).json()["next"]
        return s.get("objects/", {"next": token})

    bad_filter = "bad-filter-500"
    return [
        Refusal("unknown collection", at_root(f"collections/{unknown}/"), 404),
        Refusal("unknown collection: objects", at_root(f"collections/{unknown}/objects/"), 404),
        Refusal("unknown collection: manifest", at_root(f"collections/{unknown}/manifest/"),
                404),
        Refusal("unknown object", lambda s: s.get(f"objects/{missing_object}/"), 404),
        Refusal("unknown object: versions",
                lambda s: s.get(f"objects/{missing_object}/versions/"), 404),
        Refusal("unknown status", at_root(f"status/{unknown}/"), 404),
        Refusal("unknown API root",
                lambda s: s.send("GET", s.root.removesuffix("hub/") + "nope/", {}, s.headers,
                                 None), 404),
        Refusal("Accept: application/json", accept("application/json"), 406),
        Refusal("Accept: */*", accept("*/*"), 406),
        Refusal("Accept: TAXII 2.0", accept("application/taxii+json;version=2.0"), 406),
        Refusal("Accept: STIX", accept("application/stix+json;version=2.1"), 406),
        Refusal("Accept: TAXII, no version", accept("application/taxii+json"), 200,
                "bare-media-type"),
        Refusal("Accept: TAXII 2.1 among others",
                accept("application/json, application/taxii+json; version=2.1"), 200),
        Refusal("Content-Type: application/json", content_type("application/json"), 415),
        Refusal("Content-Type: STIX", content_type("application/stix+json;version=2.1"), 415),
        Refusal("Content-Type: TAXII 2.0",
                content_type("application/taxii+json;version=2.0"), 415),
        Refusal("no Content-Type", content_type(None), 415),
        Refusal("Content-Type: TAXII, no version", content_type("application/taxii+json"),
                202, "bare-media-type"),
        Refusal("POST to a read-only collection",
                lambda s: s.send("POST", s.read_only + "objects/", {},
                                 {**s.headers, "Content-Type": TAXII}, ok), 403),
        Refusal("limit=0", query(limit="0"), 400),
        Refusal("limit=-1", query(limit="-1"), 400),
        Refusal("limit=many", query(limit="many"), 400),
        Refusal("next=garbage", query(next="garbage"), 400),
        Refusal("added_after=yesterday", query(added_after="yesterday"), 400, bad_filter),
        Refusal("added_after without Z", query(added_after="2026-01-01T00:00:00"), 400,
                bad_filter),
        Refusal("match[version]=newest", query(**{"match[version]": "newest"}), 400,
                bad_filter),
        Refusal("next without limit", next_without_limit, 200, "next-without-limit"),
        Refusal("no credentials", no_credentials, 401, "error-bodies"),
        Refusal("wrong password", wrong_password, 401, "error-bodies"),
        Refusal("a body that is not JSON", lambda s: s.post("objects/", b"{"), 400,
                "error-bodies"),
    ]


def taxii_error(answer: Any, status: int) -> bool:
    """Is the answer a TAXII error message (3.6.1) for this status?"""
    if not answer.headers.get("content-type", "").replace(" ", "").startswith(TAXII):
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return bool(body.get("title")) and body.get("http_status") == str(status)


def test_refusals_agree(small_pair: Pair) -> None:
    pair = small_pair
    problems: list[str] = []
    for case in refusals(pair):
        ours, theirs = case.call(pair.hub), case.call(pair.medallion)
        assert ours.status_code == case.status, (case.label, ours.status_code, ours.text)
        if case.status >= 400:
            assert taxii_error(ours, case.status), (case.label, ours.text)
        else:
            assert ours.headers["content-type"] == TAXII
        same = theirs.status_code == case.status and (
            case.status < 400 or taxii_error(theirs, case.status))
        if case.departure is None and not same:
            problems.append(f"medallion differs, not listed: {case.label}: "
                            f"{theirs.status_code} {theirs.text[:80]!r}")
        if case.departure is not None:
            assert case.departure in MEDALLION_DEPARTURES
            if case.departure == "error-bodies":  # the right status, not a TAXII body
                shows = theirs.status_code == case.status and not same
            else:
                shows = not same
            if not shows:
                problems.append(f"listed departure {case.departure!r} no longer shows: "
                                f"{case.label}: {theirs.status_code}")
    assert not problems, "\n".join(problems)


def test_choices_the_specification_leaves(small_pair: Pair) -> None:
    pair = small_pair
    """Where both answers are allowed, each server's is the one documented."""
    d = pair.data
    for params, name in (({"match[colour]": "red"}, "unknown-filter"),
                         ({"match[id]": "not-an-id"}, "malformed-match-value"),
                         ({"match[type]": "in dicator"}, "malformed-match-value"),
                         ({"match[spec_version]": "two"}, "malformed-match-value")):
        assert name in MEDALLION_DIFFERENCES
        ours, theirs = pair.hub.get("objects/", params), pair.medallion.get("objects/", params)
        assert ours.status_code == 400 and taxii_error(ours, 400), params
        assert theirs.status_code == 200, params
        everything = pair.medallion.get("objects/").json()
        assert theirs.json() == (everything if name == "unknown-filter" else {}), params
    versions = pair.hub.get(f"objects/{d.a}/versions/", {"match[version]": "first"})
    assert versions.status_code == 400 and taxii_error(versions, 400)
    assert pair.medallion.get(f"objects/{d.a}/versions/",
                              {"match[version]": "first"}).status_code == 200

    assert "envelope-without-objects" in MEDALLION_DIFFERENCES
    ours, theirs = pair.hub.post("objects/", b"{}"), pair.medallion.post("objects/", b"{}")
    assert ours.status_code == 400 and taxii_error(ours, 400)
    assert theirs.status_code == 422 and taxii_error(theirs, 422)

    assert "same-version-again" in MEDALLION_DIFFERENCES
    again = envelope_of(pair)
    for side, succeeded, failed in ((pair.hub, 1, 0), (pair.medallion, 0, 1)):
        status = side.post("objects/", again).json()
        for _attempt in range(100):
            if status["status"] == "complete":
                break
            status = side.get_root(f"status/{status['id']}/").json()
        assert (status["success_count"], status["failure_count"]) == (succeeded, failed), \
            side.name


def test_the_lists_are_in_the_documentation() -> None:
    """docs/taxii.md carries both lists, each entry in a table row with its section."""
    text = (ROOT / "docs" / "taxii.md").read_text()
    section = text[text.index("## Conformance and the reference server"):]
    rows = {line.split("|")[1].strip(" `"): line for line in section.splitlines()
            if line.startswith("| `")}
    for listed in (MEDALLION_DEPARTURES, MEDALLION_DIFFERENCES):
        for name, entry in listed.items():
            assert name in rows, f"docs/taxii.md does not list {name!r}"
            assert entry["section"] in rows[name], name
    assert set(rows) == set(MEDALLION_DEPARTURES) | set(MEDALLION_DIFFERENCES)
