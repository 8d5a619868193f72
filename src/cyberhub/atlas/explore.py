"""The interactive ecosystem graph: start from an object or a search, expand a node.

A node is one STIX id (several members' copies of an object are one node); its
neighbours are the other ends of the references it takes part in, both ways: visible
relationships (``relationship:<type>``) and embedded references (``object_refs``,
``sighting_of_ref``, …) of a visible record. A neighbour counts only when the viewer may
see both the record that carries the reference and a copy of the neighbour itself:
everything goes through :func:`cyberhub.access.visible`, so what the viewer may not see
is neither sent nor counted.

**Aggregation.** An expansion first counts the neighbours in SQL, grouped by
(neighbour type, reference kind, direction) — a ``GROUP BY`` over the indexed
``stix_refs`` columns joined with the visibility predicate, never by loading the rows.
The groups are then taken smallest first, each whole, while they fit in the expansion's
budget: the per-expansion ``limit`` (default 50), and what is left of the
:data:`NODE_BUDGET` (2,000 nodes on the canvas). The groups that do not fit are sent as
*aggregate nodes* ("312 indicators") that the client opens a page at a time
(:func:`group_page`, a keyset cursor on the neighbour's STIX id) or narrows with filters.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.atlas.graph import CATEGORIES
from cyberhub.audience import clean_tlp
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _, ngettext
from cyberhub.intel import service as intel
from cyberhub.intel.models import StixObject, StixRef, Vetting
from cyberhub.intel.normalise import KINDS
from cyberhub.sharing import TLP

NODE_BUDGET: Final = 2000
"""Nodes a canvas holds before the server aggregates everything further."""
EXPANSION_LIMIT: Final = 50
"""Neighbours sent one by one per expansion, by default."""
MAX_LIMIT: Final = 200
MAX_KNOWN: Final = 100
"""Nodes already drawn that one expansion may name, to get the edges new nodes have to
them."""
MAX_EXPORT: Final = 5000
"""STIX ids one export of the visible selection may name (nodes and relationships)."""
IN, OUT = "in", "out"
# Types that are edges or bookkeeping, never nodes.
NOT_NODES: Final = ("relationship", "marking-definition", "extension-definition",
                    "language-content")

STYLE: Final[dict[str, str]] = {
    **CATEGORIES,
    "campaign": "actor",
    "indicator": "indicator",
    "file": "indicator",
    "report": "report",
    "grouping": "report",
    "note": "report",
    "opinion": "report",
    "x-cyberhub-note": "report",
    "attack-pattern": "technique",
    "course-of-action": "technique",
    "vulnerability": "vulnerability",
    "identity": "identity",
    "location": "identity",
    "sighting": "sighting",
    "observed-data": "sighting",
}
"""STIX type → how the graph draws it (anything else is ``other``)."""


def style_of(stix_type: str) -> str:
    return STYLE.get(stix_type, "other")


def count_label(stix_type: str, n: int) -> str:
    """"312 indicators": how an aggregate node reads."""
    known = {
        "indicator": lambda: ngettext("%(num)d indicator", "%(num)d indicators", n),
        "intrusion-set": lambda: ngettext("%(num)d intrusion set", "%(num)d intrusion sets", n),
        "threat-actor": lambda: ngettext("%(num)d threat actor", "%(num)d threat actors", n),
        "campaign": lambda: ngettext("%(num)d campaign", "%(num)d campaigns", n),
        "malware": lambda: ngettext("%(num)d malware", "%(num)d malware", n),
        "tool": lambda: ngettext("%(num)d tool", "%(num)d tools", n),
        "infrastructure": lambda: ngettext("%(num)d infrastructure", "%(num)d infrastructures",
                                           n),
        "domain-name": lambda: ngettext("%(num)d domain", "%(num)d domains", n),
        "ipv4-addr": lambda: ngettext("%(num)d IPv4 address", "%(num)d IPv4 addresses", n),
        "ipv6-addr": lambda: ngettext("%(num)d IPv6 address", "%(num)d IPv6 addresses", n),
        "url": lambda: ngettext("%(num)d URL", "%(num)d URLs", n),
        "file": lambda: ngettext("%(num)d file", "%(num)d files", n),
        "email-addr": lambda: ngettext("%(num)d e-mail address", "%(num)d e-mail addresses", n),
        "report": lambda: ngettext("%(num)d report", "%(num)d reports", n),
        "sighting": lambda: ngettext("%(num)d sighting", "%(num)d sightings", n),
        "x-cyberhub-cryptocurrency-wallet": lambda: ngettext("%(num)d wallet", "%(num)d wallets",
                                                             n),
        "x-cyberhub-bank-account": lambda: ngettext("%(num)d bank account",
                                                    "%(num)d bank accounts", n),
        "x-cyberhub-phone-number": lambda: ngettext("%(num)d phone number",
                                                    "%(num)d phone numbers", n),
        "x-cyberhub-social-account": lambda: ngettext("%(num)d social-media account",
                                                      "%(num)d social-media accounts", n),
        "x-cyberhub-criminal-service": lambda: ngettext("%(num)d criminal service",
                                                        "%(num)d criminal services", n),
    }
    if stix_type in known:
        return known[stix_type]() % {"num": n}
    return ngettext("%(num)d object of type %(type)s", "%(num)d objects of type %(type)s",
                    n) % {"num": n, "type": stix_type}


@dataclass(frozen=True)
class Filters:
    """What the viewer narrows the neighbours to; empty means no restriction."""

    types: tuple[str, ...] = ()
    tlps: tuple[TLP, ...] = ()
    vetting: tuple[Vetting, ...] = ()
    since: datetime | None = None  # added to the hub at or after
    until: datetime | None = None  # added before


def make_filters(*, types: Sequence[str] = (), tlps: Sequence[str] = (),
                 vetting: Sequence[str] = (), since: datetime | None = None,
                 until: datetime | None = None) -> Filters:
    """Check filters as a user gives them; raise InvalidInput naming the field."""
    clean_types = tuple(dict.fromkeys(t.strip() for t in types if t.strip()))
    for t in clean_types:
        if len(t) > 250 or not all(c.isalnum() or c == "-" for c in t):
            raise InvalidInput(_("%(type)r is not a STIX type name.") % {"type": t},
                               details={"field": "type"})
    states = []
    for v in vetting:
        if not v:
            continue
        try:
            states.append(Vetting(v))
        except ValueError:
            raise InvalidInput(_("Unknown vetting state %(v)r; use unverified, corroborated, "
                                 "vetted or disputed.") % {"v": v},
                               details={"field": "vetting"}) from None
    for moment, name in ((since, "since"), (until, "until")):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(_("%(field)s needs a time zone, e.g. 2026-01-01T00:00:00Z.")
                               % {"field": name}, details={"field": name})
    if since is not None and until is not None and since >= until:
        raise InvalidInput(_("since must be earlier than until."), details={"field": "since"})
    return Filters(types=clean_types, tlps=tuple(dict.fromkeys(clean_tlp(t) for t in tlps if t)),
                   vetting=tuple(dict.fromkeys(states)), since=since, until=until)


@dataclass
class GraphNode:
    stix_id: str
    record_id: uuid.UUID
    type: str
    name: str
    tlp: TLP
    vetting: Vetting

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.stix_id, "record": str(self.record_id), "type": self.type,
                "style": style_of(self.type), "name": self.name, "tlp": self.tlp.value,
                "vetting": self.vetting.value, "aggregate": False}


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # relationship:<type>, or the embedded property (object_refs, …)
    relationship: str | None  # the relationship's STIX id, for relationship edges

    @property
    def via(self) -> str:
        return self.kind.removeprefix("relationship:")

    def as_dict(self) -> dict[str, Any]:
        ident = self.relationship or f"{self.source}|{self.kind}|{self.target}"
        return {"id": ident, "source": self.source, "target": self.target, "via": self.via,
                "kind": self.kind, "relationship": self.relationship}


@dataclass
class Aggregate:
    """Neighbours of ``of`` not sent one by one: ``count`` of one type through one kind."""

    of: str
    type: str
    kind: str
    direction: str  # OUT: of → them; IN: them → of
    count: int

    @property
    def via(self) -> str:
        return self.kind.removeprefix("relationship:")

    @property
    def id(self) -> str:
        return f"aggregate|{self.of}|{self.direction}|{self.kind}|{self.type}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "aggregate": True, "of": self.of, "type": self.type,
                "style": style_of(self.type), "count": self.count, "via": self.via,
                "name": count_label(self.type, self.count),
                "kind": self.kind, "direction": self.direction}

    def edge(self) -> dict[str, Any]:
        source, target = (self.of, self.id) if self.direction == OUT else (self.id, self.of)
        return {"id": f"{self.id}|edge", "source": source, "target": target, "via": self.via,
                "kind": self.kind, "relationship": None, "aggregate": True}


@dataclass
class View:
    """What one call adds to the canvas."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    total: int = 0  # visible neighbours (or search hits) in all
    next_cursor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": [n.as_dict() for n in self.nodes] + [a.as_dict() for a in self.aggregates],
                "edges": [e.as_dict() for e in self.edges] + [a.edge() for a in self.aggregates],
                "total": self.total, "next_cursor": self.next_cursor}


