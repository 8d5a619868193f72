from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.meetings.schemas import SourceOut
from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP

SourceType = Literal["dialogue", "operation", "incident", "meeting"]


class LessonOut(BaseModel):
    id: uuid.UUID
    title: str
    what_happened_markdown: str
    what_happened_html: str = Field(description="Rendered and sanitised; safe to display.")
    what_worked_markdown: str
    what_worked_html: str
    what_to_change_markdown: str
    what_to_change_html: str
    tags: list[str]
    source: SourceOut | None = Field(
        description="Where the lesson comes from; its url is null unless you may see it.")
    tlp: TLP
    pap: PAP | None
    audience: AudienceModel
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    is_demo: bool


class LessonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    what_happened: str = Field(default="", max_length=100_000)
    what_worked: str = Field(default="", max_length=100_000)
    what_to_change: str = Field(default="", max_length=100_000)
    tags: list[str] = Field(default_factory=list, max_length=100)
    tlp: str = Field(default="GREEN", max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(default_factory=AudienceModel)
    source_type: SourceType | None = None
    source_id: uuid.UUID | None = None


class LessonPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    what_happened: str | None = Field(default=None, max_length=100_000)
    what_worked: str | None = Field(default=None, max_length=100_000)
    what_to_change: str | None = Field(default=None, max_length=100_000)
    tags: list[str] | None = Field(default=None, max_length=100)
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
    source_type: SourceType | None = None
    source_id: uuid.UUID | None = None


class TagCountOut(BaseModel):
    tag: str
    count: int
