from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=40, description="A value kind of the knowledge base: wallet, "
                      "iban, bank-account, phone, email, social, domain, ipv4, ipv6, url, "
                      "sha256, …")
    value: str = Field(max_length=8192, description="Any spelling; normalised by the hub, "
                       "turned into a keyed digest and never stored.")
    region: str | None = Field(default=None, max_length=8,
                               description="phone: the country of a number without +code.")
    chain: str | None = Field(default=None, max_length=32,
                              description="wallet: the chain of a bare address.")
    platform: str | None = Field(default=None, max_length=32,
                                 description="social: the platform of a bare handle.")


class RegistrationIn(ValueIn):
    case_reference: str = Field(max_length=1000, description="Your case; never shown to "
                                "anyone else.")
    contact: str = Field(max_length=2000, description="Your point of contact, given to the "
                         "other party of a hit.")


class HitOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    registration_id: uuid.UUID = Field(description="Your registration.")
    kind: str
    case_reference: str = Field(description="Your own case reference.")
    other_organisation: str
    other_contact: str
    other_active: bool = Field(description="Whether the other registration still runs.")
    is_demo: bool
    partner_hub: str | None = Field(default=None, description=(
        "The partner hub where the other registration was made; null on this hub."))


class RegistrationOut(BaseModel):
    id: uuid.UUID
    kind: str
    fingerprint: str = Field(description="The first hex digits of the stored digest: tells "
                             "registrations apart without the value.")
    case_reference: str
    contact: str
    created_at: datetime
    renewed_at: datetime | None
    expires_at: datetime
    active: bool
    stale: bool = Field(description="Made under an earlier hub key: it can no longer match.")
    hit_count: int
    is_demo: bool


class RegisteredOut(RegistrationOut):
    hits: list[HitOut] = Field(description="The hits this registration made now.")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: list[ValueIn] = Field(max_length=1000)


class CheckResult(BaseModel):
    kind: str
    registered_elsewhere: bool


class CheckOut(BaseModel):
    results: list[CheckResult] = Field(description="In the order asked.")
