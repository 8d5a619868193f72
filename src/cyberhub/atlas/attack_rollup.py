"""The heatmap's roll-up: the techniques and their scores over what every member sees.

Counting a million-object hub's ``uses`` relationships and reports under the visibility
rules takes about a second. The worker (``jobs.refresh_attack``) counts them ahead over
the rows marked CLEAR or GREEN, with the data generation it counted at (decision 0020,
as for the landscape); an unfiltered heatmap adds, live, what its viewer sees beyond
those markings (:func:`add_beyond`). Filtered heatmaps are narrow and counted live.

What a viewer adds is counted without counting anything twice: an actor–technique pair
(or report–technique pair) the roll-up already holds is left out, whichever copies of the
actor, the relationship or the technique the viewer sees it through.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime

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


@dataclass
class Rolled:
    techniques: dict[str, attack.Technique]
    sectors: attack.Named


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


def _load(body: str) -> Rolled:
    data = orjson.loads(body)
    techniques = {}
    for stix_id, attack_id, name, tactics, modified, row, actors, reports in data["techniques"]:
        techniques[stix_id] = attack.Technique(stix_id, attack_id, name, tactics, actors,
                                               reports, _unkey(modified, row))
    return Rolled(techniques, {i: (n, _unkey(m, r)) for i, n, m, r in data["sectors"]})


def stored(session: Session, scope: access.Scope) -> Rolled | None:
    """The rolled-up heatmap and sector list over ``scope``, if there and current."""
    row = session.get(AttackRollup, scope.key)
    if row is None or row.generation != generations.current(session):
        return None
    return _load(row.body)


def is_current(session: Session) -> bool:
    generation = generations.current(session)
    rows = {r.scope: r.generation for r in session.scalars(select(AttackRollup))}
    return all(rows.get(s.key) == generation for s in landscape_rollup.scopes(session))


@dataclass
class Computed:
    scope: str
    generation: int
    body: str


def compute(session: Session) -> list[Computed]:
    """Every scope's heatmap, in one snapshot (``session`` should be one)."""
    generation = generations.current(session)  # before the data, so a change shows
    return [Computed(s.key, generation, _dump(Rolled(
        attack.compute(session, s.rows), attack.sectors_of(session, s.rows))))
        for s in landscape_rollup.scopes(session)]


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
    session.flush()


def add_beyond(session: Session, rolled: dict[str, attack.Technique],
               uniform: attack.Rows, beyond: attack.Rows) -> dict[str, attack.Technique]:
    """The roll-up over ``uniform`` (a scope's rows) plus what ``beyond`` (one viewer's
    rows outside it) adds: equal to the heatmap computed live over both."""
    out = {stix_id: copy.copy(t) for stix_id, t in rolled.items()}
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
    counted_techniques = set(rolled)
    # Actors seen only beyond the uniform markings.
    seen_beyond = attack.holders(session, beyond, attack.ACTOR_TYPES)
    new_actors = seen_beyond - attack.holders(session, uniform, attack.ACTOR_TYPES, seen_beyond)
    # Every pair the roll-up cannot hold: through a relationship seen beyond, from an
    # actor seen only beyond, or to a technique seen only beyond.
    candidates = {p for p in attack.uses(session, beyond, _NONE) if p[1] in out}
    if new_actors:
        candidates |= {p for p in attack.uses(session, uniform, _NONE, sources=new_actors)
                       if p[1] in out}
    if new_techniques:
        candidates |= attack.uses(session, uniform, _NONE, targets=new_techniques)
    uniform_actors = attack.holders(session, uniform, attack.ACTOR_TYPES,
                                    {s for s, _t in candidates} - new_actors)
    candidates = {(s, t) for s, t in candidates if s in new_actors or s in uniform_actors}
    # Of those, the ones the roll-up counted: a uniform actor, technique and relationship.
    maybe_counted = {s for s, t in candidates if s in uniform_actors and t in counted_techniques}
    counted = attack.uses(session, uniform, _NONE, sources=maybe_counted) if maybe_counted \
        else set()
    for source, target in candidates:
        if not (source in uniform_actors and target in counted_techniques
                and (source, target) in counted):
            out[target].actors += 1
    # Reports, the same way: a report's copy seen beyond, or a technique seen only beyond.
    reports = {p for p in attack.report_refs(session, beyond, _NONE) if p[1] in out}
    if new_techniques:
        reports |= attack.report_refs(session, uniform, _NONE, targets=new_techniques)
    maybe_counted = {r for r, t in reports if t in counted_techniques}
    counted = attack.report_refs(session, uniform, _NONE, reports=maybe_counted) \
        if maybe_counted else set()
    for report, target in reports:
        if not (target in counted_techniques and (report, target) in counted):
            out[target].reports += 1
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
    """The viewer's heatmap: unfiltered, from the roll-up plus what the viewer sees beyond
    it while the roll-up is current; otherwise (or ``rollup=False``) counted live. Both
    give the same figures."""
    f = filters or _NONE
    found = _rolled(session, viewer) if rollup and f.empty else None
    if found is None:
        return attack.heatmap(session, viewer, f)
    rolled, scope, outside = found
    if not outside:
        return attack.Heatmap(list(rolled.techniques.values()))
    return attack.Heatmap(list(add_beyond(session, rolled.techniques, scope.rows,
                                          _beyond(viewer, scope)).values()))


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


__all__ = ["LIVE_BEYOND", "AttackRollup", "Computed", "Rolled", "add_beyond",
           "add_sectors_beyond", "compute", "heatmap", "is_current", "sectors", "store",
           "stored"]
