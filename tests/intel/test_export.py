"""Exports: each member takes out exactly what they may see, marked as the hub marks it,
as STIX 2.1 that the OASIS validator accepts, as blocklists and as CSV; streamed with
flat memory. Run on both engines through the service, the REST API and the CLI."""

from __future__ import annotations

import csv
import io
import tracemalloc
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_instance, validate_string
from typer.testing import CliRunner

from cyberhub.audience import Audience
from cyberhub.audit import AuditEntry
from cyberhub.cli import app as cli
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel import export, imports
from cyberhub.intel.export import ExportFilters
from cyberhub.intel.markings import MARKING_BY_TLP, TLP1, TLP2, TLP2_DEFINITIONS
from cyberhub.intel.models import Import, ImportStatus
from cyberhub.intel.synthetic import Generator, bundle_bytes
from cyberhub.sharing import TLP
from tests.factories import Community, bearer

OPTIONS = ValidationOptions(version="2.1")
STATEMENT = {
    "type": "marking-definition", "spec_version": "2.1",
    "id": "marking-definition--1b7d1a56-6b7e-4b45-9c9e-8a8f1c1f2d3e",
    "created": "2026-01-01T00:00:00.000Z", "definition_type": "statement",
    "definition": {"statement": "Copyright 2026 Alpha CERT"},
}


def run_import(database: Database, community: Community, user: User, data: bytes,
               tmp_path: Path, *, tlp: str = "GREEN", pap: str | None = None,
               audience: Audience | None = None, mode: str = "strict") -> Import:
    path = tmp_path / f"{uuid.uuid4()}.json"
    path.write_bytes(data)
    viewer = community.viewer(user)
    with database.transaction() as s:
        job = imports.new_import(s, viewer, filename=path.name, tlp=tlp, pap=pap, mode=mode,
                                 audience=audience)
        imports.stage_file(job, path)
        job_id = job.id
    job = imports.run(database, job_id, keep_source=True)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    return job


def sample(n: int, seed: int) -> list[dict[str, Any]]:
    return list(Generator(seed=seed).objects(n))


def indicator(value: str, kind: str = "ipv4", seed: int = 0, **extra: Any) -> dict[str, Any]:
    """An indicator for one value (``seed`` varies the id).

    The generator's seed comes from a stable checksum: ``hash()`` of a string changes
    with every process, and two values could then draw the same id.
    """
    path = {"ipv4": "ipv4-addr:value", "domain": "domain-name:value"}[kind]
    obj = Generator(seed=zlib.crc32(f"{value}/{seed}".encode())).indicator(kind)
    obj["pattern"] = f"[{path} = '{value}']"
    obj.update(extra)
    return obj


def collect(chunks: Iterable[bytes]) -> bytes:
    return b"".join(chunks)


def objects_of(bundle: bytes) -> list[dict[str, Any]]:
    parsed = orjson.loads(bundle)
    assert parsed["type"] == "bundle" and parsed["id"].startswith("bundle--")
    return list(parsed.get("objects", []))


def data_objects(bundle: bytes) -> list[dict[str, Any]]:
    """The exported objects without the marking definitions the export adds."""
    return [o for o in objects_of(bundle) if o["id"] not in TLP2_DEFINITIONS]


def assert_valid(bundle: bytes) -> None:
    result = validate_string(bundle.decode(), OPTIONS)
    errors = [str(e) for e in result.errors]
    assert result.is_valid and not errors, errors[:10]


def sensitive_audits(database: Database) -> list[AuditEntry]:
    with database.transaction() as s:
        return list(s.scalars(select(AuditEntry).where(
            AuditEntry.action == "export.sensitive").order_by(AuditEntry.seq)))


# --------------------------------------------------------------------------- a community

@dataclass
class Hub:
    alpha: Organisation
    bravo: Organisation
    charlie: Organisation
    ana: User  # Alpha analyst
    alf: User  # Alpha analyst, not the author of Alpha's RED objects
    bob: User  # Bravo analyst
    carl: User  # Charlie analyst
    admin: User  # hub admin of Delta
    # (owner org, stix id) → (tlp, author, audience org ids)
    expected: dict[tuple[uuid.UUID, str], tuple[TLP, uuid.UUID, set[uuid.UUID]]]


