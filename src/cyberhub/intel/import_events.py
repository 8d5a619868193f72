"""Events an import publishes, once, after its objects are stored (same transaction).

``object.related``: a stored object that references (or is) something a user watches —
an actor, a ransomware family, any STIX object. ``correlation``: a stored object shares
an observable value with a record of another organisation, whose users are told. The
subject is always the imported record, so only those who may see it hear of it, and
the words are the record's own type and name (visible to whoever sees the subject).

Both are a handful of set-wise queries per import (and at most one small look-up per
event), never one per object, and the number of events per import is capped: an import
of a million objects must not turn into a million notifications."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from cyberhub import events
from cyberhub.community.models import User
from cyberhub.i18n import _
from cyberhub.intel.models import ObservableValue, StixObject, StixRef

MAX_EVENTS = 50  # per kind and import
WATCHED_KINDS = ("stix", "actor", "family")
CHUNK = 500


def values_mark(session: Session) -> int:
    """Where the value index ends before an import: every value row the import writes
    has a larger id (SQLite appends rowids; a PostgreSQL sequence only grows)."""
    return session.scalar(select(func.max(ObservableValue.id))) or 0


def publish(session: Session, import_id: uuid.UUID, org_id: uuid.UUID,
            user_id: uuid.UUID | None, values_after: int) -> None:
    """``values_after``: values_mark() taken before the import wrote anything."""
    _related(session, import_id, user_id)
    _correlations(session, import_id, org_id, user_id, values_after)


def _describe(row: StixObject) -> str:
    kind = row.type.replace("-", " ")
    return f"{kind}: {row.name}" if row.name else kind


def _related(session: Session, import_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    from cyberhub.notifications import service as notifications

    watched = sorted(notifications.watched_targets(session, WATCHED_KINDS))
    if not watched:
        return  # the common case, and one small query
    touched: dict[uuid.UUID, set[str]] = defaultdict(set)
    for i in range(0, len(watched), CHUNK):
        part = watched[i:i + CHUNK]
        for object_id, stix_id in session.execute(
                select(StixObject.id, StixObject.stix_id).where(
                    StixObject.import_id == import_id, StixObject.stix_id.in_(part))):
            touched[object_id].add(stix_id)
        for object_id, source, target in session.execute(
                select(StixRef.object_id, StixRef.source_stix_id, StixRef.target_stix_id)
                .join(StixObject, StixObject.id == StixRef.object_id)
                .where(StixObject.import_id == import_id,
                       StixRef.target_stix_id.in_(part) | StixRef.source_stix_id.in_(part))):
            touched[object_id].update({source, target} & set(part))
        if len(touched) >= MAX_EVENTS:
            break
    chosen = sorted(touched)[:MAX_EVENTS]
    rows = session.scalars(select(StixObject).where(StixObject.id.in_(chosen))).all()
    for row in rows:
        keys = frozenset(f"{kind}:{t}" for t in touched[row.id] for kind in WATCHED_KINDS)
        events.publish(session, events.Event(
            kind="object.related", title=_("New intelligence on something you watch"),
            summary=_describe(row), url=f"/objects/{row.id}", subject_type=StixObject,
            subject_id=row.id, actor_user_id=user_id, watch_keys=keys))


def _correlations(session: Session, import_id: uuid.UUID, org_id: uuid.UUID,
                  user_id: uuid.UUID | None, values_after: int) -> None:
    # The import's distinct value keys first, then every other organisation's record of
    # each: work grows with the values, never with pairs of occurrences. (Joining the
    # import's occurrences straight to all occurrences was quadratic in a value's
    # repetitions: a re-import of a million records sharing one address of the
    # importer's own made a trillion pairs, none of them a match, so the LIMIT never
    # stopped it.) Nothing proportional to the import's size is held here.
    mine, theirs = aliased(ObservableValue), aliased(ObservableValue)
    own, other = aliased(StixObject), aliased(StixObject)
    # The import's value rows are the tail of the table past values_after. On SQLite
    # nothing else wrote meanwhile (the import held the only write lock): the tail is
    # the import's alone, read in rowid order, and the earlier rows are everyone
    # else's, so the import's own occurrences drop out in the index without reading
    # their records (a random read per row, most of this step's time at a million).
    # On PostgreSQL other transactions write meanwhile: each row's record decides.
    tail_only = session.get_bind().dialect.name == "sqlite"
    own_keys = select(mine.key).distinct().where(mine.id > values_after)
    if tail_only:
        end = values_mark(session)
        if (end - values_after) * 4 < end:
            # A small tail: bounded on both sides, SQLite reads the rowid range (and
            # sorts it), not the whole (key, object) index, which it walks in key order
            # for a large one (faster than sorting a million keys).
            own_keys = own_keys.where(mine.id <= end)
    else:
        own_keys = own_keys.join(own, own.id == mine.object_id).where(
            own.import_id == import_id)
    keys = own_keys.subquery()
    query = (
        select(theirs.key, theirs.kind, theirs.value, other.owner_org_id).distinct()
        .select_from(keys)
        .join(theirs, theirs.key == keys.c.key)
        .join(other, other.id == theirs.object_id)
        .where(other.owner_org_id != org_id)
        .limit(MAX_EVENTS * 20))
    if tail_only:
        query = query.where(theirs.id <= values_after)
    found = session.execute(query)
    matched: dict[tuple[int, str, str], set[uuid.UUID]] = defaultdict(set)
    for key, kind, value, owner in found:
        if len(matched) >= MAX_EVENTS and (key, kind, value) not in matched:
            continue
        matched[(key, kind, value)].add(owner)
    if not matched:
        return
    # One record of this import per matched value (at most MAX_EVENTS small look-ups,
    # each stopping at its first row): the subject of the event.
    orgs_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for (key, kind, value), owners in matched.items():
        object_id = session.scalar(
            select(ObservableValue.object_id)
            .join(StixObject, StixObject.id == ObservableValue.object_id)
            .where(StixObject.import_id == import_id, ObservableValue.key == key,
                   ObservableValue.kind == kind, ObservableValue.value == value)
            .limit(1))
        if object_id is not None:
            orgs_of[object_id] |= owners
    chosen = sorted(orgs_of)[:MAX_EVENTS]
    all_orgs = sorted({o for ids in orgs_of.values() for o in ids})
    users: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for uid, oid in session.execute(select(User.id, User.org_id).where(
            User.org_id.in_(all_orgs), User.is_active.is_(True))):
        users[oid].add(uid)
    rows = {r.id: r for r in session.scalars(select(StixObject).where(
        StixObject.id.in_(chosen)))}
    for object_id in chosen:
        row = rows.get(object_id)
        recipients = frozenset(u for o in orgs_of[object_id] for u in users[o])
        if row is None or not recipients:
            continue
        events.publish(session, events.Event(
            kind="correlation",
            title=_("A new record shares a value with your organisation's intelligence"),
            summary=_describe(row), url=f"/objects/{row.id}", subject_type=StixObject,
            subject_id=row.id, actor_user_id=user_id, recipients=recipients))
