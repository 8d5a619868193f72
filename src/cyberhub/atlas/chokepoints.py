"""Choke points: the resources whose disruption would cut off the most actors at once.

An actor *depends on* a resource when the viewer's graph links them: directly (any
relationship between the two, whichever way it points), or through up to ``depth - 1``
further hops that follow relationships forward — the actor uses a domain, the domain
resolves to an address, the address is hosted by a bulletproof hoster. Following later
hops forward only is what keeps the meaning: a hoster's other customers do not depend
on the actor's domain just because they share the hoster.

A resource's rank is the number of distinct actors that depend on it (taking it down
disrupts all of them), then how many of them depend on it directly, then its
betweenness on the *shared* part of the graph — the actors and the (at most 200)
resources most depended on, each actor linked to what it depends on — which tells the
bridges between otherwise separate groups. It is computed on that part only because
that is what the ranking is about, and because exact betweenness over every indicator
of a million-object hub would take hours (see ``bench/bench_chokepoints.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import rustworkx as rx

from cyberhub.atlas.graph import Graph, Node
from cyberhub.i18n import _, ngettext

# actor → domain → address → hoster: three hops.
DEFAULT_DEPTH = 3
MAX_DEPTH = 4
SAMPLE_ACTORS = 5
# Betweenness is exact but costs nodes × edges: it is computed among the resources that
# matter for the ranking, not over every indicator of the hub.
BETWEENNESS_CANDIDATES = 200


@dataclass
class ChokePoint:
    node: Node
    actors: int  # distinct actors that depend on it
    direct: int  # of them, those linked to it directly
    ransomware: int  # of them, ransomware groups (they use a ransomware family)
    betweenness: float  # normalised, on the shared part of the graph
    sample: list[str]  # names of some of the actors

    @property
    def explanation(self) -> str:
        """"Used by 14 actors, 3 of them ransomware groups (9 directly, 5 through other
        infrastructure)", translated."""
        text = ngettext("Used by %(num)d actor", "Used by %(num)d actors",
                        self.actors) % {"num": self.actors}
        if self.ransomware:
            text += ngettext(", %(num)d of them a ransomware group",
                             ", %(num)d of them ransomware groups",
                             self.ransomware) % {"num": self.ransomware}
        if self.direct == 0:
            text += _(" (through other infrastructure)")
        elif self.direct < self.actors:
            text += _(" (%(direct)d directly, %(rest)d through other infrastructure)") % {
                "direct": self.direct, "rest": self.actors - self.direct}
        return text


@dataclass
class _Reach:
    count: list[int]
    direct: list[int]
    ransomware: list[int]
    sample: list[list[int]]
    pairs: list[tuple[int, int]]  # (actor, resource it depends on)


def _dependants(graph: Graph, depth: int) -> _Reach:
    both, forward = graph.adjacency()
    n = len(graph.nodes)
    is_actor = [node.is_actor for node in graph.nodes]
    count, direct, ransomware = [0] * n, [0] * n, [0] * n
    sample: list[list[int]] = [[] for _ in range(n)]
    stamp = [-1] * n  # the actor whose walk last reached the node
    pairs: list[tuple[int, int]] = []
    for a in range(n):
        if not is_actor[a]:
            continue
        stamp[a] = a
        group = graph.nodes[a].ransomware
        frontier, hop = [a], 1
        while frontier and hop <= depth:
            reached = []
            for u in frontier:
                for v in (both[u] if hop == 1 else forward[u]):
                    if stamp[v] == a or is_actor[v]:
                        continue
                    stamp[v] = a
                    count[v] += 1
                    direct[v] += hop == 1
                    ransomware[v] += group
                    if len(sample[v]) < SAMPLE_ACTORS:
                        sample[v].append(a)
                    pairs.append((a, v))
                    reached.append(v)
            frontier, hop = reached, hop + 1
    return _Reach(count, direct, ransomware, sample, pairs)


def _shared_betweenness(reach: _Reach) -> dict[int, float]:
    """Betweenness on the graph of actors and the resources most of them depend on (two
    or more actors, at most ``BETWEENNESS_CANDIDATES``), each actor linked to each such
    resource: high for the resources that bridge otherwise separate groups of actors."""
    shared = sorted((v for v, c in enumerate(reach.count) if c >= 2),
                    key=lambda v: -reach.count[v])[:BETWEENNESS_CANDIDATES]
    chosen = set(shared)
    pairs = [(a, v) for a, v in reach.pairs if v in chosen]
    if not pairs:
        return {}
    keep = sorted({x for pair in pairs for x in pair})
    position = {node: i for i, node in enumerate(keep)}
    projection = rx.PyGraph(multigraph=False)
    projection.add_nodes_from(keep)
    projection.add_edges_from_no_data([(position[a], position[v]) for a, v in pairs])
    scores = rx.betweenness_centrality(projection, normalized=True)
    return {keep[i]: float(score) for i, score in scores.items()}


def rank(graph: Graph, *, depth: int = DEFAULT_DEPTH, limit: int = 25,
         category: str | None = None) -> list[ChokePoint]:
    """The ``limit`` resources most actors depend on (ties: direct use, betweenness)."""
    depth = max(1, min(depth, MAX_DEPTH))
    reach = _dependants(graph, depth)
    count, direct, ransomware, sample = reach.count, reach.direct, reach.ransomware, reach.sample
    betweenness = _shared_betweenness(reach)
    candidates = [i for i, node in enumerate(graph.nodes)
                  if count[i] and (category is None or node.category == category)]
    candidates.sort(key=lambda i: (-count[i], -direct[i], -betweenness.get(i, 0.0),
                                   graph.nodes[i].name))
    return [ChokePoint(graph.nodes[i], count[i], direct[i], ransomware[i],
                       round(betweenness.get(i, 0.0), 6),
                       [graph.nodes[a].name for a in sample[i]])
            for i in candidates[:limit]]
