"""Response shapes shared by every domain's API."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Paged(BaseModel, Generic[T]):
    """One page of a list. Pass ``next_cursor`` as ``cursor`` for the next page; it is
    null on the last page."""

    items: list[T]
    next_cursor: str | None = None