@pytest.fixture
def hub(database: Database, community: Community, tmp_path: Path) -> Hub:
    alpha = community.org("Alpha CERT")
    bravo = community.org("Bravo Bank", kind="financial")
    charlie = community.org("Charlie Telecom", kind="telecom")
    delta = community.org("Delta Police", kind="law-enforcement")
    ana = community.user(alpha, email="ana@alpha.example")
    alf = community.user(alpha, email="alf@alpha.example")
    bob = community.user(bravo, email="bob@bravo.example")
    carl = community.user(charlie, email="carl@charlie.example")
    admin = community.user(delta, role="hub-admin", email="admin@delta.example")
    expected: dict[tuple[uuid.UUID, str], tuple[TLP, uuid.UUID, set[uuid.UUID]]] = {}

    def load(user: User, objects: list[dict[str, Any]], tlp: str,
             audience: list[Organisation] = ()) -> None:  # type: ignore[assignment]
        aud = {o.id for o in audience}
        run_import(database, community, user, bundle_bytes(objects), tmp_path, tlp=tlp,
                   audience=Audience(org_ids=sorted(aud)) if aud else None)
        for obj in objects:
            refs = obj.get("object_marking_refs", [])
            level = TLP2.get(refs[0], TLP(tlp)) if refs else TLP(tlp)
            expected[(user.org_id, obj["id"])] = (level, user.id, aud)

    green = sample(30, seed=11)
    # Two of Alpha's GREEN-default objects say RED in the data: only Ana, their author,
    # may see them.
    for obj in green[:2]:
        obj["object_marking_refs"] = [MARKING_BY_TLP[TLP.RED]]
    load(ana, green, "GREEN")
    load(ana, sample(12, seed=12), "AMBER", [bravo])
    load(bob, sample(10, seed=13), "AMBER+STRICT", [charlie])
    load(carl, sample(8, seed=14), "CLEAR")
    load(bob, sample(6, seed=15), "AMBER")
    return Hub(alpha, bravo, charlie, ana, alf, bob, carl, admin, expected)


def may_see(hub: Hub, user: User, key: tuple[uuid.UUID, str]) -> bool:
    """The sharing rules, written out plainly for the test (not the hub's code)."""
    tlp, author, audience = hub.expected[key]
    owner = key[0]
    if tlp in (TLP.CLEAR, TLP.GREEN):
        return True
    if tlp is TLP.RED:
        return author == user.id
    if owner == user.org_id:
        return True
    if tlp is TLP.AMBER:
        return user.org_id in audience or user.role.value == "hub-admin"
    return user.org_id in audience  # AMBER+STRICT


# --------------------------------------------------------------------------- STIX

def test_each_member_exports_exactly_what_they_may_see(database, community, hub):
    for user in (hub.ana, hub.alf, hub.bob, hub.carl, hub.admin):
        viewer = community.viewer(user)
        with database.snapshot() as s:
            bundle = collect(export.stix_bundle(s, viewer))
        got = sorted(o["id"] for o in data_objects(bundle))
        want = sorted(sid for key in hub.expected if may_see(hub, user, key)
                      for sid in [key[1]])
        assert got == want, user.email
        assert len(got) == len(set(got))


def test_the_bundle_passes_the_oasis_validator_and_carries_the_hub_marking(
        database, community, hub):
    viewer = community.viewer(hub.bob)
    with database.snapshot() as s:
        bundle = collect(export.stix_bundle(s, viewer))
    assert_valid(bundle)
    objects = objects_of(bundle)
    exported = data_objects(objects_bundle := bundle)
    assert objects_bundle
    tlp_ids = set(TLP1) | set(TLP2)
    referenced: set[str] = set()
    for obj in exported:
        level = next(hub.expected[key][0] for key in hub.expected
                     if key[1] == obj["id"] and may_see(hub, hub.bob, key))
        tlp_refs = [r for r in obj["object_marking_refs"] if r in tlp_ids]
        assert tlp_refs == [MARKING_BY_TLP[level]], obj["id"]
        referenced.update(tlp_refs)
    # The TLP 2.0 definitions come first, once each, exactly those referenced, exactly as
    # OASIS publishes them.
    leading = objects[:len(referenced)]
    assert {o["id"] for o in leading} == referenced
    assert all(o == TLP2_DEFINITIONS[o["id"]] for o in leading)
    assert sum(o["type"] == "marking-definition" for o in objects) == len(referenced)
    assert {TLP.AMBER_STRICT, TLP.AMBER, TLP.GREEN, TLP.CLEAR} == {
        TLP2[r] for r in referenced}


