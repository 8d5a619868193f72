"""A comment belongs to one record of a registered target type (see ``targets``).

It is deliberately *not* a shareable record: it has no marking or audience of its own
and inherits the visibility of the record it is on, which every read loads first."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_target_created_at_id", "target_type", "target_id", "created_at",
              "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    target_type: Mapped[str] = mapped_column(String(40))
    # No foreign key: targets live in several tables (the registry knows which).
    target_id: Mapped[uuid.UUID] = mapped_column()
    # Replies are one level deep: the parent is always a top-level comment.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True, index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    author_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised at write time, so every read path serves safe HTML.
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Soft delete: the text goes, the row stays so that its replies keep their place.
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
