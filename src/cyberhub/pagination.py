"""Cursor pagination over (created_at, id), newest first: stable under inserts."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from cyberhub.errors import InvalidInput
from cyberhub.i18n import _

T = TypeVar("T")
MAX_LIMIT = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(created_at: datetime, rid: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), str(rid)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, rid = orjson.loads(raw)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            # We only ever hand out aware times; a naive one was made up by hand.
            raise ValueError("naive datetime in cursor")
        return when, uuid.UUID(rid)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidInput(_("The cursor is not valid; start again from the first page."),
                           details={"field": "cursor"}) from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(_("limit must be between 1 and %(n)d.") % {"n": MAX_LIMIT},
                           details={"field": "limit"})
    return limit


def paginate(session: Session, query: Select[T], created: InstrumentedAttribute[Any],
             ident: InstrumentedAttribute[Any], *, cursor: str | None, limit: int) -> Page[T]:
    limit = check_limit(limit)
    if cursor:
        at, rid = decode_cursor(cursor)
        after: ColumnElement[bool] = or_(created < at, and_(created == at, ident < rid))
        query = query.where(after)
    rows = list(session.scalars(query.order_by(created.desc(), ident.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = None
    if more and rows:
        last = rows[-1]
        nxt = encode_cursor(getattr(last, created.key), getattr(last, ident.key))
    return Page(rows, nxt)
