from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.insights.models import InsightStatus
from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP


class LinkedObject(BaseModel):
    id: uuid.UUID
    stix_id: str
    type: str
    name: str | None
    tlp: TLP


class InsightOut(BaseModel):
    id: uuid.UUID
    title: str
    summary: str
    body_markdown: str
    body_html: str = Field(description="The body rendered and sanitised; safe to display.")
    status: InsightStatus
    published_at: datetime | None
    tlp: TLP
    pap: PAP | None
    audience: AudienceModel
    objects: list[LinkedObject] = Field(
        description="The linked STIX objects that the caller may see.")
    source: str | None = Field(description='Where it came from, e.g. "dialogue:<id>".')
    source_url: str | None = Field(
        description="A link back to the source, when the caller may see it.")
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    is_demo: bool


class InsightSummary(BaseModel):
    id: uuid.UUID
    title: str
    summary: str
    status: InsightStatus
    published_at: datetime | None
    tlp: TLP
    pap: PAP | None
    owner_org_id: uuid.UUID
    created_at: datetime
    is_demo: bool


class InsightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=1000)
    summary: str = Field(default="", max_length=5_000)
    body: str = Field(default="", max_length=200_000)
    tlp: str = Field(max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(default_factory=AudienceModel)
    object_refs: list[str] = Field(default_factory=list, max_length=500,
                                   description="Record ids or STIX ids of objects you may see.")
    source: str | None = Field(default=None, max_length=120,
                               description='e.g. "dialogue:<uuid>"')


class InsightPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=1000)
    summary: str | None = Field(default=None, max_length=5_000)
    body: str | None = Field(default=None, max_length=200_000)
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
    object_refs: list[str] | None = Field(default=None, max_length=500)
