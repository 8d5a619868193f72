"""STIX import: what a bundle becomes in the store, and what bad input leaves behind
(nothing). Run on both engines through the import job, the CLI and the REST API."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from cyberhub.audience import Audience
from cyberhub.cli import app as cli
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.errors import InvalidInput
from cyberhub.intel import imports
from cyberhub.intel.markings import MARKING_BY_TLP, org_identity_id
from cyberhub.intel.models import (
    Import,
    ImportStatus,
    ObservableValue,
    StixObject,
    StixObjectVersion,
    StixRef,
)
from cyberhub.intel.synthetic import Generator, bundle_bytes
from cyberhub.sharing import TLP, AudienceEntry
from tests.factories import Community, bearer


@pytest.fixture
def member(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), role="analyst",
                          email="ana@alpha.example")


def run_import(database: Database, community: Community, user: User, data: bytes,
               tmp_path: Path, *, tlp: str = "GREEN", mode: str = "strict",
               audience: Audience | None = None) -> Import:
    path = tmp_path / f"{uuid.uuid4()}.json"
    path.write_bytes(data)
    viewer = community.viewer(user)
    with database.transaction() as s:
        job = imports.new_import(s, viewer, filename=path.name, tlp=tlp, mode=mode,
                                 audience=audience)
        imports.stage_file(job, path)
        job_id = job.id
    return imports.run(database, job_id, keep_source=True)


def counts(database: Database) -> dict[str, int]:
    with database.transaction() as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
                for model in (StixObject, StixObjectVersion, ObservableValue, StixRef)}


def sample(n: int = 40, seed: int = 3) -> list[dict[str, Any]]:
    return list(Generator(seed=seed).objects(n))


def test_a_bundle_is_stored_indexed_and_linked(database, community, member, tmp_path):
    objects = sample()
    job = run_import(database, community, member, bundle_bytes(objects), tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    assert job.objects_seen == len(objects) == job.objects_stored
    stored = counts(database)
    assert stored["stix_objects"] == len(objects)
    relationships = [o for o in objects if o["type"] == "relationship"]
    assert stored["stix_refs"] == len(relationships)
    with database.transaction() as s:
        rows = {r.stix_id: r for r in s.scalars(select(StixObject))}
        indicator = next(o for o in objects if o["type"] == "indicator")
        row = rows[indicator["id"]]
        assert orjson.loads(row.data) == indicator  # stored exactly as sent
        assert row.tlp is TLP.GREEN and row.owner_org_id == member.org_id
        assert row.created_by_id == member.id and row.import_id == job.id
        assert row.name == indicator["name"]
        # Rows written on the bare driver read back through the ORM exactly.
        assert row.stix_modified == datetime.fromisoformat(indicator["modified"])
        assert row.revoked is False and row.labels == ["synthetic"]
        assert row.created_at.tzinfo is not None
        # Every indicator's pattern value and every observable's value are indexed.
        indexed = s.scalar(select(func.count()).select_from(ObservableValue).where(
            ObservableValue.object_id == row.id))
        assert indexed == 1


def test_reimporting_changes_nothing_and_a_newer_version_is_kept(database, community, member,
                                                                tmp_path):
    objects = sample(30)
    run_import(database, community, member, bundle_bytes(objects), tmp_path)
    before = counts(database)
    again = run_import(database, community, member, bundle_bytes(objects), tmp_path)
    assert again.status is ImportStatus.SUCCEEDED
    assert again.objects_stored == 0 and again.objects_unchanged == len(objects)
    assert counts(database) == before
    indicator = copy.deepcopy(next(o for o in objects if o["type"] == "indicator"))
    first_name = indicator["name"]
    indicator["modified"] = "2027-01-01T00:00:00.000Z"
    indicator["name"] = "Renamed in a later version"
    newer = run_import(database, community, member, bundle_bytes([indicator]), tmp_path)
    assert newer.objects_new_versions == 1, newer.errors
    with database.transaction() as s:
        row = s.scalar(select(StixObject).where(StixObject.stix_id == indicator["id"]))
        assert row is not None and row.name == "Renamed in a later version"
        history = s.scalars(select(StixObjectVersion).where(
            StixObjectVersion.object_id == row.id)).all()
        assert [orjson.loads(v.data)["name"] for v in history] == [first_name]
    assert counts(database)["stix_objects"] == before["stix_objects"]


def test_a_bundle_may_put_its_objects_before_its_type(database, community, member, tmp_path):
    objects = sample(10)
    body = orjson.dumps({"objects": objects, "id": f"bundle--{uuid.uuid4()}",
                         "type": "bundle"})
    job = run_import(database, community, member, body, tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, job.message
    assert job.objects_stored == len(objects)


def test_strict_mode_rejects_everything_and_lists_every_error(database, community, member,
                                                              tmp_path):
    objects = sample(20)
    broken = copy.deepcopy(objects)
    del broken[3]["type"]
    broken[7]["id"] = "indicator--not-a-uuid"
    broken[11]["spec_version"] = "2.0"
    job = run_import(database, community, member, bundle_bytes(broken), tmp_path)
    assert job.status is ImportStatus.REJECTED
    assert job.objects_stored == 0 and job.objects_invalid >= 3
    assert {e["index"] for e in job.errors} >= {3, 7, 11}
    assert all(e["message"] for e in job.errors)
    assert counts(database)["stix_objects"] == 0


def test_lenient_mode_keeps_the_valid_and_reports_the_rest(database, community, member,
                                                           tmp_path):
    objects = [o for o in sample(20) if o["type"] != "relationship"]
    broken = copy.deepcopy(objects)
    at = next(i for i, o in enumerate(broken) if "created" in o)
    broken[at]["created"] = "yesterday"
    job = run_import(database, community, member, bundle_bytes(broken), tmp_path,
                     mode="lenient")
    assert job.status is ImportStatus.SUCCEEDED
    assert job.objects_invalid == 1 and job.objects_stored == len(objects) - 1
    assert job.errors[0]["index"] == at and job.errors[0]["id"] == broken[at]["id"]
    assert counts(database)["stix_objects"] == len(objects) - 1


def test_an_object_with_several_problems_counts_once(database, community, member, tmp_path):
    """The invalid count is of objects, not of problems: every object seen is stored,
    unchanged or invalid, and strict mode says how many objects it refused."""
    objects = sample(12)
    malware = next(o for o in objects if o["type"] == "malware")
    rels = [o for o in objects if o["type"] == "relationship"
            and malware["id"] in (o["source_ref"], o["target_ref"])]
    assert rels, "the sample links something to its malware"
    broken = copy.deepcopy(objects)
    bad = next(o for o in broken if o["id"] == malware["id"])
    bad["spec_version"] = None  # "must not be null" and "must be 2.1"
    # A relationship whose two ends both point at nothing.
    orphan = copy.deepcopy(rels[0]) | {
        "id": f"relationship--{uuid.uuid4()}", "source_ref": f"indicator--{uuid.uuid4()}",
        "target_ref": f"malware--{uuid.uuid4()}"}
    job = run_import(database, community, member, bundle_bytes([*broken, orphan]), tmp_path,
                     mode="lenient")
    assert job.status is ImportStatus.SUCCEEDED
    assert len([e for e in job.errors if e["id"] == malware["id"]]) == 2
    assert len([e for e in job.errors if e["id"] == orphan["id"]]) == 2
    invalid = 2 + len(rels)  # the malware, the orphan, what pointed at the malware
    assert job.objects_invalid == invalid
    assert job.objects_seen == job.objects_stored + job.objects_invalid
    assert counts(database)["stix_objects"] == job.objects_stored == len(objects) - 1 - len(rels)
    strict = run_import(database, community, member, bundle_bytes([bad]), tmp_path)
    assert strict.status is ImportStatus.REJECTED and strict.objects_invalid == 1
    assert "1 object is invalid" in strict.message


@pytest.mark.parametrize("data, message", [
    (b'{"type": "bundle", "id": "bundle--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1", "objects": [',
     "valid JSON"),
    (b"not json at all", "valid JSON"),
    (b'[{"type": "indicator"}]', "not a STIX bundle"),
    (b'{"type": "report", "id": "report--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1", "objects": []}',
     "bundle"),
    (b'{"type": "bundle", "id": "bundle--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1",'
     b' "spec_version": "2.0", "objects": []}', "STIX 2.0"),
    (b'{"type": "bundle", "id": "bundle--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1"}', "objects"),
    # Invalid UTF-8 (an encoded surrogate, a stray byte) in the header and in an object.
    (b'{"\xed\xa0\x80type": "bundle", "objects": []}', "valid JSON"),
    (b'{"type": "bundle", "id": "bundle--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1", "objects": '
     b'[{"type": "x-thing", "id": "x-thing--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1",'
     b' "name": "caf\xe9"}]}', "valid JSON"),
])
def test_unreadable_files_fail_clearly_and_store_nothing(database, community, member, tmp_path,
                                                         data, message):
    job = run_import(database, community, member, data, tmp_path)
    assert job.status is ImportStatus.FAILED
    assert message in job.message
    assert counts(database)["stix_objects"] == 0


def test_a_file_truncated_after_valid_objects_stores_nothing(database, community, member,
                                                             tmp_path):
    data = bundle_bytes(sample(3000))
    job = run_import(database, community, member, data[: len(data) * 3 // 4], tmp_path)
    assert job.status is ImportStatus.FAILED and "valid JSON" in job.message
    assert counts(database) == {"stix_objects": 0, "stix_object_versions": 0,
                                "observable_values": 0, "stix_refs": 0}


def test_the_same_object_twice_in_one_bundle_is_an_error(database, community, member,
                                                         tmp_path):
    objects = sample(10)
    job = run_import(database, community, member, bundle_bytes([*objects, objects[4]]),
                     tmp_path, mode="lenient")
    assert job.objects_invalid == 1
    assert job.errors[0]["index"] == len(objects) and "twice" in job.errors[0]["message"]


def test_an_import_cannot_speak_for_another_member(database, community, member, tmp_path):
    other = community.org("Bravo Bank", kind="financial")
    forged = sample(5)[0] | {"created_by_ref": org_identity_id(other.id)}
    own = sample(5, seed=9)[0] | {"created_by_ref": org_identity_id(member.org_id)}
    job = run_import(database, community, member, bundle_bytes([forged, own]), tmp_path,
                     mode="lenient")
    assert job.objects_stored == 1 and job.objects_invalid == 1
    assert job.errors[0]["path"] == "created_by_ref"


def test_markings_in_the_data_are_honoured(database, community, member, tmp_path):
    red, plain = sample(2, seed=5)
    red = red | {"object_marking_refs": [MARKING_BY_TLP[TLP.RED]]}
    run_import(database, community, member, bundle_bytes([red, plain]), tmp_path, tlp="GREEN")
    with database.transaction() as s:
        tlps = {r.stix_id: r.tlp for r in s.scalars(select(StixObject))}
    assert tlps == {red["id"]: TLP.RED, plain["id"]: TLP.GREEN}


def test_the_import_audience_reaches_amber_objects(database, community, member, tmp_path):
    partner = community.org("Bravo Bank", kind="financial")
    job = run_import(database, community, member, bundle_bytes(sample(5)), tmp_path,
                     tlp="AMBER", audience=Audience(org_ids=[partner.id]))
    assert job.status is ImportStatus.SUCCEEDED
    with database.transaction() as s:
        ids = set(s.scalars(select(StixObject.id)))
        granted = set(s.scalars(select(AudienceEntry.record_id).where(
            AudienceEntry.org_id == partner.id)))
    assert ids and granted == ids


def test_an_audience_of_organisations_and_people_reaches_every_amber_object(
        database, community, member, tmp_path):
    partner = community.org("Bravo Bank", kind="financial")
    person = community.user(community.org("Charlie Police", kind="law-enforcement"))
    job = run_import(database, community, member, bundle_bytes(sample(5)), tmp_path,
                     tlp="AMBER", audience=Audience(org_ids=[partner.id], user_ids=[person.id]))
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    with database.transaction() as s:
        ids = set(s.scalars(select(StixObject.id)))
        for column, rid in ((AudienceEntry.org_id, partner.id), (AudienceEntry.user_id, person.id)):
            assert set(s.scalars(select(AudienceEntry.record_id).where(column == rid))) == ids


def test_cli_import_with_progress(database, community, member, settings, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle_bytes(sample(50)))
    result = CliRunner().invoke(cli, ["import", str(path), "--as", member.email,
                                      "--tlp", "GREEN"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    assert counts(database)["stix_objects"] == 50
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"type": "bundle"')
    result = CliRunner().invoke(cli, ["import", str(bad), "--as", member.email])
    assert result.exit_code == 1
    assert "valid JSON" in result.stderr


def test_api_import_runs_in_the_background_and_reports(client, community, member):
    token = community.token(member, scope="write")
    body = bundle_bytes(sample(25))
    r = client.post("/api/v1/import?tlp=GREEN", content=body,
                    headers={**bearer(token), "Content-Type": "application/stix+json"})
    assert r.status_code == 202, r.text
    status = client.get(r.headers["Location"], headers=bearer(token))
    assert status.status_code == 200
    job = status.json()
    assert job["status"] == "succeeded", job
    assert job["counts"]["stored"] == 25 and job["progress"] == 1.0
    # Only its author (and their org's admins) may follow an import.
    outsider = community.user(community.org("Charlie Telecom", kind="telecom"))
    r = client.get(f"/api/v1/imports/{job['id']}", headers=bearer(community.token(outsider)))
    assert r.status_code == 404


def test_api_import_refuses_readers_read_tokens_and_oversized_files(client, community, member,
                                                                    settings):
    body = bundle_bytes(sample(5))
    r = client.post("/api/v1/import?tlp=GREEN", content=body,
                    headers=bearer(community.token(member, scope="read")))
    assert r.status_code == 403
    reader = community.user(community.org("Delta", kind="other"), role="reader")
    r = client.post("/api/v1/import?tlp=GREEN", content=body,
                    headers=bearer(community.token(reader, scope="write")))
    assert r.status_code == 403
    settings.max_import_bytes = 100
    r = client.post("/api/v1/import?tlp=GREEN", content=body,
                    headers=bearer(community.token(member, scope="write")))
    assert r.status_code == 413
    r = client.post("/api/v1/import?tlp=BLUE", content=body,
                    headers=bearer(community.token(member, scope="write")))
    assert r.status_code == 422


def test_a_file_name_with_nul_is_refused_on_both_engines(client, database, community,
                                                        member):
    """PostgreSQL stores no NUL in text: refused by name, before anything is written (a
    NUL in the address is refused before any route reads it)."""
    with database.transaction() as s, pytest.raises(InvalidInput) as refused:
        imports.new_import(s, community.viewer(member), filename="a\x00b.json", tlp="GREEN")
    assert refused.value.details == {"field": "filename"} and "NUL" in refused.value.message
    r = client.post("/api/v1/import?tlp=GREEN&filename=a%00b.json",
                    content=bundle_bytes(sample(5)),
                    headers=bearer(community.token(member, scope="write")))
    assert r.status_code == 400 and "NUL" in r.json()["error"]["message"], r.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Import)) == 0


def test_an_import_reports_its_problems_in_the_language_of_whoever_started_it(
        client, community, member):
    from cyberhub import i18n

    token = community.token(member, scope="write")
    objects = sample(3)
    broken = dict(objects[0], id=objects[0]["id"].replace("-", "_", 1))  # not a STIX id
    body = bundle_bytes([broken, *objects[1:]])
    problems = {}
    for language in ("en", "es", "ar"):
        r = client.post("/api/v1/import?tlp=GREEN&mode=lenient", content=body,
                        headers={**bearer(token), "Content-Type": "application/stix+json",
                                 "Accept-Language": language})
        assert r.status_code == 202, r.text
        job = client.get(r.headers["Location"], headers=bearer(token)).json()
        assert job["counts"]["invalid"] == 1, job
        error = job["errors"][0]
        assert error["path"] == "id" and error["index"] == 0, error
        with i18n.use_locale(language):
            assert error["message"] == i18n.gettext("must be <type>--<UUID>"), language
        problems[language] = error["message"]
    # English is the source; the others come from their catalogues, stored as written.
    assert problems["en"] == "must be <type>--<UUID>"
    assert len(set(problems.values())) == 3, problems


@pytest.fixture
def parallel(monkeypatch):
    """Force the two-process import (read and validate in a child, store here)."""
    from cyberhub.intel import importer

    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)


def test_parallel_import_stores_the_same_as_sequential(database, community, member, tmp_path,
                                                       parallel):
    objects = sample(5000, seed=21)
    job = run_import(database, community, member, bundle_bytes(objects), tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    assert job.objects_stored == len(objects) and job.bytes_done > 0
    assert counts(database)["stix_objects"] == len(objects)
    again = run_import(database, community, member, bundle_bytes(objects), tmp_path)
    assert again.objects_unchanged == len(objects)


def test_parallel_import_reports_errors_and_broken_files(database, community, member, tmp_path,
                                                         parallel):
    objects = sample(3000, seed=22)
    broken = copy.deepcopy(objects)
    broken[2500]["spec_version"] = "2.0"
    job = run_import(database, community, member, bundle_bytes(broken), tmp_path)
    assert job.status is ImportStatus.REJECTED
    assert [e["index"] for e in job.errors] == [2500]
    data = bundle_bytes(objects)
    job = run_import(database, community, member, data[: len(data) // 2], tmp_path)
    assert job.status is ImportStatus.FAILED and "valid JSON" in job.message
    assert counts(database)["stix_objects"] == 0


def test_the_reader_process_writes_problems_in_the_language_of_the_import(
        database, community, member, tmp_path, parallel):
    from cyberhub import i18n

    objects = sample(50, seed=23)
    broken = copy.deepcopy(objects)
    broken[7]["spec_version"] = "2.0"
    with i18n.use_locale("fr"):
        job = run_import(database, community, member, bundle_bytes(broken), tmp_path,
                         mode="lenient")
        expected = i18n.gettext("must be 2.1")
    assert job.objects_invalid == 1
    assert job.errors[0]["message"] == expected != "must be 2.1"


def test_relationships_must_point_at_something_visible(database, community, member, tmp_path):
    gen = Generator(seed=23)
    family, ind = gen.malware(), gen.indicator()
    ghost = f"malware--{uuid.uuid4()}"
    good = gen.relationship(ind["id"], family["id"])
    dangling = gen.relationship(ind["id"], ghost)
    backwards = gen.relationship(ghost, family["id"])
    objects = [family, ind, good, dangling, backwards]
    job = run_import(database, community, member, bundle_bytes(objects), tmp_path)
    assert job.status is ImportStatus.REJECTED
    assert {(e["id"], e["path"]) for e in job.errors} == {
        (dangling["id"], "target_ref"), (backwards["id"], "source_ref")}
    assert counts(database)["stix_objects"] == 0
    job = run_import(database, community, member, bundle_bytes(objects), tmp_path,
                     mode="lenient")
    assert job.status is ImportStatus.SUCCEEDED and job.objects_stored == 3
    assert counts(database)["stix_refs"] == 1
    # Pointing at another member's object works when the importer may see it, and
    # fails exactly like a missing one when it may not.
    other = community.user(community.org("Echo Police", kind="law-enforcement"))
    seen, hidden = gen.malware(), gen.malware()
    run_import(database, community, other, bundle_bytes([seen]), tmp_path, tlp="GREEN")
    run_import(database, community, other, bundle_bytes([hidden]), tmp_path, tlp="RED")
    job = run_import(database, community, member,
                     bundle_bytes([gen.relationship(ind["id"], seen["id"]),
                                   gen.relationship(ind["id"], hidden["id"])]),
                     tmp_path, mode="lenient")
    assert job.objects_stored == 1
    assert [e["path"] for e in job.errors] == ["target_ref"]
    assert hidden["id"] in job.errors[0]["message"]


def test_what_dangles_is_judged_on_the_versions_an_import_leaves(database, community, member,
                                                                 tmp_path):
    """A relationship given twice in one bundle is checked as its newest version stands:
    a newer version may mend a dangling end, or break a good one."""
    gen = Generator(seed=29)
    family, ind = gen.malware(), gen.indicator()
    ghost = f"malware--{uuid.uuid4()}"
    mended = gen.relationship(ind["id"], ghost)
    broken = gen.relationship(ind["id"], family["id"])
    later = "2031-01-01T00:00:00.000Z"
    objects = [family, ind, mended, {**mended, "target_ref": family["id"], "modified": later},
               broken, {**broken, "target_ref": ghost, "modified": later}]
    job = run_import(database, community, member, bundle_bytes(objects), tmp_path,
                     mode="lenient")
    assert [(e["id"], e["path"]) for e in job.errors] == [(broken["id"], "target_ref")]
    assert job.objects_stored == 3
    assert counts(database)["stix_refs"] == 1


def test_an_endless_object_is_cut_off_while_streaming(database, community, member, tmp_path):
    """ijson builds each object in memory: one object of many megabytes (or a nesting
    bomb) must stop the import before it is built, not after."""
    from cyberhub.intel import importer

    head = b'{"type": "bundle", "id": "bundle--6d3a3bb4-44c5-4c7b-a1d4-2f0c2a2bd8d1", "objects": ['
    first = orjson.dumps(sample(1)[0])
    huge = b'{"type": "note", "content": "' + b"A" * (importer.MAX_STREAMED_OBJECT_BYTES + 256 * 1024) + b'"}'
    job = run_import(database, community, member, head + first + b"," + huge + b"]}", tmp_path)
    assert job.status is ImportStatus.FAILED
    assert "Object 1 of the bundle is larger than" in job.message
    bomb = b"[" * 200_000 + b"]" * 200_000
    job = run_import(database, community, member, head + bomb + b"]}", tmp_path)
    assert job.status is ImportStatus.FAILED
    assert counts(database)["stix_objects"] == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=20)


def _ijson_objects(body: bytes) -> list[Any] | None:
    """The entries of "objects" as ijson reads them (None: not valid JSON)."""
    import io

    import ijson

    try:
        return list(ijson.items(io.BytesIO(body), "objects.item", use_float=True))
    except ijson.JSONError:
        return None


def _reader_objects(body: bytes) -> list[Any] | None:
    import io

    from cyberhub.intel import importer

    try:
        return list(importer._BundleReader(io.BytesIO(body)).objects())
    except importer.ImportFileError:
        return None


tricky_strings = st.text(alphabet=st.sampled_from(
    ['"', "\\", "}", "{", "]", "[", ",", " ", "a", "\n", "\ud800", "é", "\x00"]), max_size=12)
tricky_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_strings, inner,
                                                               max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(tricky_values | st.dictionaries(tricky_strings, tricky_values),
                        max_size=6),
       indent=st.sampled_from([None, 0, 2]), cut=st.none() | st.integers(0, 400),
       flip=st.none() | st.tuples(st.integers(0, 400), st.sampled_from(b'",}]{[: x0\\')))
def test_the_bundle_reader_reads_what_ijson_reads(entries, indent, cut, flip):
    """The importer scans for entries and decodes them with orjson; it must find exactly
    the objects ijson finds, and refuse exactly the files ijson refuses."""
    import json

    body = json.dumps({"type": "bundle", "objects": entries, "x_after": entries[:1]},
                      indent=indent).encode()
    if cut is not None:
        body = body[:cut]
    if flip is not None and flip[0] < len(body):
        body = body[:flip[0]] + bytes([flip[1]]) + body[flip[0] + 1:]
    expected = _ijson_objects(body)
    assert _reader_objects(body) == expected


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_bundles_never_crash_and_never_half_write(database, community, member,
                                                         tmp_path, data):
    """Mutated real objects and random JSON: the import ends in a clear state (stored,
    rejected or failed with a message), and a failed one leaves nothing behind."""
    objects = copy.deepcopy(sample(6, seed=data.draw(st.integers(0, 5))))
    for obj in objects:
        for _ in range(data.draw(st.integers(0, 2))):
            key = data.draw(st.sampled_from([*sorted(obj), "x_custom", "created_by_ref"]))
            obj[key] = data.draw(json_values)
    extra = data.draw(st.lists(json_values, max_size=2))
    body = bundle_bytes(objects + extra)
    if data.draw(st.booleans()):
        body = body[: data.draw(st.integers(0, len(body)))]
    before = counts(database)
    job = run_import(database, community, member, body, tmp_path,
                     mode=data.draw(st.sampled_from(["strict", "lenient"])))
    assert job.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED)
    assert "unexpectedly" not in job.message, job.message
    if job.status is not ImportStatus.SUCCEEDED:
        assert job.message and counts(database) == before
    for problem in job.errors:
        assert problem["message"]


def test_every_named_object_of_a_large_batch_is_found_by_full_text(database, community,
                                                                    member, tmp_path, client):
    """One import batch shares a millisecond; the full-text index must still hold every
    object (its rowids once collided and dropped about a third of a large import)."""
    gen = Generator(seed=11)
    objects = []
    for i in range(3000):
        obj = gen.indicator("ipv4")
        obj["name"] = f"batchword{i:04d} beacon"
        objects.append(obj)
    job = run_import(database, community, member, bundle_bytes(objects), tmp_path)
    assert job.objects_stored == 3000
    token = community.token(member)
    for i in (0, 1234, 2999):
        found = client.get("/api/v1/objects", params={"q": f"batchword{i:04d}"},
                           headers=bearer(token)).json()
        assert [o["name"] for o in found["items"]] == [f"batchword{i:04d} beacon"]
    everything = client.get("/api/v1/objects", params={"q": "beacon", "limit": 1},
                            headers=bearer(token)).json()
    seen, cursor = 0, None
    while True:
        page = client.get("/api/v1/objects", params={"q": "beacon", "limit": 200,
                                                     **({"cursor": cursor} if cursor else {})},
                          headers=bearer(token)).json()
        seen += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert everything["items"] and seen == 3000
    # The ids are time-ordered UUIDs (version 7, RFC variant), distinct in their low 64
    # bits, which are the full-text rowids.
    with database.transaction() as s:
        ids = s.scalars(select(StixObject.id)).all()
    assert len(ids) == 3000
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert len({i.int & (1 << 64) - 1 for i in ids}) == 3000
