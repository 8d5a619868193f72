"""One organisation's verdict on one record of the knowledge base.

A verdict belongs to a record (one copy per owner, ADR 0008), not to a STIX id: it is
seen by exactly those who see that record, and counts for that record's state only
(ADR 0014)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow


class Verdict(enum.StrEnum):
    CONFIRM = "confirm"
    DISPUTE = "dispute"


class VettingVote(Base):
    __tablename__ = "vetting_votes"
    # One standing verdict per organisation and record: casting again replaces it.
    __table_args__ = (UniqueConstraint("object_id", "org_id", name="uq_vetting_votes_object_org"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    verdict: Mapped[Verdict] = mapped_column(
        Enum(Verdict, name="verdict", values_callable=lambda e: [m.value for m in e],
             native_enum=False, length=16, validate_strings=True))
    reason: Mapped[str] = mapped_column(Text)
    # Rendered from Markdown and sanitised once, when the verdict is cast.
    reason_html: Mapped[str] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
