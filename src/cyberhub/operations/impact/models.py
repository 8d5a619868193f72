"""Outcomes of joint operations, and whether their figures may be published in aggregate.

Outcomes have no marking of their own: whoever sees the operation sees them. Others see
an operation's figures only summed with other operations' on the impact dashboard, and
only when the operation allows it (``ImpactPublication``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow


class Outcome(Base):
    __tablename__ = "operation_outcomes"
    __table_args__ = (Index("ix_operation_outcomes_operation_on", "operation_id", "occurred_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(24))  # rules.KINDS
    count: Mapped[int]
    # Frozen or seized wallets: the amount, in the currency or asset it was held in.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(30, 8), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(10), nullable=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_demo: Mapped[bool] = mapped_column(default=False)


class ImpactPublication(Base):
    """The operation's flag: may its figures count in others' dashboards, summed and
    unnamed? Absent means no."""

    __tablename__ = "operation_impact_publication"

    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True)
    allow_aggregates: Mapped[bool] = mapped_column(default=False, index=True)
    set_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