# ------------------------------------------------------------------ the queries


# A model (or an alias of it) → which of its rows count; by default what the viewer sees.
Rows = Callable[[Any], ColumnElement[bool]]


def _node_conditions(model: type[StixObject], viewer: Viewer, f: Filters,
                     rows: Rows | None = None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        rows(model) if rows is not None else access.visible(model, viewer),
        model.revoked.is_(False), model.type.not_in(NOT_NODES)]
    if f.types:
        where.append(model.type.in_(f.types))
    if f.tlps:
        where.append(model.tlp.in_(f.tlps))
    if f.vetting:
        where.append(model.vetting.in_(f.vetting))
    if f.since is not None:
        where.append(model.created_at >= f.since)
    if f.until is not None:
        where.append(model.created_at < f.until)
    return where


def _neighbours(viewer: Viewer, stix_id: str, f: Filters, *, kind: str | None = None,
                direction: str | None = None) -> Select[Any]:
    """(direction, kind, other STIX id, other type) for each visible reference of
    ``stix_id`` whose other end has a visible copy within the filters. One row per
    (reference, visible copy): callers count distinct ids."""
    parts = _neighbours_each_way(viewer, stix_id, f, kind=kind, direction=direction)
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def _neighbours_each_way(viewer: Viewer, stix_id: str, f: Filters, *, kind: str | None = None,
                         direction: str | None = None, carriers: Rows | None = None,
                         others: Rows | None = None) -> list[Select[Any]]:
    """:func:`_neighbours` as one query per direction; ``carriers`` and ``others``, when
    given, replace the viewer's visibility on the carrying records and the neighbours."""
    parts: list[Any] = []
    for way in (OUT, IN):
        if direction is not None and way != direction:
            continue
        carrier, other = aliased(StixObject), aliased(StixObject)
        here, there = ((StixRef.source_stix_id, StixRef.target_stix_id) if way == OUT
                       else (StixRef.target_stix_id, StixRef.source_stix_id))
        query = (select(literal(way).label("direction"), StixRef.kind.label("kind"),
                        other.stix_id.label("other"), other.type.label("type"))
                 .select_from(StixRef)
                 .join(carrier, carrier.id == StixRef.object_id)
                 .join(other, other.stix_id == there)
                 .where(here == stix_id, there != stix_id, carrier.revoked.is_(False),
                        carriers(carrier) if carriers is not None
                        else access.visible(carrier, viewer),
                        *_node_conditions(other, viewer, f, others)))
        if kind is not None:
            query = query.where(StixRef.kind == kind)
        parts.append(query)
    return parts


