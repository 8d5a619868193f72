"""Things that happened, announced to whoever listens (notifications, later others).

Domains publish an :class:`Event` inside their transaction; listeners run in the same
transaction, so an event of a write that rolls back leaves nothing behind. Publishers
state *what* happened and *which record gates it*; listeners decide who hears of it,
and deliver to a user only when ``access`` lets that user see the subject record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cyberhub.sharing import Shareable


@dataclass(frozen=True)
class Event:
    """One happening. ``title`` and ``summary`` must be safe for anyone who may see the
    subject: a publisher under the Chatham House Rule writes them without identities."""

    kind: str  # e.g. "dialogue.reply", "mention", "object.related", "action_item.due"
    title: str
    url: str  # a path on this hub, e.g. "/dialogues/<id>#c-<id>"
    # The record whose visibility decides delivery. None only for events whose named
    # recipients the publisher has already checked (e.g. an organisation-private record).
    subject_type: type[Shareable] | None = None
    subject_id: uuid.UUID | None = None
    summary: str = ""
    actor_user_id: uuid.UUID | None = None  # never told of their own act
    # Users named by the event itself: the mentioned, the replied-to, an item's owner.
    recipients: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # What watchers may have asked to hear about: "stix:<id>", "sector:<name>",
    # "dialogue:<uuid>", "family:<stix id>", "actor:<stix id>".
    watch_keys: frozenset[str] = field(default_factory=frozenset)
    # Users who hear of the same act through a more specific event published with this
    # one (the replied-to, the mentioned): a watcher among them gets one notice, not two.
    quiet: frozenset[uuid.UUID] = field(default_factory=frozenset)


Listener = Callable[[Session, Event], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Register a listener (idempotent); usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def publish(session: Session, event: Event) -> None:
    for listener in list(_listeners):
        listener(session, event)
