from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CommentAuthor(BaseModel):
    id: uuid.UUID
    name: str
    organisation: str


class CommentOut(BaseModel):
    id: uuid.UUID
    target_type: str
    target_id: uuid.UUID
    parent_id: uuid.UUID | None = Field(
        description="The top-level comment this replies to; null for a top-level comment.")
    author: CommentAuthor
    body_markdown: str = Field(description="Empty once the comment is deleted.")
    body_html: str = Field(description="The body rendered and sanitised; safe to display.")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    is_demo: bool


class CommentPosted(CommentOut):
    not_notified: list[str] = Field(
        default_factory=list,
        description="Mentioned handles nobody was told about: no such user, or a user who "
                    "may not see the record. The two are not told apart.")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_type: str = Field(max_length=40)
    target_id: str = Field(max_length=64)
    # A little over the service's cap, so that it answers with its clearer message.
    body: str = Field(max_length=20_000)
    parent_id: uuid.UUID | None = None


class CommentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=20_000)
