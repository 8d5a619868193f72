"""Response shapes shared by every domain's API."""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

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


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for programs: invalid_input, not_found, …")
    message: str = Field(description="For people, in the requester's language.")
    details: Any = Field(description="What was wrong: the field, or a list of "
                                     "{field, problem}; may be null.")


class ErrorOut(BaseModel):
    """The one error body every refusal of the API has (docs/api.md#errors)."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": "Refused: the one error body (docs/api.md)."},
}
"""Declared on every API operation, in place of FastAPI's own validation-error shape,
which the hub never sends."""
