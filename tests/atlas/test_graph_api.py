"""The interactive graph's API: start, expand, aggregate beyond the budget, page an
aggregate, filter, export — and nothing the asker may not see is sent or counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from stix2validator import ValidationOptions, validate_string

from cyberhub.intel import extensions
from cyberhub.intel import service as intel
from cyberhub.intel.synthetic import bundle_bytes
from tests.atlas.test_chokepoints import CREATED, actor, relationship
from tests.factories import Community, bearer, csrf_of, sign_in
from tests.intel.test_import import run_import

HUB = "malware--00000000-0000-4000-a000-000000000001"
INDICATORS = 60
WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def indicator(n: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-b000-{n:012d}", "created": CREATED,
            "modified": CREATED, "name": f"C2 {n}", "pattern_type": "stix",
            "pattern": f"[ipv4-addr:value = '203.0.113.{n % 250 + 1}']", "valid_from": CREATED}


@pytest.fixture
def world(database, community: Community, tmp_path: Path) -> dict[str, Any]:
    """Alpha shares (GREEN) a loader with 60 indicators, two groups using it, a report
    about it and a wallet; Beta adds an AMBER indicator and an AMBER relationship that
    links a GREEN group to the loader, both for Beta alone."""
    alpha, beta, gamma = (community.org(n) for n in ("Alpha CERT", "Beta Bank", "Gamma Telecom"))
    ana, ben, gina = community.user(alpha), community.user(beta), community.user(gamma)
    loader = {"type": "malware", "spec_version": "2.1", "id": HUB, "created": CREATED,
              "modified": CREATED, "name": "Hub Loader", "is_family": True,
              "malware_types": ["downloader"]}
    one, two, lone = actor("Group One", 1), actor("Group Two", 2), actor("Lone Group", 3)
    wallet = extensions.new_cryptocurrency_wallet("bitcoin", WALLET)
    report = {"type": "report", "spec_version": "2.1",
              "id": "report--00000000-0000-4000-8000-100000000001", "created": CREATED,
              "modified": CREATED, "name": "Hub Loader report", "published": CREATED,
              "object_refs": [HUB, one["id"]]}
    shared: list[dict[str, Any]] = [loader, one, two, lone, report]
    shared += [relationship("uses", one["id"], HUB, 1), relationship("uses", two["id"], HUB, 2),
               relationship("related-to", one["id"], wallet["id"], 3)]
    shared.append(wallet)
    for n in range(INDICATORS):
        shared += [indicator(n), relationship("indicates", indicator(n)["id"], HUB, 100 + n)]
    job = run_import(database, community, ana, bundle_bytes(shared), tmp_path, tlp="GREEN")
    assert job.objects_stored == len(shared), job.errors
    secret = [indicator(999), relationship("indicates", indicator(999)["id"], HUB, 999),
              relationship("uses", lone["id"], HUB, 998)]
    assert run_import(database, community, ben, bundle_bytes(secret), tmp_path,
                      tlp="AMBER").objects_stored == 3
    with database.transaction() as s:
        intel.update_object(s, community.viewer(ana), two["id"], vetting="vetted")
    return {"ana": ana, "ben": ben, "gina": gina, "one": one["id"], "two": two["id"],
            "lone": lone["id"], "wallet": wallet["id"], "report": report["id"],
            "secret": indicator(999)["id"]}


def get(client, community: Community, user, path: str, **params: Any) -> Any:
    return client.get("/api/v1/atlas/graph" + path, params=params,
                      headers=bearer(community.token(user)))


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in body["nodes"]}


def test_start_from_an_object_expands_it_with_an_aggregate_beyond_the_budget(
        client, community, world):
    r = get(client, community, world["gina"], "", start=HUB)
    assert r.status_code == 200, r.text
    body = r.json()
    nodes = by_id(body)
    assert body["nodes"][0]["id"] == HUB and body["nodes"][0]["style"] == "tool"
    # Small groups one by one: the two groups using it, the report naming it.
    assert {world["one"], world["two"], world["report"]} <= set(nodes)
    assert nodes[world["one"]]["style"] == "actor" and nodes[world["report"]]["style"] == "report"
    # 60 indicators are more than the expansion's 50: one aggregate node, counted in SQL.
    aggregates = [n for n in body["nodes"] if n["aggregate"]]
    assert [(a["type"], a["count"], a["via"], a["direction"]) for a in aggregates] == [
        ("indicator", INDICATORS, "indicates", "in")]
    assert not any(n["type"] == "indicator" for n in body["nodes"] if not n["aggregate"])
    assert body["total"] == INDICATORS + 3
    edges = {(e["source"], e["target"], e["via"]) for e in body["edges"]}
    assert (world["one"], HUB, "uses") in edges and (world["report"], HUB, "object_refs") in edges
    assert (aggregates[0]["id"], HUB, "indicates") in edges
    uses = next(e for e in body["edges"] if e["source"] == world["one"] and e["via"] == "uses")
    assert uses["relationship"].startswith("relationship--")
    # A record id starts the same graph.
    record = nodes[HUB]["record"]
    assert get(client, community, world["gina"], "", start=record).json()["nodes"][0]["id"] == HUB


def test_what_the_asker_may_not_see_is_neither_sent_nor_counted(client, community, world):
    for who, expect in (("gina", INDICATORS), ("ana", INDICATORS), ("ben", INDICATORS + 1)):
        body = get(client, community, world[who], "/expand", node=HUB).json()
        aggregate = next(n for n in body["nodes"] if n["aggregate"])
        assert aggregate["count"] == expect, who
        # Lone Group is GREEN, but the only relationship linking it is Beta's AMBER one.
        assert (world["lone"] in by_id(body)) is (who == "ben"), who
        assert (world["secret"] in get(client, community, world[who], "/expand", node=HUB,
                                       via="relationship:indicates", direction="in",
                                       type="indicator", limit=200).text) is (who == "ben")
    body = get(client, community, world["gina"], "/expand", node=world["lone"]).json()
    assert body == {"nodes": [], "edges": [], "total": 0, "next_cursor": None}
    # An object the asker may not see answers like one that does not exist.
    assert get(client, community, world["gina"], "", start=world["secret"]).status_code == 404
    assert get(client, community, world["ben"], "", start=world["secret"]).status_code == 200


def test_an_aggregate_opens_page_by_page(client, community, world):
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"node": HUB, "via": "relationship:indicates",
                                  "direction": "in", "type": "indicator", "limit": 25}
        if cursor:
            params["cursor"] = cursor
        r = get(client, community, world["ana"], "/expand", **params)
        assert r.status_code == 200, r.text
        body = r.json()
        if pages == 0:
            assert body["total"] == INDICATORS
        assert all(e["target"] == HUB and e["via"] == "indicates" for e in body["edges"])
        assert len(body["edges"]) == len(body["nodes"])
        seen += [n["id"] for n in body["nodes"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == INDICATORS
    assert seen == sorted(seen)


def test_filters_narrow_the_neighbours(client, community, world):
    ana = world["ana"]
    body = get(client, community, ana, "/expand", node=HUB, type="intrusion-set").json()
    assert set(by_id(body)) == {world["one"], world["two"]} and body["total"] == 2
    body = get(client, community, ana, "/expand", node=HUB, vetting="vetted").json()
    assert set(by_id(body)) == {world["two"]}
    assert get(client, community, ana, "/expand", node=HUB, tlp="AMBER").json()["total"] == 0
    body = get(client, community, world["ben"], "/expand", node=HUB, tlp="AMBER").json()
    assert set(by_id(body)) == {world["secret"]}
    assert get(client, community, ana, "/expand", node=HUB,
               since="2999-01-01T00:00:00Z").json()["total"] == 0
    assert get(client, community, ana, "/expand", node=HUB,
               until="2999-01-01T00:00:00Z").json()["total"] == INDICATORS + 3
    # A larger budget sends the indicators one by one; a full canvas aggregates everything.
    body = get(client, community, ana, "/expand", node=HUB, limit=200).json()
    assert not any(n["aggregate"] for n in body["nodes"]) and len(body["nodes"]) == INDICATORS + 3
    body = get(client, community, ana, "/expand", node=HUB, shown=2000).json()
    assert {(n["type"], n["count"]) for n in body["nodes"]} == {
        ("indicator", INDICATORS), ("intrusion-set", 2), ("report", 1)}


def test_start_from_a_search(client, community, world):
    body = get(client, community, world["gina"], "", q="Hub Loader").json()
    assert {n["id"] for n in body["nodes"]} == {HUB, world["report"]}
    body = get(client, community, world["gina"], "", value=f"bitcoin:{WALLET}", kind="wallet").json()
    assert [n["id"] for n in body["nodes"]] == [world["wallet"]]
    assert body["nodes"][0]["style"] == "money" and body["nodes"][0]["name"] == WALLET


@pytest.mark.parametrize(("path", "params", "field"), [
    ("", {}, "q"),
    ("", {"q": "x", "tlp": "PURPLE"}, "tlp"),
    ("", {"value": "x", "kind": "planet"}, "kind"),
    ("/expand", {"node": "not-a-stix-id"}, "node"),
    ("/expand", {"node": HUB, "vetting": "maybe"}, "vetting"),
    ("/expand", {"node": HUB, "type": "no spaces"}, "type"),
    ("/expand", {"node": HUB, "since": "2026-01-01T00:00:00"}, "since"),
    ("/expand", {"node": HUB, "since": "2026-02-01T00:00:00Z",
                 "until": "2026-01-01T00:00:00Z"}, "since"),
    ("/expand", {"node": HUB, "via": "relationship:uses", "direction": "up"}, "direction"),
    ("/expand", {"node": HUB, "via": "relationship:uses", "direction": "in",
                 "cursor": "garbage"}, "cursor"),
    ("/expand", {"node": HUB, "cursor": "x"}, "cursor"),
    ("/expand", {"node": HUB, "limit": 0}, "limit"),
    ("/expand", {}, "node"),
])
def test_bad_input_is_refused_naming_the_field(client, community, world, path, params, field):
    r = get(client, community, world["ana"], path, **params)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_anonymous_askers_are_refused(client, world):
    assert client.get("/api/v1/atlas/graph/expand", params={"node": HUB}).status_code == 401


def test_the_selection_exports_as_a_valid_bundle_of_what_the_asker_may_see(
        client, community, world):
    body = get(client, community, world["gina"], "", start=HUB).json()
    ids = [n["id"] for n in body["nodes"] if not n["aggregate"]]
    ids += [e["relationship"] for e in body["edges"] if e["relationship"]]
    ids.append(world["secret"])  # named, but not Gamma's to see
    token = community.token(world["gina"], scope="write")
    r = client.post("/api/v1/atlas/graph/export", json={"ids": ids}, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/stix+json")
    result = validate_string(r.text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors][:5]
    bundle = orjson.loads(r.content)
    exported = {o["id"] for o in bundle["objects"]}
    assert set(ids) - {world["secret"]} <= exported and world["secret"] not in exported
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    assert all(green in o["object_marking_refs"] for o in bundle["objects"]
               if o["type"] != "marking-definition" and o["id"] in ids)
    for bad in ({"ids": []}, {"ids": ["aggregate|x--y"]}, {"ids": ["nope"]},
                {"ids": [HUB] * 2 + [f"indicator--{n}" for n in range(5001)]}):
        r = client.post("/api/v1/atlas/graph/export", json=bad, headers=bearer(token))
        assert r.status_code == 422 and "ids" in r.text, bad


def test_the_browser_exports_with_its_csrf_token(client, community, world):
    assert sign_in(client, world["ana"].email).status_code == 303
    assert client.post("/api/v1/atlas/graph/export", json={"ids": [HUB]}).status_code == 403
    token = csrf_of(client, "/objects")
    r = client.post("/api/v1/atlas/graph/export", json={"ids": [HUB]},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and HUB in r.text


def test_expansion_draws_the_edges_to_nodes_already_drawn(client, database, community,
                                                          world, tmp_path):
    """Group Two is linked to the wallet by Beta alone (AMBER): the edge from a new node
    to a node already drawn comes when the viewer may see the relationship, never
    otherwise, and naming a node one may not see gets nothing."""
    hidden = relationship("related-to", world["two"], world["wallet"], 500)
    assert run_import(database, community, world["ben"], bundle_bytes([hidden]), tmp_path,
                      tlp="AMBER").objects_stored == 1

    def edges(user, **params: Any) -> set[tuple[str, str]]:
        r = get(client, community, user, "/expand", node=HUB, **params)
        assert r.status_code == 200, r.text
        return {(e["source"], e["target"]) for e in r.json()["edges"]}

    one_to_wallet = (world["one"], world["wallet"])
    two_to_wallet = (world["two"], world["wallet"])
    # Without naming the wallet, only the edges of the expanded node come.
    assert one_to_wallet not in edges(world["gina"])
    drawn = edges(world["gina"], known=[world["wallet"], "report--unknown-but-harmless"])
    assert one_to_wallet in drawn and two_to_wallet not in drawn
    assert {one_to_wallet, two_to_wallet} <= edges(world["ben"], known=[world["wallet"]])
    # An aggregate's page brings the edges of its nodes to the nodes drawn as well.
    page = get(client, community, world["gina"], "/expand", node=HUB,
               via="relationship:uses", direction="in", type="intrusion-set",
               known=[world["wallet"]]).json()
    assert one_to_wallet in {(e["source"], e["target"]) for e in page["edges"]}
    # Naming the secret indicator (AMBER, Beta's) draws nothing to it.
    assert all(world["secret"] not in pair for pair in edges(
        world["gina"], known=[world["secret"]]))
    for bad in (["not a stix id"], [f"indicator--{n}" for n in range(101)]):
        r = get(client, community, world["gina"], "/expand", node=HUB, known=bad)
        assert r.status_code == 422, r.text
        assert "known" in r.text