def test_markings_in_the_export_are_the_hub_effective_tlp(database, community, tmp_path):
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha)
    gen = Generator(seed=21)
    tlp1_green = next(m for m, t in TLP1.items() if t is TLP.GREEN)
    weaker = gen.indicator() | {"object_marking_refs": [tlp1_green, STATEMENT["id"]]}
    stricter = gen.indicator() | {"object_marking_refs": [MARKING_BY_TLP[TLP.RED]]}
    unmarked = gen.indicator()
    sco = gen.observable()
    run_import(database, community, ana, bundle_bytes([STATEMENT, weaker, stricter, unmarked, sco]),
               tmp_path, tlp="AMBER")
    with database.snapshot() as s:
        bundle = collect(export.stix_bundle(s, community.viewer(ana)))
    assert_valid(bundle)
    by_id = {o["id"]: o for o in objects_of(bundle)}
    amber, red = MARKING_BY_TLP[TLP.AMBER], MARKING_BY_TLP[TLP.RED]
    # TLP:GREEN (1.0) in the data, AMBER in the hub: the TLP ref gives way, the statement stays.
    assert by_id[weaker["id"]]["object_marking_refs"] == [amber, STATEMENT["id"]]
    # The data is as strict as the hub: kept as it is.
    assert by_id[stricter["id"]]["object_marking_refs"] == [red]
    assert by_id[unmarked["id"]]["object_marking_refs"] == [amber]
    assert by_id[sco["id"]]["object_marking_refs"] == [amber]
    # Everything else is the stored object, unchanged.
    for original in (weaker, unmarked, sco):
        assert {k: v for k, v in by_id[original["id"]].items() if k != "object_marking_refs"} \
            == {k: v for k, v in original.items() if k != "object_marking_refs"}
    assert by_id[STATEMENT["id"]]["definition"] == STATEMENT["definition"]
    assert red in by_id and amber in by_id


