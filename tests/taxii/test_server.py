"""The TAXII 2.1 server over HTTP: discovery, collections, objects, manifest, versions,
pagination, filters, media types, errors, writes and deletes — every answer under the
sharing rules."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.audience import Audience
from cyberhub.audit import AuditEntry
from cyberhub.db import Database
from cyberhub.intel.synthetic import Generator
from cyberhub.taxii.media import STIX, TAXII
from tests.factories import Community, bearer
from tests.taxii.conftest import Hub, add_collection, basic, import_objects

ROOT = "/taxii2/hub"


def taxii(token: str) -> dict[str, str]:
    return {**bearer(token), "Accept": TAXII}


def objects(n: int, seed: int) -> list[dict[str, Any]]:
    return list(Generator(seed=seed).objects(n))


def sdo(seed: int) -> dict[str, Any]:
    return next(o for o in Generator(seed=seed).objects(50) if o.get("modified"))


def later(obj: dict[str, Any], modified: str) -> dict[str, Any]:
    newer = copy.deepcopy(obj)
    newer["modified"] = modified
    newer["name"] = f"{obj.get('name', 'x')} (revised {modified[:10]})"
    return newer


def test_discovery_and_api_root(client: TestClient, hub: Hub) -> None:
    found = client.get("/taxii2/", headers=taxii(hub.ana_token))
    assert found.status_code == 200
    assert found.headers["content-type"] == TAXII
    body = found.json()
    assert body["api_roots"] == ["http://testserver/taxii2/hub/"]
    assert body["default"] == "http://testserver/taxii2/hub/"
    root = client.get(f"{ROOT}/", headers=taxii(hub.ana_token)).json()
    assert root["versions"] == [TAXII] and root["max_content_length"] > 0
    missing = client.get("/taxii2/nope/", headers=taxii(hub.ana_token))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == TAXII
    assert missing.json()["http_status"] == "404" and missing.json()["title"]


def test_authentication(client: TestClient, hub: Hub) -> None:
    none = client.get("/taxii2/", headers={"Accept": TAXII})
    assert none.status_code == 401
    assert "Basic" in none.headers["www-authenticate"]
    assert "Bearer" in none.headers["www-authenticate"]
    assert none.json()["title"] == "Unauthorized"
    assert client.get("/taxii2/", headers=basic("ana@alpha.example", hub.ana_token)
                      ).status_code == 200
    # Someone else's e-mail with Ana's token, a wrong token, garbage credentials.
    assert client.get("/taxii2/", headers=basic("bo@beta.example", hub.ana_token)
                      ).status_code == 401
    assert client.get("/taxii2/", headers=basic("ana@alpha.example", "chub_wrong")
                      ).status_code == 401
    assert client.get("/taxii2/", headers={"Authorization": "Basic !!!", "Accept": TAXII}
                      ).status_code == 401
    assert client.get("/taxii2/", headers={"Authorization": "Digest x", "Accept": TAXII}
                      ).status_code == 401


@pytest.mark.parametrize("accept", ["application/json", "application/taxii+json;version=2.0",
                                    "text/html", ""])
def test_accept_must_name_taxii_21(client: TestClient, hub: Hub, accept: str) -> None:
    found = client.get("/taxii2/", headers={**bearer(hub.ana_token), "Accept": accept})
    assert found.status_code == 406
    assert found.headers["content-type"] == TAXII


def test_bare_taxii_media_type_is_accepted(client: TestClient, hub: Hub) -> None:
    found = client.get("/taxii2/", headers={**bearer(hub.ana_token),
                                            "Accept": "application/taxii+json"})
    assert found.status_code == 200


def test_collections_and_permissions(client: TestClient, database: Database, hub: Hub) -> None:
    assert client.get(f"{ROOT}/collections/", headers=taxii(hub.ana_token)).json() == {}
    open_ = add_collection(database, hub.operator, title="Shared", alias="shared",
                           writable=True, description="All shared intelligence")
    add_collection(database, hub.operator, title="Indicators", types=["indicator"])
    listed = client.get(f"{ROOT}/collections/", headers=taxii(hub.bo_token)).json()
    assert [c["title"] for c in listed["collections"]] == ["Indicators", "Shared"]
    one = client.get(f"{ROOT}/collections/{open_.id}/", headers=taxii(hub.bo_token)).json()
    assert one == {"id": str(open_.id), "title": "Shared", "alias": "shared",
                   "description": "All shared intelligence", "can_read": True,
                   "can_write": True, "media_types": [STIX]}
    # A reader, and a read token, may read but not write.
    as_reader = client.get(f"{ROOT}/collections/shared/", headers=taxii(hub.reader_token))
    assert as_reader.json()["can_write"] is False and as_reader.json()["can_read"] is True
    assert client.get(f"{ROOT}/collections/{open_.id}x/", headers=taxii(hub.bo_token)
                      ).status_code == 404


def test_objects_follow_the_sharing_rules(client: TestClient, database: Database,
                                          community: Community, hub: Hub,
                                          tmp_path: Path) -> None:
    green, amber, red = objects(5, 1), objects(4, 2), objects(3, 3)
    import_objects(database, community, hub.ana, green, tmp_path, tlp="GREEN")
    import_objects(database, community, hub.ana, amber, tmp_path, tlp="AMBER",
                   audience=Audience(org_ids=[hub.beta.id]))
    import_objects(database, community, hub.ana, red, tmp_path, tlp="RED")
    c = add_collection(database, hub.operator, title="All")
    url = f"{ROOT}/collections/{c.id}/objects/"

    def ids(token: str, **params: Any) -> list[str]:
        got = client.get(url, headers=taxii(token), params=params)
        assert got.status_code == 200, got.text
        return [o["id"] for o in got.json().get("objects", [])]

    every = {o["id"] for o in green + amber + red}
    assert set(ids(hub.ana_token)) == every
    assert set(ids(hub.bo_token)) == {o["id"] for o in green + amber}
    outsider = community.user(community.org("Gamma Telecom", kind="telecom"))
    assert set(ids(community.token(outsider))) == {o["id"] for o in green}
    # The hub operator administers but does not read RED.
    assert not set(ids(community.token(hub.operator))) & {o["id"] for o in red}
    # A RED object someone may not see answers like one that does not exist.
    hidden = red[0]["id"]
    for path in (f"{url}{hidden}/", f"{url}{hidden}/versions/"):
        assert client.get(path, headers=taxii(hub.bo_token)).status_code == 404
        assert client.get(path.replace(hidden, hidden[:-4] + "0000"),
                          headers=taxii(hub.bo_token)).status_code == 404
    # Ana's reads of her RED objects are audited.
    with database.transaction() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "taxii.read")).all()
        assert reads and all("ids" in r.details for r in reads)
    # Every object served carries the hub's marking.
    served = client.get(url, headers=taxii(hub.bo_token)).json()["objects"]
    by_id = {o["id"]: o for o in served}
    amber_ref = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    assert all(amber_ref in by_id[o["id"]]["object_marking_refs"] for o in amber)


def test_pagination_and_headers(client: TestClient, database: Database, community: Community,
                                hub: Hub, tmp_path: Path) -> None:
    sent = objects(23, 4)
    import_objects(database, community, hub.ana, sent[:10], tmp_path)
    import_objects(database, community, hub.ana, sent[10:], tmp_path)
    c = add_collection(database, hub.operator, title="All")
    url = f"{ROOT}/collections/{c.id}/objects/"
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 5}
    pages = 0
    while True:
        got = client.get(url, headers=taxii(hub.bo_token), params=params)
        assert got.status_code == 200
        body = got.json()
        pages += 1
        seen += [o["id"] for o in body["objects"]]
        assert got.headers["X-TAXII-Date-Added-First"] <= got.headers["X-TAXII-Date-Added-Last"]
        if not body["more"]:
            assert "next" not in body
            break
        params = {"limit": 5, "next": body["next"]}
    assert pages == 5 and len(seen) == 23 and set(seen) == {o["id"] for o in sent}
    # added_after resumes after the last date seen (strictly after).
    manifest = client.get(f"{ROOT}/collections/{c.id}/manifest/",
                          headers=taxii(hub.bo_token)).json()["objects"]
    assert [m["id"] for m in manifest] == seen
    assert all(m["media_type"] == STIX for m in manifest)
    first_batch_last = manifest[9]["date_added"]
    newer = client.get(url, headers=taxii(hub.bo_token),
                       params={"added_after": first_batch_last}).json()["objects"]
    assert {o["id"] for o in newer} == {o["id"] for o in sent[10:]}
    # Nothing after the newest: an empty envelope and no date headers.
    empty = client.get(url, headers=taxii(hub.bo_token),
                       params={"added_after": manifest[-1]["date_added"]})
    assert empty.json() == {} and "X-TAXII-Date-Added-First" not in empty.headers


def test_next_tokens_are_bound_and_checked(client: TestClient, database: Database,
                                           community: Community, hub: Hub,
                                           tmp_path: Path) -> None:
    import_objects(database, community, hub.ana, objects(6, 5), tmp_path)
    c = add_collection(database, hub.operator, title="All")
    url = f"{ROOT}/collections/{c.id}/objects/"
    token = client.get(url, headers=taxii(hub.bo_token), params={"limit": 2}).json()["next"]
    assert client.get(url, headers=taxii(hub.bo_token),
                      params={"limit": 2, "next": token}).status_code == 200
    for params, who in (({"next": token, "match[type]": "indicator"}, hub.bo_token),
                        ({"next": token}, hub.ana_token),  # another user's token
                        ({"next": token[:-1] + ("0" if token[-1] != "0" else "1")},
                         hub.bo_token),
                        ({"next": "garbage"}, hub.bo_token)):
        bad = client.get(url, headers=taxii(who), params=params)
        assert bad.status_code == 400, params
        assert bad.json()["title"] == "Bad request"
    manifest = f"{ROOT}/collections/{c.id}/manifest/"
    assert client.get(manifest, headers=taxii(hub.bo_token),
                      params={"next": token}).status_code == 400


@pytest.mark.parametrize("params", [
    {"limit": "0"}, {"limit": "many"}, {"added_after": "yesterday"},
    {"added_after": "2026-01-01T00:00:00"}, {"match[version]": "newest"},
    {"match[id]": "not-an-id"}, {"match[type]": "in dicator"}, {"match[colour]": "red"},
    {"match[spec_version]": "two"}])
def test_invalid_filters_are_refused(client: TestClient, database: Database, hub: Hub,
                                     params: dict[str, str]) -> None:
    c = add_collection(database, hub.operator, title="All")
    got = client.get(f"{ROOT}/collections/{c.id}/objects/", headers=taxii(hub.bo_token),
                     params=params)
    assert got.status_code == 400, params
    assert got.headers["content-type"] == TAXII


def test_match_filters(client: TestClient, database: Database, community: Community, hub: Hub,
                       tmp_path: Path) -> None:
    sent = objects(30, 6)
    import_objects(database, community, hub.ana, sent, tmp_path)
    c = add_collection(database, hub.operator, title="All")
    url = f"{ROOT}/collections/{c.id}/objects/"

    def ids(**params: Any) -> set[str]:
        got = client.get(url, headers=taxii(hub.bo_token), params=params)
        assert got.status_code == 200, got.text
        return {o["id"] for o in got.json().get("objects", [])}

    types = sorted({o["type"] for o in sent})
    assert len(types) >= 3
    two = types[:2]
    assert ids(**{"match[type]": ",".join(two)}) == {o["id"] for o in sent if o["type"] in two}
    picked = [sent[0]["id"], sent[5]["id"]]
    assert ids(**{"match[id]": ",".join(picked)}) == set(picked)
    # Fields AND, values OR.
    assert ids(**{"match[id]": ",".join(picked), "match[type]": sent[0]["type"]}) == {
        o["id"] for o in (sent[0], sent[5]) if o["type"] == sent[0]["type"]}
    assert ids(**{"match[spec_version]": "2.1"}) == {o["id"] for o in sent}
    assert ids(**{"match[spec_version]": "2.0"}) == set()


def test_versions(client: TestClient, database: Database, community: Community, hub: Hub,
                  tmp_path: Path) -> None:
    first = sdo(7)
    second = later(first, "2030-01-01T00:00:00.000Z")
    third = later(first, "2031-06-01T00:00:00.000Z")
    for version in (first, second, third):
        import_objects(database, community, hub.ana, [version], tmp_path)
    c = add_collection(database, hub.operator, title="All")
    base = f"{ROOT}/collections/{c.id}/objects/{first['id']}/"
    stamps = [first["modified"], second["modified"], third["modified"]]

    def versions_of(url: str, **params: Any) -> list[str]:
        got = client.get(url, headers=taxii(hub.ana_token), params=params)
        assert got.status_code == 200, got.text
        return [o["modified"] for o in got.json().get("objects", [])]

    assert versions_of(base) == [third["modified"]]  # latest by default
    assert sorted(versions_of(base, **{"match[version]": "all"})) == stamps
    assert versions_of(base, **{"match[version]": "first"}) == [first["modified"]]
    assert sorted(versions_of(base, **{"match[version]": "first,last"})) == [
        first["modified"], third["modified"]]
    assert versions_of(base, **{"match[version]": second["modified"]}) == [second["modified"]]
    listed = client.get(f"{base}versions/", headers=taxii(hub.ana_token))
    assert listed.json() == {"more": False, "versions": stamps}
    assert "X-TAXII-Date-Added-Last" in listed.headers
    paged = client.get(f"{base}versions/", headers=taxii(hub.ana_token), params={"limit": 2})
    assert paged.json()["versions"] == stamps[:2] and paged.json()["more"] is True
    rest = client.get(f"{base}versions/", headers=taxii(hub.ana_token),
                      params={"limit": 2, "next": paged.json()["next"]})
    assert rest.json()["versions"] == stamps[2:]
    # The objects endpoint's "all" lists every version in date-added order.
    every = client.get(f"{ROOT}/collections/{c.id}/objects/", headers=taxii(hub.ana_token),
                       params={"match[version]": "all", "match[id]": first["id"]}).json()
    assert [o["modified"] for o in every["objects"]] == stamps
    assert client.get(f"{base}versions/", headers=taxii(hub.ana_token),
                      params={"match[version]": "all"}).status_code == 400
    # Earlier versions keep no marking of their own: another member sees the current one.
    other = client.get(base, headers=taxii(hub.bo_token), params={"match[version]": "all"})
    assert [o["modified"] for o in other.json()["objects"]] == [third["modified"]]
    assert client.get(f"{base}versions/", headers=taxii(hub.bo_token)).json()["versions"] == [
        third["modified"]]


def test_collection_filters(client: TestClient, database: Database, community: Community,
                            hub: Hub, tmp_path: Path) -> None:
    sent = objects(20, 8)
    import_objects(database, community, hub.ana, sent, tmp_path, tlp="GREEN")
    import_objects(database, community, hub.bo, objects(5, 9), tmp_path, tlp="AMBER")
    kind = sent[0]["type"]
    c = add_collection(database, hub.operator, title="Alpha's", types=[kind], tlps=["green"],
                       owner_org_ids=[str(hub.alpha.id)])
    got = client.get(f"{ROOT}/collections/{c.id}/objects/", headers=taxii(hub.bo_token)).json()
    assert {o["id"] for o in got["objects"]} == {o["id"] for o in sent if o["type"] == kind}


def test_post_objects_and_status(client: TestClient, database: Database, hub: Hub) -> None:
    c = add_collection(database, hub.operator, title="Drop box", writable=True,
                       write_tlp="amber")
    url = f"{ROOT}/collections/{c.id}/objects/"
    good = objects(4, 10)
    bad = {"type": "indicator", "id": "indicator--2f0b7c46-9c1e-4c0a-9d8e-0b1f4b3c2a10",
           "spec_version": "2.1", "created": "2026-01-01T00:00:00.000Z",
           "modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = ",
           "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
    body = orjson.dumps({"objects": [*good, bad]})
    headers = {**taxii(hub.bo_token), "Content-Type": TAXII}
    posted = client.post(url, headers=headers, content=body)
    assert posted.status_code == 202, posted.text
    status = posted.json()
    assert status["total_count"] == 5 and status["id"]
    final = client.get(f"{ROOT}/status/{status['id']}/", headers=taxii(hub.bo_token)).json()
    assert final["status"] == "complete"
    assert final["success_count"] == 4 and final["failure_count"] == 1
    assert [f["id"] for f in final["failures"]] == [bad["id"]]
    assert {s["id"] for s in final["successes"]} == {o["id"] for o in good}
    # Stored as Beta's, AMBER (the collection's default for unmarked objects): Beta sees
    # them, Alpha does not.
    mine = client.get(url, headers=taxii(hub.bo_token)).json()["objects"]
    assert {o["id"] for o in mine} == {o["id"] for o in good}
    assert client.get(url, headers=taxii(hub.ana_token)).json() == {}
    # The status belongs to whoever posted.
    assert client.get(f"{ROOT}/status/{status['id']}/",
                      headers=taxii(hub.ana_token)).status_code == 404


def test_post_refusals(client: TestClient, database: Database, hub: Hub) -> None:
    closed = add_collection(database, hub.operator, title="Read only")
    open_ = add_collection(database, hub.operator, title="Open", writable=True)
    body = orjson.dumps({"objects": objects(1, 11)})
    write = {**taxii(hub.bo_token), "Content-Type": TAXII}
    assert client.post(f"{ROOT}/collections/{closed.id}/objects/", headers=write,
                       content=body).status_code == 403
    url = f"{ROOT}/collections/{open_.id}/objects/"
    assert client.post(url, headers={**write, "Content-Type": "application/json"},
                       content=body).status_code == 415
    assert client.post(url, headers={**taxii(hub.reader_token), "Content-Type": TAXII},
                       content=body).status_code == 403
    for junk in (b"{", b"[]", b'{"objects": {}}', b'{"objects": []}'):
        refused = client.post(url, headers=write, content=junk)
        assert refused.status_code == 400, junk
        assert refused.headers["content-type"] == TAXII


def test_a_post_nested_too_deeply_is_refused(client: TestClient, database: Database,
                                             hub: Hub) -> None:
    """JSON the hub reads but could not write back (orjson reads 1024 levels, writes 255)
    is refused with a TAXII error, and nothing is queued."""
    from sqlalchemy import func

    from cyberhub.intel.models import Import
    from cyberhub.taxii.service import MAX_NESTING

    open_ = add_collection(database, hub.operator, title="Open", writable=True)
    url = f"{ROOT}/collections/{open_.id}/objects/"
    write = {**taxii(hub.bo_token), "Content-Type": TAXII}

    def envelope(levels: int) -> bytes:
        obj = objects(1, 11)[0]
        nested = b"[" * (levels - 1) + b"1" + b"]" * (levels - 1)
        return b'{"objects": [' + orjson.dumps(obj)[:-1] + b', "x_deep": ' + nested + b"}]}"

    deep = client.post(url, headers=write, content=envelope(300))
    assert deep.status_code == 400, deep.text
    assert deep.headers["content-type"] == TAXII
    assert "nested too deeply" in deep.json()["description"]
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Import)) == 0
    assert client.post(url, headers=write, content=envelope(MAX_NESTING)).status_code == 202


def test_oversized_post_is_refused(client: TestClient, database: Database, hub: Hub,
                                   settings: Any) -> None:
    open_ = add_collection(database, hub.operator, title="Open", writable=True)
    huge = b'{"objects": [' + b" " * (settings.max_taxii_bytes + 1) + b"]}"
    refused = client.post(f"{ROOT}/collections/{open_.id}/objects/",
                          headers={**taxii(hub.bo_token), "Content-Type": TAXII}, content=huge)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == TAXII


def test_delete(client: TestClient, database: Database, community: Community, hub: Hub,
                tmp_path: Path) -> None:
    first = sdo(12)
    second = later(first, "2030-01-01T00:00:00.000Z")
    import_objects(database, community, hub.ana, [first], tmp_path)
    import_objects(database, community, hub.ana, [second], tmp_path)
    c = add_collection(database, hub.operator, title="Open", writable=True)
    url = f"{ROOT}/collections/{c.id}/objects/{first['id']}/"
    # Beta sees it but may not delete Alpha's object.
    assert client.delete(url, headers=taxii(hub.bo_token)).status_code == 403
    manifest = f"{ROOT}/collections/{c.id}/manifest/"

    def added() -> dict[str, str]:
        got = client.get(manifest, headers=taxii(hub.ana_token),
                         params={"match[id]": first["id"], "match[version]": "all"}).json()
        return {m["version"]: m["date_added"] for m in got["objects"]}

    before = added()
    # Ana deletes the latest version: the first becomes current again, with the date it
    # was added (deleting a version does not add another one again).
    assert client.delete(url, headers=taxii(hub.ana_token)).status_code == 200
    now = client.get(url, headers=taxii(hub.ana_token)).json()["objects"]
    assert [o["modified"] for o in now] == [first["modified"]]
    assert now[0]["name"] == first["name"]
    assert added() == {first["modified"]: before[first["modified"]]}
    assert client.delete(url, headers=taxii(hub.ana_token)).status_code == 200
    assert client.get(url, headers=taxii(hub.ana_token)).status_code == 404
    assert client.delete(url, headers=taxii(hub.ana_token)).status_code == 404


def test_expired_next_token(client: TestClient, database: Database, community: Community,
                            hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberhub.taxii import paging

    import_objects(database, community, hub.ana, objects(4, 13), tmp_path)
    c = add_collection(database, hub.operator, title="All")
    url = f"{ROOT}/collections/{c.id}/objects/"
    monkeypatch.setattr(paging, "TOKEN_TTL_SECONDS", -1)
    token = client.get(url, headers=taxii(hub.bo_token), params={"limit": 2}).json()["next"]
    expired = client.get(url, headers=taxii(hub.bo_token), params={"limit": 2, "next": token})
    assert expired.status_code == 400 and "expired" in expired.json()["description"]


def test_collection_of_what_a_group_received(client: TestClient, database: Database,
                                             community: Community, hub: Hub,
                                             tmp_path: Path) -> None:
    group = community.group("Bank coalition", orgs=[hub.beta])
    for_group = objects(3, 14)
    import_objects(database, community, hub.ana, for_group, tmp_path, tlp="AMBER",
                   audience=Audience(group_ids=[group.id]))
    import_objects(database, community, hub.ana, objects(3, 15), tmp_path, tlp="AMBER",
                   audience=Audience(org_ids=[hub.beta.id]))
    import_objects(database, community, hub.ana, objects(3, 16), tmp_path, tlp="GREEN")
    c = add_collection(database, hub.operator, title="Coalition", audience_ids=[str(group.id)])
    got = client.get(f"{ROOT}/collections/{c.id}/objects/", headers=taxii(hub.bo_token)).json()
    assert {o["id"] for o in got["objects"]} == {o["id"] for o in for_group}
    # The filter narrows; it never shows what the sharing rules hide.
    assert client.get(f"{ROOT}/collections/{c.id}/objects/",
                      headers=taxii(community.token(community.user(
                          community.org("Gamma Telecom", kind="telecom"))))).json() == {}
