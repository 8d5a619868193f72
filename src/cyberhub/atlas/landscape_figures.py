"""The landscape's countable parts, in SQL, for any set of rows.

A part is computed over the rows a predicate admits (:data:`Rows`): all that a viewer may
see (the live figures), the rows under the markings every member sees alike (the roll-up,
computed once for all of them), or what one viewer sees beyond those (added to the
roll-up at request time). Counts of distinct things (objects per week, actors per
target) add up without double counting because the part beyond the roll-up leaves out
what has a counterpart in it; activity counts simply add.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from cyberhub.atlas import graph
from cyberhub.db import UTCDateTime
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel.models import StixObject, StixRef, Vetting
from cyberhub.sharing import TLP

PERIODS: dict[str, int] = {"30d": 30, "90d": 90, "1y": 365, "2y": 730}
DEFAULT_PERIOD = "90d"
ACTOR_TYPES = ("intrusion-set", "threat-actor", "campaign")
PROFILE_TYPES = ("intrusion-set", "threat-actor")
TOP = 10
PLACES = TOP * 3  # ranked places kept before the names the viewer may see are looked up

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
EVERY_RANKED = tuple(t for types in RANKED.values() for t in types)
PAIR_KINDS = ("relationship:targets", "relationship:originates-from")

# A model (or an alias of it) → which of its rows count.
Rows = Callable[[Any], ColumnElement[bool]]


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


@dataclass
class Parts:
    """What the figures count, before the names the viewer may see are looked up.

    ``weekly``: figure ("new:<stix type>", "sightings", "vetted") → week → distinct STIX
    ids; ``pairs``: (relationship kind, target) → distinct actors; ``active``: ranked
    category → [(STIX id, activity)], best first (all of them, or the first
    :data:`PLACES` when ``ranked``)."""

    weekly: dict[str, dict[int, int]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    active: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"weekly": {k: {str(w): n for w, n in v.items()} for k, v in self.weekly.items()},
                "pairs": [[k, t, n] for (k, t), n in self.pairs.items()],
                "active": {c: [[r, n] for r, n in v] for c, v in self.active.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parts:
        return cls({k: {int(w): int(n) for w, n in v.items()} for k, v in data["weekly"].items()},
                   {(k, t): int(n) for k, t, n in data["pairs"]},
                   {c: [(r, int(n)) for r, n in v] for c, v in data["active"].items()})

    def shifted(self, weeks: int) -> Parts:
        """The weekly counts of a period starting ``weeks`` later (the others unchanged)."""
        return Parts({k: {w - weeks: n for w, n in v.items() if w >= weeks}
                      for k, v in self.weekly.items()}, self.pairs, self.active)


def week_of(session: Session, column: Any, since: datetime) -> ColumnElement[int]:
    """The week (0, 1, …) of ``column`` counted from ``since``, in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        start = since.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return cast((func.julianday(column) - func.julianday(start)) / 7, Integer)
    return cast(func.floor(func.extract("epoch", column - literal(since, UTCDateTime()))
                           / 604800), Integer)


def prefixed(column: Any, types: Iterable[str]) -> ColumnElement[bool]:
    return or_(*(column.like(f"{t}--%") for t in types))


