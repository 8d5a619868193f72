"""MISP import: events and feeds, as PyMISP writes them, end as records of the STIX
store — through the import job, the CLI and the REST API, on both engines."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from pymisp import MISPEvent, MISPGalaxy, MISPGalaxyCluster, MISPObject
from sqlalchemy import func, select
from typer.testing import CliRunner

from cyberhub.audience import Audience
from cyberhub.cli import app as cli
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.galaxies import cluster_stix_id
from cyberhub.intel.markings import MARKING_BY_TLP
from cyberhub.intel.models import Import, ImportStatus, StixObject, StixRef
from cyberhub.sharing import PAP, TLP, AudienceEntry
from tests.factories import Community, bearer

FIXTURES = Path(__file__).parents[2] / "fixtures" / "misp"
EVENT_1 = "5f1a2b3c-4d5e-4f60-8a71-92b3c4d5e6f7"
EVENT_2 = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"


@pytest.fixture
def member(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), role="analyst",
                          email="ana@alpha.example")


def run_misp(database: Database, community: Community, user: User, path: Path, *,
             tlp: str = "GREEN", options: dict[str, Any] | None = None,
             audience: Audience | None = None) -> Import:
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename=path.name, tlp=tlp,
                                 fmt="misp", options=options, audience=audience)
        imports.stage_file(job, path)
        job_id = job.id
    return imports.run(database, job_id, keep_source=True)


def objects(database: Database) -> dict[str, StixObject]:
    with database.transaction() as s:
        return {o.stix_id: o for o in s.scalars(select(StixObject))}


def data(row: StixObject) -> dict[str, Any]:
    return dict(orjson.loads(row.data))


def count(database: Database, model: Any = StixObject) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def write_event(tmp_path: Path, event: MISPEvent, name: str = "event.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Event": json.loads(event.to_json())}))
    return path


def pymisp_event(timestamp: int = 1740830400) -> MISPEvent:
    event = MISPEvent()
    event.uuid = str(uuid.uuid4())
    event.info = "Carding shop infrastructure"
    event.date = "2025-03-01"
    event.timestamp = timestamp
    event.distribution = 1
    event.add_tag("tlp:green")
    event.add_tag("type:OSINT")
    event.add_attribute("ip-dst", "192.0.2.10", to_ids=True, timestamp=timestamp)
    event.add_attribute("hostname", "shop.example", to_ids=False, timestamp=timestamp)
    event.add_attribute("text", "seen on a forum", timestamp=timestamp)
    obj = MISPObject("url", standalone=False)
    obj.add_attribute("url", value="https://shop.example/cc", to_ids=True)
    event.add_object(obj)
    return event


# ------------------------------------------------------------------ the mapping


def test_a_misp_event_becomes_a_report_with_its_content(database, community, member):
    job = run_misp(database, community, member, FIXTURES / "event.json")
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    stored = objects(database)
    report = stored[f"report--{EVENT_1}"]
    body = data(report)
    assert report.name == "Bank-transfer fraud wave: mule accounts and phishing domains"
    assert report.tlp is TLP.AMBER and report.pap is PAP.AMBER
    assert 'circl:incident-classification="phishing"' in report.labels
    assert 'misp:threat-level="medium"' in body["labels"]
    assert 'misp:analysis="completed"' in body["labels"]
    assert body["published"] == "2025-03-01T12:00:00.000Z"
    assert body["x_misp_orgc"]["name"] == "CIRCL"
    # to_ids attributes are indicators with STIX patterns
    domain = data(stored["indicator--0a1b2c3d-0001-4000-8000-000000000001"])
    assert domain["pattern"] == "[domain-name:value = 'login-bank.example']"
    assert domain["description"] == "phishing landing page"
    assert domain["x_misp_type"] == "domain"
    phone = data(stored["indicator--0a1b2c3d-0005-4000-8000-000000000005"])
    assert phone["pattern"] == "[x-cyberhub-phone-number:value = '+33612345678']"
    # an attribute tag can only make it stricter
    assert stored["indicator--0a1b2c3d-0008-4000-8000-000000000008"].tlp is TLP.RED
    # the others are observables, in observed-data that keeps the attribute
    ibans = [o for o in stored.values() if o.type == "x-cyberhub-bank-account"]
    assert [data(o)["iban"] for o in ibans] == ["DE89370400440532013000"]
    wallet = next(o for o in stored.values() if o.type == "x-cyberhub-cryptocurrency-wallet")
    assert data(wallet)["chain"] == "bitcoin"
    observed = data(stored["observed-data--0a1b2c3d-0004-4000-8000-000000000004"])
    assert observed["object_refs"] == [ibans[0].stix_id]
    assert observed["x_misp_category"] == "Financial fraud"
    # every stored object is one the report points to
    assert set(body["object_refs"]) >= {"indicator--0a1b2c3d-0002-4000-8000-000000000002",
                                        ibans[0].stix_id}


def test_objects_galaxies_sightings_and_unknown_types(database, community, member):
    job = run_misp(database, community, member, FIXTURES / "event.json")
    assert job.status is ImportStatus.SUCCEEDED
    stored = objects(database)
    # the file object: one file observable with name and hash, an indicator on the
    # to_ids attribute, and the reference to the domain-ip object as a relationship
    file_od = data(stored["observed-data--0a1b2c3d-00f1-4000-8000-0000000000f1"])
    (file_sco,) = [data(stored[r]) for r in file_od["object_refs"]]
    assert file_sco["name"] == "invoice.pdf.exe"
    assert file_sco["hashes"] == {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}
    assert data(stored["indicator--0a1b2c3d-00f1-4000-8000-0000000000f1"])["pattern"] == (
        "[file:name = 'invoice.pdf.exe' AND file:hashes.MD5 = "
        "'d41d8cd98f00b204e9800998ecf8427e']")
    rels = [data(o) for o in stored.values() if o.type == "relationship"]
    assert {"source_ref": "observed-data--0a1b2c3d-00f1-4000-8000-0000000000f1",
            "relationship_type": "communicates-with",
            "target_ref": "observed-data--0a1b2c3d-00d1-4000-8000-0000000000d1"}.items() <= (
        next(r for r in rels if r["relationship_type"] == "communicates-with").items())
    domain_ip = data(stored["observed-data--0a1b2c3d-00d1-4000-8000-0000000000d1"])
    domain = next(data(stored[r]) for r in domain_ip["object_refs"]
                  if r.startswith("domain-name"))
    assert domain["resolves_to_refs"] == [r for r in domain_ip["object_refs"]
                                          if r.startswith("ipv4-addr")]
    # the galaxy cluster: a relationship to the shared cluster id, and a minimal object
    lockbit = cluster_stix_id("ransomware", "1c43524e-0f2e-4468-b6b6-8a37f1d0e5e1")
    assert stored[lockbit].name == "LockBit" and data(stored[lockbit])["is_family"] is True
    assert any(r["target_ref"] == lockbit and r["source_ref"] == f"report--{EVENT_1}"
               for r in rels)
    # the sighting
    sighting = data(stored["sighting--0a1b2c3d-5151-4000-8000-000000000001"])
    assert sighting["sighting_of_ref"] == "indicator--0a1b2c3d-0001-4000-8000-000000000001"
    assert sighting["first_seen"] == "2025-03-01T13:00:00.000Z"
    # the unknown type: kept, and said
    kept = data(stored["x-misp-attribute--0a1b2c3d-0007-4000-8000-000000000007"])
    assert (kept["x_misp_type"], kept["x_misp_value"]) == ("cookie", "session=deadbeef")
    assert job.notices == [{"index": 0, "id": "0a1b2c3d-0007-4000-8000-000000000007",
                            "path": "Attribute[6].type",
                            "message": "Attribute type 'cookie' has no STIX equivalent: kept "
                                       "as a custom x-misp-attribute object."}]
    # no relationship dangles
    with database.transaction() as s:
        ends = set(s.scalars(select(StixRef.target_stix_id)
                             .where(StixRef.kind.like("relationship:%"))))
    assert ends <= set(stored)


def test_reimporting_changes_nothing_and_a_newer_timestamp_versions(database, community,
                                                                    member, tmp_path):
    event = pymisp_event()
    path = write_event(tmp_path, event)
    first = run_misp(database, community, member, path)
    assert first.status is ImportStatus.SUCCEEDED and first.objects_stored > 5
    again = run_misp(database, community, member, path)
    assert again.status is ImportStatus.SUCCEEDED
    assert again.objects_stored == 0 and again.objects_new_versions == 0
    assert again.objects_unchanged == first.objects_seen
    body = json.loads(path.read_text())
    body["Event"].update(timestamp="1740900000", info="Carding shop infrastructure (update)")
    (tmp_path / "newer.json").write_text(json.dumps(body))
    newer = run_misp(database, community, member, tmp_path / "newer.json")
    assert newer.status is ImportStatus.SUCCEEDED
    # The report, and the url object (PyMISP gives it no timestamp of its own, so it
    # follows the event's): its observed-data, its indicator and their relationship.
    # The attributes kept their own timestamps: unchanged.
    assert newer.objects_new_versions == 4
    assert objects(database)[f"report--{event.uuid}"].name.endswith("(update)")


def test_pymisp_objects_and_tags(database, community, member, tmp_path):
    event = pymisp_event()
    galaxy = MISPGalaxy()
    galaxy.from_dict(type="threat-actor", name="Threat actor",
                     uuid="698774c7-8022-42c4-917f-8d6e4f06ada3")
    cluster = MISPGalaxyCluster()
    cluster.from_dict(type="threat-actor", value="FIN7",
                      uuid="3d809ce8-9b6c-4bb3-9b6a-6e5e3f3c1a11",
                      tag_name='misp-galaxy:threat-actor="FIN7"')
    galaxy.clusters.append(cluster)
    event.attributes[0].galaxies.append(galaxy)
    job = run_misp(database, community, member, write_event(tmp_path, event))
    assert job.status is ImportStatus.SUCCEEDED, job.errors
    stored = objects(database)
    report = stored[f"report--{event.uuid}"]
    assert report.tlp is TLP.GREEN and report.labels == ["type:OSINT"]
    fin7 = cluster_stix_id("threat-actor", "3d809ce8-9b6c-4bb3-9b6a-6e5e3f3c1a11")
    # The event holds other relationships too (an indicator based on its observation):
    # found by what they say, not by the order the database returns them in.
    said = {(r["source_ref"], r["relationship_type"], r["target_ref"])
            for r in (data(o) for o in stored.values() if o.type == "relationship")}
    assert (f"indicator--{event.attributes[0].uuid}", "indicates", fin7) in said
    assert stored[fin7].type == "intrusion-set"
    url_obj = event.objects[0]
    assert data(stored[f"indicator--{url_obj.uuid}"])["pattern"] == (
        "[url:value = 'https://shop.example/cc']")
    text = data(stored[f"x-misp-attribute--{event.attributes[2].uuid}"])
    assert text["x_misp_value"] == "seen on a forum"
    assert job.notices == []  # text is kept as text without a notice


def test_taxonomy_tags_set_markings_and_admiralty_grades_the_confidence(database, community,
                                                                         member, tmp_path):
    event = pymisp_event()
    event.add_tag('admiralty-scale:source-reliability="b"')
    event.add_tag('admiralty-scale:information-credibility="2"')
    event.attributes[0].add_tag("TLP:AMBER")  # any case, as MISP users type it
    event.attributes[0].add_tag('admiralty-scale:information-credibility="4"')
    event.attributes[0].add_tag("PAP:RED")
    job = run_misp(database, community, member, write_event(tmp_path, event))
    assert job.status is ImportStatus.SUCCEEDED, job.errors
    stored = objects(database)
    report = data(stored[f"report--{event.uuid}"])
    assert report["confidence"] == 75  # B2: both axes at 75
    ip = stored[f"indicator--{event.attributes[0].uuid}"]
    assert (ip.tlp, ip.pap) == (TLP.AMBER, PAP.RED)
    assert data(ip)["confidence"] == 50  # its own D overrides the event's 2: (75 + 25) / 2
    hostname = [o for o in stored.values() if o.type == "domain-name"]
    assert hostname and all("confidence" not in data(o) for o in hostname), "SCOs carry none"


def test_distribution_and_sharing_groups(database, community, member):
    beta = community.org("Beta Bank")
    job = run_misp(database, community, member, FIXTURES / "response.json", tlp="CLEAR")
    assert job.status is ImportStatus.SUCCEEDED, job.errors
    stored = objects(database)
    # distribution 1 ("this community") never widens: GREEN at most
    assert stored[f"report--{EVENT_1}"].tlp is TLP.AMBER
    tip = stored["indicator--0b1b2c3d-0001-4000-8000-000000000001"]
    assert tip.tlp is TLP.AMBER
    with database.transaction() as s:
        audience = set(s.scalars(select(AudienceEntry.org_id)
                                 .where(AudienceEntry.record_id == tip.id)))
    assert audience == {beta.id}
    assert any("Unknown Telco" in n["message"] for n in job.notices)


def test_distribution_zero_keeps_it_in_the_organisation(database, community, member,
                                                        tmp_path):
    event = pymisp_event()
    event.tags = []
    event.distribution = 0
    job = run_misp(database, community, member, write_event(tmp_path, event))
    assert job.status is ImportStatus.SUCCEEDED
    assert {o.tlp for o in objects(database).values()
            if o.type not in ("marking-definition",)} == {TLP.AMBER_STRICT}


# ------------------------------------------------------------------ shapes and feeds


def test_every_shape_of_event_file(database, community, member, tmp_path):
    event = json.loads((FIXTURES / "event.json").read_text())
    shapes = {"list.json": [event], "bare.json": event["Event"],
              "response.json": {"response": [event]}}
    for name, body in shapes.items():
        path = tmp_path / name
        path.write_text(json.dumps(body))
        job = run_misp(database, community, member, path)
        assert job.status is ImportStatus.SUCCEEDED, (name, job.message)
    assert count(database) == len(objects(database))
    assert f"report--{EVENT_1}" in objects(database)


def test_a_feed_directory_and_archive_with_a_cursor(database, community, member, tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(FIXTURES / "feed", feed)
    job = run_misp(database, community, member, feed, options={"since": 1740830400})
    assert job.status is ImportStatus.SUCCEEDED, job.message
    reports = [o.stix_id for o in objects(database).values() if o.type == "report"]
    assert reports == [f"report--{EVENT_2}"], "only the event newer than the cursor"
    archive = tmp_path / "feed.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(feed, arcname="misp-feed")
    job = run_misp(database, community, member, archive)
    assert job.status is ImportStatus.SUCCEEDED, job.message
    assert {o.stix_id for o in objects(database).values() if o.type == "report"} == {
        f"report--{EVENT_1}", f"report--{EVENT_2}"}


@pytest.mark.parametrize(("damage", "message"), [
    ("no-manifest", "no manifest.json"),
    ("missing-event", f"{EVENT_2}.json is missing"),
    ("broken-event", f"{EVENT_2}.json is not valid JSON"),
    ("broken-manifest", "manifest.json is not valid JSON"),
])
def test_a_bad_feed_stores_nothing(database, community, member, tmp_path, damage, message):
    feed = tmp_path / "feed"
    shutil.copytree(FIXTURES / "feed", feed)
    if damage == "no-manifest":
        (feed / "manifest.json").unlink()
    elif damage == "missing-event":
        (feed / f"{EVENT_2}.json").unlink()
    elif damage == "broken-event":
        (feed / f"{EVENT_2}.json").write_text('{"Event": {"uuid": ')
    else:
        (feed / "manifest.json").write_text("{")
    job = run_misp(database, community, member, feed)
    assert job.status is ImportStatus.FAILED
    assert message in job.message
    assert count(database) == 0


@pytest.mark.parametrize(("body", "message"), [
    (b'{"type": "bundle", "id": "bundle--1", "objects": []}', "looks like a STIX bundle"),
    (b"[1, 2]", "Item 0 is not a MISP event"),
    (b'{"Event": {"info": "x", "uuid": "nope"}}', "Event 0 has no valid uuid"),
    (b'{"response": [{"Event": {"info": "x"', "not valid JSON"),
    (b"\x1f\x8bnot gzip", "not a readable .tar.gz feed"),
    (b"hello", "must start with { or ["),
    # Nested brackets would cost the item builder quadratic time: refused as they stream.
    (b"[" * 200_000 + b"]" * 200_000, "nests deeper than 64 levels"),
    (b'{"response": ' + b'[{"Event": ' * 50_000, "nests deeper than 64 levels"),
])
def test_malformed_misp_json_fails_clearly(database, community, member, tmp_path, body,
                                           message):
    path = tmp_path / "bad.json"
    path.write_bytes(body)
    job = run_misp(database, community, member, path)
    assert job.status is ImportStatus.FAILED
    assert message in job.message
    assert count(database) == 0


# ------------------------------------------------------------------ entry points


def test_cli_imports_a_feed_directory(database, community, member, tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(FIXTURES / "feed", feed)
    result = CliRunner().invoke(cli, ["import", str(feed), "--as", member.email,
                                      "--format", "misp", "--tlp", "GREEN"])
    assert result.exit_code == 0, result.output
    assert f"report--{EVENT_2}" in objects(database)


def test_rest_api_takes_the_format(client, database, community, member):
    token = community.token(member, scope="write")
    response = client.post("/api/v1/import?tlp=GREEN&format=misp&filename=event.json",
                           content=(FIXTURES / "event.json").read_bytes(),
                           headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 202, response.text
    body = client.get(response.headers["Location"], headers=bearer(token)).json()
    assert body["format"] == "misp"


def test_unknown_format_lists_misp(database, community, member):
    from cyberhub.errors import InvalidInput

    with database.transaction() as s, pytest.raises(InvalidInput) as caught:
        imports.new_import(s, community.viewer(member), filename="x", tlp="GREEN", fmt="xml")
    assert "misp" in str(caught.value)


def test_pap_markings_in_stix_data_count(database, community, member, tmp_path):
    """PAP markings are honoured for every format (here: plain STIX)."""
    from cyberhub.intel.markings import MARKING_BY_PAP

    def address(value: str, *paps: PAP) -> dict[str, Any]:
        return {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid4()}",
                "value": value, "object_marking_refs": [
                    *(MARKING_BY_PAP[p] for p in paps), MARKING_BY_TLP[TLP.GREEN]]}

    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        address("192.0.2.1", PAP.RED), address("192.0.2.2", PAP.AMBER, PAP.RED),
        address("192.0.2.3", PAP.CLEAR), address("192.0.2.4")]}
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(bundle))
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(member), filename="b.json", tlp="GREEN",
                                 pap="GREEN")
        imports.stage_file(job, path)
        job_id = job.id
    assert imports.run(database, job_id, keep_source=True).status is ImportStatus.SUCCEEDED
    # the strictest of the data's and the import's (GREEN) wins
    assert {data(o)["value"]: o.pap for o in objects(database).values()} == {
        "192.0.2.1": PAP.RED, "192.0.2.2": PAP.RED, "192.0.2.3": PAP.GREEN,
        "192.0.2.4": PAP.GREEN}


def test_web_import_offers_the_format(client, database, community, member):
    from tests.web.helpers import login

    login(client, member.email)
    page = client.get("/import").text
    assert 'value="misp"' in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/import", data={"csrf_token": csrf, "tlp": "GREEN",
                                             "mode": "strict", "format": "misp"},
                           files={"file": ("event.json",
                                           io.BytesIO((FIXTURES / "event.json").read_bytes()),
                                           "application/json")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    with database.transaction() as s:
        assert s.scalar(select(Import.format)) == "misp"
