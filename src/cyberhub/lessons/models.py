from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base
from cyberhub.sharing import Shareable


class Lesson(Shareable, Base):
    """A lesson learned. Full-text search: PostgreSQL keeps a generated ``search``
    tsvector column (migration 0018); SQLite an FTS5 table, ``lessons_fts``, that the
    service maintains. Neither is described here on purpose (see migrations/env.py)."""

    __tablename__ = "lessons"

    title: Mapped[str] = mapped_column(String(200))
    what_happened_markdown: Mapped[str] = mapped_column(Text, default="")
    what_happened_html: Mapped[str] = mapped_column(Text, default="")
    what_worked_markdown: Mapped[str] = mapped_column(Text, default="")
    what_worked_html: Mapped[str] = mapped_column(Text, default="")
    what_to_change_markdown: Mapped[str] = mapped_column(Text, default="")
    what_to_change_html: Mapped[str] = mapped_column(Text, default="")
    source_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)


class LessonTag(Base):
    """One tag of one lesson, normalised (lowercase, words joined by hyphens)."""

    __tablename__ = "lesson_tags"

    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
