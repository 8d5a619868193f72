"""An insight is a shareable article; while a draft it is private to its organisation."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base
from cyberhub.sharing import Shareable


class InsightStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Insight(Shareable, Base):
    __tablename__ = "insights"

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once at write time, so every read path serves safe HTML.
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[InsightStatus] = mapped_column(
        Enum(InsightStatus, name="insight_status", values_callable=lambda e: [m.value for m in e],
             native_enum=False, length=16, validate_strings=True),
        default=InsightStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Where the insight came from, e.g. ("dialogue", "<uuid>"); shown as a link only to
    # readers who may see the source.
    source_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def owner_only_while(cls) -> ColumnElement[bool]:
        """``access`` shows a draft only to the owning organisation (under its marking)."""
        return cls.status == InsightStatus.DRAFT


class InsightObject(Base):
    """A STIX object the insight is about. Readers see only the links to objects they may
    see themselves."""

    __tablename__ = "insight_objects"

    insight_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("insights.id", ondelete="CASCADE"), primary_key=True)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"), primary_key=True, index=True)
