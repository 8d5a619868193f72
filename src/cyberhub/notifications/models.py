"""Notifications, watches, channel settings and webhooks.

A notification is a per-recipient copy of an event's title, summary and link (what the
publisher made safe for anyone who may see the subject) plus the subject's table and id,
so every read path can check again that the recipient still sees the subject."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


class EmailState(enum.StrEnum):
    NONE = "none"  # no e-mail for this one (off, muted or no SMTP)
    QUEUED = "queued"  # an immediate e-mail is on its way
    DIGEST = "digest"  # waits for the next daily digest
    SENT = "sent"
    SKIPPED = "skipped"  # the subject was no longer visible when it was time to send
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox (unread first, newest first) and the unread counter.
        Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),
        Index("ix_notifications_email_state", "email_state", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500))
    # The table of the Shareable record that gates it (None: the publisher checked).
    subject_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
    email_state: Mapped[str] = mapped_column(String(16), default=EmailState.NONE.value)
    emailed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Watch(Base):
    """A user asked to hear about a target: ``key`` is ``<kind>:<target>`` as events
    carry it in ``watch_keys`` (``stix:<id>``, ``sector:<name>``, ``dialogue:<uuid>``…)."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_watches_user_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationSettings(Base):
    """A user's channel choices. No row: the defaults (in-app, e-mail immediately,
    webhook on if one is registered, nothing muted)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(16), default=EmailMode.IMMEDIATE.value)
    webhook_enabled: Mapped[bool] = mapped_column(default=True)
    muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Webhook(Base):
    """An https endpoint that receives signed notifications: a user's own (their
    notifications) or an organisation's (events its users were told of whose subject
    the whole organisation may see)."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True, index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    # Fernet-encrypted (community.security): the hub must sign with it, so not a hash.
    secret_enc: Mapped[str] = mapped_column(Text)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[str] = mapped_column(String(300), default="")
    last_ok: Mapped[bool | None] = mapped_column(nullable=True)


class WebhookDelivery(Base):
    """One payload for one webhook, kept until delivered or given up (retries)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    # The exact bytes signed and sent (JSON).
    body: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
