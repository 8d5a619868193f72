"""Response shapes shared by every domain's API."""

from __future__ import annotations

import uuid
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Paged(BaseModel, Generic[T]):
    """One page of a list. Pass ``next_cursor`` as ``cursor`` for the next page; it is
    null on the last page."""

    items: list[T]
    next_cursor: str | None = None


class AudienceModel(BaseModel):
    """Who receives a shareable record, besides its owner (see the sharing rules)."""

    model_config = ConfigDict(extra="forbid")
    org_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
