"""Choke points: the ranking matches a reference computed with networkx, and the API
ranks only what the asker may see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.atlas.chokepoints import rank
from cyberhub.atlas.graph import Graph, Node
from cyberhub.atlas.synthetic import CREATED, Ecosystem
from cyberhub.intel import extensions
from cyberhub.intel.synthetic import bundle_bytes, sco_id
from tests.factories import Community, bearer
from tests.intel.test_import import run_import

# ------------------------------------------------------------------ the algorithm


def reference_counts(graph: Graph, depth: int) -> dict[str, int]:
    """The definition of docs/atlas.md, written plainly over a networkx DiGraph."""
    g = nx.DiGraph()
    g.add_nodes_from(range(len(graph.nodes)))
    g.add_edges_from(graph.edges)
    actor = {i for i, n in enumerate(graph.nodes) if n.is_actor}
    counts = {n.stix_id: 0 for n in graph.nodes}
    for a in actor:
        level = {v for v in nx.all_neighbors(g, a) if v not in actor}
        reached = set(level)
        for _ in range(depth - 1):
            level = {w for u in level for w in g.successors(u)
                     if w not in actor and w not in reached}
            reached |= level
        for v in reached:
            counts[graph.nodes[v].stix_id] += 1
    return counts


TYPES = ["intrusion-set", "domain-name", "ipv4-addr", "x-cyberhub-criminal-service",
         "malware", "x-cyberhub-cryptocurrency-wallet"]


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    n = draw(st.integers(2, 25))
    kinds = draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n))
    nodes = [Node(f"{t}--{i}", t, f"n{i}") for i, t in enumerate(kinds)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=60))
    return Graph.build(nodes, [(nodes[a].stix_id, nodes[b].stix_id) for a, b in pairs])


@settings(max_examples=200, deadline=None)
@given(graphs(), st.integers(1, 4))
def test_the_ranking_counts_the_actors_the_definition_says(graph: Graph, depth: int) -> None:
    expected = reference_counts(graph, depth)
    ranked = rank(graph, depth=depth, limit=10_000)
    assert {c.node.stix_id: c.actors for c in ranked} == {
        k: v for k, v in expected.items() if v}
    assert [c.actors for c in ranked] == sorted((c.actors for c in ranked), reverse=True)
    assert all(not c.node.is_actor and 0 <= c.direct <= c.actors for c in ranked)


def test_a_shared_hoster_ranks_first_with_its_explanation() -> None:
    objects = list(Ecosystem(seed=3).objects(30))
    nodes = [Node(o["id"], o["type"], o.get("name") or o.get("value") or o["id"],
                  "ransomware" in o.get("malware_types", []))
             for o in objects if o["type"] != "relationship"]
    edges = [(o["source_ref"], o["target_ref"]) for o in objects if o["type"] == "relationship"]
    top = rank(Graph.build(nodes, edges), limit=3)
    assert top[0].node.name.startswith("Demo bulletproof hoster")
    assert top[0].explanation.startswith(f"Used by {top[0].actors} actors, "
                                         f"{top[0].ransomware} of them ransomware groups")
    assert top[0].betweenness > 0


# ------------------------------------------------------------------ the API


def relationship(kind: str, source: str, target: str, n: int) -> dict[str, Any]:
    return {"type": "relationship", "spec_version": "2.1",
            "id": f"relationship--00000000-0000-4000-8000-{n:012d}", "created": CREATED,
            "modified": CREATED, "relationship_type": kind, "source_ref": source,
            "target_ref": target}


def actor(name: str, n: int) -> dict[str, Any]:
    return {"type": "intrusion-set", "spec_version": "2.1",
            "id": f"intrusion-set--00000000-0000-4000-9000-{n:012d}", "created": CREATED,
            "modified": CREATED, "name": name}


def chain(group: dict[str, Any], n: int, hoster: dict[str, Any]) -> list[dict[str, Any]]:
    """group → uses → domain → resolves-to → address → related-to → hoster."""
    domain = {"type": "domain-name", "spec_version": "2.1", "value": f"d{n}.crime.example",
              "id": sco_id("domain-name", {"value": f"d{n}.crime.example"})}
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "value": f"198.51.100.{n}",
          "id": sco_id("ipv4-addr", {"value": f"198.51.100.{n}"})}
    return [group, domain, ip, relationship("uses", group["id"], domain["id"], 10 * n),
            relationship("resolves-to", domain["id"], ip["id"], 10 * n + 1),
            relationship("related-to", ip["id"], hoster["id"], 10 * n + 2)]


@pytest.fixture
def ecosystem(database, community: Community, tmp_path: Path) -> dict[str, Any]:
    hoster = extensions.new_criminal_service("Bulletproof Example", "bulletproof-hosting",
                                             created=CREATED)
    alpha, beta = community.org("Alpha CERT"), community.org("Beta Bank")
    ana, ben = community.user(alpha), community.user(beta)
    shared = [hoster]
    for n, name in enumerate(("Group One", "Group Two", "Group Three"), start=1):
        shared += chain(actor(name, n), n, hoster)
    assert run_import(database, community, ana, bundle_bytes(shared), tmp_path,
                      tlp="GREEN").objects_stored
    # Beta alone knows a fourth group at the same hoster (AMBER, no audience beyond Beta).
    secret = chain(actor("Secret Group", 4), 4, hoster)
    assert run_import(database, community, ben, bundle_bytes(secret), tmp_path,
                      tlp="AMBER").objects_stored
    gina = community.user(community.org("Gamma Telecom"))
    return {"hoster": hoster, "ana": ana, "ben": ben, "gina": gina}


def choke_points(client, community: Community, user, **params: Any) -> Any:
    return client.get("/api/v1/atlas/chokepoints", params=params,
                      headers=bearer(community.token(user)))


def test_each_viewer_sees_the_choke_points_of_what_they_may_see(client, community, ecosystem):
    hoster = ecosystem["hoster"]["id"]
    for who, actors in (("ana", 3), ("gina", 3), ("ben", 4)):
        r = choke_points(client, community, ecosystem[who], category="service")
        assert r.status_code == 200, r.text
        top = r.json()[0]
        assert (top["stix_id"], top["actors"], top["direct_actors"]) == (hoster, actors, 0)
        assert top["explanation"] == f"Used by {actors} actors (through other infrastructure)"
        assert ("Secret Group" in top["sample_actors"]) is (who == "ben")
    # What Gamma may not see leaves no trace anywhere in the answer.
    assert "Secret Group" not in choke_points(client, community, ecosystem["gina"],
                                              limit=500).text


def test_depth_limits_how_far_dependence_reaches(client, community, ecosystem):
    by_depth = {d: {c["type"] for c in choke_points(client, community, ecosystem["ana"],
                                                     depth=d).json()} for d in (1, 2, 3)}
    assert by_depth == {1: {"domain-name"}, 2: {"domain-name", "ipv4-addr"},
                        3: {"domain-name", "ipv4-addr", "x-cyberhub-criminal-service"}}


def test_bad_parameters_and_anonymous_askers_are_refused(client, community, ecosystem):
    for params, field in (({"depth": 9}, "depth"), ({"category": "planets"}, "category")):
        r = choke_points(client, community, ecosystem["ana"], **params)
        assert r.status_code == 422 and field in r.text
    assert choke_points(client, community, ecosystem["ana"], limit=0).status_code == 422
    assert client.get("/api/v1/atlas/chokepoints").status_code == 401