def test_crime_artefacts_export_valid_with_their_extension_definitions(database, community,
                                                                      tmp_path):
    extensions = pytest.importorskip("cyberhub.intel.extensions")
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha)
    artefacts = [
        extensions.new_bank_account(iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX",
                                    country="de"),
        extensions.new_phone_number("+442079460958"),
        extensions.new_cryptocurrency_wallet("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        extensions.new_social_account("telegram", "crime_shop_bot"),
        extensions.new_criminal_service("Bulletproof Example", "bulletproof-hosting",
                                        created="2026-02-01T00:00:00.000Z"),
    ]
    run_import(database, community, ana, bundle_bytes(artefacts), tmp_path, tlp="GREEN")
    with database.snapshot() as s:
        bundle = collect(export.stix_bundle(s, community.viewer(ana)))
    assert_valid(bundle)
    objects = objects_of(bundle)
    ids = [o["id"] for o in objects]
    for crime_type in extensions.TYPES.values():
        assert ids.count(crime_type.definition_id) == 1
    # No malware in the bundle: the ransomware property extension is not needed.
    assert extensions.RANSOMWARE.definition_id not in ids
    assert {a["id"] for a in artefacts} <= set(ids)
    for obj in objects:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, [str(e) for e in result.errors]


def test_filters_narrow_within_what_is_visible(database, community, hub):
    viewer = community.viewer(hub.bob)

    def ids(f: ExportFilters) -> set[str]:
        with database.snapshot() as s:
            return {o["id"] for o in data_objects(collect(export.stix_bundle(s, viewer, f)))}

    everything = ids(ExportFilters())
    malware = ids(ExportFilters(types=("malware",)))
    assert malware and all(i.startswith("malware--") for i in malware) and malware < everything
    strict = ids(ExportFilters(tlps=(TLP.AMBER_STRICT,)))
    assert strict == {k[1] for k, v in hub.expected.items()
                      if v[0] is TLP.AMBER_STRICT and may_see(hub, hub.bob, k)}
    own = ids(ExportFilters(owner_org_id=hub.charlie.id))
    assert own == {k[1] for k in hub.expected if k[0] == hub.charlie.id}
    assert ids(ExportFilters(labels=("synthetic",))) == {
        i for i in everything if not i.startswith(("relationship--", "ipv4-addr--", "url--",
                                                   "domain-name--", "email-addr--"))}
    assert ids(ExportFilters(labels=("nothing-has-this",))) == set()
    one = sorted(everything)[:3]
    assert ids(ExportFilters(ids=tuple(one))) == set(one)
    with database.snapshot() as s:
        empty = collect(export.stix_bundle(s, viewer, ExportFilters(types=("grouping",))))
    assert "objects" not in orjson.loads(empty)
    assert_valid(empty)


def test_sensitive_exports_are_audited_once(database, community, hub):
    with database.transaction() as s:
        collect(export.stix_bundle(s, community.viewer(hub.carl),
                                   ExportFilters(tlps=(TLP.CLEAR, TLP.GREEN))))
    assert sensitive_audits(database) == []
    with database.transaction() as s:
        bundle = collect(export.stix_bundle(s, community.viewer(hub.carl)))
    entries = sensitive_audits(database)
    assert len(entries) == 1
    strict = [k for k, v in hub.expected.items() if v[0] is TLP.AMBER_STRICT]
    assert entries[0].details["count"] == len(strict) == 10
    assert entries[0].actor_user_id == hub.carl.id
    assert len(entries[0].details["ids"]) == 10 and entries[0].details["complete"] is True
    assert len(data_objects(bundle)) > 10


def test_an_abandoned_export_still_leaves_its_audit_entry(database, community, hub,
                                                         monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 1)
    with database.snapshot() as s:
        stream = export.stix_bundle(s, community.viewer(hub.ana), ExportFilters(
            tlps=(TLP.RED,)), record_in=database.transaction)
        next(stream)  # the marking definition
        next(stream)  # the first of two RED objects
        stream.close()  # the client went away
    entries = sensitive_audits(database)
    assert len(entries) == 1
    assert entries[0].details["complete"] is False and entries[0].details["count"] == 1


def test_export_memory_stays_flat(database, community, tmp_path):
    alpha, bravo = community.org("Alpha CERT"), community.org("Bravo Bank", kind="financial")
    ana, bob = community.user(alpha), community.user(bravo)
    gen = Generator(seed=99)
    for user in (ana, bob):
        run_import(database, community, user, bundle_bytes(list(gen.objects(10_000))),
                   tmp_path, tlp="GREEN")
    viewer = community.viewer(ana)

    def measure(f: ExportFilters) -> tuple[int, int, int]:
        total = count = 0
        with database.snapshot() as s:
            tracemalloc.start()
            try:
                for chunk in export.stix_bundle(s, viewer, f):
                    total += len(chunk)
                    count += chunk.count(b'"spec_version":"2.1"')
                _now, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        return count, total, peak

    half_count, _half_total, half_peak = measure(ExportFilters(owner_org_id=alpha.id))
    count, total, peak = measure(ExportFilters())
    assert half_count == 10_001 and count == 20_001  # and the TLP:GREEN definition
    # Twice the objects, the same peak: one chunk of rows at a time, whatever the size.
    # Holding every row would take more than the 8 MB of output.
    assert peak < 30 * 2**20, peak
    assert peak < 1.25 * half_peak + 2**20, (peak, half_peak)
    assert peak < total, (peak, total)


# --------------------------------------------------------------------------- blocklists

def test_blocklists_keep_pap_red_and_warninglisted_values_out(database, community,
                                                             tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 3)  # several chunks, one value spread over them
    alpha = community.org("Alpha CERT")
    bravo = community.org("Bravo Bank", kind="financial")
    ana, bob = community.user(alpha), community.user(bravo)
    # Values also carried by several objects, to be listed once.
    shared = [indicator("198.51.100.7", seed=i) for i in range(5)]
    run_import(database, community, ana, bundle_bytes([
        *shared, indicator("8.8.8.8"), indicator("203.0.113.9"),
        indicator("evil-example.xyz", kind="domain"),
        {"type": "ipv4-addr", "spec_version": "2.1",
         "id": "ipv4-addr--9f8c4a6e-2f0e-5b8e-8d5e-0c2a1b3c4d5e", "value": "192.0.2.44"},
    ]), tmp_path, tlp="GREEN")
    # PAP:RED: the owner asks that nobody act on these where the adversary could notice.
    run_import(database, community, ana, bundle_bytes([
        indicator("192.0.2.200"), indicator("198.51.100.7", seed=77)]), tmp_path,
        tlp="GREEN", pap="RED")
    # Revoked indicators are not blocked; reports carry no values.
    run_import(database, community, bob, bundle_bytes([
        indicator("192.0.2.201", revoked=True)]), tmp_path, tlp="GREEN")
    on_list = {("ipv4", "8.8.8.8")}

    def block(kind: str, **kw: Any) -> list[str]:
        with database.snapshot() as s:
            text = collect(export.blocklist(s, community.viewer(bob), kind, ExportFilters(**kw),
                                            warning_check=lambda k, v: (k, v) in on_list))
        return text.decode().splitlines()

    ips = block("ipv4")
    assert sorted(ips) == ["192.0.2.44", "198.51.100.7", "203.0.113.9"]
    assert "192.0.2.200" not in ips  # PAP:RED only
    assert block("ipv4", skip_warninglisted=False).count("8.8.8.8") == 1
    assert block("domain") == ["evil-example.xyz"]
    assert block("ipv4", types=("ipv4-addr",)) == ["192.0.2.44"]
    assert block("sha256") == []


def test_blocklists_of_sensitive_values_are_audited_once(database, community, tmp_path,
                                                        monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha)
    red = [indicator(f"192.0.2.{i}", object_marking_refs=[MARKING_BY_TLP[TLP.RED]])
           for i in range(1, 6)]
    run_import(database, community, ana, bundle_bytes(
        [*red, indicator("203.0.113.1"), indicator("192.0.2.1", seed=5)]), tmp_path,
        tlp="GREEN")
    with database.transaction() as s:
        text = collect(export.blocklist(s, community.viewer(ana), "ipv4",
                                        warning_check=lambda k, v: False))
    assert sorted(text.decode().split()) == sorted(
        [f"192.0.2.{i}" for i in range(1, 6)] + ["203.0.113.1"])
    entries = sensitive_audits(database)
    assert len(entries) == 1 and entries[0].details["count"] == 5
    assert entries[0].details["format"] == "blocklist:ipv4"


@pytest.fixture(scope="session")
def misp_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real MISP warning lists, compiled once per session (~2.5 million entries)."""
    from cyberhub.intel.warninglists import WarningIndex
    from tests.cache import warninglists_index

    ix = WarningIndex(warninglists_index())
    yield ix
    ix.close()


@pytest.fixture
def warning_lists(misp_index: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The hub's warning-list check answers from the session's index."""
    from cyberhub.intel import warninglists

    monkeypatch.setattr(warninglists, "_index", misp_index)
    return misp_index


def test_blocklists_use_the_misp_warning_lists_by_default(database, community, tmp_path,
                                                         warning_lists):
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha)
    run_import(database, community, ana, bundle_bytes([
        indicator("8.8.8.8"), indicator("10.1.2.3"), indicator("45.13.7.99"),
        indicator("google.com", kind="domain"), indicator("evil-example.xyz", kind="domain"),
        indicator("mail.google.com", kind="domain"), indicator("bit.ly", kind="domain"),
        indicator("evil.duckdns.org", kind="domain"),
    ]), tmp_path, tlp="GREEN")
    # 8.8.8.8 (public resolvers, also a VPN exit), 10.1.2.3 (RFC 1918), google.com and
    # bit.ly (top sites themselves, bit.ly also a shortener), mail.google.com (under a top
    # site, nothing else) stay out. evil.duckdns.org is only under a top site and the
    # dynamic-DNS list explains it: blocking it blocks nobody else, so it stays in.
    viewer = community.viewer(ana)
    with database.snapshot() as s:
        assert collect(export.blocklist(s, viewer, "ipv4")) == b"45.13.7.99\n"
        assert sorted(collect(export.blocklist(s, viewer, "domain")).split()) == [
            b"evil-example.xyz", b"evil.duckdns.org"]
        everything = collect(export.blocklist(s, viewer, "ipv4", ExportFilters(
            skip_warninglisted=False)))
    assert sorted(everything.split()) == [b"10.1.2.3", b"45.13.7.99", b"8.8.8.8"]


