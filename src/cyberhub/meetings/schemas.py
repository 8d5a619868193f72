from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP

SourceType = Literal["dialogue", "operation", "incident"]


class SourceOut(BaseModel):
    type: str
    id: uuid.UUID
    url: str | None = Field(description="The source's page; null when you may not see it.")


class DecisionOut(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    text: str
    decided_at: datetime
    created_by_id: uuid.UUID


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=5_000)
    decided_at: datetime | None = None


class ActionItemOut(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    meeting_title: str
    text: str
    owner_id: uuid.UUID
    due_at: datetime
    status: Literal["open", "done"]
    overdue: bool
    completed_at: datetime | None
    created_by_id: uuid.UUID
    created_at: datetime


class ActionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=2_000)
    owner_id: uuid.UUID
    due: date | datetime = Field(description="A date alone means the end of that day, UTC.")


class ActionItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=2_000)
    owner_id: uuid.UUID | None = None
    due: date | datetime | None = None
    status: Literal["open", "done"] | None = None


class MeetingOut(BaseModel):
    id: uuid.UUID
    title: str
    starts_at: datetime
    location: str
    link: str
    agenda_markdown: str
    agenda_html: str = Field(description="The agenda rendered and sanitised; safe to display.")
    minutes_markdown: str
    minutes_html: str = Field(description="The minutes rendered and sanitised.")
    attendee_ids: list[uuid.UUID]
    source: SourceOut | None
    tlp: TLP
    pap: PAP | None
    audience: AudienceModel
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    is_demo: bool
    decisions: list[DecisionOut] | None = Field(
        default=None, description="Given when one meeting is read.")
    action_items: list[ActionItemOut] | None = Field(
        default=None, description="Given when one meeting is read.")


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    starts_at: datetime = Field(description="A time without a zone is taken as UTC.")
    location: str = Field(default="", max_length=300)
    link: str = Field(default="", max_length=2000)
    agenda: str = Field(default="", max_length=100_000)
    minutes: str = Field(default="", max_length=100_000)
    tlp: str = Field(default="AMBER", max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(
        default_factory=AudienceModel,
        description="Left empty on an AMBER meeting: the attendees' organisations.")
    attendee_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    source_type: SourceType | None = None
    source_id: uuid.UUID | None = None


class MeetingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    starts_at: datetime | None = None
    location: str | None = Field(default=None, max_length=300)
    link: str | None = Field(default=None, max_length=2000)
    agenda: str | None = Field(default=None, max_length=100_000)
    minutes: str | None = Field(default=None, max_length=100_000)
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
    attendee_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    source_type: SourceType | None = None
    source_id: uuid.UUID | None = None
