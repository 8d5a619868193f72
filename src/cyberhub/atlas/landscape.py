"""The landscape dashboard: what the threat map holds, over time and across the world.

Every figure is an aggregate query over what the viewer may see (``access.visible`` on
the objects counted, and on the relationship or sighting that carries an edge); nothing
loads the objects themselves. Figures for a period, which runs from the Monday its first
week starts on (a moment later than now counts in the current week, or not at all):

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

What every member sees alike (CLEAR and GREEN) is rolled up ahead of time by the worker
(``landscape_rollup``); a request adds, live, what its viewer sees beyond that, so a
hub of a million GREEN objects answers from a few kilobytes of counts. The roll-up is
used only while no shared object has changed since it was made and the period has not
moved on; otherwise the figures are computed live, never shown stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.atlas import landscape_figures as figures
from cyberhub.atlas import landscape_rollup
from cyberhub.atlas.landscape_figures import (
    CATEGORIES,
    CATEGORY_ORDER,
    DEFAULT_PERIOD,
    PERIODS,
    RANKED,
    TOP,
    Parts,
    window,
)
from cyberhub.i18n import _, pgettext
from cyberhub.intel.models import StixObject


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


# Above this many restricted rows visible to the viewer, the figures are computed whole:
# adding each row's share to the roll-up (with its duplicates left out) costs more.
LIVE_BEYOND = 50_000


def compute(session: Session, viewer: Viewer, period: str = DEFAULT_PERIOD, *,
            now: datetime | None = None, rollup: bool = True) -> Landscape:
    """The landscape as ``viewer`` sees it. From the roll-up of what every member sees
    alike plus, live, what this viewer sees beyond it, when the roll-up is current;
    otherwise entirely live (``rollup=False`` forces that). Both give the same figures."""
    since, until, weeks = window(period, now)
    parts = None
    for scope in access.scopes_of(StixObject, viewer) if rollup else []:
        rolled = landscape_rollup.stored(session, scope, period, since)
        if rolled is None:
            continue
        outside = access.beyond_candidates(session, StixObject, viewer, scope, LIVE_BEYOND)
        if outside >= LIVE_BEYOND:
            continue  # adding much to a roll-up costs more than counting it all
        parts = rolled if not outside else figures.add_beyond(
            session, rolled, _beyond(viewer, scope), since, scope.rows)
        break
    if parts is None:
        parts = figures.parts(session, lambda m: access.visible(m, viewer), since)
    return _assemble(session, viewer, period, since, until, weeks, parts)


def _beyond(viewer: Viewer, scope: access.Scope) -> figures.Rows:
    return lambda m: access.visible_beyond(m, viewer, scope)


def _assemble(session: Session, viewer: Viewer, period: str, since: datetime,
              until: datetime, weeks: list[date], parts: Parts) -> Landscape:
    n = len(weeks)

    def series(key: str) -> list[int]:
        counts = parts.weekly.get(key, {})
        return [counts.get(w, 0) for w in range(n)]

    new_objects = {c: [0] * n for c in CATEGORY_ORDER}
    for stix_type, category in CATEGORIES.items():
        for w, count in enumerate(series(f"new:{stix_type}")):
            new_objects[category][w] += count
    sectors, countries = _breakdowns(session, viewer, parts.pairs)
    return Landscape(period, since, until, weeks, new_objects, series("sightings"),
                     series("vetted"), sectors, countries, _most_active(session, viewer, parts))


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


def _breakdowns(session: Session, viewer: Viewer, pairs: dict[tuple[str, str], int]
                ) -> tuple[list[tuple[str, str, int]], list[Country]]:
    sector_counts = {t: c for (k, t), c in pairs.items()
                     if k == "relationship:targets" and t.startswith("identity--")}
    names = _names(session, viewer, set(sector_counts), ("identity",))
    sectors = sorted(((sid, names[sid][1], count) for sid, count in sector_counts.items()
                      if sid in names), key=lambda s: (-s[2], s[1].casefold()))
    codes = _countries_of(session, viewer, {t for _k, t in pairs if t.startswith("location--")})
    by_code: dict[str, Country] = {}
    for (kind, target), count in sorted(pairs.items()):
        code = codes.get(target)
        if code is None:
            continue
        country = by_code.get(code) or by_code.setdefault(code, _country(code))
        if kind == "relationship:targets":
            country.targeted += count
        else:
            country.origin += count
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


def _most_active(session: Session, viewer: Viewer, parts: Parts) -> dict[str, list[Ranked]]:
    """For each list of :data:`RANKED`, the first ranked objects the viewer may see."""
    names = _names(session, viewer, {r for v in parts.active.values() for r, _n in v},
                   figures.EVERY_RANKED)
    out: dict[str, list[Ranked]] = {name: [] for name in RANKED}
    for name in RANKED:
        for ref, count in parts.active.get(name, []):
            if ref in names and len(out[name]) < TOP:
                out[name].append(Ranked(ref, *names[ref], count))
    return out


__all__ = ["CATEGORIES", "DEFAULT_PERIOD", "PERIODS", "Country", "Landscape", "Ranked",
           "category_labels", "compute", "period_labels", "window"]
