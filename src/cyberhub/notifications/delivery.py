"""The event bus listener: who hears of an event, and through which channels.

Candidates are the event's named recipients and the users watching any of its watch
keys, less the actor. A user is told only when ``access`` lets them see the subject
record (an event without a subject reaches its named recipients only, whom the publisher
checked). What is stored and sent is the event's own title, summary and link — nothing
is added, not even who acted."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import orjson
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from cyberhub import access, events
from cyberhub.community import notices
from cyberhub.community.models import User
from cyberhub.db import new_id, utcnow
from cyberhub.notifications import email, service, subjects
from cyberhub.notifications.models import (
    EmailMode,
    EmailState,
    Notification,
    NotificationSettings,
    Webhook,
    WebhookDelivery,
)

log = logging.getLogger(__name__)
MAX_TITLE = 300
MAX_SUMMARY = 1000
MAX_URL = 500


def _clip(text: str, n: int) -> str:
    text = text or ""
    return text if len(text) <= n else text[: n - 1] + "…"


def payload(n: Notification) -> bytes:
    """The webhook body: the notification as stored, nothing more."""
    return orjson.dumps({
        "id": str(n.id), "kind": n.kind, "title": n.title, "summary": n.summary,
        "url": email.link(n.url), "created_at": n.created_at.isoformat()})


@events.subscribe
def on_event(session: Session, event: events.Event) -> None:
    deliver(session, event)


def deliver(session: Session, event: events.Event) -> list[Notification]:
    subject_type = subjects.name_of(event.subject_type) if event.subject_type else None
    named = set(event.recipients)
    # Without a subject nothing but the publisher's check stands behind the event: the
    # named recipients hear of it, watchers do not.
    watching = service.watchers(session, event.watch_keys) if subject_type else set()
    candidates = {c for c in named | watching
                  if c != event.actor_user_id and c not in event.quiet}
    if not candidates:
        return []
    users = list(session.scalars(select(User).where(
        User.id.in_(sorted(candidates)), User.is_active.is_(True))))
    prefs = service.settings_for(session, {u.id for u in users})
    now = utcnow()
    told: list[tuple[User, Notification]] = []
    for user in sorted(users, key=lambda u: u.id):
        pref = prefs[user.id]
        if event.kind in (pref.muted_kinds or []):
            continue
        viewer = access.viewer_for(session, user)
        if not subjects.can_see(session, subject_type, event.subject_id, viewer):
            continue
        n = Notification(
            id=new_id(), user_id=user.id, kind=event.kind[:40],
            title=_clip(" ".join(event.title.split()), MAX_TITLE),
            summary=_clip(event.summary, MAX_SUMMARY), url=_clip(event.url, MAX_URL),
            subject_type=subject_type, subject_id=event.subject_id, created_at=now,
            # A security notice is mailed at once, whatever the user chose for the rest.
            email_state=_email_state(EmailMode.IMMEDIATE.value if event.kind == notices.KIND
                                     else pref.email_mode))
        session.add(n)
        told.append((user, n))
    if not told:
        return []
    session.flush()
    from cyberhub import jobs

    for _user, n in told:
        if n.email_state == EmailState.QUEUED.value:
            jobs.enqueue_after_commit(session, jobs.send_notification_email, str(n.id))
    _queue_webhooks(session, event, subject_type, told, prefs)
    return [n for _u, n in told]


def _email_state(mode: str) -> str:
    if not email.enabled() or mode == EmailMode.OFF.value:
        return EmailState.NONE.value
    return EmailState.DIGEST.value if mode == EmailMode.DIGEST.value else EmailState.QUEUED.value


def _queue_webhooks(session: Session, event: events.Event, subject_type: str | None,
                    told: list[tuple[User, Notification]],
                    prefs: dict[uuid.UUID, NotificationSettings]) -> None:
    from cyberhub import jobs

    by_user = {u.id: n for u, n in told if prefs[u.id].webhook_enabled}
    orgs = {u.org_id for u, _n in told}
    hooks = list(session.scalars(select(Webhook).where(
        Webhook.is_enabled.is_(True),
        (Webhook.user_id.in_(sorted(by_user)) if by_user else false())
        | Webhook.org_id.in_(sorted(orgs)))))
    queued: list[WebhookDelivery] = []
    for hook in hooks:
        if hook.user_id is not None:
            n = by_user.get(hook.user_id)
            if n is None:
                continue
            body = payload(n)
        else:
            # An organisation's webhook: only what the whole organisation may see, and
            # never an event that rests on a named recipient alone.
            if subject_type is None or hook.org_id is None:
                continue
            from cyberhub.notifications.webhooks import org_viewer

            if not subjects.can_see(session, subject_type, event.subject_id,
                                    org_viewer(session, hook.org_id)):
                continue
            first = next(n for u, n in told if u.org_id == hook.org_id)
            body = payload(first)
        queued.append(WebhookDelivery(id=new_id(), webhook_id=hook.id, body=body.decode(),
                                      subject_type=subject_type, subject_id=event.subject_id))
    if not queued:
        return
    session.add_all(queued)
    session.flush()
    for d in queued:
        jobs.enqueue_after_commit(session, jobs.deliver_webhook, str(d.id))


# ---------------------------------------------------------------- the jobs' work


def send_one(session: Session, notification_id: uuid.UUID) -> str:
    """Send the e-mail of one notification if it is still due and still visible."""
    n = session.get(Notification, notification_id)
    if n is None or n.email_state != EmailState.QUEUED.value:
        return "nothing to do"
    user = session.get(User, n.user_id)
    if user is None or not user.is_active or not subjects.can_see(
            session, n.subject_type, n.subject_id, access.viewer_for(session, user)):
        n.email_state = EmailState.SKIPPED.value
        return "skipped"
    try:
        email.send([email.single(user.email, n, user.locale)])
    except Exception as exc:  # SMTP or network trouble: recorded, never raised at the user
        n.email_state = EmailState.FAILED.value
        return f"failed: {type(exc).__name__}"
    n.email_state, n.emailed_at = EmailState.SENT.value, utcnow()
    return "sent"


def send_digests(session: Session, before: datetime | None = None) -> int:
    """Mail each digest user what waited for the digest; returns the messages sent."""
    if not email.enabled():
        return 0
    due = service.digest_due(session, before or utcnow())
    sent = 0
    for user_id, items in due.items():
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            for n in items:
                n.email_state = EmailState.SKIPPED.value
            continue
        viewer = access.viewer_for(session, user)
        shown = subjects.still_visible(session, viewer, items)
        keep = [n for n in items if n.id in shown]
        for n in items:
            if n.id not in shown:
                n.email_state = EmailState.SKIPPED.value
        if not keep:
            continue
        try:
            email.send([email.digest(user.email, keep, user.locale)])
        except Exception as exc:  # SMTP or network trouble
            # Left waiting: the next digest tries again.
            log.warning("digest for user %s not sent: %s", user_id, type(exc).__name__)
            continue
        now = utcnow()
        for n in keep:
            n.email_state, n.emailed_at = EmailState.SENT.value, now
        sent += 1
        session.flush()
    return sent
