from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.intel.models import Vetting
from cyberhub.vetting.models import Verdict

__all__ = ["VerdictIn", "VerdictOut", "VettingOut"]


class VerdictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: str = Field(max_length=16, description="confirm or dispute")
    # Bounded loosely here; the service says plainly when it is over 2,000 characters.
    reason: str = Field(max_length=20_000, description="Required; at most 2,000 characters "
                                                       "(Markdown, sanitised).")


class VerdictOut(BaseModel):
    org_id: uuid.UUID
    org_name: str
    user_id: uuid.UUID
    user_name: str
    verdict: Verdict
    reason: str
    reason_html: str = Field(description="The reason rendered and sanitised; safe to display.")
    created_at: datetime
    updated_at: datetime


class VettingOut(BaseModel):
    object_id: uuid.UUID = Field(description="The record the verdicts are on (one copy).")
    stix_id: str
    state: Vetting
    quorum: int = Field(description="Confirmations from distinct organisations that make "
                                    "the record vetted (CYBERHUB_VETTING_QUORUM).")
    confirmations: int
    disputes: int
    verdicts: list[VerdictOut]
