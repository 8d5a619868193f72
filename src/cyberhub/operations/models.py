"""Joint operations and their parts.

An operation is a shareable record owned by its lead organisation. Its participants are
the organisations that work on it; under AMBER+STRICT they are its audience, under RED
its audience names the individual members (who belong to participating organisations).
Targets, tasks and timeline entries have no marking of their own: whoever sees the
operation sees them, and nobody else.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import Shareable


class OperationStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    CONCLUDED = "concluded"
    REVIEWED = "reviewed"


# The one order an operation moves in: each status has exactly one next status.
WORKFLOW: tuple[OperationStatus, ...] = tuple(OperationStatus)


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e],
                native_enum=False, length=16, validate_strings=True)


class Operation(Shareable, Base):
    __tablename__ = "operations"

    name: Mapped[str] = mapped_column(String(200))
    # The lead organisation owns the record (owner_org_id); the lead is one of its users.
    lead_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    objectives_markdown: Mapped[str] = mapped_column(Text, default="")
    objectives_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OperationStatus] = mapped_column(
        _enum(OperationStatus, "operation_status"), default=OperationStatus.PROPOSED, index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The after-action review, written once the operation has concluded.
    aar_planned_markdown: Mapped[str] = mapped_column(Text, default="")
    aar_planned_html: Mapped[str] = mapped_column(Text, default="")
    aar_happened_markdown: Mapped[str] = mapped_column(Text, default="")
    aar_happened_html: Mapped[str] = mapped_column(Text, default="")
    aar_worked_markdown: Mapped[str] = mapped_column(Text, default="")
    aar_worked_html: Mapped[str] = mapped_column(Text, default="")
    aar_improve_markdown: Mapped[str] = mapped_column(Text, default="")
    aar_improve_html: Mapped[str] = mapped_column(Text, default="")
    aar_written_at: Mapped[datetime | None] = mapped_column(nullable=True)
    aar_written_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # The lesson the review was published as (a pointer: the lesson has its own marking).
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)


class OperationParticipant(Base):
    __tablename__ = "operation_participants"

    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationTarget(Base):
    """A knowledge-base object the operation acts against."""

    __tablename__ = "operation_targets"
    __table_args__ = (UniqueConstraint("operation_id", "object_id",
                                       name="uq_operation_targets_object"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    added_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OperationTask(Base):
    __tablename__ = "operation_tasks"
    __table_args__ = (Index("ix_operation_tasks_operation_due", "operation_id", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    assignee_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus, "operation_task_status"),
                                               default=TaskStatus.OPEN)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TimelineEntry(Base):
    """One line of an operation's timeline: written by the hub (a status change, a task,
    a target) or by a participant (``kind`` "note")."""

    __tablename__ = "operation_timeline"
    __table_args__ = (Index("ix_operation_timeline_operation_at", "operation_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # A target's object, named on the page only to those who may see the object.
    object_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="SET NULL"), nullable=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
