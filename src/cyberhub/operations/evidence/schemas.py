from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CustodyOut(BaseModel):
    seq: int
    kind: str = Field(description="registered (the first custodian) or handover")
    from_org_id: uuid.UUID | None
    from_org_name: str | None
    from_name: str
    to_org_id: uuid.UUID
    to_org_name: str | None
    to_name: str
    at: datetime
    reason: str
    recorded_by_id: uuid.UUID
    recorded_at: datetime
    audit_seq: int = Field(description="The audit-log entry that records the same event.")
    audit_hash: str


class EvidenceOut(BaseModel):
    id: uuid.UUID
    operation_id: uuid.UUID
    number: int
    label: str = Field(description="E-<number>, the item's reference within the operation.")
    description: str
    source: str
    location: str
    filename: str
    size: int
    sha256: str
    registered_by_id: uuid.UUID
    registered_at: datetime
    custodian_org_id: uuid.UUID
    custodian_org_name: str | None
    custodian_name: str
    last_verified_at: datetime | None
    last_verify_result: str | None = Field(description="ok, mismatch or missing")
    is_demo: bool
    download_url: str
    custody: list[CustodyOut] | None = Field(
        default=None, description="The custody history (on the item's own resource).")


class HandoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_org_id: uuid.UUID = Field(description="An organisation taking part in the operation.")
    to_name: str = Field(max_length=200, description="Who receives the item.")
    reason: str = Field(max_length=2_000)
    at: datetime | None = Field(default=None, description="When it happened; now if absent.")


class ProblemOut(BaseModel):
    item_id: uuid.UUID
    number: int
    kind: str = Field(description="mismatch, missing or custody")
    message: str


class VerifyOut(BaseModel):
    operation_id: uuid.UUID
    checked: int
    ok: bool
    problems: list[ProblemOut]