def _roomy(session: Session) -> None:
    """Counting distinct neighbours sorts or hashes every reference of a hub node: on
    PostgreSQL, give this transaction the memory to do it without spilling to disk (the
    default 4 MB spills at about 40,000 rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def groups(session: Session, viewer: Viewer, stix_id: str, f: Filters, *,
           rollup: bool = True) -> list[Aggregate]:
    """The visible neighbours of a node counted by (type, kind, direction), in SQL. A
    node with many neighbours is answered, unfiltered, from the worker's roll-up of what
    every member sees (``graph_rollup``) plus what this viewer sees beyond it."""
    from cyberhub.atlas import graph_rollup

    counts: dict[tuple[str, str, str], int] | None = None
    if rollup and f == Filters():
        # The narrowest current roll-up worth adding to (adding much costs more than
        # counting it all): the organisation's, then the members'.
        for scope in access.scopes_of(StixObject, viewer):
            rolled = graph_rollup.stored(session, scope, stix_id)
            if rolled is None:
                continue
            outside = access.beyond_candidates(session, StixObject, viewer, scope,
                                               graph_rollup.LIVE_BEYOND)
            if outside >= graph_rollup.LIVE_BEYOND:
                continue
            counts = dict(rolled)
            if outside:
                for key, n in beyond_counts(session, viewer, stix_id, scope).items():
                    counts[key] = counts.get(key, 0) + n
            break
    if counts is None:
        counts = count_groups(session, viewer, stix_id, f)
    return sorted((Aggregate(stix_id, t, k, d, n) for (d, k, t), n in counts.items() if n),
                  key=lambda a: (a.count, a.type, a.kind, a.direction))


def count_groups(session: Session, viewer: Viewer, stix_id: str, f: Filters, *,
                 rows: Rows | None = None) -> dict[tuple[str, str, str], int]:
    """(direction, kind, type) → distinct neighbours, over the records ``rows`` admits
    (carriers and neighbours alike; by default what the viewer sees)."""
    _roomy(session)
    # Grouped in each direction's own query, straight over the joins: a GROUP BY over a
    # UNION ALL would first copy every reference into a temporary result.
    out: dict[tuple[str, str, str], int] = {}
    for part in _neighbours_each_way(viewer, stix_id, f, carriers=rows, others=rows):
        direction, kind, other, other_type = part.selected_columns
        for d, k, t, n in session.execute(
                part.with_only_columns(direction, kind, other_type, func.count(other.distinct()))
                .group_by(kind, other_type)):
            out[(str(d), str(k), str(t))] = int(n)
    return out


def beyond_counts(session: Session, viewer: Viewer, stix_id: str,
                  scope: access.Scope) -> dict[tuple[str, str, str], int]:
    """The neighbours the viewer sees only through records outside ``scope`` — a
    carrying record or every copy of the neighbour — counted by (direction, kind, type):
    what adds to the roll-up over ``scope`` without counting anyone twice."""
    beyond: Rows = lambda m: access.visible_beyond(m, viewer, scope)  # noqa: E731
    out: dict[tuple[str, str, str], int] = {}
    for way in (OUT, IN):
        found = union(*(part for rows in ((beyond, None), (None, beyond))
                        for part in _neighbours_each_way(
                            viewer, stix_id, Filters(), direction=way,
                            carriers=rows[0], others=rows[1]))).subquery()
        carrier, ref, copy = aliased(StixObject), aliased(StixRef), aliased(StixObject)
        here, there = ((ref.source_stix_id, ref.target_stix_id) if way == OUT
                       else (ref.target_stix_id, ref.source_stix_id))
        in_rollup = and_(
            exists().where(here == stix_id, there == found.c.other, ref.kind == found.c.kind,
                           carrier.id == ref.object_id, carrier.revoked.is_(False),
                           scope.rows(carrier)),
            exists().where(copy.stix_id == found.c.other, copy.revoked.is_(False),
                           scope.rows(copy), copy.type.not_in(NOT_NODES)))
        for kind, other_type, n in session.execute(
                select(found.c.kind, found.c.type, func.count())
                .where(~in_rollup).group_by(found.c.kind, found.c.type)):
            out[(way, str(kind), str(other_type))] = int(n)
    return out


def _ids_of_groups(session: Session, viewer: Viewer, stix_id: str, f: Filters,
                   chosen: Sequence[Aggregate]) -> list[str]:
    ids: dict[str, None] = {}
    for g in chosen:
        sub = _neighbours(viewer, stix_id, replace_types(f, g.type), kind=g.kind,
                          direction=g.direction).subquery()
        for (other,) in session.execute(select(sub.c.other).distinct()):
            ids[str(other)] = None
    return list(ids)


def replace_types(f: Filters, stix_type: str) -> Filters:
    return Filters(types=(stix_type,), tlps=f.tlps, vetting=f.vetting, since=f.since,
                   until=f.until)


def nodes_for(session: Session, viewer: Viewer, stix_ids: Iterable[str]) -> list[GraphNode]:
    """One node per STIX id: the viewer's own copy first, else the newest visible one.

    Listing sensitive copies (RED, AMBER+STRICT) is audited as a read, like any list."""
    wanted = list(dict.fromkeys(stix_ids))
    chosen: dict[str, StixObject] = {}
    for start in range(0, len(wanted), 500):
        for row in session.scalars(access.select_visible(StixObject, viewer).where(
                StixObject.stix_id.in_(wanted[start:start + 500]))):
            current = chosen.get(row.stix_id)
            if current is None or _better(row, current, viewer):
                chosen[row.stix_id] = row
    records = [chosen[i] for i in wanted if i in chosen]
    access.audit_listing(session, StixObject, records, viewer)
    return [_node(r) for r in records]


# Properties that name an object without a name or value (the crime-artefact SCOs…).
_NAMING = ("address", "iban", "account_number", "handle", "number", "path", "display_name",
           "user_id", "key")


def _node(row: StixObject) -> GraphNode:
    name = row.name
    if not name:
        obj = orjson.loads(row.data)
        name = next((str(obj[k]) for k in _NAMING if isinstance(obj.get(k), str | int)),
                    row.stix_id)
    return GraphNode(row.stix_id, row.id, row.type, name, row.tlp, row.vetting)


def _better(row: StixObject, current: StixObject, viewer: Viewer) -> bool:
    mine, theirs = row.owner_org_id == viewer.org_id, current.owner_org_id == viewer.org_id
    if mine != theirs:
        return mine
    return row.created_at > current.created_at


def edges_between(session: Session, viewer: Viewer, stix_id: str,
                  others: Sequence[str]) -> list[Edge]:
    """The visible references between a node and some of its neighbours, once each."""
    found: dict[tuple[str, str, str, str | None], Edge] = {}
    carrier = aliased(StixObject)
    for start in range(0, len(others), 500):
        chunk = list(others[start:start + 500])
        rows = session.execute(
            select(StixRef.source_stix_id, StixRef.target_stix_id, StixRef.kind,
                   carrier.stix_id, carrier.type)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(or_(and_(StixRef.source_stix_id == stix_id,
                            StixRef.target_stix_id.in_(chunk)),
                       and_(StixRef.target_stix_id == stix_id,
                            StixRef.source_stix_id.in_(chunk))),
                   carrier.revoked.is_(False), access.visible(carrier, viewer))).all()
        for source, target, kind, via, via_type in rows:
            rel = str(via) if via_type == "relationship" else None
            key = (str(source), str(target), str(kind), rel)
            found.setdefault(key, Edge(*key))
    return sorted(found.values(), key=lambda e: (e.kind, e.source, e.target, e.relationship or ""))


def edges_to_known(session: Session, viewer: Viewer, new: Sequence[str],
                   known: Sequence[str]) -> list[Edge]:
    """The visible references between nodes just sent and nodes the client already
    draws, once each. A known id counts only when the viewer may see a copy of it, so
    naming ids never reveals an edge to something hidden."""
    if not new or not known:
        return []
    seen = list(session.scalars(
        select(StixObject.stix_id).distinct()
        .where(StixObject.stix_id.in_(known), StixObject.revoked.is_(False),
               access.visible(StixObject, viewer))))
    if not seen:
        return []
    carrier = aliased(StixObject)
    found: dict[tuple[str, str, str, str | None], Edge] = {}
    for source, target, kind, via, via_type in session.execute(
            select(StixRef.source_stix_id, StixRef.target_stix_id, StixRef.kind,
                   carrier.stix_id, carrier.type)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(or_(and_(StixRef.source_stix_id.in_(new), StixRef.target_stix_id.in_(seen)),
                       and_(StixRef.source_stix_id.in_(seen), StixRef.target_stix_id.in_(new))),
                   carrier.revoked.is_(False), access.visible(carrier, viewer))):
        rel = str(via) if via_type == "relationship" else None
        key = (str(source), str(target), str(kind), rel)
        found.setdefault(key, Edge(*key))
    return sorted(found.values(), key=lambda e: (e.kind, e.source, e.target, e.relationship or ""))


def check_known(ids: Sequence[str]) -> tuple[str, ...]:
    clean = tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if len(clean) > MAX_KNOWN:
        raise InvalidInput(_("Name at most %(n)d nodes already drawn.") % {"n": MAX_KNOWN},
                           details={"field": "known"})
    for i in clean:
        if "--" not in i or len(i) > 300 or i.startswith("aggregate|"):
            raise InvalidInput(_("%(id)r is not a STIX id (type--UUID).") % {"id": i[:80]},
                               details={"field": "known"})
    return clean


def _with_known(session: Session, viewer: Viewer, view: View, stix_id: str,
                known: Sequence[str]) -> None:
    """Add the edges from the view's new nodes to the nodes already drawn."""
    others = [k for k in check_known(known) if k != stix_id]
    have = {(e.source, e.target, e.kind, e.relationship) for e in view.edges}
    for edge in edges_to_known(session, viewer, [n.stix_id for n in view.nodes], others):
        if (edge.source, edge.target, edge.kind, edge.relationship) not in have:
            view.edges.append(edge)


