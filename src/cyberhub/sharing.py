"""The sharing fields every shareable record carries: TLP 2.0, PAP, owner, audience.

What these fields *mean* (who may see a record) is decided in ``access`` alone.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from cyberhub.db import Base, new_id, utcnow


class TLP(enum.StrEnum):
    """FIRST TLP 2.0, spelled as the standard spells it."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def is_sensitive(self) -> bool:
        """Reads of these are written to the audit log."""
        return self in (TLP.RED, TLP.AMBER_STRICT)

    @property
    def css(self) -> str:
        return self.value.lower().replace("+", "-")


class PAP(enum.StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"


def tlp_column_type() -> Enum:
    return Enum(TLP, name="tlp", values_callable=lambda e: [m.value for m in e],
                native_enum=False, length=16, validate_strings=True)


def pap_column_type() -> Enum:
    return Enum(PAP, name="pap", values_callable=lambda e: [m.value for m in e],
                native_enum=False, length=8, validate_strings=True)


class Shareable:
    """Mixin for every shareable record type. Ids are UUIDs, unique across types, so
    one audience table serves them all."""

    # No index on tlp: five values make it useless for lookups, and on SQLite it lures
    # the planner into a multi-index OR that materialises and sorts every visible row
    # instead of walking (created_at, id) newest-first and stopping after one page
    # (bench/bench_access.py: 95 ms → 0.2 ms for a page at 50,000 notes).
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tlp: Mapped[TLP] = mapped_column(tlp_column_type())
    pap: Mapped[PAP | None] = mapped_column(pap_column_type(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        return (Index(f"ix_{cls.__tablename__}_created_at_id", "created_at", "id"),)  # type: ignore[attr-defined]

    @declared_attr
    def owner_org_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)


class AudienceEntry(Base):
    """One recipient of one shareable record: an organisation, a group or a user."""

    __tablename__ = "audience_entries"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN org_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN group_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_recipient",
        ),
        Index("ix_audience_entries_record_org", "record_id", "org_id"),
        Index("ix_audience_entries_record_group", "record_id", "group_id"),
        Index("ix_audience_entries_record_user", "record_id", "user_id"),
        # What is shared with a recipient (access.visible_beyond_uniform).
        *(Index(f"ix_audience_entries_{c}_record", c, "record_id",
                sqlite_where=text(f"{c} IS NOT NULL"), postgresql_where=text(f"{c} IS NOT NULL"))
          for c in ("org_id", "group_id", "user_id")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
