"""The landscape's roll-up: the counts over what every member sees alike, made ahead.

The worker (``jobs.refresh_landscape``) computes, for each period, the landscape's parts
over the rows marked CLEAR or GREEN, and stores them with the data generation they were
computed at (``generations``) and the period's first day. A request uses them only while
both still hold; otherwise the landscape is computed live. Reads happen in one snapshot
(the generation first), writes in a short transaction after, so a refresh never holds
the write lock while it counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import BigInteger, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cyberhub import access, generations
from cyberhub.atlas import landscape_figures as figures
from cyberhub.community.models import GroupMember
from cyberhub.db import Base, utcnow
from cyberhub.intel.models import StixObject
from cyberhub.sharing import TLP, AudienceEntry

# The markings rolled up: what every member sees. (Anonymous visitors, who would see
# CLEAR alone, cannot open the landscape.)
SCOPES: tuple[tuple[TLP, ...], ...] = ((TLP.CLEAR, TLP.GREEN),)


class LandscapeRollup(Base):
    __tablename__ = "landscape_rollups"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    since: Mapped[datetime]
    generation: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)  # figures.Parts as JSON


def scope_of(markings: tuple[TLP, ...]) -> str:
    return access.members_scope(markings).key


# An organisation gets roll-ups of its own once it holds this many restricted records
# (its own, or naming it in their audience): its analysts then add only what names them
# personally, instead of counting everything live.
ORG_ROLLUP_ROWS = 50_000


def organisation_scopes(session: Session) -> list[access.Scope]:
    """The scopes of the organisations holding at least :data:`ORG_ROLLUP_ROWS`
    restricted records, each with the groups it belongs to."""
    held: dict[uuid.UUID, int] = {}
    owned = (select(StixObject.owner_org_id, func.count())
             .where(access.restricted(StixObject), StixObject.tlp != TLP.RED)
             .group_by(StixObject.owner_org_id))
    named = (select(AudienceEntry.org_id, func.count())
             .where(AudienceEntry.org_id.is_not(None)).group_by(AudienceEntry.org_id))
    for org_id, count in [*session.execute(owned), *session.execute(named)]:
        held[org_id] = held.get(org_id, 0) + int(count)
    heavy = sorted(org for org, count in held.items() if count >= ORG_ROLLUP_ROWS)
    groups: dict[uuid.UUID, set[uuid.UUID]] = {org: set() for org in heavy}
    if heavy:
        for org_id, group_id in session.execute(
                select(GroupMember.org_id, GroupMember.group_id)
                .where(GroupMember.org_id.in_(heavy))):
            if org_id is not None:
                groups[org_id].add(group_id)
    return [access.organisation_scope(org, frozenset(groups[org])) for org in heavy]


def scopes(session: Session) -> list[access.Scope]:
    """Every scope rolled up: the members', and each heavy organisation's."""
    return [access.members_scope(m) for m in SCOPES] + organisation_scopes(session)


def stored(session: Session, scope: access.Scope, period: str,
           since: datetime) -> figures.Parts | None:
    """The rolled-up parts over ``scope`` for the period starting ``since``, if they are
    current (same first day, no change to the shared objects since)."""
    row = session.get(LandscapeRollup, (scope.key, period))
    if row is None or row.since != since or row.generation != generations.current(session):
        return None
    return figures.Parts.from_json(orjson.loads(row.body))


def is_current(session: Session, now: datetime | None = None) -> bool:
    """Whether every roll-up is there and current."""
    generation = generations.current(session)
    rows = {(r.scope, r.period): r for r in session.scalars(select(LandscapeRollup))}
    for scope in scopes(session):
        for period in figures.PERIODS:
            since, _until, _weeks = figures.window(period, now)
            row = rows.get((scope.key, period))
            if row is None or row.since != since or row.generation != generation:
                return False
    return True


@dataclass
class Computed:
    scope: str
    period: str
    since: datetime
    generation: int
    parts: figures.Parts


def compute(session: Session, now: datetime | None = None) -> list[Computed]:
    """Every roll-up, in one snapshot (``session`` should be one). The weekly counts are
    counted once over the longest period: every period starts on a Monday, so a shorter
    one's weeks are the longer one's, shifted."""
    generation = generations.current(session)  # before the data, so a change shows
    windows = {period: figures.window(period, now)[0] for period in figures.PERIODS}
    longest = min(windows.values())
    out: list[Computed] = []
    for scope in scopes(session):
        rows = scope.rows
        weekly = figures.Parts(figures.weekly(session, rows, longest))
        for period, since in windows.items():
            shifted = weekly.shifted((since - longest).days // 7)
            parts = figures.Parts(shifted.weekly, figures.pairs(session, rows, since),
                                  figures.activity(session, rows, since))
            out.append(Computed(scope.key, period, since, generation, parts))
    return out


def store(session: Session, computed: list[Computed]) -> None:
    """Write what :func:`compute` made (in a short transaction of its own); the roll-ups
    of organisations no longer rolled up go."""
    if computed:
        session.execute(delete(LandscapeRollup).where(
            LandscapeRollup.scope.not_in(sorted({c.scope for c in computed})),
            LandscapeRollup.generation <= min(c.generation for c in computed)))
    for c in computed:
        row = session.get(LandscapeRollup, (c.scope, c.period))
        if row is None:
            row = LandscapeRollup(scope=c.scope, period=c.period)
            session.add(row)
        elif row.generation > c.generation:  # a later refresh got there first
            continue
        row.since, row.generation, row.computed_at = c.since, c.generation, utcnow()
        row.body = orjson.dumps(c.parts.as_json()).decode()
    session.flush()


__all__ = ["ORG_ROLLUP_ROWS", "SCOPES", "Computed", "LandscapeRollup", "compute",
           "is_current", "organisation_scopes", "scope_of", "scopes", "store", "stored"]
