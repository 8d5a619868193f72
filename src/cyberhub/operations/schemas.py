from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP

StatusName = Literal["proposed", "approved", "active", "concluded", "reviewed"]
TaskStatusName = Literal["open", "in_progress", "done", "cancelled"]


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    legal_basis: str = Field(max_length=5_000, description="The mandate the operation acts on.")
    objectives: str = Field(default="", max_length=100_000, description="Markdown.")
    participant_org_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100,
        description="The participating organisations; your own (the lead) is always one.")
    tlp: TLP = Field(default=TLP.AMBER_STRICT,
                     description="AMBER+STRICT (the participating organisations) or RED "
                                 "(the named members only).")
    pap: PAP | None = None
    member_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500,
        description="RED only: the users (of participating organisations) who may see it.")
    lead_user_id: uuid.UUID | None = Field(
        default=None, description="A user of the lead organisation; you by default.")


class OperationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    legal_basis: str | None = Field(default=None, max_length=5_000)
    objectives: str | None = Field(default=None, max_length=100_000)
    participant_org_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    lead_user_id: uuid.UUID | None = None
    pap: PAP | None = None
    tlp: str | None = Field(default=None, max_length=20, description=(
        "AMBER+STRICT or RED; changing it rewrites who may see the operation."))


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=20, description="The next status of the workflow.")


class ParticipantOut(BaseModel):
    org_id: uuid.UUID
    name: str
    is_lead: bool


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object_id: str = Field(max_length=300,
                           description="The object's id, or its STIX id (type--uuid).")
    note: str = Field(default="", max_length=500)


class TargetOut(BaseModel):
    id: uuid.UUID
    object_id: uuid.UUID
    stix_id: str | None = Field(description="Null when you may not see the object.")
    type: str | None
    name: str | None
    note: str
    added_by_id: uuid.UUID
    created_at: datetime


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=300)
    assignee_org_id: uuid.UUID = Field(description="A participating organisation.")
    assignee_user_id: uuid.UUID | None = Field(
        default=None, description="Optionally one of that organisation's users.")
    due: date | datetime | None = Field(
        default=None, description="A date alone means the end of that day, UTC.")


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=300)
    status: str | None = Field(default=None, max_length=20)
    assignee_org_id: uuid.UUID | None = None
    assignee_user_id: uuid.UUID | None = None
    due: date | datetime | None = None


class TaskOut(BaseModel):
    id: uuid.UUID
    operation_id: uuid.UUID
    title: str
    assignee_org_id: uuid.UUID
    assignee_user_id: uuid.UUID | None
    due_at: datetime | None
    status: TaskStatusName
    completed_at: datetime | None
    created_by_id: uuid.UUID
    created_at: datetime


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=5_000)
    at: datetime | None = Field(default=None, description="When it happened; now by default.")


class TimelineOut(BaseModel):
    id: uuid.UUID
    at: datetime
    kind: str
    text: str
    object_id: uuid.UUID | None = Field(
        description="The target's object, when you may see it.")
    author_id: uuid.UUID | None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    planned: str | None = Field(default=None, max_length=100_000)
    happened: str | None = Field(default=None, max_length=100_000)
    worked: str | None = Field(default=None, max_length=100_000)
    improve: str | None = Field(default=None, max_length=100_000)


class ReviewOut(BaseModel):
    planned_markdown: str
    planned_html: str
    happened_markdown: str
    happened_html: str
    worked_markdown: str
    worked_html: str
    improve_markdown: str
    improve_html: str
    complete: bool
    written_at: datetime | None
    written_by_id: uuid.UUID | None
    lesson_id: uuid.UUID | None = Field(description="The published lesson, if any.")


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tlp: TLP = Field(description="The lesson's marking, as the participants chose it.")
    audience: AudienceModel = Field(default_factory=AudienceModel)
    pap: PAP | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    title: str | None = Field(default=None, max_length=200)


class PublishedOut(BaseModel):
    lesson_id: uuid.UUID
    tlp: TLP
    url: str


class OperationOut(BaseModel):
    id: uuid.UUID
    name: str
    status: StatusName
    next_status: StatusName | None
    status_changed_at: datetime
    legal_basis: str
    objectives_markdown: str
    objectives_html: str
    lead_org_id: uuid.UUID
    lead_user_id: uuid.UUID | None
    participants: list[ParticipantOut]
    member_ids: list[uuid.UUID]
    tlp: TLP
    pap: PAP | None
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    is_demo: bool
    targets: list[TargetOut] | None = None
    tasks: list[TaskOut] | None = None
    timeline: list[TimelineOut] | None = None
    review: ReviewOut | None = None
