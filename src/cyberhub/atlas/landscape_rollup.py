"""The landscape's roll-up: the counts over what every member sees alike, made ahead.

The worker (``jobs.refresh_landscape``) computes, for each period, the landscape's parts
over the rows marked CLEAR or GREEN, and stores them with the data generation they were
computed at (``generations``) and the period's first day. A request uses them only while
both still hold; otherwise the landscape is computed live. Reads happen in one snapshot
(the generation first), writes in a short transaction after, so a refresh never holds
the write lock while it counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import BigInteger, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cyberhub import generations
from cyberhub.atlas import landscape_figures as figures
from cyberhub.db import Base, utcnow
from cyberhub.sharing import TLP

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
    return ",".join(m.value for m in markings)


def stored(session: Session, markings: tuple[TLP, ...], period: str,
           since: datetime) -> figures.Parts | None:
    """The rolled-up parts over ``markings`` for the period starting ``since``, if they
    are current (same first day, no change to the shared objects since)."""
    if not markings:
        return None
    row = session.get(LandscapeRollup, (scope_of(markings), period))
    if row is None or row.since != since or row.generation != generations.current(session):
        return None
    return figures.Parts.from_json(orjson.loads(row.body))


def is_current(session: Session, now: datetime | None = None) -> bool:
    """Whether every roll-up is there and current."""
    generation = generations.current(session)
    rows = {(r.scope, r.period): r for r in session.scalars(select(LandscapeRollup))}
    for markings in SCOPES:
        for period in figures.PERIODS:
            since, _until, _weeks = figures.window(period, now)
            row = rows.get((scope_of(markings), period))
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
    for markings in SCOPES:
        rows = figures.under(markings)
        weekly = figures.Parts(figures.weekly(session, rows, longest))
        for period, since in windows.items():
            shifted = weekly.shifted((since - longest).days // 7)
            parts = figures.Parts(shifted.weekly, figures.pairs(session, rows, since),
                                  figures.activity(session, rows, since))
            out.append(Computed(scope_of(markings), period, since, generation, parts))
    return out


def store(session: Session, computed: list[Computed]) -> None:
    """Write what :func:`compute` made (in a short transaction of its own)."""
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


__all__ = ["SCOPES", "Computed", "LandscapeRollup", "compute", "is_current", "scope_of",
           "store", "stored"]
