"""The OASIS ``taxii2-client`` (unmodified) against the hub served by uvicorn on loopback:
discovery, API root, collections, filtered reads, paging with ``as_pages``, manifest,
object versions, writes with status polling, deletes — HTTP Basic with the user's e-mail
and an API token."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from cyberhub.db import Database
from cyberhub.intel.markings import TLP2
from cyberhub.intel.synthetic import Generator
from cyberhub.taxii.media import STIX, TAXII
from tests.factories import Community
from tests.live import serve
from tests.taxii.conftest import Hub, add_collection, import_objects

# The TLP 2.0 marking the hub adds to what it serves (the test data carries none).
HUB_MARKINGS = set(TLP2)


@pytest.fixture
def live(app: Any) -> Iterator[str]:
    """The test's app (its engine, its database) on a loopback port."""
    with serve(app) as url:
        yield url


def objects(n: int, seed: int) -> list[dict[str, Any]]:
    return list(Generator(seed=seed).objects(n))


def revised(obj: dict[str, Any], modified: str) -> dict[str, Any]:
    newer = copy.deepcopy(obj)
    newer["modified"] = modified
    newer["name"] = f"{obj.get('name', 'x')} (revised {modified[:10]})"
    return newer


def unmarked(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as served, without the marking the hub adds."""
    plain = dict(obj)
    refs = [r for r in plain.get("object_marking_refs", []) if r not in HUB_MARKINGS]
    if refs:
        plain["object_marking_refs"] = refs
    else:
        plain.pop("object_marking_refs", None)
    return plain


def ana_root(live: str, hub: Hub) -> ApiRoot:
    return ApiRoot(f"{live}/taxii2/hub/", user=hub.ana.email, password=hub.ana_token)


def collection_as(live: str, email: str, token: str, collection_id: Any) -> Collection:
    return Collection(f"{live}/taxii2/hub/collections/{collection_id}/", user=email,
                      password=token)


def test_discovery_api_root_and_collections(live: str, database: Database, hub: Hub) -> None:
    add_collection(database, hub.operator, title="Shared", alias="shared", writable=True,
                   description="All shared intelligence")
    add_collection(database, hub.operator, title="Indicators", types=["indicator"])
    with Server(f"{live}/taxii2/", user=hub.ana.email, password=hub.ana_token) as server:
        assert server.title
        assert server.default is not None
        assert server.default.url == f"{live}/taxii2/hub/"
        assert [r.url for r in server.api_roots] == [f"{live}/taxii2/hub/"]
        root = server.api_roots[0]
        assert root.versions == [TAXII]
        assert root.max_content_length > 0
        found = {c.title: c for c in root.collections}
        assert set(found) == {"Shared", "Indicators"}
        shared = found["Shared"]
        assert shared.alias == "shared"
        assert shared.description == "All shared intelligence"
        assert shared.can_read and shared.can_write
        assert shared.media_types == [STIX]
        assert not found["Indicators"].can_write
    # A reader reads but may not write; the client refuses before sending anything.
    reader = collection_as(live, hub.reader.email, hub.reader_token, shared.id)
    assert reader.can_read and not reader.can_write
    with pytest.raises(AccessError):
        reader.add_objects({"objects": objects(1, 30)})
    # Wrong credentials: the server answers 401.
    with pytest.raises(requests.HTTPError) as refused:
        Server(f"{live}/taxii2/", user=hub.bo.email, password=hub.ana_token).refresh()
    assert refused.value.response.status_code == 401


def test_filtered_reads_manifest_object_and_versions(live: str, database: Database,
                                                     community: Community, hub: Hub,
                                                     tmp_path: Path) -> None:
    sent = objects(30, 31)
    first = next(o for o in sent if o["type"] == "indicator")
    second = revised(first, "2030-01-01T00:00:00.000Z")
    third = revised(first, "2031-06-01T12:30:00.000Z")
    import_objects(database, community, hub.ana, sent[:20], tmp_path)
    import_objects(database, community, hub.ana, [*sent[20:], second], tmp_path)
    import_objects(database, community, hub.ana, [third], tmp_path)
    c = add_collection(database, hub.operator, title="All")
    collection = collection_as(live, hub.ana.email, hub.ana_token, c.id)
    by_id = {o["id"]: o for o in sent}
    by_id[first["id"]] = third

    everything = collection.get_objects()
    assert everything["more"] is False
    assert {o["id"]: unmarked(o) for o in everything["objects"]} == by_id

    types = sorted({o["type"] for o in sent})
    assert len(types) >= 3
    got = collection.get_objects(type=types[:2])["objects"]
    assert {o["id"] for o in got} == {o["id"] for o in sent if o["type"] in types[:2]}
    two = [sent[3]["id"], sent[25]["id"]]
    assert {o["id"] for o in collection.get_objects(id=two)["objects"]} == set(two)
    assert collection.get_objects(type="x-nothing-here") == {}

    # Versions: the last by default, all, first, one by its timestamp.
    def versions_of(**filters: Any) -> list[str]:
        found = collection.get_objects(id=first["id"], **filters).get("objects", [])
        return [o["modified"] for o in found]

    assert versions_of() == [third["modified"]]
    assert versions_of(version="all") == [first["modified"], second["modified"],
                                          third["modified"]]
    assert versions_of(version="first") == [first["modified"]]
    assert versions_of(version=second["modified"]) == [second["modified"]]
    assert versions_of(version=["first", "last"]) == [first["modified"], third["modified"]]

    # The manifest lists the same records in date-added order; added_after resumes.
    manifest = collection.get_manifest()["objects"]
    assert [m["id"] for m in manifest] == [o["id"] for o in everything["objects"]]
    assert all(m["media_type"] == STIX for m in manifest)
    dates = [m["date_added"] for m in manifest]
    assert dates == sorted(dates)
    first_batch = collection.get_manifest(version="all")["objects"][19]["date_added"]
    later = collection.get_objects(added_after=first_batch, version="all")["objects"]
    assert sorted((o["id"], o.get("modified", "")) for o in later) == \
        sorted((o["id"], o.get("modified", "")) for o in [*sent[20:], second, third])

    # One object, and its versions.
    one = collection.get_object(first["id"])
    assert [unmarked(o) for o in one["objects"]] == [third]
    every = collection.get_object(first["id"], version="all")["objects"]
    assert [o["modified"] for o in every] == [first["modified"], second["modified"],
                                              third["modified"]]
    history = collection.object_versions(first["id"])
    assert history == {"more": False, "versions": [first["modified"], second["modified"],
                                                   third["modified"]]}
    with pytest.raises(requests.HTTPError) as missing:
        collection.get_object(first["id"][:-4] + "0000")
    assert missing.value.response.status_code == 404


def test_paging_with_as_pages(live: str, database: Database, community: Community, hub: Hub,
                              tmp_path: Path) -> None:
    sent = objects(23, 32)
    import_objects(database, community, hub.ana, sent[:9], tmp_path)
    import_objects(database, community, hub.ana, sent[9:], tmp_path)
    # A second version of three objects: "all" pages through 26 records.
    sdos = [o for o in sent if "modified" in o][:3]
    newer = [revised(o, "2030-02-02T00:00:00.000Z") for o in sdos]
    import_objects(database, community, hub.ana, newer, tmp_path)
    c = add_collection(database, hub.operator, title="All")
    collection = collection_as(live, hub.ana.email, hub.ana_token, c.id)

    def walk(func: Any, per_request: int, **filters: Any) -> list[list[dict[str, Any]]]:
        pages = [envelope.get("objects", [])
                 for envelope in as_pages(func, per_request=per_request, **filters)]
        assert all(len(p) <= per_request for p in pages)
        return pages

    pages = walk(collection.get_objects, 5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [o["id"] for p in pages for o in p]
    assert len(seen) == len(set(seen)) == 23 and set(seen) == {o["id"] for o in sent}
    current = {o["id"]: o for o in [*sent, *newer]}
    assert all(unmarked(o) == current[o["id"]] for p in pages for o in p)

    records = [(o["id"], o.get("modified")) for p in walk(collection.get_objects, 4,
                                                          version="all") for o in p]
    assert len(records) == len(set(records)) == 26

    manifest = [m for p in walk(collection.get_manifest, 7) for m in p]
    assert [m["id"] for m in manifest] == seen

    # A filter holds across pages (the next token is bound to it).
    kind = sent[0]["type"]
    typed = [o["id"] for p in walk(collection.get_objects, 2, type=kind) for o in p]
    assert sorted(typed) == sorted(o["id"] for o in sent if o["type"] == kind)


def test_add_objects_status_and_delete(live: str, database: Database, hub: Hub) -> None:
    c = add_collection(database, hub.operator, title="Drop box", writable=True,
                       write_tlp="green")
    root = ana_root(live, hub)
    collection = next(x for x in root.collections if x.id == str(c.id))
    good = objects(6, 33)
    bad = {"type": "indicator", "id": "indicator--7d1c5c7e-44a5-4f0f-9b5f-0d6f3c8f2a11",
           "spec_version": "2.1", "created": "2026-01-01T00:00:00.000Z",
           "modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = ",
           "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
    status = collection.add_objects({"objects": [*good, bad]}, wait_for_completion=True,
                                    poll_interval=0.05, timeout=30)
    assert status.status == "complete"
    assert status.total_count == 7
    assert status.success_count == 6 and status.failure_count == 1
    assert {s["id"] for s in status.successes} == {o["id"] for o in good}
    assert [f["id"] for f in status.failures] == [bad["id"]]
    # The status resource is there to poll later too.
    again = root.get_status(status.id)
    assert (again.status, again.success_count, again.failure_count) == ("complete", 6, 1)

    stored = collection.get_objects()["objects"]
    assert {o["id"]: unmarked(o) for o in stored} == {o["id"]: o for o in good}

    # A second version, then deletes: the latest goes first, then the object.
    target = next(o for o in good if "modified" in o)
    newer = revised(target, "2030-03-03T00:00:00.000Z")
    assert collection.add_objects({"objects": [newer]}, poll_interval=0.05,
                                  timeout=30).success_count == 1
    assert collection.object_versions(target["id"])["versions"] == [target["modified"],
                                                                    newer["modified"]]
    collection.delete_object(target["id"])
    assert [unmarked(o) for o in collection.get_object(target["id"])["objects"]] == [target]
    collection.delete_object(target["id"], version="all")
    with pytest.raises(requests.HTTPError) as gone:
        collection.get_object(target["id"])
    assert gone.value.response.status_code == 404
    assert {o["id"] for o in collection.get_objects()["objects"]} == \
        {o["id"] for o in good} - {target["id"]}
    # Beta's analyst sees Ana's objects but may not delete them.
    as_bo = collection_as(live, hub.bo.email, hub.bo_token, c.id)
    other = next(o for o in good if o["id"] != target["id"])
    with pytest.raises(requests.HTTPError) as forbidden:
        as_bo.delete_object(other["id"])
    assert forbidden.value.response.status_code == 403