# ------------------------------------------------------------------ the operations


def start_node(session: Session, viewer: Viewer, ref: str) -> GraphNode:
    """The node for a STIX id or record id the viewer may see (else NotFound)."""
    return _node(intel.get_object(session, viewer, ref.strip()))


def search(session: Session, viewer: Viewer, *, q: str | None = None,
           value: str | None = None, kind: str | None = None, f: Filters = Filters(),
           limit: int = EXPANSION_LIMIT, cursor: str | None = None) -> View:
    """Start from a search: full text (``q``) or an observable value, through the
    knowledge base's own search (:func:`cyberhub.intel.service.list_objects`); ``kind``
    says what the value is when it is not one the lookup guesses (wallet, social…)."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput(_("Unknown kind %(kind)r; use one of %(kinds)s.")
                           % {"kind": kind, "kinds": ", ".join(sorted(KINDS))},
                           details={"field": "kind"})
    if not (q and q.strip()) and not (value and value.strip()):
        raise InvalidInput(_("Give a STIX id to start from, words to search for, or a "
                             "value to look up."), details={"field": "q"})
    found = intel.list_objects(session, viewer, intel.Filters(
        q=q or None, value=value.strip() if value else None, kind=kind or None,
        types=list(f.types),
        tlps=list(f.tlps), vetting=list(f.vetting), since=f.since, until=f.until,
        include_revoked=False), cursor=cursor, limit=limit)
    seen: dict[str, GraphNode] = {}
    for row in found.items:
        if row.type in NOT_NODES:
            continue
        current = seen.get(row.stix_id)
        if current is None or row.owner_org_id == viewer.org_id:
            seen[row.stix_id] = _node(row)
    return View(nodes=list(seen.values()), total=len(seen), next_cursor=found.next_cursor)


def expand(session: Session, viewer: Viewer, stix_id: str, f: Filters = Filters(), *,
           limit: int = EXPANSION_LIMIT, shown: int = 0,
           node_budget: int = NODE_BUDGET, known: Sequence[str] = (),
           rollup: bool = True) -> View:
    """A node's visible neighbours: small groups one by one, the rest aggregated; with
    ``known`` (nodes the client already draws), the edges the new nodes have to them."""
    check_node(stix_id)
    _check_limit(limit)
    check_known(known)
    room = max(0, min(limit, node_budget - max(shown, 0)))
    counted = groups(session, viewer, stix_id, f, rollup=rollup)
    view = View(total=sum(g.count for g in counted))
    chosen: list[Aggregate] = []
    used = 0
    for g in counted:  # smallest first, each group whole
        if not view.aggregates and used + g.count <= room:
            chosen.append(g)
            used += g.count
        else:
            view.aggregates.append(g)
    ids = _ids_of_groups(session, viewer, stix_id, f, chosen) if chosen else []
    view.nodes = nodes_for(session, viewer, ids)
    view.edges = edges_between(session, viewer, stix_id, [n.stix_id for n in view.nodes])
    _with_known(session, viewer, view, stix_id, known)
    return view


def group_page(session: Session, viewer: Viewer, stix_id: str, *, kind: str, direction: str,
               f: Filters = Filters(), limit: int = EXPANSION_LIMIT,
               cursor: str | None = None, known: Sequence[str] = ()) -> View:
    """One page of one group's neighbours (an aggregate opened), by STIX id; with
    ``known``, the edges they have to the nodes the client already draws."""
    check_node(stix_id)
    _check_limit(limit)
    check_known(known)
    if direction not in (IN, OUT):
        raise InvalidInput(_("direction must be in or out."), details={"field": "direction"})
    if not kind or len(kind) > 300:
        raise InvalidInput(_("via must name a relationship type or a reference property."),
                           details={"field": "via"})
    after = _decode_cursor(cursor) if cursor else None
    _roomy(session)
    sub = _neighbours(viewer, stix_id, f, kind=kind, direction=direction).subquery()
    query = select(sub.c.other).distinct().order_by(sub.c.other).limit(limit + 1)
    if after is not None:
        query = query.where(sub.c.other > after)
    ids = [str(i) for i in session.scalars(query)]
    view = View()
    if len(ids) > limit:
        ids = ids[:limit]
        view.next_cursor = _encode_cursor(ids[-1])
    if after is None:
        view.total = int(session.scalar(select(func.count(sub.c.other.distinct()))) or 0)
    view.nodes = nodes_for(session, viewer, ids)
    view.edges = [e for e in edges_between(session, viewer, stix_id, ids) if e.kind == kind]
    _with_known(session, viewer, view, stix_id, known)
    return view


def check_node(stix_id: str) -> None:
    if "--" not in stix_id or len(stix_id) > 300:
        raise InvalidInput(_("node must be a STIX id (type--UUID)."), details={"field": "node"})


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(_("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT},
                           details={"field": "limit"})


def _encode_cursor(stix_id: str) -> str:
    return base64.urlsafe_b64encode(stix_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if "--" not in value:
        raise InvalidInput(_("The cursor is not one this hub gave out; start again without "
                             "it."), details={"field": "cursor"})
    return value


def check_export_ids(ids: Sequence[str]) -> tuple[str, ...]:
    clean = tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not clean:
        raise InvalidInput(_("Select something to export first."), details={"field": "ids"})
    if len(clean) > MAX_EXPORT:
        raise InvalidInput(_("Export at most %(n)d objects at a time.") % {"n": MAX_EXPORT},
                           details={"field": "ids"})
    for i in clean:
        if "--" not in i or len(i) > 300 or i.startswith("aggregate|"):
            raise InvalidInput(_("%(id)r is not a STIX id (type--UUID).") % {"id": i[:80]},
                               details={"field": "ids"})
    return clean