def test_blocklist_kind_is_checked(database, community):
    with database.snapshot() as s, pytest.raises(export.InvalidInput):
        collect(export.blocklist(s, community.viewer(
            community.user(community.org("Alpha CERT"))), "ip"))


# --------------------------------------------------------------------------- CSV

def test_csv_lists_visible_objects_and_defuses_formulas(database, community, tmp_path):
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha)
    hostile = indicator("203.0.113.50", name='=HYPERLINK("http://evil.example","x")')
    plus = indicator("203.0.113.51", name="+1 cmd|' /C calc'!A0")
    at = indicator("203.0.113.52", name="@SUM(1+1)")
    minus = indicator("203.0.113.53", name="-2+3")
    run_import(database, community, ana, bundle_bytes([hostile, plus, at, minus]), tmp_path,
               tlp="AMBER")
    with database.snapshot() as s:
        text = collect(export.csv_rows(s, community.viewer(ana))).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(export.CSV_COLUMNS)
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id[hostile["id"]]["name"] == "'" + hostile["name"]
    assert by_id[plus["id"]]["name"].startswith("'+")
    assert by_id[at["id"]]["name"].startswith("'@")
    assert by_id[minus["id"]]["name"].startswith("'-")
    row = by_id[hostile["id"]]
    assert row["type"] == "indicator" and row["tlp"] == "AMBER" and row["pap"] == ""
    assert row["owner_organisation"] == "Alpha CERT"
    assert row["created"] == hostile["created"] and row["modified"] == hostile["modified"]
    assert row["added"].endswith("Z") and row["values"] == "ipv4:203.0.113.50"
    # Nobody outside Alpha sees AMBER without an audience.
    outsider = community.user(community.org("Bravo Bank", kind="financial"))
    with database.snapshot() as s:
        text = collect(export.csv_rows(s, community.viewer(outsider))).decode()
    assert text.splitlines() == [",".join(export.CSV_COLUMNS)]


