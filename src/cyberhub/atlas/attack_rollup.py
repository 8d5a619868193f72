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
from sqlalchemy import BigInteger, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cyberhub import access, generations
from cyberhub.access import Viewer
from cyberhub.atlas import attack
from cyberhub.atlas.landscape_figures import under
from cyberhub.atlas.landscape_rollup import SCOPES, scope_of
from cyberhub.db import Base, utcnow
from cyberhub.intel.models import StixObject
from cyberhub.sharing import TLP

# Above this many restricted records visible to the viewer, counting whole is cheaper.
LIVE_BEYOND = 50_000
_NONE = attack.Filters()


class AttackRollup(Base):
    __tablename__ = "attack_rollups"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # [[stix id, ATT&CK id, name, tactics, newest modified, newest row, actors, reports], …]
    body: Mapped[str] = mapped_column(Text)


def _dump(techniques: dict[str, attack.Technique]) -> str:
    return orjson.dumps([
        [t.stix_id, t.attack_id, t.name, t.tactics, t.newest[0].isoformat(), t.newest[1],
         t.actors, t.reports] for t in sorted(techniques.values(), key=lambda t: t.stix_id)
    ]).decode()


def _load(body: str) -> dict[str, attack.Technique]:
    out = {}
    for stix_id, attack_id, name, tactics, modified, row, actors, reports in orjson.loads(body):
        out[stix_id] = attack.Technique(stix_id, attack_id, name, tactics, actors, reports,
                                        (datetime.fromisoformat(modified).astimezone(UTC), row))
    return out


def stored(session: Session, markings: tuple[TLP, ...]) -> dict[str, attack.Technique] | None:
    """The rolled-up techniques over ``markings``, if there and current."""
    if not markings:
        return None
    row = session.get(AttackRollup, scope_of(markings))
    if row is None or row.generation != generations.current(session):
        return None
    return _load(row.body)


def is_current(session: Session) -> bool:
    generation = generations.current(session)
    rows = {r.scope: r.generation for r in session.scalars(select(AttackRollup))}
    return all(rows.get(scope_of(m)) == generation for m in SCOPES)


@dataclass
class Computed:
    scope: str
    generation: int
    body: str


def compute(session: Session) -> list[Computed]:
    """Every scope's heatmap, in one snapshot (``session`` should be one)."""
    generation = generations.current(session)  # before the data, so a change shows
    return [Computed(scope_of(m), generation, _dump(attack.compute(session, under(m))))
            for m in SCOPES]


def store(session: Session, computed: list[Computed]) -> None:
    """Write what :func:`compute` made (in a short transaction of its own)."""
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
               markings: tuple[TLP, ...], beyond: attack.Rows) -> dict[str, attack.Technique]:
    """The roll-up over ``markings`` plus what ``beyond`` (one viewer's rows outside those
    markings) adds: equal to the heatmap computed live over both."""
    uniform = under(markings)
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


def heatmap(session: Session, viewer: Viewer, filters: attack.Filters | None = None, *,
            rollup: bool = True) -> attack.Heatmap:
    """The viewer's heatmap: unfiltered, from the roll-up plus what the viewer sees beyond
    it while the roll-up is current; otherwise (or ``rollup=False``) counted live. Both
    give the same figures."""
    f = filters or _NONE
    markings = access.uniform_markings(StixObject, viewer)
    rolled = stored(session, markings) if rollup and f.empty else None
    if rolled is None or access.beyond_uniform_at_least(session, StixObject, viewer,
                                                        LIVE_BEYOND):
        return attack.heatmap(session, viewer, f)
    return attack.Heatmap(list(add_beyond(
        session, rolled, markings, lambda m: access.visible_beyond_uniform(m, viewer)).values()))


__all__ = ["LIVE_BEYOND", "AttackRollup", "Computed", "add_beyond", "compute", "heatmap",
           "is_current", "store", "stored"]
