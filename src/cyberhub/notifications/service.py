"""The inbox, watches and channel settings of the signed-in user.

Every read of a notification checks again that its recipient still sees the subject
(markings change): a notification whose subject went out of sight is not shown."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cyberhub.access import Viewer
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotAuthenticated, NotFound
from cyberhub.i18n import _, ngettext
from cyberhub.notifications import subjects, targets
from cyberhub.notifications.models import EmailMode, Notification, NotificationSettings, Watch
from cyberhub.pagination import check_limit

# Event kinds a user may mute (the bus contract's list; unknown kinds are refused).
EVENT_KINDS = (
    "mention", "dialogue.contribution", "dialogue.reply", "dialogue.opened",
    "dialogue.closed", "comment.new", "comment.reply", "insight.published",
    "object.related", "correlation", "incident.new", "action_item.due",
    "action_item.overdue", "deconfliction.hit",
)
MAX_WATCHES = 500


def _user_id(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None:
        raise NotAuthenticated(_("Sign in first."))
    return viewer.user_id


# ---------------------------------------------------------------- inbox


@dataclass
class InboxPage:
    items: list[Notification]
    offset: int
    next_offset: int | None
    unread: int


def unread_count(session: Session, viewer: Viewer) -> int:
    """Cheap: one indexed count (the counter in the page header)."""
    if viewer.user_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == viewer.user_id, Notification.read_at.is_(None))) or 0


def inbox(session: Session, viewer: Viewer, *, offset: int = 0, limit: int = 25,
          unread_only: bool = False) -> InboxPage:
    """Unread first, then newest first; notifications whose subject the viewer no longer
    sees are left out."""
    uid = _user_id(viewer)
    limit = check_limit(limit)
    if offset < 0:
        raise InvalidInput(_("offset must not be negative."), details={"field": "offset"})
    query = select(Notification).where(Notification.user_id == uid)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = list(session.scalars(query.order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(),
        Notification.id.desc()).offset(offset).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    shown = subjects.still_visible(session, viewer, rows)
    return InboxPage([n for n in rows if n.id in shown], offset,
                     offset + limit if more else None, unread_count(session, viewer))


def _own(session: Session, viewer: Viewer, notification_id: uuid.UUID | str) -> Notification:
    uid = _user_id(viewer)
    try:
        nid = uuid.UUID(str(notification_id))
    except ValueError:
        raise NotFound() from None
    row = session.scalars(select(Notification).where(
        Notification.id == nid, Notification.user_id == uid)).one_or_none()
    if row is None or row.id not in subjects.still_visible(session, viewer, [row]):
        raise NotFound()
    return row


def mark_read(session: Session, viewer: Viewer, notification_id: uuid.UUID | str) -> Notification:
    row = _own(session, viewer, notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, viewer: Viewer) -> int:
    uid = _user_id(viewer)
    result = session.execute(update(Notification).where(
        Notification.user_id == uid, Notification.read_at.is_(None)).values(read_at=utcnow()))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- watches


def watch_key(kind: str, target: str) -> str:
    return f"{kind}:{target}"


def list_watches(session: Session, viewer: Viewer) -> list[Watch]:
    uid = _user_id(viewer)
    return list(session.scalars(select(Watch).where(Watch.user_id == uid)
                                .order_by(Watch.kind, Watch.target)))


def find_watch(session: Session, viewer: Viewer, kind: str, target: str) -> Watch | None:
    if viewer.user_id is None:
        return None
    return session.scalars(select(Watch).where(
        Watch.user_id == viewer.user_id, Watch.key == watch_key(kind, target.strip()))
    ).one_or_none()


def check_target(session: Session, viewer: Viewer, kind: str, target: str) -> str:
    """The target's canonical form when the viewer may watch it; NotFound otherwise."""
    _user_id(viewer)
    return targets.check(session, viewer, kind, target)


