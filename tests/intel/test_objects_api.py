"""The knowledge base through the REST API: who sees which objects, correlations that
respect TLP, search, versions, relationships both ways, sightings, owners' changes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cyberhub.audience import Audience
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.markings import MARKING_BY_TLP
from cyberhub.intel.models import ImportStatus
from cyberhub.intel.synthetic import Generator, bundle_bytes
from cyberhub.sharing import TLP
from tests.factories import Community, bearer

SHARED_IP = "45.13.7.99"


class World:
    def __init__(self, client: TestClient, database: Database, community: Community,
                 tmp: Path) -> None:
        self.client, self.database, self.community, self.tmp = client, database, community, tmp
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        for name, kind in (("alpha", "cert"), ("bravo", "financial"), ("charlie", "law-enforcement"),
                           ("delta", "telecom")):
            self.orgs[name] = community.org(name.title(), kind=kind)
            self.users[name] = community.user(self.orgs[name], email=f"{name}@x.example")
            self.tokens[name] = community.token(self.users[name], scope="write")

    def import_(self, who: str, objects: list[dict[str, Any]], tlp: str = "GREEN",
                audience: list[str] = ()) -> None:  # type: ignore[assignment]
        path = self.tmp / f"{uuid.uuid4()}.json"
        path.write_bytes(bundle_bytes(objects))
        viewer = self.community.viewer(self.users[who])
        with self.database.transaction() as s:
            job = imports.new_import(s, viewer, filename=path.name, tlp=tlp,
                                     audience=Audience(org_ids=[self.orgs[a].id
                                                                for a in audience]))
            imports.stage_file(job, path)
            job_id = job.id
        done = imports.run(self.database, job_id, keep_source=True)
        assert done.status is ImportStatus.SUCCEEDED, (done.message, done.errors)

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=bearer(self.tokens[who]), **kw)

    def post(self, who: str, path: str, json: Any = None) -> Any:
        return self.client.post("/api/v1" + path, headers=bearer(self.tokens[who]), json=json)

    def patch(self, who: str, path: str, json: Any) -> Any:
        return self.client.patch("/api/v1" + path, headers=bearer(self.tokens[who]), json=json)


@pytest.fixture
def world(client, database, community, tmp_path) -> World:
    return World(client, database, community, tmp_path)


def indicator(gen: Generator, ip: str, name: str) -> dict[str, Any]:
    obj = gen.indicator("ipv4")
    obj["pattern"] = f"[ipv4-addr:value = '{ip}']"
    obj["name"] = name
    return obj


def test_correlations_show_only_what_tlp_allows(world: World) -> None:
    gen = Generator(seed=11)
    mine = indicator(gen, SHARED_IP, "Alpha sees a C2 server")
    amber = indicator(gen, SHARED_IP, "Bravo's banking trojan panel")
    red = indicator(gen, SHARED_IP, "Charlie's undercover lead")
    world.import_("alpha", [mine])
    world.import_("bravo", [amber], tlp="AMBER", audience=["alpha"])
    world.import_("charlie", [red], tlp="RED")

    r = world.get("alpha", f"/objects/{mine['id']}/correlations")
    assert r.status_code == 200, r.text
    [corr] = r.json()
    assert (corr["kind"], corr["value"]) == ("ipv4", SHARED_IP)
    assert [o["stix_id"] for o in corr["objects"]] == [amber["id"]]
    assert corr["total"] == 1

    # Delta was named nowhere: only GREEN and CLEAR reach it.
    r = world.get("delta", "/values", params={"value": SHARED_IP})
    assert [o["stix_id"] for o in r.json()[0]["objects"]] == [mine["id"]]
    # Charlie sees its own RED object (as its author) beside the GREEN one.
    r = world.get("charlie", "/values", params={"value": SHARED_IP})
    assert {o["stix_id"] for o in r.json()[0]["objects"]} == {mine["id"], red["id"]}


def test_an_invisible_object_answers_like_a_missing_one(world: World) -> None:
    red = indicator(Generator(seed=12), SHARED_IP, "Charlie's undercover lead")
    world.import_("charlie", [red], tlp="RED")
    own = world.get("charlie", f"/objects/{red['id']}")
    assert own.status_code == 200
    record_id = own.json()["id"]
    missing_stix = f"indicator--{uuid.uuid4()}"
    for path in (f"/objects/{red['id']}", f"/objects/{record_id}",
                 f"/objects/{red['id']}/versions", f"/objects/{record_id}/correlations"):
        hidden = world.get("alpha", path)
        absent = world.get("alpha", path.replace(red["id"], missing_stix)
                           .replace(record_id, str(uuid.uuid4())))
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json() == absent.json()
    listed = world.get("alpha", "/objects", params={"type": "indicator"}).json()["items"]
    assert red["id"] not in {o["stix_id"] for o in listed}


def test_full_text_search_and_filters(world: World) -> None:
    gen = Generator(seed=13)
    objects = [indicator(gen, "45.13.7.1", "Qakbot loader infrastructure"),
               indicator(gen, "45.13.7.2", "Emotet botnet tier two"),
               gen.malware() | {"name": "Qakbot", "description": "A banking trojan turned "
                                                                "loader."}]
    world.import_("alpha", objects)
    found = world.get("bravo", "/objects", params={"q": "qakbot"}).json()["items"]
    assert {o["stix_id"] for o in found} == {objects[0]["id"], objects[2]["id"]}
    found = world.get("bravo", "/objects", params={"q": "qakb", "type": "malware"}).json()
    assert [o["stix_id"] for o in found["items"]] == [objects[2]["id"]]
    found = world.get("bravo", "/objects", params={"q": "trojan"}).json()["items"]
    assert [o["stix_id"] for o in found] == [objects[2]["id"]]
    # Search syntax is never interpreted: operators and quotes are just words.
    for hostile in ('"', "NEAR(", "qakbot OR", "*", "') --", "name:x"):
        r = world.get("bravo", "/objects", params={"q": hostile})
        assert r.status_code == 200, (hostile, r.text)
    by_value = world.get("bravo", "/objects", params={"value": "45.13.7.2"}).json()["items"]
    assert [o["stix_id"] for o in by_value] == [objects[1]["id"]]
    labelled = world.get("bravo", "/objects", params={"label": "synthetic"}).json()["items"]
    assert len(labelled) == 3


def test_dotted_words_are_found_on_both_engines(world: World) -> None:
    gen = Generator(seed=14)
    technique = gen.malware() | {"name": "PowerShell - T1059.001",
                                 "description": "Seen calling home to cdn.example.net."}
    world.import_("alpha", [technique])
    for q in ("T1059.001", "t1059", "powershell t1059.001", "cdn.example.net", "cdn.example"):
        found = world.get("bravo", "/objects", params={"q": q}).json()["items"]
        assert [o["stix_id"] for o in found] == [technique["id"]], q
    assert world.get("bravo", "/objects", params={"q": "T1059.002"}).json()["items"] == []


def test_pages_of_objects_follow_the_cursor(world: World) -> None:
    objects = list(Generator(seed=14).objects(45))
    world.import_("alpha", objects)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 20}
        if cursor:
            params["cursor"] = cursor
        page = world.get("bravo", "/objects", params=params).json()
        seen += [o["stix_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(o["id"] for o in objects)


def test_versions_relationships_and_revocation(world: World) -> None:
    gen = Generator(seed=15)
    family = gen.malware()
    ind = indicator(gen, SHARED_IP, "First name")
    rel = gen.relationship(ind["id"], family["id"])
    world.import_("alpha", [family, ind, rel])
    newer = ind | {"modified": "2027-06-01T00:00:00.000Z", "name": "Second name"}
    world.import_("alpha", [newer])

    versions = world.get("alpha", f"/objects/{ind['id']}/versions").json()
    assert [v["name"] for v in versions] == ["First name", "Second name"]
    # Earlier versions keep no marking of their own: other members see the current one.
    versions = world.get("bravo", f"/objects/{ind['id']}/versions").json()
    assert [v["name"] for v in versions] == ["Second name"]

    links = world.get("bravo", f"/objects/{family['id']}/relationships").json()
    assert [(link["direction"], link["kind"], link["other_stix_id"]) for link in links] == [
        ("in", "relationship:indicates", ind["id"])]
    assert links[0]["other_name"] == "Second name"
    links = world.get("bravo", f"/objects/{ind['id']}/relationships").json()
    assert [(link["direction"], link["other_stix_id"]) for link in links] == [
        ("out", family["id"])]

    assert world.post("bravo", f"/objects/{ind['id']}/revoke").status_code == 403
    revoked = world.post("alpha", f"/objects/{ind['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True and revoked.json()["stix"]["revoked"] is True
    versions = world.get("alpha", f"/objects/{ind['id']}/versions").json()
    assert len(versions) == 3 and versions[-1]["modified"] > versions[-2]["modified"]


def test_owners_change_marking_and_vetting_others_cannot(world: World) -> None:
    ind = indicator(Generator(seed=16), SHARED_IP, "Vet me")
    world.import_("alpha", [ind])
    r = world.patch("bravo", f"/objects/{ind['id']}", {"vetting": "vetted"})
    assert r.status_code == 403
    r = world.patch("alpha", f"/objects/{ind['id']}", {"vetting": "corroborated"})
    assert r.status_code == 200 and r.json()["vetting"] == "corroborated"
    r = world.patch("alpha", f"/objects/{ind['id']}", {"vetting": "sure"})
    assert r.status_code == 422
    r = world.patch("alpha", f"/objects/{ind['id']}",
                    {"tlp": "AMBER", "audience": {"org_ids": [str(world.orgs["delta"].id)]}})
    assert r.status_code == 200 and r.json()["tlp"] == "AMBER"
    assert world.get("bravo", f"/objects/{ind['id']}").status_code == 404
    assert world.get("delta", f"/objects/{ind['id']}").status_code == 200


def test_members_report_sightings(world: World) -> None:
    ind = indicator(Generator(seed=17), SHARED_IP, "Seen around")
    world.import_("alpha", [ind])
    r = world.post("delta", f"/objects/{ind['id']}/sightings",
                   {"count": 3, "first_seen": "2026-03-01T10:00:00Z",
                    "last_seen": "2026-03-02T10:00:00Z", "tlp": "GREEN"})
    assert r.status_code == 201, r.text
    sighting = r.json()["stix"]
    assert sighting["type"] == "sighting" and sighting["sighting_of_ref"] == ind["id"]
    assert sighting["count"] == 3
    listed = world.get("alpha", f"/objects/{ind['id']}/sightings").json()
    assert [s["stix_id"] for s in listed] == [sighting["id"]]
    # A RED sighting stays with its reporter.
    world.post("delta", f"/objects/{ind['id']}/sightings", {"tlp": "RED"})
    assert len(world.get("alpha", f"/objects/{ind['id']}/sightings").json()) == 1
    assert len(world.get("delta", f"/objects/{ind['id']}/sightings").json()) == 2
    bad = world.post("delta", f"/objects/{ind['id']}/sightings",
                     {"first_seen": "2026-03-02T10:00:00Z", "last_seen": "2026-03-01T10:00:00Z"})
    assert bad.status_code == 422
    bad = world.post("delta", f"/objects/{ind['id']}/sightings", {"count": 0})
    assert bad.status_code == 422


def test_value_lookup_refuses_nonsense(world: World) -> None:
    r = world.get("alpha", "/values", params={"value": "not an observable at all"})
    assert r.status_code == 422
    r = world.get("alpha", "/values", params={"value": "1.2.3.4", "kind": "domain"})
    assert r.status_code == 422


def test_unknown_value_kind_is_refused_by_name(world: World) -> None:
    """Found by the API fuzzer: an unknown kind used to answer 500 on all four paths."""
    refused = [
        world.get("alpha", "/values", params={"value": SHARED_IP, "kind": "arrests"}),
        world.get("alpha", "/values/partners", params={"value": SHARED_IP, "kind": "arrests"}),
        world.get("alpha", "/objects", params={"value": SHARED_IP, "kind": "arrests"}),
        world.post("alpha", "/values/lookup", {"values": [SHARED_IP], "kind": "arrests"}),
    ]
    for r in refused:
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["details"] == {"field": "kind"}
        assert "'arrests'" in error["message"] and "ipv4" in error["message"]


def test_marking_in_data_makes_an_import_stricter(world: World) -> None:
    ind = indicator(Generator(seed=18), SHARED_IP, "Marked AMBER+STRICT in the data")
    ind["object_marking_refs"] = [MARKING_BY_TLP[TLP.AMBER_STRICT]]
    world.import_("alpha", [ind], tlp="GREEN")
    assert world.get("alpha", f"/objects/{ind['id']}").json()["tlp"] == "AMBER+STRICT"
    assert world.get("bravo", f"/objects/{ind['id']}").status_code == 404


def test_bulk_lookup_answers_only_for_visible_objects(world: World) -> None:
    gen = Generator(seed=19)
    world.import_("alpha", [indicator(gen, SHARED_IP, "green")])
    world.import_("charlie", [indicator(gen, "45.13.7.100", "red")], tlp="RED")
    body = {"values": [SHARED_IP, "045.13.7.99", "45.13.7.100", "not a value", "8.8.4.4"]}
    r = world.post("bravo", "/values/lookup", body)
    assert r.status_code == 200, r.text
    assert [(h["value"], h["kind"], h["normalised"]) for h in r.json()] == [
        (SHARED_IP, "ipv4", SHARED_IP)]
    hits = world.post("charlie", "/values/lookup", body).json()
    assert {h["normalised"] for h in hits} == {SHARED_IP, "45.13.7.100"}
    too_many = world.post("bravo", "/values/lookup", {"values": ["1.1.1.1"] * 10_001})
    assert too_many.status_code == 422


def test_bulk_lookup_finds_a_value_past_carriers_the_asker_may_not_see(world: World) -> None:
    gen = Generator(seed=23)
    # Charlie's RED records carry both addresses; only one also has an Alpha GREEN
    # carrier, imported after them. Non-ASCII names travel intact.
    world.import_("charlie", [indicator(gen, "45.13.7.101", "red"),
                              indicator(gen, "45.13.7.102", "red"),
                              indicator(gen, "45.13.7.101", "red again")], tlp="RED")
    world.import_("alpha", [indicator(gen, "45.13.7.101", "green")])
    domain = {"type": "domain-name", "spec_version": "2.1",
              "id": "domain-name--5f1f44a5-40d3-5a6e-9ac6-6a0e50c0b7a4", "value": "bücher.example"}
    world.import_("alpha", [domain])
    body = {"values": ["45.13.7.101", "45.13.7.102", "BÜCHER.example"]}
    hits = world.post("bravo", "/values/lookup", body).json()
    assert sorted((h["value"], h["normalised"]) for h in hits) == [
        ("45.13.7.101", "45.13.7.101"), ("BÜCHER.example", "xn--bcher-kva.example")]
