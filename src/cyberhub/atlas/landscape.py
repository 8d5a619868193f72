"""The landscape dashboard: what the threat map holds, over time and across the world.

Every figure is one aggregate query over what the viewer may see (``access.visible`` on
the objects counted, and on the relationship or sighting that carries an edge); nothing
loads the objects themselves. Figures for a period:

- **new objects per week, by category**: visible, unrevoked objects whose STIX
  ``created`` (for observables, which have none: when the hub stored them) falls in the
  period, counted once per STIX id;
- **sightings per week**: visible sightings by their ``created``;
- **vetted findings per week**: visible objects whose vetting state is ``vetted``, by
  the moment the record last changed;
- **sectors and countries**: distinct actors (intrusion sets, threat actors, campaigns)
  that a visible relationship modified in the period says ``targets`` a sector identity
  or a country (a ``location`` with a ``country``), or ``originates-from`` a country;
- **most active** actors, tools and malware, infrastructure and services: the visible
  relationships (either end) and sightings modified in the period that touch each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.atlas import graph
from cyberhub.db import UTCDateTime
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _, pgettext
from cyberhub.intel.models import StixObject, StixRef, Vetting

PERIODS: dict[str, int] = {"30d": 30, "90d": 90, "1y": 365, "2y": 730}
DEFAULT_PERIOD = "90d"
ACTOR_TYPES = ("intrusion-set", "threat-actor", "campaign")
PROFILE_TYPES = ("intrusion-set", "threat-actor")
TOP = 10

# STIX type → the dashboard's category of new objects; other types are not counted
# there (relationships, sightings, reference vocabulary…).
CATEGORIES: dict[str, str] = {**graph.CATEGORIES, "campaign": graph.ACTOR,
                              "indicator": "indicator", "report": "report"}
CATEGORY_ORDER = ("actor", "infrastructure", "service", "tool", "money", "contact",
                  "indicator", "report")
# The lists of the most active: category → the STIX types ranked in it.
RANKED: dict[str, tuple[str, ...]] = {
    "actors": PROFILE_TYPES,
    "tools": ("malware", "tool"),
    "infrastructure": ("infrastructure", "domain-name", "ipv4-addr", "ipv6-addr", "url",
                       "autonomous-system", "x-cyberhub-criminal-service"),
}


def category_labels() -> dict[str, str]:
    return {"actor": _("Actors and campaigns"), "infrastructure": _("Infrastructure"),
            "service": _("Criminal services"), "tool": _("Tools and malware"),
            "money": _("Money"), "contact": _("Contact points"),
            "indicator": _("Indicators"), "report": pgettext("STIX object type", "Reports")}


def period_labels() -> dict[str, str]:
    return {"30d": _("30 days"), "90d": _("90 days"), "1y": _("1 year"), "2y": _("2 years")}


@dataclass
class Ranked:
    stix_id: str
    type: str
    name: str
    activity: int


@dataclass
class Country:
    code: str  # ISO 3166-1 alpha-2
    numeric: str  # ISO 3166-1 numeric, the world map's ids
    name: str
    targeted: int = 0
    origin: int = 0


@dataclass
class Landscape:
    period: str
    since: datetime
    until: datetime
    weeks: list[date]
    new_objects: dict[str, list[int]]
    sightings: list[int]
    vetted: list[int]
    sectors: list[tuple[str, str, int]]  # (identity id, name, actors)
    countries: list[Country]
    top: dict[str, list[Ranked]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        labels = category_labels()
        return {
            "period": self.period, "since": self.since.isoformat(),
            "until": self.until.isoformat(), "weeks": [w.isoformat() for w in self.weeks],
            "new_objects": [{"category": c, "label": labels[c], "counts": counts}
                            for c, counts in self.new_objects.items()],
            "sightings": self.sightings, "vetted": self.vetted,
            "sectors": [{"stix_id": s, "name": n, "actors": a} for s, n, a in self.sectors],
            "countries": [{"code": c.code, "numeric": c.numeric, "name": c.name,
                           "targeted": c.targeted, "origin": c.origin}
                          for c in self.countries],
            "top": {k: [{"stix_id": r.stix_id, "type": r.type, "name": r.name,
                         "activity": r.activity} for r in v] for k, v in self.top.items()},
        }


def window(period: str, now: datetime | None = None) -> tuple[datetime, datetime, list[date]]:
    """(since, until, week starts): the period ends now and starts on the Monday of the
    week it reaches back into, so that every week is whole."""
    if period not in PERIODS:
        raise InvalidInput(_("Unknown period %(value)r; use one of: %(choices)s")
                           % {"value": period, "choices": ", ".join(PERIODS)},
                           details={"field": "period"})
    until = (now or datetime.now(UTC)).astimezone(UTC)
    first = (until - timedelta(days=PERIODS[period])).date()
    first -= timedelta(days=first.weekday())
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    weeks = [first + timedelta(weeks=i)
             for i in range(math.ceil((until - since) / timedelta(weeks=1)))]
    return since, until, weeks


def _week(session: Session, column: Any, since: datetime) -> ColumnElement[int]:
    """The week (0, 1, …) of ``column`` counted from ``since``, in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        start = since.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return cast((func.julianday(column) - func.julianday(start)) / 7, Integer)
    return cast(func.floor(func.extract("epoch", column - literal(since, UTCDateTime()))
                           / 604800), Integer)


