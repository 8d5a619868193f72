from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import Shareable

STATUS_OPEN = "open"
STATUS_DONE = "done"


class Meeting(Shareable, Base):
    __tablename__ = "meetings"

    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    location: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str] = mapped_column(String(2000), default="")  # http(s) only
    # Markdown as written, and rendered and sanitised once at write time.
    agenda_markdown: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    minutes_markdown: Mapped[str] = mapped_column(Text, default="")
    minutes_html: Mapped[str] = mapped_column(Text, default="")
    # Where the meeting comes from (a dialogue, an operation…): stored as a pointer, so
    # this package needs none of theirs; shown only to readers who may see it.
    source_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class Decision(Base):
    __tablename__ = "meeting_decisions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionItem(Base):
    """A task agreed in a meeting. It has no marking of its own: whoever sees the
    meeting sees its action items, and nobody else."""

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_status_due_at", "status", "due_at"),
        Index("ix_action_items_owner_status", "owner_id", "status", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default=STATUS_OPEN)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The reminders already published, so that each goes out once (a new due date
    # clears them).
    due_reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    overdue_reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
