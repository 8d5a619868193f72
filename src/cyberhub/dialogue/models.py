"""Dialogues, their threaded contributions, reactions and attachments."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import Shareable


class Rule(enum.StrEnum):
    """The rule of the room."""

    OPEN = "open"
    CHATHAM_HOUSE = "chatham_house"


class Status(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e],
                native_enum=False, length=16, validate_strings=True)


class Dialogue(Shareable, Base):
    """A discussion convened by an organisation (the owner) for its audience."""

    __tablename__ = "dialogues"

    topic: Mapped[str] = mapped_column(String(200))
    description_markdown: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    convenor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    starts_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(nullable=True)
    rule: Mapped[Rule] = mapped_column(_enum(Rule, "dialogue_rule"))
    status: Mapped[Status] = mapped_column(_enum(Status, "dialogue_status"))
    outcomes_markdown: Mapped[str] = mapped_column(Text, default="")
    outcomes_html: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)

    @property
    def chatham_house(self) -> bool:
        return self.rule is Rule.CHATHAM_HOUSE


class Contribution(Base):
    """One post in a dialogue. The author is stored for edit rights and abuse handling;
    under the Chatham House Rule it is never serialised (see ``attribution``)."""

    __tablename__ = "dialogue_contributions"
    __table_args__ = (
        Index("ix_dialogue_contributions_dialogue_created", "dialogue_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dialogue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dialogues.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dialogue_contributions.id", ondelete="SET NULL"), nullable=True, index=True)
    quote_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dialogue_contributions.id", ondelete="SET NULL"), nullable=True)
    author_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # The author's kind of organisation when they posted: the only thing a Chatham House
    # room learns about them, and stable if they later move organisation.
    author_org_kind: Mapped[str] = mapped_column(String(32))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised at write time, mentions already masked under the rule.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_demo: Mapped[bool] = mapped_column(default=False)


class Reaction(Base):
    """One user's reaction of one kind to a contribution (toggled)."""

    __tablename__ = "dialogue_reactions"
    __table_args__ = (
        UniqueConstraint("contribution_id", "user_id", "kind",
                         name="uq_dialogue_reactions_one_per_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    contribution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dialogue_contributions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A file shared in a dialogue, stored under ``var/`` by a random name."""

    __tablename__ = "dialogue_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dialogue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dialogues.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dialogue_contributions.id", ondelete="SET NULL"), nullable=True)
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploader_org_kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
