"""Running tallies of incidents, kept on write, so that the unfiltered trends (the
dashboard, the trends page and API without a filter) read a few thousand counters
instead of every incident (``bench/bench_ransomware.py``: 100,000 incidents).

How it stays within the sharing rules: incidents are grouped into *buckets* of one exact
marking (TLP, owning organisation, audience, and the creator for RED — everything
``access.visible`` reads). A bucket is itself a shareable record with that marking, so
``access.visible(IncidentBucket, viewer)`` holds for a bucket exactly when it holds for
each of its incidents. The tallies count, per bucket, the incidents of each value of
each trend dimension, and the values of each statistic; the trends module then applies
its k-anonymity rules to them as it does to incidents read one by one
(``trends.publish``). A property test shows both paths publish the same figures.

Every write of an incident goes through ``incidents`` (create, edit, delete), which calls
:func:`count` in the same transaction; :func:`rebuild` recounts everything (after a bulk
load, or to check).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.audience import Audience, audiences_of, write_audience
from cyberhub.ransomware.models import Incident, IncidentBucket, IncidentFigure, IncidentTally
from cyberhub.ransomware.trends import DIMENSIONS, UNKNOWN, Groups, figures_of, row_of
from cyberhub.sharing import TLP

__all__ = ["count", "rebuild", "tallied"]


def bucket_key(tlp: TLP, owner_org_id: uuid.UUID, created_by_id: uuid.UUID,
               audience: Audience) -> str:
    parts = [tlp.value, str(owner_org_id), str(created_by_id) if tlp is TLP.RED else "",
             *sorted([f"o:{i}" for i in audience.org_ids] + [f"g:{i}" for i in audience.group_ids]
                     + [f"u:{i}" for i in audience.user_ids])]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _insert(session: Session, table: Any) -> Any:
    """An INSERT that may add to a row already there (both engines speak ON CONFLICT)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def _bucket(session: Session, incident: Incident, audience: Audience) -> uuid.UUID:
    key = bucket_key(incident.tlp, incident.owner_org_id, incident.created_by_id, audience)
    found = session.scalar(select(IncidentBucket.id).where(IncidentBucket.key == key))
    if found is not None:
        return found
    new = uuid.uuid4()
    made = session.scalar(_insert(session, IncidentBucket).values(
        id=new, key=key, tlp=incident.tlp, owner_org_id=incident.owner_org_id,
        created_by_id=incident.created_by_id).on_conflict_do_nothing(
        index_elements=[IncidentBucket.key]).returning(IncidentBucket.id))
    if made is not None:
        write_audience(session, new, audience)
        session.flush()
        return new
    # Another transaction made it meanwhile.
    return session.scalars(select(IncidentBucket.id).where(IncidentBucket.key == key)).one()


