"""A large MISP source is converted while it is imported (the converter runs in the
importer's reading process, which validates each object as it is made): what it stores,
reports and refuses must be what converting to a file first gives. Both paths are forced
here on small feeds, on both engines."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.intel import importer, imports
from cyberhub.intel.importer import ImportCounts
from cyberhub.intel.models import Import, ImportStatus, ObservableValue, StixObject, StixRef
from cyberhub.sharing import AudienceEntry
from tests.factories import Community

FIXTURES = Path(__file__).parents[2] / "fixtures" / "misp"
EVENT_2 = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
NS = uuid.UUID("0f0e0d0c-0b0a-4909-8807-060504030201")
# More than one batch of the importer (importer.BATCH objects), so that a batch is stored
# before the conversion reaches what follows.
MANY = 2600


def many_attributes(feed: Path, timestamp: int) -> None:
    """Add to ``feed`` an event of MANY attributes of several kinds, some unknown to the
    mapping (each a notice), some repeated (one observable for several attributes)."""
    kinds = [("ip-dst", lambda n: f"198.51.{n // 250 % 250}.{n % 250 + 1}"),
             ("domain", lambda n: f"host{n % 900}.example"),
             ("md5", lambda n: f"{n:032x}"),
             ("email-src", lambda n: f"user{n}@mail.example"),
             ("x-unknown-kind", lambda n: f"value {n}")]
    attributes = []
    for n in range(MANY):
        kind, value = kinds[n % len(kinds)]
        attributes.append({
            "uuid": str(uuid.uuid5(NS, f"attribute {n}")), "type": kind, "value": value(n),
            "category": "Network activity", "to_ids": n % 3 != 0,
            "timestamp": str(timestamp), "distribution": "5",
            "Tag": [{"name": "tlp:amber"}] if n % 50 == 0 else []})
    event_uuid = str(uuid.uuid5(NS, "event"))
    event = {"uuid": event_uuid, "info": "Many attributes", "date": "2025-02-01",
             "timestamp": str(timestamp), "distribution": "1", "analysis": "2",
             "threat_level_id": "2", "Tag": [{"name": "tlp:green"}], "Attribute": attributes}
    (feed / f"{event_uuid}.json").write_text(json.dumps({"Event": event}))
    manifest = json.loads((feed / "manifest.json").read_text())
    manifest[event_uuid] = {"info": event["info"], "timestamp": str(timestamp)}
    (feed / "manifest.json").write_text(json.dumps(manifest))


def make_feed(tmp_path: Path, name: str, timestamp: int = 1741000000) -> Path:
    """The fixture feed (two events) and the event of many attributes."""
    feed = tmp_path / name
    shutil.copytree(FIXTURES / "feed", feed)
    many_attributes(feed, timestamp)
    return feed


def pipe_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Convert while importing whatever the source's size (as from 8 MiB), and never
    into a file."""
    def no_file(*_args: Any) -> None:
        raise AssertionError("converted into a file")

    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "two_cores", lambda: True)
    monkeypatch.setattr(imports, "_convert", no_file)


@pytest.fixture
def pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe_always(monkeypatch)


def run_misp(database: Database, community: Community, user: User, path: Path,
             reports: list[ImportCounts] | None = None) -> Import:
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename=path.name, tlp="GREEN",
                                 fmt="misp")
        imports.stage_file(job, path)
        job_id = job.id
    return imports.run(database, job_id, reports.append if reports is not None else None,
                       keep_source=True)


