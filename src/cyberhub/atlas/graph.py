"""The ecosystem graph as one viewer may see it.

Nodes are the visible objects of the kinds the threat map is about — actors, the
infrastructure and services they rent, their tools, their money and their contact
points — one node per STIX id (a value held by several members is one node). Edges are
the visible relationships between two such nodes. Everything is read through
``access.visible``: an object or relationship the viewer may not see is not in the
graph at all, so nothing computed from it can hint at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.intel.models import StixObject, StixRef

ACTOR = "actor"
CATEGORIES: dict[str, str] = {
    "intrusion-set": ACTOR,
    "threat-actor": ACTOR,
    "infrastructure": "infrastructure",
    "domain-name": "infrastructure",
    "ipv4-addr": "infrastructure",
    "ipv6-addr": "infrastructure",
    "url": "infrastructure",
    "autonomous-system": "infrastructure",
    "x-cyberhub-criminal-service": "service",
    "tool": "tool",
    "malware": "tool",
    "x-cyberhub-bank-account": "money",
    "x-cyberhub-cryptocurrency-wallet": "money",
    "email-addr": "contact",
    "x-cyberhub-phone-number": "contact",
    "x-cyberhub-social-account": "contact",
}
"""STIX type → the part of the ecosystem it stands for; other types are not nodes."""


@dataclass
class Node:
    stix_id: str
    type: str
    name: str
    # A malware that is ransomware; an actor that uses one (set by :func:`load`).
    ransomware: bool = False

    @property
    def category(self) -> str:
        return CATEGORIES[self.type]

    @property
    def is_actor(self) -> bool:
        return CATEGORIES[self.type] == ACTOR


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    # (source, target) by node index, as the relationship states it.
    edges: list[tuple[int, int]] = field(default_factory=list)

    def adjacency(self) -> tuple[list[list[int]], list[list[int]]]:
        """(neighbours either way, successors) of every node."""
        both: list[list[int]] = [[] for _ in self.nodes]
        out: list[list[int]] = [[] for _ in self.nodes]
        for a, b in self.edges:
            both[a].append(b)
            both[b].append(a)
            out[a].append(b)
        return both, out

    @classmethod
    def build(cls, nodes: Iterable[Node], edges: Iterable[tuple[str, str]]) -> Graph:
        """A graph from nodes and (source id, target id) pairs; pairs naming a missing
        node or one node twice are dropped, parallel edges kept once."""
        graph = cls(nodes=list(nodes))
        index = {n.stix_id: i for i, n in enumerate(graph.nodes)}
        seen: set[tuple[int, int]] = set()
        for source, target in edges:
            a, b = index.get(source), index.get(target)
            if a is None or b is None or a == b:
                continue
            if (a, b) not in seen:
                seen.add((a, b))
                graph.edges.append((a, b))
        for a, b in graph.edges:  # an actor that uses a ransomware is a ransomware group
            x, y = graph.nodes[a], graph.nodes[b]
            if x.is_actor and y.ransomware:
                x.ransomware = True
            elif y.is_actor and x.ransomware:
                y.ransomware = True
        return graph


def _is_ransomware(data: str) -> bool:
    obj = orjson.loads(data)
    kinds = [*obj.get("malware_types", []), *obj.get("labels", [])]
    return any(isinstance(k, str) and k.lower() == "ransomware" for k in kinds)


def load(session: Session, viewer: Viewer) -> Graph:
    """The visible ecosystem graph (one query for nodes, one for edges)."""
    rows = session.execute(
        access.select_visible(StixObject, viewer)
        .with_only_columns(StixObject.stix_id, StixObject.type, StixObject.name)
        .where(StixObject.type.in_(CATEGORIES), StixObject.revoked.is_(False))).all()
    nodes: dict[str, Node] = {}
    for stix_id, stix_type, name in rows:
        nodes.setdefault(stix_id, Node(stix_id, stix_type, name or stix_id))
    malware = [i for i, n in nodes.items() if n.type == "malware"]
    for start in range(0, len(malware), 5000):  # only malware needs its data read
        for stix_id, data in session.execute(
                access.select_visible(StixObject, viewer)
                .with_only_columns(StixObject.stix_id, StixObject.data)
                .where(StixObject.stix_id.in_(malware[start:start + 5000]))):
            if _is_ransomware(data):
                nodes[stix_id].ransomware = True
    carrier = aliased(StixObject)
    edges = session.execute(
        select(StixRef.source_stix_id, StixRef.target_stix_id)
        .join(carrier, carrier.id == StixRef.object_id)
        .where(StixRef.kind.like("relationship:%"), carrier.revoked.is_(False),
               access.visible(carrier, viewer))).all()
    return Graph.build(nodes.values(), edges)
