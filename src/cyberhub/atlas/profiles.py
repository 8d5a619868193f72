"""Actor profiles: everything the viewer may see about one intrusion set or threat actor.

A profile gathers the visible objects related to the actor — directly, or forward
through its infrastructure, up to two hops (actor → domain → address → hoster) — and
sorts them: artefacts by
kind (domains, addresses, URLs, wallets, bank accounts, e-mail addresses, phone numbers,
social accounts), infrastructure and services, tools and malware, ATT&CK techniques,
targeted sectors and countries, origins, campaigns attributed to it, the timeline of
relationships and sightings, and the organisations that contributed each part
(provenance). Only visible relationships and sightings count, and only visible objects
are named; an actor the viewer may not see is not found.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.community.models import Organisation
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _
from cyberhub.intel import service as intel
from cyberhub.intel.models import StixObject, StixRef, Vetting

PROFILE_TYPES = ("intrusion-set", "threat-actor")
ARTEFACTS: dict[str, str] = {
    "domain-name": "domains", "ipv4-addr": "addresses", "ipv6-addr": "addresses",
    "url": "urls", "x-cyberhub-cryptocurrency-wallet": "wallets",
    "x-cyberhub-bank-account": "bank_accounts", "email-addr": "emails",
    "x-cyberhub-phone-number": "phones", "x-cyberhub-social-account": "social_accounts",
}
INFRASTRUCTURE = ("infrastructure", "x-cyberhub-criminal-service", "autonomous-system")
# What a walk continues through (forward: actor → domain → address → hoster).
HOP_TYPES = ("domain-name", "ipv4-addr", "ipv6-addr", "url", *INFRASTRUCTURE)
TOOLS = ("malware", "tool")
HOPS = 2  # steps forward through infrastructure beyond the actor's direct neighbours
MAX_EDGES = 5000  # per step: a profile stays a page, whatever the actor's size
_ATTACK_ID = re.compile(r"^T\d{4}(\.\d{3})?$")


def artefact_labels() -> dict[str, str]:
    return {"domains": _("Domains"), "addresses": _("IP addresses"), "urls": _("URLs"),
            "wallets": _("Cryptocurrency wallets"), "bank_accounts": _("Bank accounts"),
            "emails": _("E-mail addresses"), "phones": _("Phone numbers"),
            "social_accounts": _("Social accounts")}


@dataclass
class Item:
    stix_id: str
    type: str
    name: str
    via: str | None = None  # the actor's infrastructure it was reached through
    detail: str = ""  # an ATT&CK id, a country code, a relationship type…


@dataclass
class Event:
    when: datetime
    kind: str  # relationship:<type> or sighting
    other_id: str
    other_name: str
    org: str
    direction: str = "out"  # out: actor → other; in: other → actor; seen: a sighting


@dataclass
class Source:
    org: str
    copies: int = 0  # records of the actor itself
    relationships: int = 0
    sightings: int = 0
    artefacts: int = 0
    first: datetime | None = None
    last: datetime | None = None
    origins: set[str] = field(default_factory=set)  # how it came: api, import, demo…

    def saw(self, moment: datetime | None) -> None:
        if moment is None:
            return
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)


@dataclass
class Profile:
    record_id: uuid.UUID
    stix_id: str
    type: str
    name: str
    description: str
    aliases: list[str]
    vetting: Vetting
    copies: list[tuple[str, Vetting, str]]  # (organisation, vetting, tlp) of each copy
    artefacts: dict[str, list[Item]]
    infrastructure: list[Item]
    tools: list[Item]
    techniques: list[Item]
    sectors: list[Item]
    countries: list[Item]  # targeted
    origins: list[Item]
    campaigns: list[Item]
    others: list[Item]  # related visible objects of any other kind
    timeline: list[Event]
    sources: list[Source]

    def as_json(self) -> dict[str, Any]:
        def items(rows: list[Item]) -> list[dict[str, Any]]:
            return [{"stix_id": i.stix_id, "type": i.type, "name": i.name, "via": i.via,
                     "detail": i.detail} for i in rows]

        return {
            "id": str(self.record_id), "stix_id": self.stix_id, "type": self.type,
            "name": self.name, "description": self.description, "aliases": self.aliases,
            "vetting": self.vetting.value,
            "copies": [{"organisation": o, "vetting": v.value, "tlp": t}
                       for o, v, t in self.copies],
            "artefacts": {k: items(v) for k, v in self.artefacts.items()},
            "infrastructure": items(self.infrastructure), "tools": items(self.tools),
            "techniques": items(self.techniques), "sectors": items(self.sectors),
            "countries": items(self.countries), "origins": items(self.origins),
            "campaigns": items(self.campaigns), "others": items(self.others),
            "timeline": [{"when": e.when.isoformat(), "kind": e.kind, "other_id": e.other_id,
                          "other_name": e.other_name, "organisation": e.org,
                          "direction": e.direction} for e in self.timeline],
            "sources": [{"organisation": s.org, "copies": s.copies,
                         "relationships": s.relationships, "sightings": s.sightings,
                         "artefacts": s.artefacts,
                         "first": s.first.isoformat() if s.first else None,
                         "last": s.last.isoformat() if s.last else None,
                         "origins": sorted(s.origins)} for s in self.sources],
        }


def _label(row_name: str | None, data: dict[str, Any], stix_id: str) -> str:
    if row_name:
        return row_name
    if data.get("type") == "x-cyberhub-social-account" and data.get("handle"):
        return f"{data.get('platform', '')}: {data['handle']}".strip(": ")
    for key in ("value", "number", "address", "iban", "handle", "account_number"):
        if isinstance(data.get(key), str | int) and str(data[key]):
            return str(data[key])
    return stix_id


@dataclass
class _Edge:
    source: str
    target: str
    kind: str
    carrier: StixObject


def _edges(session: Session, viewer: Viewer, ids: list[str], *,
           forward: bool = False) -> list[_Edge]:
    """Visible, unrevoked relationships touching any of ``ids`` (``forward``: only those
    from them) and the visible sightings of them."""
    carrier = aliased(StixObject)
    out: list[_Edge] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        touching = [StixRef.source_stix_id.in_(chunk)]
        if not forward:
            touching.append(StixRef.target_stix_id.in_(chunk))
        rows = session.execute(
            select(StixRef.source_stix_id, StixRef.target_stix_id, StixRef.kind, carrier)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(or_(and_(or_(*touching), StixRef.kind.like("relationship:%")),
                       and_(StixRef.target_stix_id.in_(chunk),
                            StixRef.kind == "sighting_of_ref")),
                   carrier.revoked.is_(False), access.visible(carrier, viewer))
            .order_by(StixRef.id).limit(MAX_EDGES - len(out))).all()
        out += [_Edge(s, t, k, c) for s, t, k, c in rows]
        if len(out) >= MAX_EDGES:
            break
    return out


def _objects(session: Session, viewer: Viewer, ids: set[str]) -> dict[str, StixObject]:
    """The visible, unrevoked objects among ``ids`` (the viewer's own copy first)."""
    found: dict[str, StixObject] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 1000):
        for row in session.scalars(access.select_visible(StixObject, viewer).where(
                StixObject.stix_id.in_(wanted[start:start + 1000]),
                StixObject.revoked.is_(False))):
            if row.stix_id not in found or row.owner_org_id == viewer.org_id:
                found[row.stix_id] = row
    return found