def stored(database: Database, org_id: uuid.UUID) -> dict[str, Any]:
    """Everything an import left for one organisation, without record ids and times."""
    with database.transaction() as s:
        objects = {o.stix_id: (o.type, o.data, o.tlp, o.pap, o.name, o.description,
                               o.labels, o.confidence, o.revoked, o.vetting, o.source)
                   for o in s.scalars(select(StixObject).where(StixObject.owner_org_id == org_id))}
        values = sorted(s.execute(
            select(StixObject.stix_id, ObservableValue.kind, ObservableValue.value)
            .join(StixObject, StixObject.id == ObservableValue.object_id)
            .where(StixObject.owner_org_id == org_id)).all())
        refs = sorted(s.execute(
            select(StixObject.stix_id, StixRef.source_stix_id, StixRef.target_stix_id,
                   StixRef.kind)
            .join(StixObject, StixObject.id == StixRef.object_id)
            .where(StixObject.owner_org_id == org_id)).all())
        audience = sorted(s.execute(
            select(StixObject.stix_id, AudienceEntry.org_id, AudienceEntry.group_id,
                   AudienceEntry.user_id)
            .join(StixObject, StixObject.id == AudienceEntry.record_id)
            .where(StixObject.owner_org_id == org_id)).all(), key=str)
    return {"objects": objects, "values": values, "refs": refs, "audience": audience}


def outcome(job: Import) -> tuple[Any, ...]:
    return (job.status, job.message, job.objects_seen, job.objects_stored,
            job.objects_invalid, job.notices, job.errors, job.bytes_done)


def test_piped_conversion_stores_what_a_converted_file_does(database, community, tmp_path,
                                                            monkeypatch):
    first = community.user(community.org("Alpha CERT"), role="analyst",
                           email="ana@alpha.example")
    second = community.user(community.org("Gamma Police"), role="analyst",
                            email="gil@gamma.example")
    community.org("Beta Bank")  # in the feed's sharing group: joins both audiences
    feed = make_feed(tmp_path, "feed")
    by_file = run_misp(database, community, first, feed)
    assert by_file.status is ImportStatus.SUCCEEDED, by_file.message
    pipe_always(monkeypatch)
    reports: list[ImportCounts] = []
    by_pipe = run_misp(database, community, second, feed, reports)
    assert outcome(by_pipe) == outcome(by_file)
    assert by_pipe.objects_stored > MANY and by_pipe.notices, "notices come through the pipe"
    assert stored(database, second.org_id) == stored(database, first.org_id)
    # progress is against the source's bytes, and ends with all of them
    done = [r.bytes_done for r in reports]
    assert done == sorted(done) and 0 < done[-1] == by_pipe.bytes_total == by_pipe.bytes_done


def test_a_conversion_error_mid_stream_stores_nothing(database, community, tmp_path, pipe):
    member = community.user(community.org("Alpha CERT"), role="analyst",
                            email="ana@alpha.example")
    feed = make_feed(tmp_path, "feed", timestamp=1700000000)  # the large event comes first
    (feed / f"{EVENT_2}.json").write_text('{"Event": {"uuid": ')  # the last one is broken
    reports: list[ImportCounts] = []
    job = run_misp(database, community, member, feed, reports)
    assert job.status is ImportStatus.FAILED
    assert f"{EVENT_2}.json is not valid JSON" in job.message, "the converter's own message"
    assert max(r.stored for r in reports) > 0, "a batch was written before the error"
    with database.transaction() as s:
        assert s.scalars(select(StixObject)).first() is None


@pytest.mark.parametrize(("damage", "message"), [
    ("no-manifest", "no manifest.json"),
    ("not-misp", "not MISP event JSON"),
])
def test_a_source_refused_at_once_stores_nothing(database, community, tmp_path, pipe, damage,
                                                 message):
    member = community.user(community.org("Alpha CERT"), role="analyst",
                            email="ana@alpha.example")
    path = make_feed(tmp_path, "feed")
    if damage == "no-manifest":
        (path / "manifest.json").unlink()
    else:
        path = tmp_path / "bundle.json"
        path.write_text('"a string"')
    job = run_misp(database, community, member, path)
    assert job.status is ImportStatus.FAILED and message in job.message, job.message
    with database.transaction() as s:
        assert s.scalars(select(StixObject)).first() is None
