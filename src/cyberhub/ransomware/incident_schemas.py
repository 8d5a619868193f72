"""REST shapes: incident reports, one-time report links and the k-anonymous trends."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP

__all__ = ["CellOut", "DimensionOut", "IncidentIn", "IncidentOut", "ReportLinkIn",
           "ReportLinkOut", "StatsOut", "TrendsOut", "VictimIn", "VictimOut"]

Wallet = Annotated[str, StringConstraints(max_length=300)]


class VictimIn(BaseModel):
    """Who the victim is: optional, shown only to the reporting organisation and the
    audience it names; never in trends, exports or exchanges."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=300)
    contact: str = Field(default="", max_length=500)


class VictimOut(BaseModel):
    name: str
    contact: str


class IncidentFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    discovered: date = Field(description="When the incident was discovered (1989 to today).")
    family: str = Field(default="", max_length=300,
                        description="A family's STIX id or name; empty or \"unknown\".")
    access_vector: str = Field(
        default="unknown", max_length=40,
        description="phishing, exposed-remote-access, exploited-vulnerability, "
                    "stolen-credentials, supply-chain, other or unknown")
    cve: str = Field(default="", max_length=40,
                     description="With exploited-vulnerability: the CVE id.")
    sector: str = Field(default="", max_length=200, description="A MISP sector galaxy value.")
    country: str = Field(default="", max_length=10, description="ISO 3166 alpha-2.")
    size_band: str = Field(default="", max_length=16,
                           description="Employees: 1-9, 10-49, 50-249, 250-999, 1000+")
    systems_affected: int | None = Field(default=None, ge=0, le=10_000_000)
    data_stolen: bool | None = None
    leak_listed: bool | None = Field(default=None, description="Listed on a leak site.")
    demand_amount: float | None = Field(default=None, description="Whole units, 0 to 10^10.")
    demand_currency: str = Field(default="", max_length=10, description="ISO 4217.")
    paid: bool | None = None
    paid_amount: float | None = Field(default=None, description="In the demand's currency.")
    wallets: list[Wallet] = Field(default_factory=list, max_length=20,
                                  description="chain:address, or an address of a known "
                                              "chain (btc, eth, xmr, ltc, bch, trx).")
    negotiation_contact: str = Field(default="", max_length=500)
    decryptor_used: str = Field(default="", max_length=200)
    recovery_days: int | None = Field(default=None, ge=0, le=3650)
    loss_band: str = Field(default="", max_length=16,
                           description="under-10k, 10k-100k, 100k-1m, 1m-10m, over-10m "
                                       "(euro-equivalent)")
    reported_to: str = Field(default="", max_length=200,
                             description="Which authority it was reported to.")
    notes: str = Field(default="", max_length=5000, description="Plain text, never HTML.")
    victim: VictimIn | None = None


class IncidentIn(IncidentFields):
    tlp: str = Field(default="AMBER+STRICT", max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(default_factory=AudienceModel)


class IncidentPatch(IncidentIn):
    """A change to an incident: the fields given replace the stored ones (``"victim":
    null`` removes the victim's identity); the others stay as they are."""

    discovered: date | None = None  # type: ignore[assignment]


class IncidentOut(BaseModel):
    id: uuid.UUID
    discovered: date
    family_ref: str | None
    family_name: str
    access_vector: str
    cve: str | None
    sector: str | None
    country: str | None
    size_band: str | None
    systems_affected: int | None
    data_stolen: bool | None
    leak_listed: bool | None
    demand_amount: int | None
    demand_currency: str | None
    paid: bool | None
    paid_amount: int | None
    wallets: list[str]
    negotiation_contact: str
    decryptor_used: str
    recovery_days: int | None
    loss_band: str | None
    reported_to: str
    notes: str
    victim: VictimOut | None = Field(
        description="Only for the reporting organisation and the audience it named.")
    via_link: bool
    tlp: TLP
    pap: PAP | None
    audience: AudienceModel
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    is_demo: bool


class ReportLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tlp: str = Field(default="AMBER+STRICT", max_length=16,
                     description="AMBER+STRICT or AMBER: the marking of the victim's report.")
    audience_org_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    days: int = Field(default=14, ge=1, le=90)


class ReportLinkOut(BaseModel):
    id: uuid.UUID
    url: str = Field(description="Shown once: only its hash is stored.")
    tlp: TLP
    expires_at: datetime


class CellOut(BaseModel):
    value: str
    label: str
    count: int


class DimensionOut(BaseModel):
    name: str
    cells: list[CellOut]
    withheld: bool = Field(description="Some cells were withheld (fewer than k "
                                       "organisations, or to protect one that was).")


class StatsOut(BaseModel):
    p25: float
    median: float
    p75: float


class TrendsOut(BaseModel):
    k: int
    total: int | None
    dimensions: list[DimensionOut]
    demands: dict[str, StatsOut] = Field(description="Per ISO 4217 currency.")
    payments: dict[str, StatsOut]
    payment_rate: float | None
    recovery_days: StatsOut | None
