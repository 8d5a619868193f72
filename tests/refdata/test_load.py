"""Loading reference data: through the import pipeline, owned by the hub, idempotent,
versioned by the galaxy's version, found by members."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cyberhub import access
from cyberhub.cli import app as cli
from cyberhub.community import service as community_service
from cyberhub.community import system
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.intel.models import StixObject, StixObjectVersion
from cyberhub.refdata import galaxies as g
from cyberhub.refdata import service as refdata
from cyberhub.sharing import TLP
from tests.factories import Community, bearer, sign_in
from tests.state import snapshot

runner = CliRunner()
SMALL = ["sector", "country", "threat-actor"]


def count(database: Database, *where: Any) -> int:
    with database.snapshot() as s:
        return int(s.scalar(select(func.count()).select_from(StixObject).where(*where)) or 0)


def test_load_stores_clear_objects_owned_by_the_reference_organisation(
        database: Database) -> None:
    report = refdata.load(database, SMALL)
    assert not report.up_to_date and report.counts is not None
    built = sum(d.objects + d.relationships for d in report.datasets)
    assert report.counts.stored == built == count(database)
    assert {d.name: d.objects for d in report.datasets} == {
        n: len(g.read_galaxy(n).clusters) for n in SMALL}
    with database.snapshot() as s:
        rows = list(s.scalars(select(StixObject)))
        org = s.get(Organisation, system.REFERENCE_ORG_ID)
        user = s.get(User, system.REFERENCE_USER_ID)
        assert org is not None and org.name == "cyberhub reference data"
        assert user is not None and not user.is_active and user.password_hash is None
        assert {r.owner_org_id for r in rows} == {org.id}
        assert {r.created_by_id for r in rows} == {user.id}
        assert {r.tlp for r in rows} == {TLP.CLEAR}
        assert {r.source for r in rows} == {f"MISP galaxies (pymispgalaxies "
                                            f"{g.package_version()})"}
        shown = [(d.name, d.version) for d in refdata.datasets(s)]
        assert sorted(shown) == sorted((n, g.read_galaxy(n).version) for n in SMALL)
    # Anyone may read them, even anonymously (TLP:CLEAR).
    with database.snapshot() as s:
        visible = s.scalar(select(func.count()).select_from(StixObject).where(
            access.visible(StixObject, access.ANONYMOUS)))
    assert visible == count(database)


def test_loading_twice_changes_nothing(database: Database) -> None:
    refdata.load(database, ["sector", "region"])
    before = snapshot(database)
    again = refdata.load(database, ["sector", "region"])
    assert again.up_to_date and again.counts is None
    assert snapshot(database) == before
    forced = refdata.load(database, ["sector", "region"], force=True)
    assert forced.counts is not None
    assert (forced.counts.stored, forced.counts.new_versions) == (0, 0)
    assert forced.counts.unchanged == count(database)


def newer(tmp_path: Path, name: str, change: dict[str, Any]) -> Path:
    data = json.loads((g.data_dir() / "clusters" / f"{name}.json").read_bytes())
    data["version"] += 1
    data["values"][0].update(change)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_a_newer_galaxy_version_updates_in_place_and_keeps_history(
        database: Database, tmp_path: Path) -> None:
    refdata.load(database, ["sector"])
    total = count(database)
    first = g.read_galaxy("sector").clusters[0]
    path = newer(tmp_path, "sector", {"description": "Described in the next version."})
    report = refdata.load(database, ["sector"], files=[path])
    assert report.counts is not None
    assert report.counts.new_versions == total and report.counts.stored == 0
    assert count(database) == total
    sid = f"identity--{first['uuid']}"
    with database.snapshot() as s:
        row = s.scalar(select(StixObject).where(StixObject.stix_id == sid))
        assert row is not None and row.description == "Described in the next version."
        current = json.loads(row.data)
        history = s.scalars(select(StixObjectVersion.data).where(
            StixObjectVersion.object_id == row.id)).all()
        dataset = refdata.datasets(s)[0]
    assert len(history) == 1 and "Described in the next" not in history[0]
    assert current["modified"] > json.loads(history[0])["modified"]
    assert dataset.version == g.read_galaxy("sector").version + 1
    assert dataset.origin == "file sector.json"


def test_bad_input_stores_nothing(database: Database, tmp_path: Path) -> None:
    before = snapshot(database)
    with pytest.raises(InvalidInput, match=r"ships no galaxy|known galaxies"):
        refdata.load(database, ["no-such-galaxy"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "sector", "version": 1, "values": [{"value": 3}]}')
    with pytest.raises(InvalidInput, match=r"cluster 0 .* has no \"value\""):
        refdata.load(database, ["sector"], files=[bad])
    assert snapshot(database) == before


def test_nobody_signs_in_as_or_joins_the_reference_organisation(
        database: Database, community: Community, client: TestClient) -> None:
    refdata.load(database, ["region"])
    operator = community.system
    with database.transaction() as s, pytest.raises(PermissionDenied):
        community_service.create_user(s, operator, email="mole@example.org",
                                      org_id=system.REFERENCE_ORG_ID, role="analyst",
                                      password="a quiet harbour under seven lanterns")
    with database.transaction() as s, pytest.raises(PermissionDenied):
        community_service.update_user(s, operator, system.REFERENCE_USER_ID, is_active=True)
    with database.transaction() as s, pytest.raises(PermissionDenied):
        community_service.update_organisation(s, operator, system.REFERENCE_ORG_ID,
                                              name="Mine now")
    r = sign_in(client, system.REFERENCE_USER_EMAIL, "anything at all, really")
    assert r.status_code != 303


def test_members_find_reference_objects(database: Database, community: Community,
                                        client: TestClient) -> None:
    refdata.load(database, ["mitre-attack-pattern", "country"])
    org = community.org("Alpha CERT")
    token = community.token(community.user(org))

    def find(**params: str) -> list[dict[str, Any]]:
        r = client.get("/api/v1/objects", params=params, headers=bearer(token))
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    # "t1059" is a prefix of ~90 techniques' words (their descriptions cite T1059): ask
    # for a page that holds them all, as results are newest first, not ranked.
    for q in ("T1059.001", "t1059", "powershell"):
        found = find(type="attack-pattern", q=q, limit="200")
        assert any("T1059.001" in o["name"] for o in found), q
    assert [o["name"] for o in find(type="location", q="germany")] == ["Germany"]
    labelled = find(label='misp:galaxy-type="country"', limit="5")
    assert len(labelled) == 5


def test_cli_loads_selected_galaxies_and_reports_status(database: Database,
                                                        tmp_path: Path) -> None:
    result = runner.invoke(cli, ["refdata", "load", "--galaxy", "sector", "--galaxy",
                                 "region", "--no-warninglists"])
    assert result.exit_code == 0, result.output
    assert "(sector)" in result.output and "objects stored" in result.output
    again = runner.invoke(cli, ["refdata", "load", "--galaxy", "sector", "--galaxy",
                                "region", "--no-warninglists"])
    assert again.exit_code == 0 and "up to date" in again.output
    status = runner.invoke(cli, ["refdata", "status"])
    assert status.exit_code == 0, status.output
    assert "sector" in status.output and "region" in status.output
    assert "not loaded" in status.output
    bad = tmp_path / "broken.json"
    bad.write_text("[]")
    failed = runner.invoke(cli, ["refdata", "load", "--file", str(bad), "--no-warninglists"])
    assert failed.exit_code == 1
    assert "is not a MISP galaxy cluster file" in " ".join(failed.output.split())
    unknown = runner.invoke(cli, ["refdata", "load", "--galaxy", "ransomwear",
                                  "--no-warninglists"])
    assert unknown.exit_code == 1 and "known galaxies" in " ".join(unknown.output.split())


def test_the_real_ransomware_galaxy_loads_in_full(database: Database, community: Community,
                                                  client: TestClient) -> None:
    from stix2validator import ValidationOptions, validate_instance

    from cyberhub.intel import export
    from cyberhub.intel.export import ExportFilters
    from cyberhub.intel.extensions import RANSOMWARE

    galaxy = g.read_galaxy("ransomware")
    report = refdata.load(database, ["ransomware"])
    assert report.counts is not None and report.counts.invalid == 0
    assert report.datasets[0].objects == len(galaxy.clusters) > 2000
    assert count(database, StixObject.type == "malware") == len(galaxy.clusters)
    token = community.token(community.user(community.org("Bravo Bank", kind="financial")))
    found = client.get("/api/v1/objects", params={"type": "malware", "q": "lockbit"},
                       headers=bearer(token)).json()["items"]
    names = {o["name"] for o in found}
    assert {"LockBit", "Lockbit3"} <= names  # and families whose description names it
    lockbit = next(o for o in found if o["name"] == "LockBit")
    assert lockbit["tlp"] == "CLEAR"
    # The export carries the property extension's definition and passes the validator.
    viewer = community.viewer(community.user(community.org("Charlie CERT")))
    with database.snapshot() as s:
        body = b"".join(export.stix_bundle(s, viewer, ExportFilters(types=("malware",))))
    objects = json.loads(body)["objects"]
    ids = [o["id"] for o in objects]
    assert RANSOMWARE.definition_id in ids
    options = ValidationOptions(version="2.1")
    carriers = [o for o in objects if RANSOMWARE.definition_id in o.get("extensions", {})]
    assert len(carriers) > 500
    for obj in [o for o in objects if o["type"] == "extension-definition"] + carriers[::50]:
        result = validate_instance(obj, options)
        assert result.is_valid, [str(e) for e in result.errors]
