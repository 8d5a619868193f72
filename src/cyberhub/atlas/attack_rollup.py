"""The heatmap's roll-up: the techniques and their scores over what every member sees.

Counting a million-object hub's ``uses`` relationships and reports under the visibility
rules takes about a second. The worker (``jobs.refresh_attack``) counts them ahead over
the rows marked CLEAR or GREEN (and over the scope of each organisation holding much
restricted knowledge), with the data generation it counted at (decision 0020, as for the
landscape); a heatmap adds, live, what its viewer sees beyond them (:func:`add_beyond`).

For heatmaps narrowed by actor, sector or period, the roll-up also keeps the pairs it
counted: each actor–technique pair with the times of the relationships that carry it,
each report–technique pair with the report's times, and the actors that target each
sector (:class:`Pairs`, read only for a filtered heatmap or a viewer who adds to it).

What a viewer adds is counted without counting anything twice: an actor–technique pair
(or report–technique pair) the roll-up already holds is left out, whichever copies of the
actor, the relationship or the technique the viewer sees it through.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cyberhub import access, generations
from cyberhub.access import Viewer
from cyberhub.atlas import attack, landscape_rollup
from cyberhub.db import Base, utcnow
from cyberhub.intel.models import StixObject

# Above this many restricted records visible to the viewer, counting whole is cheaper.
LIVE_BEYOND = 50_000
_NONE = attack.Filters()


class AttackRollup(Base):
    __tablename__ = "attack_rollups"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {"techniques": [[stix id, ATT&CK id, name, tactics, newest modified, newest row,
    #                  actors, reports], …], "sectors": [[stix id, name, modified, row], …]}
    body: Mapped[str] = mapped_column(Text)
    # Pairs.as_json(): read only when a heatmap is narrowed, or a viewer adds to it.
    pairs: Mapped[str] = mapped_column(Text, deferred=True, server_default="{}")


@dataclass
class Pairs:
    """What the roll-up counted, kept to narrow it: the actor–technique pairs of a scope's
    actors and techniques (with the times of the ``uses`` relationships carrying them),
    the report–technique pairs of its techniques (with the report copies' times), and the
    sources of the ``targets`` relationships to each sector."""

    uses: dict[attack.Pair, attack.Times]
    reports: dict[attack.Pair, attack.Times]
    sectors: dict[str, set[str]]

    def as_json(self) -> dict[str, Any]:
        # Every id once, referred to by its place: a million-object hub has tens of
        # thousands of pairs between far fewer actors and techniques.
        ids: dict[str, int] = {}

        def at(stix_id: str) -> int:
            return ids.setdefault(stix_id, len(ids))

        uses = [[at(a), at(t), times] for (a, t), times in sorted(self.uses.items())]
        reports = [[at(r), at(t), times] for (r, t), times in sorted(self.reports.items())]
        sectors = [[at(sector), sorted(at(a) for a in sources)]
                   for sector, sources in sorted(self.sectors.items())]
        return {"ids": list(ids), "uses": uses, "reports": reports, "sectors": sectors}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pairs:
        ids = data.get("ids", [])
        return cls({(ids[a], ids[t]): times for a, t, times in data.get("uses", [])},
                   {(ids[r], ids[t]): times for r, t, times in data.get("reports", [])},
                   {ids[sector]: {ids[a] for a in sources}
                    for sector, sources in data.get("sectors", [])})


@dataclass
class Rolled:
    techniques: dict[str, attack.Technique]
    sectors: attack.Named
    row: AttackRollup | None = field(default=None, repr=False)

    def pairs(self) -> Pairs:
        assert self.row is not None
        return Pairs.from_json(orjson.loads(self.row.pairs))


def _key(newest: tuple[datetime, str]) -> list[str]:
    return [newest[0].isoformat(), newest[1]]


def _unkey(modified: str, row: str) -> tuple[datetime, str]:
    return datetime.fromisoformat(modified).astimezone(UTC), row


def _dump(rolled: Rolled) -> str:
    return orjson.dumps({
        "techniques": [[t.stix_id, t.attack_id, t.name, t.tactics, *_key(t.newest), t.actors,
                        t.reports] for t in sorted(rolled.techniques.values(),
                                                   key=lambda t: t.stix_id)],
        "sectors": [[i, n, *_key(k)] for i, (n, k) in sorted(rolled.sectors.items())],
    }).decode()


def _load(body: str, row: AttackRollup | None = None) -> Rolled:
    data = orjson.loads(body)
    techniques = {}
    for stix_id, attack_id, name, tactics, modified, key, actors, reports in data["techniques"]:
        techniques[stix_id] = attack.Technique(stix_id, attack_id, name, tactics, actors,
                                               reports, _unkey(modified, key))
    return Rolled(techniques, {i: (n, _unkey(m, k)) for i, n, m, k in data["sectors"]}, row)


def stored(session: Session, scope: access.Scope) -> Rolled | None:
    """The rolled-up heatmap and sector list over ``scope``, if there and current."""
    row = session.get(AttackRollup, scope.key)
    if row is None or row.generation != generations.current(session):
        return None
    return _load(row.body, row)


def is_current(session: Session) -> bool:
    generation = generations.current(session)
    rows = {r.scope: r.generation for r in session.scalars(select(AttackRollup))}
    return all(rows.get(s.key) == generation for s in landscape_rollup.scopes(session))


@dataclass
class Computed:
    scope: str
    generation: int
    body: str
    pairs: str


def pairs_of(session: Session, rows: attack.Rows,
             techniques: dict[str, attack.Technique]) -> Pairs:
    """The pairs the heatmap over ``rows`` counts (``techniques``: the techniques among
    them): the actors' that are actors among them, to techniques among them."""
    uses = attack.uses_times(session, rows)
    actors = attack.holders(session, rows, attack.ACTOR_TYPES, {a for a, _t in uses})
    return Pairs({p: times for p, times in uses.items() if p[0] in actors and p[1] in techniques},
                 {p: times for p, times in attack.report_times(session, rows).items()
                  if p[1] in techniques},
                 attack.sector_sources(session, rows))


def counted(techniques: dict[str, attack.Technique], pairs: Pairs,
            f: attack.Filters) -> dict[str, attack.Technique]:
    """The heatmap over a scope narrowed by ``f``, from its pairs: what ``attack.compute``
    counts over the same rows (reports only without an actor or sector filter)."""
    out = {i: copy.copy(t) for i, t in techniques.items()}
    for t in out.values():
        t.actors = t.reports = 0
    since, until = attack.micros(f.since), attack.micros(f.until)
    allowed = None if f.sector is None else pairs.sectors.get(f.sector, set())
    for (actor, technique), times in pairs.uses.items():
        if (f.actor is None or actor == f.actor) and (allowed is None or actor in allowed) \
                and attack.within(times, since, until):
            out[technique].actors += 1
    if f.actor is None and f.sector is None:
        for (_report, technique), times in pairs.reports.items():
            if attack.within(times, since, until):
                out[technique].reports += 1
    return out


def compute(session: Session) -> list[Computed]:
    """Every scope's heatmap and its pairs, in one snapshot (``session`` should be one)."""
    generation = generations.current(session)  # before the data, so a change shows
    out = []
    for scope in landscape_rollup.scopes(session):
        techniques = attack.techniques_of(session, scope.rows)
        pairs = pairs_of(session, scope.rows, techniques)
        out.append(Computed(scope.key, generation, _dump(Rolled(
            counted(techniques, pairs, _NONE), attack.sectors_of(session, scope.rows))),
            orjson.dumps(pairs.as_json()).decode()))
    return out


def store(session: Session, computed: list[Computed]) -> None:
    """Write what :func:`compute` made (in a short transaction of its own); the roll-ups
    of organisations no longer rolled up go."""
    if computed:
        session.execute(delete(AttackRollup).where(
            AttackRollup.scope.not_in(sorted({c.scope for c in computed})),
            AttackRollup.generation <= min(c.generation for c in computed)))
    for c in computed:
        row = session.get(AttackRollup, c.scope)
        if row is None:
            row = AttackRollup(scope=c.scope)
            session.add(row)
        elif row.generation > c.generation:  # a later refresh got there first
            continue
        row.generation, row.computed_at, row.body = c.generation, utcnow(), c.body
        row.pairs = c.pairs
    session.flush()


def add_beyond(session: Session, rolled: dict[str, attack.Technique], pairs: Pairs,
               uniform: attack.Rows, beyond: attack.Rows,
               f: attack.Filters = _NONE) -> dict[str, attack.Technique]:
    """The heatmap over ``uniform`` (a scope's rows: ``rolled``, with the ``pairs`` it
    counted) plus what ``beyond`` (one viewer's rows outside it) adds, narrowed by ``f``:
    equal to the heatmap computed live over both."""
    out = counted(rolled, pairs, f) if not f.empty else {
        stix_id: copy.copy(t) for stix_id, t in rolled.items()}
    since, until = attack.micros(f.since), attack.micros(f.until)
    # Techniques: a newer copy seen beyond describes one; some are seen only beyond.
    new_techniques: set[str] = set()
    for stix_id, found in attack.techniques_of(session, beyond).items():
        known = out.get(stix_id)
        if known is None:
            out[stix_id] = found
            new_techniques.add(stix_id)
        elif found.newest > known.newest:
            known.attack_id, known.name, known.tactics, known.newest = (
                found.attack_id, found.name, found.tactics, found.newest)
    # Actors seen only beyond the scope, and (narrowed to a sector) actors that target it
    # only through a relationship seen beyond.
    seen_beyond = attack.holders(session, beyond, attack.ACTOR_TYPES)
    new_actors = seen_beyond - attack.holders(session, uniform, attack.ACTOR_TYPES, seen_beyond)
    allowed: set[str] | None = None
    allowed_uniform: set[str] = set()
    newly_allowed: set[str] = set()
    if f.sector is not None:
        allowed_uniform = pairs.sectors.get(f.sector, set())
        newly_allowed = attack.sector_actors(session, beyond, f.sector) - allowed_uniform
        allowed = allowed_uniform | newly_allowed
    # Every pair the roll-up cannot hold: through a relationship seen beyond, from an
    # actor seen only beyond or let in only beyond, or to a technique seen only beyond.
    candidates = attack.uses(session, beyond, f, sources=allowed)
    for sources in (new_actors if allowed is None else new_actors & allowed, newly_allowed):
        if sources:
            candidates |= attack.uses(session, uniform, f, sources=sources)
    if new_techniques:
        candidates |= attack.uses(session, uniform, f, targets=new_techniques)
    candidates = {(a, t) for a, t in candidates
                  if t in out and (allowed is None or a in allowed)}
    uniform_actors = attack.holders(session, uniform, attack.ACTOR_TYPES,
                                    {a for a, _t in candidates} - new_actors)
    for actor, technique in candidates:
        if actor not in new_actors and actor not in uniform_actors:
            continue
        # Counted already: a pair of the scope's, carried in the period by a relationship
        # in the scope, from an actor the scope lets in.
        times = pairs.uses.get((actor, technique))
        if times is not None and attack.within(times, since, until) and (
                f.sector is None or actor in allowed_uniform):
            continue
        out[technique].actors += 1
    if f.actor is not None or f.sector is not None:
        return out
    # Reports, the same way: a report's copy seen beyond, or a technique seen only beyond.
    reports = {p for p in attack.report_refs(session, beyond, f) if p[1] in out}
    if new_techniques:
        reports |= attack.report_refs(session, uniform, f, targets=new_techniques)
    for report, technique in reports:
        times = pairs.reports.get((report, technique))
        if times is None or not attack.within(times, since, until):
            out[technique].reports += 1
    return out


def add_sectors_beyond(session: Session, rolled: attack.Named, uniform: attack.Rows,
                       beyond: attack.Rows) -> attack.Named:
    """The rolled-up sector list plus what ``beyond`` adds: equal to the list over both."""
    out = dict(rolled)
    seen_beyond = attack.identity_names(session, beyond)
    for stix_id, (name, newest) in seen_beyond.items():  # a newer copy names one
        if stix_id in out and out[stix_id][1] < newest:
            out[stix_id] = (name, newest)
    only_beyond = set(seen_beyond) - attack.holders(session, uniform, ("identity",),
                                                     seen_beyond)
    candidates = attack.sector_targets(session, beyond)
    if only_beyond:
        candidates |= attack.sector_targets(session, uniform, targets=only_beyond)
    candidates -= set(out)
    named_uniform = attack.identity_names(session, uniform, candidates)
    for stix_id in candidates:  # visible through either kind of copy; the newest names it
        named = [n for n in (seen_beyond.get(stix_id), named_uniform.get(stix_id)) if n]
        if named:
            out[stix_id] = max(named, key=lambda n: n[1])
    return out


def _rolled(session: Session, viewer: Viewer) -> tuple[Rolled, access.Scope, bool] | None:
    """The narrowest current roll-up to build this viewer's figures on, if any is worth it
    (adding much to a roll-up costs more than counting it all), and whether the viewer
    sees anything outside it."""
    for scope in access.scopes_of(StixObject, viewer):
        rolled = stored(session, scope)
        if rolled is None:
            continue
        outside = access.beyond_candidates(session, StixObject, viewer, scope, LIVE_BEYOND)
        if outside < LIVE_BEYOND:
            return rolled, scope, outside > 0
    return None


def _beyond(viewer: Viewer, scope: access.Scope) -> attack.Rows:
    return lambda m: access.visible_beyond(m, viewer, scope)


def heatmap(session: Session, viewer: Viewer, filters: attack.Filters | None = None, *,
            rollup: bool = True) -> attack.Heatmap:
    """The viewer's heatmap, narrowed by ``filters``: from the roll-up plus what the viewer
    sees beyond it while the roll-up is current; otherwise (or ``rollup=False``) counted
    live. Both give the same figures."""
    f = filters or _NONE
    # A sector filter is rolled up for the identities that ``targets`` point at.
    rollable = f.sector is None or f.sector.startswith("identity--")
    found = _rolled(session, viewer) if rollup and rollable else None
    if found is None:
        return attack.heatmap(session, viewer, f)
    rolled, scope, outside = found
    if not outside and f.empty:
        return attack.Heatmap(list(rolled.techniques.values()))
    pairs = rolled.pairs()
    if not outside:
        return attack.Heatmap(list(counted(rolled.techniques, pairs, f).values()))
    return attack.Heatmap(list(add_beyond(session, rolled.techniques, pairs, scope.rows,
                                          _beyond(viewer, scope), f).values()))


def sectors(session: Session, viewer: Viewer, *, rollup: bool = True) -> list[tuple[str, str]]:
    """The sectors the heatmap can be narrowed to, for this viewer: from the roll-up plus
    what the viewer sees beyond it when current, otherwise listed live."""
    found = _rolled(session, viewer) if rollup else None
    if found is None:
        return attack.targeted_sectors(session, viewer)
    rolled, scope, outside = found
    if not outside:
        return attack.sector_list(rolled.sectors)
    return attack.sector_list(add_sectors_beyond(session, rolled.sectors, scope.rows,
                                                 _beyond(viewer, scope)))


__all__ = ["LIVE_BEYOND", "AttackRollup", "Computed", "Pairs", "Rolled", "add_beyond",
           "add_sectors_beyond", "compute", "counted", "heatmap", "is_current", "pairs_of",
           "sectors", "store", "stored"]