def add_watch(session: Session, viewer: Viewer, kind: str, target: str) -> Watch:
    """Watch a target the viewer may see (NotFound otherwise); idempotent."""
    uid = _user_id(viewer)
    canonical = targets.check(session, viewer, kind, target)
    key = watch_key(kind, canonical)
    existing = session.scalars(select(Watch).where(Watch.user_id == uid, Watch.key == key)
                               ).one_or_none()
    if existing is not None:
        return existing
    count = session.scalar(select(func.count()).select_from(Watch).where(Watch.user_id == uid))
    if (count or 0) >= MAX_WATCHES:
        raise InvalidInput(ngettext(
            "You watch %(n)d thing already, the most one user may; stop watching it first.",
            "You watch %(n)d things already, the most one user may; stop watching some first.",
            MAX_WATCHES) % {"n": MAX_WATCHES})
    row = Watch(user_id=uid, kind=kind, target=canonical, key=key)
    session.add(row)
    session.flush()
    return row


def remove_watch(session: Session, viewer: Viewer, watch_id: uuid.UUID | str) -> None:
    uid = _user_id(viewer)
    try:
        wid = uuid.UUID(str(watch_id))
    except ValueError:
        raise NotFound() from None
    result = session.execute(delete(Watch).where(Watch.id == wid, Watch.user_id == uid))
    if not getattr(result, "rowcount", 0):
        raise NotFound()


def unwatch(session: Session, viewer: Viewer, kind: str, target: str) -> None:
    row = find_watch(session, viewer, kind, target)
    if row is not None:
        session.delete(row)
        session.flush()


def watched_targets(session: Session, kinds: tuple[str, ...]) -> set[str]:
    """Every target of these kinds that anyone watches (publishers look before they
    compute events nobody would hear)."""
    return set(session.scalars(select(Watch.target).where(Watch.kind.in_(kinds)).distinct()))


def watchers(session: Session, keys: frozenset[str]) -> set[uuid.UUID]:
    if not keys:
        return set()
    return set(session.scalars(select(Watch.user_id).where(Watch.key.in_(sorted(keys)))
                               .distinct()))


# ---------------------------------------------------------------- settings


def settings_of(session: Session, user_id: uuid.UUID) -> NotificationSettings:
    """The user's settings (defaults when none were saved; not added to the session)."""
    row = session.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(user_id=user_id, email_mode=EmailMode.IMMEDIATE.value,
                                   webhook_enabled=True, muted_kinds=[])
    return row


def settings_for(session: Session, user_ids: set[uuid.UUID]
                 ) -> dict[uuid.UUID, NotificationSettings]:
    saved = {s.user_id: s for s in session.scalars(select(NotificationSettings).where(
        NotificationSettings.user_id.in_(sorted(user_ids))))} if user_ids else {}
    return {uid: saved.get(uid) or settings_of(session, uid) for uid in user_ids}


def update_settings(session: Session, viewer: Viewer, *, email_mode: str | None = None,
                    webhook_enabled: bool | None = None,
                    muted_kinds: list[str] | None = None) -> NotificationSettings:
    uid = _user_id(viewer)
    row = session.get(NotificationSettings, uid)
    if row is None:
        row = settings_of(session, uid)
        session.add(row)
    if email_mode is not None:
        try:
            row.email_mode = EmailMode(email_mode).value
        except ValueError:
            raise InvalidInput(_("E-mail must be one of: immediate, digest, off."),
                               details={"field": "email_mode"}) from None
    if webhook_enabled is not None:
        row.webhook_enabled = webhook_enabled
    if muted_kinds is not None:
        unknown = sorted(set(muted_kinds) - set(EVENT_KINDS))
        if unknown:
            raise InvalidInput(_("Unknown event kind(s): %(kinds)s.") % {
                "kinds": ", ".join(k[:40] for k in unknown[:5])},
                details={"field": "muted_kinds"})
        row.muted_kinds = sorted(set(muted_kinds))
    session.flush()
    return row


def digest_due(session: Session, before: datetime) -> dict[uuid.UUID, list[Notification]]:
    """Per user, the notifications waiting for a digest that were made before ``before``."""
    from cyberhub.notifications.models import EmailState

    rows = session.scalars(select(Notification).where(
        Notification.email_state == EmailState.DIGEST.value,
        Notification.created_at < before).order_by(Notification.user_id,
                                                   Notification.created_at))
    out: dict[uuid.UUID, list[Notification]] = {}
    for row in rows:
        out.setdefault(row.user_id, []).append(row)
    return out


__all__ = ["EVENT_KINDS", "InboxPage", "add_watch", "digest_due", "find_watch", "inbox",
           "list_watches", "mark_all_read", "mark_read", "remove_watch", "settings_for",
           "settings_of", "unread_count", "unwatch", "update_settings", "watchers"]