def count(session: Session, incident: Incident, audience: Audience, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) one incident, as it is now, from the tallies.
    It is taken away from the bucket it was added to (its marking's recipients may have
    changed since, when a group was deleted)."""
    if sign < 0 and incident.bucket_id is not None:
        bucket = incident.bucket_id
    else:
        bucket = _bucket(session, incident, audience)
        incident.bucket_id = bucket
    row = row_of(incident)
    for name in DIMENSIONS:
        label = (incident.family_name or incident.family_ref or "") if name == "family" else ""
        stmt = _insert(session, IncidentTally).values(
            bucket_id=bucket, dimension=name, value=row.value(name)[:300], label=label[:250],
            count=sign)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[IncidentTally.bucket_id, IncidentTally.dimension,
                            IncidentTally.value],
            set_={"count": IncidentTally.count + sign, "label": label[:250]}))
    for (kind, cur), value in figures_of(row):
        stmt = _insert(session, IncidentFigure).values(
            bucket_id=bucket, figure=f"{kind}:{cur}", value=value, count=sign)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[IncidentFigure.bucket_id, IncidentFigure.figure,
                            IncidentFigure.value],
            set_={"count": IncidentFigure.count + sign}))


def rebuild(session: Session) -> int:
    """Recount every incident from scratch; returns how many were counted."""
    session.execute(delete(IncidentTally))
    session.execute(delete(IncidentFigure))
    n, after = 0, None
    while True:
        query = select(Incident).order_by(Incident.id).limit(2000)
        if after is not None:
            query = query.where(Incident.id > after)
        batch = list(session.scalars(query))
        if not batch:
            return n
        n += _count_all(session, batch)
        after = batch[-1].id
        session.flush()
        session.expunge_all()


def _count_all(session: Session, incidents: list[Incident]) -> int:
    """Tally many incidents with one write per counter (what :func:`count` does one at a
    time)."""
    auds = audiences_of(session, [i.id for i in incidents])
    tallies: dict[tuple[uuid.UUID, str, str], int] = {}
    labels: dict[tuple[uuid.UUID, str, str], str] = {}
    figures: dict[tuple[uuid.UUID, str, int], int] = {}
    buckets: dict[str, uuid.UUID] = {}
    for incident in incidents:
        aud = auds[incident.id]
        key = bucket_key(incident.tlp, incident.owner_org_id, incident.created_by_id, aud)
        if key not in buckets:
            buckets[key] = _bucket(session, incident, aud)
        bucket = incident.bucket_id = buckets[key]
        row = row_of(incident)
        for name in DIMENSIONS:
            cell = (bucket, name, row.value(name)[:300])
            tallies[cell] = tallies.get(cell, 0) + 1
            labels[cell] = (incident.family_name or incident.family_ref or "")[:250] \
                if name == "family" else ""
        for (kind, cur), amount in figures_of(row):
            spot = (bucket, f"{kind}:{cur}", amount)
            figures[spot] = figures.get(spot, 0) + 1
    for (bucket, name, value), n in tallies.items():
        label = labels[(bucket, name, value)]
        session.execute(_insert(session, IncidentTally).values(
            bucket_id=bucket, dimension=name, value=value, label=label, count=n
        ).on_conflict_do_update(
            index_elements=[IncidentTally.bucket_id, IncidentTally.dimension,
                            IncidentTally.value],
            set_={"count": IncidentTally.count + n, "label": label}))
    for (bucket, figure, amount), n in figures.items():
        session.execute(_insert(session, IncidentFigure).values(
            bucket_id=bucket, figure=figure, value=amount, count=n
        ).on_conflict_do_update(
            index_elements=[IncidentFigure.bucket_id, IncidentFigure.figure,
                            IncidentFigure.value],
            set_={"count": IncidentFigure.count + n}))
    return len(incidents)


def tallied(session: Session, viewer: Viewer) -> tuple[Groups, dict[str, str]]:
    """The incidents ``viewer`` may see, as tallies; and the families' names."""
    groups = Groups()
    names: dict[str, str] = {}
    seen = access.visible(IncidentBucket, viewer)
    cells = select(IncidentTally.dimension, IncidentTally.value, IncidentTally.label,
                   IncidentBucket.owner_org_id, func.sum(IncidentTally.count)).join(
        IncidentBucket, IncidentBucket.id == IncidentTally.bucket_id).where(
        seen, IncidentTally.count > 0).group_by(
        IncidentTally.dimension, IncidentTally.value, IncidentTally.label,
        IncidentBucket.owner_org_id)
    for dimension, value, label, org, n in session.execute(cells):
        groups.add_cell(dimension, value, str(org), int(n))
        if dimension == "family" and value != UNKNOWN:
            names[value] = label or value
    values = select(IncidentFigure.figure, IncidentFigure.value, IncidentBucket.owner_org_id,
                    func.sum(IncidentFigure.count)).join(
        IncidentBucket, IncidentBucket.id == IncidentFigure.bucket_id).where(
        seen, IncidentFigure.count > 0).group_by(
        IncidentFigure.figure, IncidentFigure.value, IncidentBucket.owner_org_id)
    for figure, amount, org, n in session.execute(values):
        kind, _sep, cur = figure.partition(":")
        groups.add_figure((kind, cur), int(amount), str(org), int(n))
    return groups, names