def _weekly(session: Session, query: Select[int, int], nweeks: int) -> list[int]:
    counts = [0] * nweeks
    for week, n in session.execute(query):
        if week is not None and 0 <= int(week) < nweeks:
            counts[int(week)] += int(n)
    return counts


def _prefixed(column: Any, types: tuple[str, ...]) -> ColumnElement[bool]:
    return or_(*(column.like(f"{t}--%") for t in types))


def compute(session: Session, viewer: Viewer, period: str = DEFAULT_PERIOD, *,
            now: datetime | None = None) -> Landscape:
    since, until, weeks = window(period, now)
    n = len(weeks)
    visible = access.visible(StixObject, viewer)
    moment = func.coalesce(StixObject.stix_created, StixObject.created_at)
    week = _week(session, moment, since)

    # New objects per week and type (one STIX id counts once, whoever holds copies).
    new_objects = {c: [0] * n for c in CATEGORY_ORDER}
    for stix_type, w, count in session.execute(
            select(StixObject.type, week, func.count(StixObject.stix_id.distinct()))
            .where(StixObject.type.in_(CATEGORIES), StixObject.revoked.is_(False),
                   moment >= since, moment <= until, visible)
            .group_by(StixObject.type, week)):
        if w is not None and 0 <= int(w) < n:
            new_objects[CATEGORIES[stix_type]][int(w)] += int(count)

    sightings = _weekly(session, select(week, func.count(StixObject.stix_id.distinct()))
                        .where(StixObject.type == "sighting", StixObject.revoked.is_(False),
                               moment >= since, moment <= until, visible)
                        .group_by(week), n)
    changed = _week(session, StixObject.updated_at, since)
    vetted = _weekly(session, select(changed, func.count(StixObject.stix_id.distinct()))
                     .where(StixObject.vetting == Vetting.VETTED,
                            StixObject.revoked.is_(False), StixObject.updated_at >= since,
                            StixObject.updated_at <= until, visible)
                     .group_by(changed), n)

    sectors, countries = _breakdowns(session, viewer, since, until)
    top = _most_active(session, viewer, since, until)
    return Landscape(period, since, until, weeks, new_objects, sightings, vetted, sectors,
                     countries, top)


