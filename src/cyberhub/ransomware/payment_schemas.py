"""REST shapes: wallets, their links to families, transactions and totals."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from cyberhub.sharing import TLP

__all__ = ["EvidenceOut", "FamilyPaymentsOut", "ImportOut", "LinkOut", "TotalOut", "TotalsOut",
           "TransactionOut", "WalletDetailOut", "WalletListOut", "WalletOut"]


class EvidenceOut(BaseModel):
    kind: str  # "incident" or "knowledge-base"
    incident_id: uuid.UUID | None = None
    relationship_ref: str | None = None  # the relationship's STIX id
    relationship: str | None = None


class LinkOut(BaseModel):
    family_ref: str
    family_name: str
    evidence: list[EvidenceOut]


class TotalOut(BaseModel):
    asset: str
    decimals: int
    amount: str  # exact decimal, in whole units of the asset
    units: str  # exact integer, in the asset's smallest unit
    count: int
    usd: str | None  # sum of the USD values given (of usd_count transactions)
    usd_count: int


class TotalsOut(BaseModel):
    received: list[TotalOut]
    count: int
    first_seen: datetime | None
    last_seen: datetime | None


class WalletOut(BaseModel):
    wallet: str
    chain: str
    address: str
    families: list[LinkOut]
    totals: TotalsOut
    incidents: int


class WalletListOut(BaseModel):
    items: list[WalletOut]
    total: int


class TransactionOut(BaseModel):
    id: uuid.UUID
    txid: str
    time: datetime
    asset: str
    amount: str
    units: str
    usd: str | None
    source: str
    tlp: TLP
    owner_org_id: uuid.UUID
    is_demo: bool


class WalletDetailOut(WalletOut):
    incident_ids: list[uuid.UUID]
    objects: list[str]  # STIX ids of the visible knowledge-base objects carrying it
    transactions: list[TransactionOut]
    transactions_total: int
    months: list[dict[str, str | int]]


class FamilyPaymentsOut(BaseModel):
    family_ref: str
    family_name: str
    totals: TotalsOut
    wallets: list[WalletOut]


class ImportOut(BaseModel):
    format: str
    found: int
    stored: int
    unchanged: int
    wallets: list[str]