def _binary(session: Session, column: Any) -> Any:
    """Order by code point, as Python sorts strings (PostgreSQL's default collation may
    not), so that ties rank the same in SQL and when parts are merged."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


# --- objects per week ---------------------------------------------------------------

FIGURES = ("new", "sightings", "vetted")


def _figure(m: Any, figure: str) -> tuple[Any, list[ColumnElement[bool]]]:
    """(the moment that places a row in a week, the rows the figure counts)."""
    if figure == "vetted":
        return m.updated_at, [m.vetting == Vetting.VETTED]
    moment = func.coalesce(m.stix_created, m.created_at)
    if figure == "new":
        return moment, [m.type.in_(CATEGORIES)]
    return moment, [m.type == "sighting"]


def weekly(session: Session, rows: Rows, since: datetime,
           besides: Rows | None = None) -> dict[str, dict[int, int]]:
    """Distinct STIX ids per week since ``since``, for each figure; with ``besides``,
    leaving out the ids counted in the same week among those rows."""
    out: dict[str, dict[int, int]] = {}
    for figure in FIGURES:
        m = aliased(StixObject)
        moment, conditions = _figure(m, figure)
        week = week_of(session, moment, since)
        where = [*conditions, m.revoked.is_(False), moment >= since, rows(m)]
        if besides is not None:
            u = aliased(StixObject)
            u_moment, u_conditions = _figure(u, figure)
            where.append(~exists().where(
                u.stix_id == m.stix_id, besides(u), u.revoked.is_(False),
                *u_conditions, u_moment >= since, week_of(session, u_moment, since) == week))
        for stix_type, w, count in session.execute(
                select(m.type, week, func.count(m.stix_id.distinct()))
                .where(*where).group_by(m.type, week)):
            if w is None or int(w) < 0:
                continue
            key = f"new:{stix_type}" if figure == "new" else figure
            counts = out.setdefault(key, {})
            counts[int(w)] = counts.get(int(w), 0) + int(count)
    return out


# --- actors per sector and country ---------------------------------------------------

def _pair_edge(c: Any, r: Any, since: datetime) -> list[ColumnElement[bool]]:
    return [c.id == r.object_id, c.type == "relationship", c.revoked.is_(False),
            c.stix_modified >= since, r.kind.in_(PAIR_KINDS),
            prefixed(r.source_stix_id, ACTOR_TYPES),
            prefixed(r.target_stix_id, ("identity", "location"))]


def pairs(session: Session, rows: Rows, since: datetime,
          besides: Rows | None = None) -> dict[tuple[str, str], int]:
    """Distinct actors that a counted relationship modified since ``since`` says target or
    originate from each identity or location; with ``besides``, leaving out the
    (actor, kind, target) that a relationship among those rows already says."""
    c, r = aliased(StixObject), aliased(StixRef)
    where = [*_pair_edge(c, r, since), rows(c)]
    if besides is not None:
        c2, r2 = aliased(StixObject), aliased(StixRef)
        where.append(~exists().where(
            *_pair_edge(c2, r2, since), besides(c2), r2.kind == r.kind,
            r2.source_stix_id == r.source_stix_id, r2.target_stix_id == r.target_stix_id))
    edges = select(r.source_stix_id, r.target_stix_id, r.kind).where(*where).subquery()
    return {(kind, target): int(count) for kind, target, count in session.execute(
        select(edges.c.kind, edges.c.target_stix_id,
               func.count(edges.c.source_stix_id.distinct()))
        .group_by(edges.c.kind, edges.c.target_stix_id))}


# --- the most active -----------------------------------------------------------------

def category_of(stix_id: str) -> str | None:
    stix_type = stix_id.split("--", 1)[0]
    return next((name for name, types in RANKED.items() if stix_type in types), None)


def activity(session: Session, rows: Rows, since: datetime, *,
             ranked: bool = True) -> dict[str, list[tuple[str, int]]]:
    """Per ranked category, the objects that the counted relationships (either end) and
    sightings (what they saw) modified since ``since`` touch, with how many touch each;
    the first :data:`PLACES` (``ranked``), or all."""
    c, r = aliased(StixObject), aliased(StixRef)
    where = [c.id == r.object_id, c.type.in_(("relationship", "sighting")),
             c.revoked.is_(False), c.stix_modified >= since, rows(c),
             or_(and_(r.kind.like("relationship:%"),
                      or_(prefixed(r.source_stix_id, EVERY_RANKED),
                          prefixed(r.target_stix_id, EVERY_RANKED))),
                 and_(r.kind == "sighting_of_ref", prefixed(r.target_stix_id, EVERY_RANKED)))]
    base = (select(r.source_stix_id.label("source"), r.target_stix_id.label("target"),
                   r.kind.label("kind"))
            .where(*where).cte("edges").prefix_with("MATERIALIZED"))
    ends = select(base.c.source.label("ref")).where(
        base.c.kind.like("relationship:%"), prefixed(base.c.source, EVERY_RANKED)).union_all(
        select(base.c.target.label("ref")).where(prefixed(base.c.target, EVERY_RANKED))
    ).subquery()
    category = case(*((prefixed(ends.c.ref, types), name)
                      for name, types in RANKED.items())).label("category")
    counted_q = (select(category, ends.c.ref, func.count().label("activity"))
                 .group_by(category, ends.c.ref).subquery())
    out: dict[str, list[tuple[str, int]]] = {name: [] for name in RANKED}
    if ranked:
        place = func.row_number().over(
            partition_by=counted_q.c.category,
            order_by=(counted_q.c.activity.desc(), _binary(session, counted_q.c.ref)))
        ranking = select(counted_q.c.category, counted_q.c.ref, counted_q.c.activity,
                         place.label("place")).subquery()
        query = (select(ranking.c.category, ranking.c.ref, ranking.c.activity)
                 .where(ranking.c.place <= PLACES)
                 .order_by(ranking.c.category, ranking.c.place))
    else:
        query = select(counted_q.c.category, counted_q.c.ref, counted_q.c.activity)
    for name, ref, count in session.execute(query):
        out[name].append((ref, int(count)))
    return out


def activity_of(session: Session, rows: Rows, since: datetime,
                refs: list[str]) -> dict[str, int]:
    """:func:`activity` of a few objects (ranked types), through the reference indexes:
    as the source of a relationship, and as the target of one or of a sighting."""
    out: dict[str, int] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        sides = []
        for column, kinds in ((StixRef.source_stix_id, StixRef.kind.like("relationship:%")),
                              (StixRef.target_stix_id,
                               or_(StixRef.kind.like("relationship:%"),
                                   StixRef.kind == "sighting_of_ref"))):
            c = aliased(StixObject)
            sides.append(select(column.label("ref"))
                         .join(c, c.id == StixRef.object_id)
                         .where(column.in_(chunk), kinds,
                                c.type.in_(("relationship", "sighting")),
                                c.revoked.is_(False), c.stix_modified >= since, rows(c)))
        ends = sides[0].union_all(sides[1]).subquery()
        for ref, count in session.execute(
                select(ends.c.ref, func.count()).group_by(ends.c.ref)):
            out[ref] = int(count)
    return out


# --- live, uniform, beyond, merged -----------------------------------------------------

def parts(session: Session, rows: Rows, since: datetime) -> Parts:
    """Every part over the rows ``rows`` admits (the live figures, or the roll-up's)."""
    return Parts(weekly(session, rows, since), pairs(session, rows, since),
                 activity(session, rows, since))


def under(markings: tuple[TLP, ...]) -> Rows:
    """The rows under these markings, whoever owns them."""
    return lambda m: m.tlp.in_(markings)


def add_beyond(session: Session, rolled: Parts, rows: Rows, since: datetime,
               uniform: Rows) -> Parts:
    """The roll-up over ``uniform`` (a scope's rows) plus what ``rows`` (one viewer's rows
    outside it) adds: equal to the parts computed live over both."""
    weekly_counts = {k: dict(v) for k, v in rolled.weekly.items()}
    for key, counts in weekly(session, rows, since, besides=uniform).items():
        into = weekly_counts.setdefault(key, {})
        for w, n in counts.items():
            into[w] = into.get(w, 0) + n
    pair_counts = dict(rolled.pairs)
    for pair, n in pairs(session, rows, since, besides=uniform).items():
        pair_counts[pair] = pair_counts.get(pair, 0) + n
    extra = activity(session, rows, since, ranked=False)
    active = {name: _top_of_sum(session, rolled.active.get(name, []), dict(extra.get(name, [])),
                                since, uniform) for name in RANKED}
    return Parts(weekly_counts, pair_counts, active)


def _top_of_sum(session: Session, rolled: list[tuple[str, int]], more: dict[str, int],
               since: datetime, uniform: Rows) -> list[tuple[str, int]]:
    """The first :data:`PLACES` of rolled-up plus extra activity. They are among the
    roll-up's places and the objects the extra touches; of the latter, only those that
    could reach a place need their rolled-up activity looked up: an object outside the
    roll-up's places has at most the last place's activity there (and none at all when
    the places are not all taken)."""
    totals = dict(rolled)
    for ref, n in more.items():
        if ref in totals:
            totals[ref] += n
    unknown = {ref: n for ref, n in more.items() if ref not in totals}
    if len(rolled) >= PLACES and unknown:
        ceiling = rolled[-1][1]  # the most any object outside the places has
        # The last place will hold at least this much: known totals, and at least the
        # extra activity of the others.
        bar = sorted([*totals.values(), *unknown.values()], reverse=True)[PLACES - 1]
        hopeful = sorted(ref for ref, n in unknown.items() if ceiling + n >= bar)
        found = activity_of(session, uniform, since, hopeful)
        for ref, n in unknown.items():
            totals[ref] = n + found.get(ref, 0)
    else:  # every object with rolled-up activity holds a place
        totals.update(unknown)
    return sorted(totals.items(), key=lambda t: (-t[1], t[0]))[:PLACES]


__all__ = [
    "ACTOR_TYPES",
    "CATEGORIES",
    "CATEGORY_ORDER",
    "DEFAULT_PERIOD",
    "PERIODS",
    "PLACES",
    "PROFILE_TYPES",
    "RANKED",
    "TOP",
    "Parts",
    "Rows",
    "activity",
    "add_beyond",
    "pairs",
    "parts",
    "under",
    "week_of",
    "weekly",
    "window",
]