# --------------------------------------------------------------------------- REST

def test_api_export_streams_each_format(client, database, community, hub, warning_lists):
    token = community.token(hub.carl, scope="read")  # a read token may export
    r = client.get("/api/v1/export", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/stix+json;version=2.1"
    assert r.headers["content-disposition"].startswith('attachment; filename="cyberhub-export-')
    assert_valid(r.content)
    got = sorted(o["id"] for o in data_objects(r.content))
    assert got == sorted(k[1] for k in hub.expected if may_see(hub, hub.carl, k))
    # Carl's AMBER+STRICT share reached the audit log through its own transaction.
    entries = sensitive_audits(database)
    assert len(entries) == 1 and entries[0].details["count"] == 10
    assert entries[0].ip is not None

    r = client.get("/api/v1/export?format=csv&tlp=CLEAR", headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert len(r.text.splitlines()) == 1 + 8
    r = client.get("/api/v1/export?format=blocklist&kind=url", headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "blocklist-url" in r.headers["content-disposition"]
    urls = r.text.splitlines()
    assert urls and all(u.startswith("https://") for u in urls) and len(set(urls)) == len(urls)
    r = client.get("/api/v1/export?type=malware&type=indicator&since=2020-01-01",
                   headers=bearer(token))
    assert {o["type"] for o in data_objects(r.content)} == {"malware", "indicator"}


def test_api_export_needs_credentials(client):
    r = client.get("/api/v1/export")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("query, field", [
    ("format=xml", None),
    ("format=blocklist", "kind"),
    ("format=blocklist&kind=ip", "kind"),
    ("tlp=BLUE", "tlp"),
    ("since=yesterday", "since"),
    ("since=2026-01-01T00:00:00", "since"),
    ("since=2026-02-01&until=2026-01-01", "since"),
    ("owner=Nobody%20Org", "owner"),
    ("type=indicator;drop", "type"),
    ("id=not-an-id", "id"),
])
def test_api_export_refuses_bad_arguments(client, community, query, field):
    user = community.user(community.org("Alpha CERT"))
    r = client.get(f"/api/v1/export?{query}", headers=bearer(community.token(user)))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"]["code"] == "invalid_input"
    if field is not None:
        assert body["error"]["details"]["field"] == field


# --------------------------------------------------------------------------- CLI

def test_cli_export(database, community, hub, settings, tmp_path, warning_lists):
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--as", hub.bob.email])
    assert result.exit_code == 0, result.output
    assert_valid(result.stdout_bytes)
    assert sorted(o["id"] for o in data_objects(result.stdout_bytes)) == sorted(
        k[1] for k in hub.expected if may_see(hub, hub.bob, k))

    out = tmp_path / "export.csv"
    result = runner.invoke(cli, ["export", "--as", hub.bob.email, "--format", "csv",
                                 "--type", "malware", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[1:] and all(r[1] == "malware" for r in rows[1:])

    out = tmp_path / "domains.txt"
    result = runner.invoke(cli, ["export", "--as", hub.bob.email, "--format", "blocklist",
                                 "--kind", "domain", "--output", str(out)])
    assert result.exit_code == 0, result.output
    domains = out.read_text().splitlines()
    assert domains and all(d.endswith(".example") for d in domains)

    result = runner.invoke(cli, ["export", "--as", hub.bob.email, "--format", "blocklist",
                                 "--output", str(tmp_path / "never.txt")])
    assert result.exit_code == 1 and "kind" in result.stderr
    assert not (tmp_path / "never.txt").exists()
    result = runner.invoke(cli, ["export", "--as", "nobody@example.org"])
    assert result.exit_code == 1 and "No active user" in result.stderr
