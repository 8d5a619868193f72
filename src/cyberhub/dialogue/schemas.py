"""Request and response shapes of the dialogue API. Authors appear only as ``AuthorOut``,
built by ``attribution``: under the Chatham House Rule it carries a kind, never an id."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.dialogue.models import Rule, Status
from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP


class AuthorOut(BaseModel):
    label: str = Field(description="How the author is shown: a name in an open room; "
                                   "'a participant from <kind>' (or 'you') under the "
                                   "Chatham House Rule.")
    is_you: bool = False
    org_kind: str | None = None
    user_id: uuid.UUID | None = Field(None, description="Null under the Chatham House Rule.")
    organisation: str | None = Field(None, description="Null under the Chatham House Rule.")


class MatchOut(BaseModel):
    contribution_id: uuid.UUID
    author: AuthorOut
    excerpt: str


class DialogueOut(BaseModel):
    id: uuid.UUID
    topic: str
    description_markdown: str
    description_html: str
    rule: Rule
    status: Status
    convenor: AuthorOut
    starts_at: datetime | None
    ends_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    outcomes_markdown: str
    outcomes_html: str
    tlp: TLP
    pap: PAP | None
    owner_org_id: uuid.UUID | None = Field(
        None, description="The convening organisation; null under the Chatham House Rule.")
    audience: AudienceModel | None = Field(
        None, description="Who is invited; under the Chatham House Rule shown to the "
                          "convening organisation only.")
    contribution_count: int = 0
    can_edit: bool = False
    can_contribute: bool = False
    created_at: datetime
    updated_at: datetime
    is_demo: bool
    matches: list[MatchOut] = Field(default_factory=list,
                                    description="Search results: matching contributions.")


class QuoteOut(BaseModel):
    id: uuid.UUID
    author: AuthorOut
    excerpt: str


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    contribution_id: uuid.UUID | None
    uploaded_by: AuthorOut
    created_at: datetime
    url: str


class ContributionOut(BaseModel):
    id: uuid.UUID
    dialogue_id: uuid.UUID
    parent_id: uuid.UUID | None
    quote: QuoteOut | None
    author: AuthorOut
    body_markdown: str = Field(description="Mentions shown as '@participant' under the rule.")
    body_html: str
    created_at: datetime
    reactions: dict[str, int]
    my_reactions: list[str]
    attachments: list[AttachmentOut] = Field(default_factory=list)
    is_demo: bool


class ContributionCreated(ContributionOut):
    not_notified: list[str] = Field(
        default_factory=list,
        description="Mentioned handles that were not notified: nobody active by that address, "
                    "or somebody who cannot see this dialogue (not told apart).")


class TranscriptOut(BaseModel):
    dialogue: DialogueOut
    contributions: list[ContributionOut]
    attachments: list[AttachmentOut]
    exported_at: datetime


class DialogueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str = Field(max_length=200)
    description: str = Field(default="", max_length=500_000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    rule: str = Field(default="open", max_length=20)
    tlp: str = Field(default="AMBER", max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(default_factory=AudienceModel)


class DialoguePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500_000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    rule: str | None = Field(default=None, max_length=20)
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
    outcomes: str | None = Field(default=None, max_length=500_000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcomes: str = Field(default="", max_length=500_000)


class ContributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Generous here so that the service answers an oversized post with its own message.
    body: str = Field(max_length=500_000)
    quote_id: uuid.UUID | None = None


class ReactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=16)


class ReactionsOut(BaseModel):
    reactions: dict[str, int]
    my_reactions: list[str]
