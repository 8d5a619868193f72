"""Reminders of action items: ``action_item.due`` (due within 24 hours) and
``action_item.overdue``, each published once per item on the event bus.

Run every 15 minutes by the worker (``jobs.remind_action_items``) and on demand by
``cyberhub meetings remind``. The event names the item's owner as its recipient and the
meeting as its subject, so a listener delivers it only while the owner may still see
the meeting. The item remembers which reminder went out; a new due date or owner
clears that, so the new date is reminded of in its turn.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import events
from cyberhub.i18n import _
from cyberhub.meetings.models import STATUS_OPEN, ActionItem, Meeting
from cyberhub.meetings.service import DUE_SOON

DUE = "action_item.due"
OVERDUE = "action_item.overdue"
BATCH = 1000
SUMMARY_LEN = 200


@dataclass
class Sent:
    kind: str
    item_id: uuid.UUID
    meeting_id: uuid.UUID
    owner_id: uuid.UUID
    due_at: datetime


@dataclass
class Reminders:
    sent: list[Sent] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for s in self.sent if s.kind == kind)


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LEN else text[:SUMMARY_LEN - 1] + "…"


def _event(kind: str, item: ActionItem) -> events.Event:
    # The title and summary carry the item's own text, which everyone who sees the
    # meeting sees anyway, and no person or organisation name.
    title = (_("An action item is overdue") if kind == OVERDUE
             else _("An action item is due within 24 hours"))
    return events.Event(kind=kind, title=title, summary=_summary(item.text),
                        url=f"/meetings/{item.meeting_id}#action-{item.id}",
                        subject_type=Meeting, subject_id=item.meeting_id,
                        recipients=frozenset({item.owner_id}))


def send_due(session: Session, now: datetime | None = None) -> Reminders:
    """Publish the reminders due at ``now`` that have not gone out yet."""
    now = now or datetime.now(UTC)
    result = Reminders()
    overdue = select(ActionItem).where(
        ActionItem.status == STATUS_OPEN, ActionItem.due_at <= now,
        ActionItem.overdue_reminded_at.is_(None))
    due_soon = select(ActionItem).where(
        ActionItem.status == STATUS_OPEN, ActionItem.due_at > now,
        ActionItem.due_at <= now + DUE_SOON, ActionItem.due_reminded_at.is_(None))
    for kind, query in ((OVERDUE, overdue), (DUE, due_soon)):
        for item in session.scalars(query.order_by(ActionItem.due_at, ActionItem.id)
                                    .limit(BATCH).with_for_update(skip_locked=True)):
            if kind == OVERDUE:
                item.overdue_reminded_at = now
                # Past its date, a "due soon" reminder would only repeat the news.
                item.due_reminded_at = item.due_reminded_at or now
            else:
                item.due_reminded_at = now
            events.publish(session, _event(kind, item))
            result.sent.append(Sent(kind, item.id, item.meeting_id, item.owner_id, item.due_at))
    session.flush()
    return result
