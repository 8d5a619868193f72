"""The evidence register: items kept by SHA-256, and each item's chain of custody.

An item has no marking of its own: whoever sees the operation (its participants, as
``cyberhub.access`` decides) sees its evidence, and nobody else. Every custody event is
also an entry of the hash-chained audit log; the event keeps that entry's sequence
number and hash, so that ``verify`` can show the register and the log agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow

REGISTERED = "registered"
HANDOVER = "handover"

VERIFY_OK = "ok"
VERIFY_MISMATCH = "mismatch"
VERIFY_MISSING = "missing"


class EvidenceItem(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (UniqueConstraint("operation_id", "number",
                                       name="uq_evidence_items_operation_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="RESTRICT"), index=True)
    # E-1, E-2, … within the operation.
    number: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    # Where the item came from (seized from, provided by), as the registrant wrote it.
    source: Mapped[str] = mapped_column(String(300))
    # Where the original is kept (an evidence locker, a forensic lab), if not only here.
    location: Mapped[str] = mapped_column(String(300), default="")
    # The name it was uploaded under: shown and offered on download, never used as a path.
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The random name of the file under <var>/evidence/ (evidence.store).
    storage_name: Mapped[str] = mapped_column(String(48), unique=True)
    registered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The current custodian: an organisation taking part, and the person who holds it.
    custodian_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    custodian_name: Mapped[str] = mapped_column(String(200))
    last_verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_verify_result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)


class CustodyEvent(Base):
    """Registration (the first custodian) or one hand-over: from, to, when, why."""

    __tablename__ = "evidence_custody"
    __table_args__ = (Index("ix_evidence_custody_item_seq", "item_id", "seq", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="RESTRICT"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    from_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"))
    to_name: Mapped[str] = mapped_column(String(200))
    # When the hand-over happened (may be before it was recorded), and why.
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The audit-log entry that records the same event.
    audit_seq: Mapped[int] = mapped_column(BigInteger)
    audit_hash: Mapped[str] = mapped_column(String(64))
