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

from dataclasses import dataclass, field

import numpy as np
import rustworkx as rx
from scipy import sparse

from cyberhub.atlas.graph import Graph, Node
from cyberhub.i18n import _, ngettext

# actor → domain → address → hoster: three hops.
DEFAULT_DEPTH = 3
MAX_DEPTH = 4
SAMPLE_ACTORS = 5
# Betweenness is exact but costs nodes × edges: it is computed among the resources that
# matter for the ranking, not over every indicator of the hub.
BETWEENNESS_CANDIDATES = 200
BETWEENNESS_ACTORS = 500


@dataclass
class ChokePoint:
    node: Node
    actors: int  # distinct actors that depend on it
    direct: int  # of them, those linked to it directly
    ransomware: int  # of them, ransomware groups (they use a ransomware family)
    betweenness: float  # normalised, on the shared part of the graph
    sample: list[str]  # names of some of the actors
    sample_ids: list[str] = field(default_factory=list)  # … and their STIX ids

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
    actors: np.ndarray  # node index of each row of ``matrix``
    matrix: sparse.csr_matrix  # actor row × node: 1 where the actor depends on the node
    count: np.ndarray
    direct: np.ndarray
    ransomware: np.ndarray


def _as_set(m: sparse.csr_matrix) -> sparse.csr_matrix:
    """A 0/1 matrix with explicit entries only where ``m`` is non-zero."""
    m = m.tocsr()
    m.data = (m.data != 0).astype(np.int32)
    m.eliminate_zeros()
    return m


def _dependants(graph: Graph, depth: int) -> _Reach:
    """Every actor's walk, level by level, as sparse matrix products: the first level is
    any neighbour of the actor, later levels follow relationships forward, never
    through another actor, each node counted once per actor (what a breadth-first walk
    from each actor gives, for all actors at once)."""
    n = len(graph.nodes)
    is_actor = np.fromiter((node.is_actor for node in graph.nodes), bool, n)
    edges = np.array(graph.edges, dtype=np.int64).reshape(-1, 2)
    src, dst = edges[:, 0], edges[:, 1]
    actors = np.flatnonzero(is_actor)
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[actors] = np.arange(len(actors))

    def matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
        return _as_set(sparse.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)),
                                         shape=shape))

    inner = ~is_actor[src] & ~is_actor[dst]
    forward = matrix(src[inner], dst[inner], (n, n))
    out_of_actor = is_actor[src] & ~is_actor[dst]
    into_actor = is_actor[dst] & ~is_actor[src]
    first = matrix(np.concatenate([row_of[src[out_of_actor]], row_of[dst[into_actor]]]),
                   np.concatenate([dst[out_of_actor], src[into_actor]]), (len(actors), n))
    reached, frontier = first, first
    for _hop in range(depth - 1):
        if not frontier.nnz:
            break
        step = _as_set(frontier @ forward)
        frontier = _as_set(step - step.multiply(reached))
        reached = _as_set(reached + frontier)
    ransomware_rows = np.fromiter((graph.nodes[a].ransomware for a in actors), bool,
                                  len(actors))
    return _Reach(
        actors=actors, matrix=reached,
        count=np.asarray(reached.sum(axis=0)).ravel(),
        direct=np.asarray(first.sum(axis=0)).ravel(),
        ransomware=np.asarray(reached[ransomware_rows].sum(axis=0)).ravel())


def _shared_betweenness(reach: _Reach) -> dict[int, float]:
    """Betweenness on the graph of actors and the resources most of them depend on (two
    or more actors, at most ``BETWEENNESS_CANDIDATES``), each actor linked to each such
    resource: high for the resources that bridge otherwise separate groups of actors.
    Beyond ``BETWEENNESS_ACTORS`` actors it is estimated on a fixed sample of them."""
    shared = np.flatnonzero(reach.count >= 2)
    if not len(shared):
        return {}
    candidates = shared[np.argsort(-reach.count[shared], kind="stable")][
        :BETWEENNESS_CANDIDATES]
    sub = reach.matrix[:, candidates].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr))
    if len(rows) > BETWEENNESS_ACTORS:
        rows = np.sort(np.random.default_rng(0).choice(rows, BETWEENNESS_ACTORS,
                                                        replace=False))
    sub = sub[rows].tocoo()
    projection = rx.PyGraph(multigraph=False)
    projection.add_nodes_from(range(len(rows) + len(candidates)))
    projection.add_edges_from_no_data(list(zip(sub.row.tolist(),
                                               (sub.col + len(rows)).tolist(), strict=True)))
    scores = rx.betweenness_centrality(projection, normalized=True)
    return {int(candidates[i - len(rows)]): float(score) for i, score in scores.items()
            if i >= len(rows)}


def rank(graph: Graph, *, depth: int = DEFAULT_DEPTH, limit: int = 25,
         category: str | None = None) -> list[ChokePoint]:
    """The ``limit`` resources most actors depend on (ties: direct use, betweenness)."""
    depth = max(1, min(depth, MAX_DEPTH))
    if not graph.nodes:
        return []
    reach = _dependants(graph, depth)
    betweenness = _shared_betweenness(reach)
    candidates = [int(i) for i in np.flatnonzero(reach.count)
                  if category is None or graph.nodes[i].category == category]
    count, direct = reach.count, reach.direct
    candidates.sort(key=lambda i: (-count[i], -direct[i], -betweenness.get(i, 0.0),
                                   graph.nodes[i].name))
    columns = reach.matrix.tocsc()
    found = []
    for i in candidates[:limit]:
        rows = columns.indices[columns.indptr[i]:columns.indptr[i + 1]][:SAMPLE_ACTORS]
        found.append(ChokePoint(graph.nodes[i], int(count[i]), int(direct[i]),
                                int(reach.ransomware[i]), round(betweenness.get(i, 0.0), 6),
                                [graph.nodes[int(reach.actors[r])].name for r in rows],
                                [graph.nodes[int(reach.actors[r])].stix_id for r in rows]))
    return found
