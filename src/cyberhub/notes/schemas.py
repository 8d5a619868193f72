from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP

__all__ = ["AudienceModel", "NoteIn", "NoteOut", "NotePatch"]


class NoteOut(BaseModel):
    id: uuid.UUID
    title: str
    body_markdown: str
    body_html: str = Field(description="The body rendered and sanitised; safe to display.")
    tlp: TLP
    pap: PAP | None
    audience: AudienceModel
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    is_demo: bool


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=100_000)
    tlp: str = Field(max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(default_factory=AudienceModel)


class NotePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=100_000)
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
