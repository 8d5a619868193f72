from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="arrests, servers_taken_down, domains_taken_down, "
                                  "wallets_frozen, wallets_seized, victims_notified or "
                                  "decryptors_released")
    count: int = Field(description="How many (arrests, servers, wallets, victims…).")
    amount: Decimal | None = Field(default=None, description="Frozen or seized wallets only.")
    currency: str | None = Field(default=None, max_length=10,
                                 description="The amount's currency or asset: EUR, BTC, USDT…")
    occurred_on: date | None = Field(default=None, description="Today if absent.")
    note: str = Field(default="", max_length=2_000)


class OutcomeOut(BaseModel):
    id: uuid.UUID
    operation_id: uuid.UUID
    kind: str
    count: int
    amount: Decimal | None
    currency: str | None
    occurred_on: date
    note: str
    org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    is_demo: bool


class OutcomesOut(BaseModel):
    operation_id: uuid.UUID
    allow_aggregates: bool = Field(description="May the figures count, summed and unnamed, "
                                               "in other members' impact dashboards?")
    items: list[OutcomeOut]


class PublicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allow_aggregates: bool


class MoneyOut(BaseModel):
    kind: str
    currency: str
    amount: Decimal


class FiguresOut(BaseModel):
    counts: dict[str, int]
    money: list[MoneyOut]


class OwnOperationOut(BaseModel):
    id: uuid.UUID
    name: str
    figures: FiguresOut


class MonthOut(BaseModel):
    month: str
    own: dict[str, int]
    others: dict[str, int]


class ImpactOut(BaseModel):
    kinds: list[str]
    own: list[OwnOperationOut] = Field(description="The operations you take part in, in full.")
    others: FiguresOut = Field(description="Operations you do not take part in that allow "
                                           "it, summed; never named.")
    other_operations: int
    others_withheld: bool = Field(description=(
        "Whether figures of other operations were held back: a month is published in "
        "aggregate only when at least 3 operations contributed to it."))
    totals: FiguresOut
    months: list[MonthOut]
