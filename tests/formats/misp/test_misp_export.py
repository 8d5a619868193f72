"""MISP export: what a viewer may see, as MISP event JSON that PyMISP loads; a round trip
MISP → hub → MISP keeps values, types and tags."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from pymisp import MISPEvent
from typer.testing import CliRunner

from cyberhub.cli import app as cli
from cyberhub.community.models import User
from cyberhub.intel import export
from cyberhub.intel.models import ImportStatus
from tests.factories import Community, bearer
from tests.formats.misp.test_misp_import import EVENT_1, FIXTURES, run_misp

EVENT_2 = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"


@pytest.fixture
def member(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), role="analyst",
                          email="ana@alpha.example")


def exported(database, user: User, **filters: Any) -> list[MISPEvent]:
    with database.snapshot() as s:
        made = export.make_filters(s, **filters)
    body = b"".join(export.stream(database, user.id, "misp", made))
    loaded = []
    for item in orjson.loads(body)["response"]:
        event = MISPEvent()
        event.load(item)
        loaded.append(event)
    return loaded


def values(event: MISPEvent) -> dict[str, tuple[str, bool]]:
    out = {a.value: (a.type, a.to_ids) for a in event.attributes}
    for obj in event.objects:
        out.update({a.value: (a.type, a.to_ids) for a in obj.attributes})
    return out


def test_round_trip_keeps_values_types_and_tags(database, community, member):
    job = run_misp(database, community, member, FIXTURES / "event.json")
    assert job.status is ImportStatus.SUCCEEDED
    (event,) = exported(database, member)
    original = json.loads((FIXTURES / "event.json").read_text())["Event"]
    assert event.uuid == EVENT_1
    assert event.info == original["info"]
    assert str(event.date) == "2025-03-01"
    assert {t.name for t in event.tags} >= {"tlp:amber", "PAP:AMBER",
                                             'circl:incident-classification="phishing"',
                                             'misp-galaxy:ransomware="LockBit"'}
    assert event.threat_level_id == 2 and event.analysis == 2
    mine = values(event)
    for attribute in original["Attribute"]:
        assert mine[attribute["value"]] == (attribute["type"], attribute["to_ids"]), attribute
    by_uuid = {a.uuid: a for a in event.attributes}
    red = by_uuid["0a1b2c3d-0008-4000-8000-000000000008"]
    assert {t.name for t in red.tags} == {"tlp:red", "PAP:AMBER"}
    assert [s.source for s in by_uuid["0a1b2c3d-0001-4000-8000-000000000001"].sightings] == [
        "honeypot"]
    (file_obj,) = [o for o in event.objects if o.name == "file"]
    assert {(a.object_relation, a.value) for a in file_obj.attributes} == {
        ("filename", "invoice.pdf.exe"), ("md5", "d41d8cd98f00b204e9800998ecf8427e")}


def test_the_export_imports_back_unchanged(database, community, member, tmp_path):
    run_misp(database, community, member, FIXTURES / "event.json")
    with database.snapshot() as s:
        made = export.make_filters(s)
    path = tmp_path / "out.json"
    path.write_bytes(b"".join(export.stream(database, member.id, "misp", made)))
    again = run_misp(database, community, member, path)
    assert again.status is ImportStatus.SUCCEEDED, (again.message, again.errors)
    from sqlalchemy import select

    from cyberhub.intel.models import StixObject
    with database.transaction() as s:
        new = list(s.scalars(select(StixObject.data).where(StixObject.import_id == again.id)))
    assert again.objects_stored == 0, new


def test_only_what_the_viewer_may_see(database, community, member):
    run_misp(database, community, member, FIXTURES / "event.json")  # AMBER, no audience
    other = community.user(community.org("Gamma Police"), email="gil@gamma.example")
    assert exported(database, other) == []


def test_loose_objects_go_into_one_event(database, community, member, tmp_path):
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid4()}",
         "value": "192.0.2.44"},
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
         "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
         "pattern": "[url:value = 'https://bad.example/']", "pattern_type": "stix",
         "valid_from": "2025-01-01T00:00:00.000Z", "labels": ["phishing"]}]}
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(bundle))
    from cyberhub.intel import imports

    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(member), filename="b.json", tlp="GREEN")
        imports.stage_file(job, path)
        job_id = job.id
    assert imports.run(database, job_id, keep_source=True).status is ImportStatus.SUCCEEDED
    (event,) = exported(database, member)
    assert event.info.startswith("cyberhub export")
    assert values(event) == {"192.0.2.44": ("ip-dst", False),
                             "https://bad.example/": ("url", True)}
    url = next(a for a in event.attributes if a.type == "url")
    assert {t.name for t in url.tags} == {"tlp:green", "phishing"}


def test_cli_and_api_export_misp(client, database, community, member, tmp_path):
    run_misp(database, community, member, FIXTURES / "response.json")
    out = tmp_path / "x.json"
    result = CliRunner().invoke(cli, ["export", "--as", member.email, "--format", "misp",
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert {e["Event"]["uuid"] for e in orjson.loads(out.read_bytes())["response"]} == {
        EVENT_1, EVENT_2}
    token = community.token(member)
    response = client.get("/api/v1/export?format=misp&type=report",
                          headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    for item in response.json()["response"]:
        MISPEvent().load(item)


def test_the_fixture_feed_round_trips(database, community, member):
    run_misp(database, community, member, FIXTURES / "feed")
    events = {e.uuid: e for e in exported(database, member)}
    tip = events[EVENT_2]
    assert [(a.type, a.value) for a in tip.attributes] == [("phone-number", "+447700900123")]
    assert Path(FIXTURES / "feed" / f"{EVENT_2}.json").exists()