def _names(session: Session, viewer: Viewer, ids: set[str],
           types: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Of ``ids``, the visible unrevoked objects of ``types``: id → (type, name)."""
    found: dict[str, tuple[str, str]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 1000):
        for stix_id, stix_type, name in session.execute(
                access.select_visible(StixObject, viewer)
                .with_only_columns(StixObject.stix_id, StixObject.type, StixObject.name)
                .where(StixObject.stix_id.in_(wanted[start:start + 1000]),
                       StixObject.type.in_(types), StixObject.revoked.is_(False))):
            found.setdefault(stix_id, (stix_type, name or stix_id))
    return found


def _breakdowns(session: Session, viewer: Viewer, since: datetime,
                until: datetime) -> tuple[list[tuple[str, str, int]], list[Country]]:
    carrier = aliased(StixObject)
    edges = (select(StixRef.source_stix_id, StixRef.target_stix_id, StixRef.kind)
             .join(carrier, carrier.id == StixRef.object_id)
             .where(carrier.type == "relationship", carrier.revoked.is_(False),
                    carrier.stix_modified >= since, carrier.stix_modified <= until,
                    access.visible(carrier, viewer),
                    StixRef.kind.in_(("relationship:targets", "relationship:originates-from")),
                    _prefixed(StixRef.source_stix_id, ACTOR_TYPES),
                    _prefixed(StixRef.target_stix_id, ("identity", "location")))
             .subquery())
    rows = session.execute(
        select(edges.c.kind, edges.c.target_stix_id,
               func.count(edges.c.source_stix_id.distinct()))
        .group_by(edges.c.kind, edges.c.target_stix_id)).all()
    sector_counts = {t: int(c) for k, t, c in rows
                     if k == "relationship:targets" and t.startswith("identity--")}
    names = _names(session, viewer, set(sector_counts), ("identity",))
    sectors = sorted(((sid, names[sid][1], count) for sid, count in sector_counts.items()
                      if sid in names), key=lambda s: (-s[2], s[1].casefold()))
    places = {t for _k, t, _c in rows if t.startswith("location--")}
    codes = _countries_of(session, viewer, places)
    by_code: dict[str, Country] = {}
    for kind, target, count in rows:
        code = codes.get(target)
        if code is None:
            continue
        country = by_code.get(code) or by_code.setdefault(code, _country(code))
        if kind == "relationship:targets":
            country.targeted += int(count)
        else:
            country.origin += int(count)
    countries = sorted(by_code.values(), key=lambda c: (-c.targeted, -c.origin, c.name))
    return sectors, countries


def _countries_of(session: Session, viewer: Viewer, ids: set[str]) -> dict[str, str]:
    """Of the location ids, the visible ones that name a country: id → alpha-2."""
    found: dict[str, str] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 1000):
        for stix_id, data in session.execute(
                access.select_visible(StixObject, viewer)
                .with_only_columns(StixObject.stix_id, StixObject.data)
                .where(StixObject.stix_id.in_(wanted[start:start + 1000]),
                       StixObject.type == "location", StixObject.revoked.is_(False))):
            code = orjson.loads(data).get("country")
            if isinstance(code, str) and len(code) == 2 and code.isalpha():
                found.setdefault(stix_id, code.upper())
    return found


def _country(code: str) -> Country:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    if found is None:  # e.g. XK (Kosovo): on the map as Natural Earth has it, or not at all
        return Country(code, "", code)
    return Country(code, str(found.numeric), str(getattr(found, "common_name", found.name)))


def _most_active(session: Session, viewer: Viewer, since: datetime,
                 until: datetime) -> dict[str, list[Ranked]]:
    """For each list of :data:`RANKED`, the objects that the most visible relationships
    and sightings modified in the window touch (either end of a relationship; what a
    sighting saw). One pass over the window's edges, ranked per list in SQL."""
    every = tuple(t for types in RANKED.values() for t in types)
    carrier = aliased(StixObject)
    base = (select(StixRef.source_stix_id.label("source"),
                   StixRef.target_stix_id.label("target"), StixRef.kind.label("kind"))
            .join(carrier, carrier.id == StixRef.object_id)
            .where(carrier.type.in_(("relationship", "sighting")),
                   carrier.revoked.is_(False), carrier.stix_modified >= since,
                   carrier.stix_modified <= until, access.visible(carrier, viewer),
                   or_(and_(StixRef.kind.like("relationship:%"),
                            or_(_prefixed(StixRef.source_stix_id, every),
                                _prefixed(StixRef.target_stix_id, every))),
                       and_(StixRef.kind == "sighting_of_ref",
                            _prefixed(StixRef.target_stix_id, every))))
            .cte("edges").prefix_with("MATERIALIZED"))
    refs = select(base.c.source.label("ref")).where(
        base.c.kind.like("relationship:%"), _prefixed(base.c.source, every)).union_all(
        select(base.c.target.label("ref")).where(_prefixed(base.c.target, every))).subquery()
    category = case(*((_prefixed(refs.c.ref, types), name)
                      for name, types in RANKED.items())).label("category")
    counted = (select(category, refs.c.ref, func.count().label("activity"))
               .group_by(category, refs.c.ref).subquery())
    place = func.row_number().over(partition_by=counted.c.category,
                                   order_by=(counted.c.activity.desc(), counted.c.ref))
    ranked = select(counted.c.category, counted.c.ref, counted.c.activity,
                    place.label("place")).subquery()
    rows = session.execute(select(ranked.c.category, ranked.c.ref, ranked.c.activity)
                           .where(ranked.c.place <= TOP * 3)
                           .order_by(ranked.c.category, ranked.c.place)).all()
    names = _names(session, viewer, {r for _c, r, _n in rows}, every)
    out: dict[str, list[Ranked]] = {name: [] for name in RANKED}
    for name, ref, count in rows:
        if ref in names and len(out[name]) < TOP:
            out[name].append(Ranked(ref, *names[ref], int(count)))
    return out


__all__ = ["CATEGORIES", "DEFAULT_PERIOD", "PERIODS", "Country", "Landscape", "Ranked",
           "category_labels", "compute", "period_labels", "window"]
