"""Readiness self-assessments: private to the organisation that answers them.

An organisation has at most one draft (answers saved as it goes) and any number of
completed assessments, each an immutable snapshot: the bank version, the answers, who
completed it and when, and the scores computed at that moment (kept for the history and
the peer benchmark). Not a shareable record: only the organisation's own users see it,
through ``access.org_private``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow

DRAFT = "draft"
COMPLETED = "completed"


class ReadinessAssessment(Base):
    __tablename__ = "readiness_assessments"
    __table_args__ = (
        Index("ix_readiness_assessments_org_status", "org_id", "status", "completed_at"),
        # One draft per organisation, enforced by the database on both engines.
        Index("uq_readiness_assessments_one_draft", "org_id", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    bank_version: Mapped[str] = mapped_column(String(20))
    # {question id: {"answer": "yes"|"partial"|"no"|"na", "note": str}}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set on completion: the overall score and {area code: score or null}.
    overall_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
