"""Benchmark: choke-point analysis of a generated ecosystem.

The ecosystem is the threat map's own generator (``cyberhub.atlas.synthetic``: actors,
domains, addresses, bulletproof hosters, wallets, cash-out services, malware families)
topped up with random forward links between resources until it has the asked number of
edges (the issue's size: 100,000 nodes and 500,000 edges). Figures:

- ``rank`` — dependants of every resource within three hops plus rustworkx betweenness
  on the shared part: what ``GET /api/v1/atlas/chokepoints`` computes after loading;
- baseline in the same run, on the same graph: the same counts and betweenness written
  with networkx (only up to ``--baseline-max-nodes``: its betweenness grows fast);
- ``--db``: the full path on SQLite — import the ecosystem through the knowledge-base
  importer, then load the visible graph and rank it as the API does.

    .venv/bin/python bench/bench_chokepoints.py [--nodes 100000 --edges 500000] [--db]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import networkx as nx
from rich.console import Console
from rich.table import Table

from cyberhub.atlas import chokepoints
from cyberhub.atlas.graph import CATEGORIES, Graph, Node

console = Console()
PER_ACTOR_NODES = 14  # one actor, six domains and six addresses, one wallet


def ecosystem_objects(nodes: int, edges: int, seed: int = 7) -> list[dict[str, Any]]:
    """The generated ecosystem, topped up with random forward links between resources
    until it has ``edges`` relationships."""
    from cyberhub.atlas.synthetic import CREATED, Ecosystem

    actors = max(1, nodes // PER_ACTOR_NODES)
    hubs = max(6, actors // 200)
    objects = list(Ecosystem(seed=seed).objects(actors, hosters=hubs, cashouts=hubs,
                                                families=max(12, actors // 50)))
    rng = random.Random(seed)
    resources = [o["id"] for o in objects
                 if o["type"] in CATEGORIES and CATEGORIES[o["type"]] != "actor"]
    have = sum(o["type"] == "relationship" for o in objects)
    for _ in range(max(0, edges - have)):
        objects.append({"type": "relationship", "spec_version": "2.1",
                        "id": f"relationship--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                        "created": CREATED, "modified": CREATED, "relationship_type": "related-to",
                        "source_ref": rng.choice(resources), "target_ref": rng.choice(resources)})
    return objects


def graph_of(objects: list[dict[str, Any]]) -> Graph:
    nodes = [Node(o["id"], o["type"], o.get("name") or o.get("value") or o["id"],
                  "ransomware" in o.get("malware_types", []))
             for o in objects if o["type"] in CATEGORIES]
    return Graph.build(nodes, [(o["source_ref"], o["target_ref"]) for o in objects
                               if o["type"] == "relationship"])


def networkx_rank(graph: Graph, depth: int) -> dict[int, int]:
    g = nx.DiGraph()
    g.add_nodes_from(range(len(graph.nodes)))
    g.add_edges_from(graph.edges)
    undirected = g.to_undirected(as_view=True)
    actors = {i for i, n in enumerate(graph.nodes) if n.is_actor}
    count: dict[int, int] = {}
    pairs = []
    for a in actors:
        level = {v for v in undirected.neighbors(a) if v not in actors}
        reached = set(level)
        for _ in range(depth - 1):
            level = {w for u in level for w in g.successors(u)
                     if w not in actors and w not in reached}
            reached |= level
        for v in reached:
            count[v] = count.get(v, 0) + 1
            pairs.append((a, v))
    chosen = set(sorted((v for v, c in count.items() if c >= 2), key=lambda v: -count[v])
                 [:chokepoints.BETWEENNESS_CANDIDATES])
    shared = nx.Graph([(a, v) for a, v in pairs if v in chosen])
    nx.betweenness_centrality(shared, normalized=True)
    return count


def timed(fn: Any, *args: Any, **kw: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - start, out


def db_path(objects: list[dict[str, Any]]) -> tuple[float, float, int]:
    """Import into a fresh SQLite hub, then load the visible graph and rank it as the API
    does. Returns (import seconds, load-and-rank seconds, choke points found)."""
    from cyberhub import access, migrate
    from cyberhub.atlas import service
    from cyberhub.community import service as community
    from cyberhub.db import Database
    from cyberhub.intel.importer import ImportSettings, import_stix
    from cyberhub.intel.synthetic import write_bundle
    from cyberhub.sharing import TLP

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'hub.sqlite3'}"
        migrate.upgrade(url)
        database = Database(url)
        with database.transaction() as s:
            org = community.create_organisation(s, access.system_viewer(), name="Bench CERT",
                                                kind="cert")
            user = community.create_user(s, access.system_viewer(), email="b@bench.example",
                                         display_name="Bench", org_id=org.id, role="analyst",
                                         check_strength=False)
            viewer = access.viewer_for(s, user)
        bundle = Path(tmp) / "bundle.json"
        with bundle.open("wb") as out:
            write_bundle(out, iter(objects))
        start = time.perf_counter()
        with database.transaction() as s, bundle.open("rb") as stream:
            import_stix(s, stream, ImportSettings(viewer=viewer, tlp=TLP.GREEN))
        imported = time.perf_counter() - start
        with database.snapshot() as s:
            seconds, found = timed(service.choke_points, s, viewer, limit=25)
        database.dispose()
    return imported, seconds, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--baseline-max-nodes", type=int, default=20_000)
    parser.add_argument("--db", action="store_true", help="also the full path on SQLite")
    args = parser.parse_args()

    table = Table(title="Choke points (depth 3), seconds")
    for col in ("nodes", "edges", "cyberhub rank", "networkx, same analysis", "× faster"):
        table.add_column(col, justify="right")
    sizes = sorted({min(args.nodes, 10_000), args.nodes})
    for nodes in sizes:
        graph = graph_of(ecosystem_objects(nodes, args.edges * nodes // args.nodes))
        ours, ranked = timed(chokepoints.rank, graph, limit=25)
        base = "—"
        ratio = "—"
        if len(graph.nodes) <= args.baseline_max_nodes:
            theirs, _ = timed(networkx_rank, graph, chokepoints.DEFAULT_DEPTH)
            base, ratio = f"{theirs:.2f}", f"{theirs / ours:.1f}"
        table.add_row(f"{len(graph.nodes):,}", f"{len(graph.edges):,}", f"{ours:.2f}", base,
                      ratio)
        console.print(f"  top at {len(graph.nodes):,} nodes: {ranked[0].node.name} — "
                      f"{ranked[0].explanation}", highlight=False)
    console.print(table)
    if args.db:
        objects = ecosystem_objects(args.nodes, args.edges)
        imported, seconds, found = db_path(objects)
        console.print(f"SQLite: {len(objects):,} objects imported in {imported:.1f} s; the API's "
                      f"load of the visible graph and ranking took {seconds:.2f} s "
                      f"({found} choke points)", highlight=False)


if __name__ == "__main__":
    main()