def _when(row: StixObject) -> datetime:
    return row.stix_modified or row.stix_created or row.created_at


def _first_seen(row: StixObject, data: dict[str, Any]) -> datetime:
    for key in ("start_time", "first_seen"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
    return row.stix_created or _when(row)


def get_actor(session: Session, viewer: Viewer, ref: str) -> StixObject:
    """The actor by STIX id or record id; NotFound when it is missing, not visible or
    not an intrusion set or threat actor."""
    if len(ref) > 300:
        raise InvalidInput(_("ref must be a STIX id or a record id."), details={"field": "ref"})
    row = intel.get_object(session, viewer, ref)
    if row.type not in PROFILE_TYPES:
        raise NotFound()
    return row


def profile(session: Session, viewer: Viewer, ref: str) -> Profile:
    actor = get_actor(session, viewer, ref)
    data = intel.as_stix(actor)
    direct = _edges(session, viewer, [actor.stix_id])
    neighbours = {e.target if e.source == actor.stix_id else e.source for e in direct
                  if e.kind != "sighting_of_ref"}
    neighbours.discard(actor.stix_id)
    first = _objects(session, viewer, neighbours)
    # Forward through infrastructure (actor → domain → address → hoster), as the choke
    # points walk: the other customers of a hoster are not this actor's.
    via: dict[str, str] = {}  # reached object → the direct neighbour it was reached from
    second: dict[str, StixObject] = {}
    hop_edges: list[_Edge] = []
    frontier = {sid: sid for sid, row in first.items() if row.type in HOP_TYPES}
    for _step in range(HOPS):
        if not frontier:
            break
        found = _edges(session, viewer, sorted(frontier), forward=True)
        hop_edges += found
        fresh = {e.target: frontier[e.source] for e in found
                 if e.kind != "sighting_of_ref" and e.source in frontier
                 and e.target != actor.stix_id and e.target not in first
                 and e.target not in via}
        via.update(fresh)
        rows = {k: v for k, v in _objects(session, viewer, set(fresh)).items()
                if v.type not in PROFILE_TYPES and v.type != "campaign"}
        second.update(rows)
        frontier = {k: fresh[k] for k, v in rows.items() if v.type in HOP_TYPES}
    second_edges = hop_edges
    reached: dict[str, tuple[StixObject, str | None]] = {
        **{k: (v, None) for k, v in first.items()},
        **{k: (v, via[k]) for k, v in second.items()}}

    names: dict[str, str] = {}
    datas: dict[str, dict[str, Any]] = {}
    for sid, (row, _v) in reached.items():
        datas[sid] = orjson.loads(row.data)
        names[sid] = _label(row.name, datas[sid], sid)

    artefacts: dict[str, list[Item]] = {k: [] for k in artefact_labels()}
    infrastructure: list[Item] = []
    tools: list[Item] = []
    techniques: list[Item] = []
    sectors: list[Item] = []
    countries: list[Item] = []
    origins: list[Item] = []
    campaigns: list[Item] = []
    others: list[Item] = []
    kinds_with: dict[str, set[str]] = defaultdict(set)  # neighbour → relationship types
    for e in direct:
        other = e.target if e.source == actor.stix_id else e.source
        kinds_with[other].add(e.kind.removeprefix("relationship:"))
    for sid, (row, through) in sorted(reached.items(), key=lambda kv: names[kv[0]].casefold()):
        item = Item(sid, row.type, names[sid], names.get(through) if through else None)
        d = datas[sid]
        rel = kinds_with.get(sid, set())
        if row.type in ARTEFACTS:
            artefacts[ARTEFACTS[row.type]].append(item)
        elif row.type in INFRASTRUCTURE:
            infrastructure.append(item)
        elif row.type in TOOLS:
            tools.append(item)
        elif row.type == "attack-pattern" and through is None:
            ext = next((r.get("external_id") for r in d.get("external_references", [])
                        if isinstance(r, dict) and r.get("source_name") == "mitre-attack"
                        and isinstance(r.get("external_id"), str)
                        and _ATTACK_ID.match(r["external_id"])), "")
            item.name = re.sub(r"\s+-\s+T\d{4}(\.\d{3})?$", "", item.name)
            item.detail = str(ext)
            techniques.append(item)
        elif row.type == "identity" and "targets" in rel:
            sectors.append(item)
        elif row.type == "location" and through is None and ("targets" in rel
                                                             or "originates-from" in rel):
            item.detail = str(d.get("country") or d.get("region") or "")
            if "targets" in rel:
                countries.append(item)
            if "originates-from" in rel:
                origins.append(Item(sid, row.type, item.name, None, item.detail))
        elif row.type == "campaign":
            campaigns.append(item)
        elif through is None:
            item.detail = ", ".join(sorted(rel))
            others.append(item)
    techniques.sort(key=lambda i: i.detail)

    # Timeline and provenance.
    orgs = {o.id: o.name for o in session.scalars(select(Organisation))}
    sources: dict[uuid.UUID, Source] = {}

    def source(org_id: uuid.UUID) -> Source:
        return sources.setdefault(org_id, Source(orgs.get(org_id, "?")))

    timeline: list[Event] = []
    for e in direct:
        c = e.carrier
        other = e.target if e.source == actor.stix_id else e.source
        s = source(c.owner_org_id)
        s.origins.add(c.source)
        if e.kind == "sighting_of_ref":
            s.sightings += 1
            moment = _first_seen(c, orjson.loads(c.data))
            timeline.append(Event(moment, "sighting", c.stix_id, "", s.org, "seen"))
        else:
            s.relationships += 1
            moment = _first_seen(c, orjson.loads(c.data))
            timeline.append(Event(moment, e.kind, other, names.get(other, other), s.org,
                                  "out" if e.source == actor.stix_id else "in"))
        s.saw(moment)
    # Sightings of its artefacts and infrastructure count in its timeline too.
    for e in second_edges:
        if e.kind != "sighting_of_ref" or e.target not in reached:
            continue
        c = e.carrier
        s = source(c.owner_org_id)
        s.origins.add(c.source)
        s.sightings += 1
        moment = _first_seen(c, orjson.loads(c.data))
        s.saw(moment)
        timeline.append(Event(moment, "sighting", e.target, names.get(e.target, e.target),
                              s.org, "seen"))
    for row, _through in reached.values():
        if row.type in ARTEFACTS or row.type in INFRASTRUCTURE:
            src = source(row.owner_org_id)
            src.artefacts += 1
            src.origins.add(row.source)
    copies = list(session.scalars(access.select_visible(StixObject, viewer).where(
        StixObject.stix_id == actor.stix_id).order_by(StixObject.created_at)))
    for row in copies:
        s = source(row.owner_org_id)
        s.copies += 1
        s.origins.add(row.source)
        s.saw(row.stix_created or row.created_at)
    timeline.sort(key=lambda ev: (ev.when, ev.kind, ev.other_id), reverse=True)
    aliases = [a for a in data.get("aliases", []) if isinstance(a, str)]
    return Profile(
        record_id=actor.id, stix_id=actor.stix_id, type=actor.type,
        name=actor.name or actor.stix_id, description=str(data.get("description") or ""),
        aliases=aliases, vetting=actor.vetting,
        copies=[(orgs.get(r.owner_org_id, "?"), r.vetting, r.tlp.value) for r in copies],
        artefacts=artefacts, infrastructure=infrastructure, tools=tools,
        techniques=techniques, sectors=sectors, countries=countries, origins=origins,
        campaigns=campaigns, others=others, timeline=timeline,
        sources=sorted(sources.values(), key=lambda s: (-(s.copies + s.relationships
                                                          + s.sightings + s.artefacts),
                                                        s.org)))


@dataclass
class ActorRow:
    record_id: uuid.UUID
    stix_id: str
    type: str
    name: str
    aliases: list[str]
    relationships: int


def list_actors(session: Session, viewer: Viewer, q: str = "", *, limit: int = 100,
                offset: int = 0) -> tuple[list[ActorRow], int]:
    """Visible intrusion sets and threat actors, by name (search: name or alias, any
    case), one row per STIX id (the viewer's own copy first); (page, total)."""
    if len(q) > 200:
        raise InvalidInput(_("The search is too long (200 characters at most)."),
                           details={"field": "q"})
    base = (access.select_visible(StixObject, viewer)
            .where(StixObject.type.in_(PROFILE_TYPES), StixObject.revoked.is_(False)))
    needle = q.strip().casefold()
    if needle:
        # A coarse filter in SQL (the needle anywhere in the object), then the precise
        # one here: in the name or in an alias.
        like = "%" + needle.replace("\\", "").replace("%", "").replace("_", "") + "%"
        matched: dict[str, str] = {}
        for sid, name, data in session.execute(
                base.with_only_columns(StixObject.stix_id, StixObject.name, StixObject.data)
                .where(func.lower(StixObject.data).like(like))):
            aliases = orjson.loads(data).get("aliases", [])
            if needle in (name or "").casefold() or any(
                    isinstance(a, str) and needle in a.casefold() for a in aliases):
                matched.setdefault(sid, name or sid)
        ordered = sorted(matched, key=lambda k: (matched[k].casefold(), k))
        total = len(ordered)
        page_ids = ordered[offset:offset + limit]
    else:
        ids = base.with_only_columns(StixObject.stix_id).distinct().subquery()
        total = session.scalar(select(func.count()).select_from(ids)) or 0
        page_ids = [sid for (sid, _n) in session.execute(
            base.with_only_columns(StixObject.stix_id, func.min(StixObject.name))
            .group_by(StixObject.stix_id)
            .order_by(func.lower(func.min(StixObject.name)), StixObject.stix_id)
            .offset(offset).limit(limit))]
    rows = _objects(session, viewer, set(page_ids))
    counts: dict[str, int] = defaultdict(int)
    if page_ids:
        carrier = aliased(StixObject)
        for sid, n in session.execute(
                select(StixRef.source_stix_id, func.count())
                .join(carrier, carrier.id == StixRef.object_id)
                .where(StixRef.source_stix_id.in_(page_ids),
                       StixRef.kind.like("relationship:%"), carrier.revoked.is_(False),
                       access.visible(carrier, viewer))
                .group_by(StixRef.source_stix_id)):
            counts[sid] += int(n)
    out = []
    for sid in page_ids:
        row = rows.get(sid)
        if row is None:
            continue
        d = orjson.loads(row.data)
        out.append(ActorRow(row.id, sid, row.type, row.name or sid,
                            [a for a in d.get("aliases", []) if isinstance(a, str)],
                            counts[sid]))
    return out, int(total)
