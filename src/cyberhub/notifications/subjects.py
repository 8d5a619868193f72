"""Subjects of notifications: the Shareable record types, named by their table, and the
visibility check that every delivery and every read goes through (``access.can_see``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.sharing import Shareable


class HasSubject(Protocol):
    id: uuid.UUID
    subject_type: str | None
    subject_id: uuid.UUID | None


@lru_cache(maxsize=1)
def _models() -> dict[str, type[Shareable]]:
    import cyberhub.models  # noqa: F401 - every model registered
    from cyberhub.db import Base

    found: dict[str, type[Shareable]] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if isinstance(cls, type) and issubclass(cls, Shareable):
            found[cls.__tablename__] = cls  # type: ignore[attr-defined]
    return found


def name_of(model: type[Shareable]) -> str:
    return str(model.__tablename__)  # type: ignore[attr-defined]


def model_of(name: str) -> type[Shareable] | None:
    model = _models().get(name)
    if model is None:
        _models.cache_clear()  # a domain imported after the first look
        model = _models().get(name)
    return model


def can_see(session: Session, subject_type: str | None, subject_id: uuid.UUID | None,
            viewer: Viewer) -> bool:
    """Whether the viewer may see the subject. No subject: the publisher checked the
    named recipient; a subject of an unknown type (or a missing id) is never visible."""
    if subject_type is None:
        return viewer.user_id is not None
    model = model_of(subject_type)
    if model is None or subject_id is None:
        return False
    return access.can_see(session, model, subject_id, viewer)


def still_visible(session: Session, viewer: Viewer, rows: Iterable[HasSubject]) -> set[uuid.UUID]:
    """Ids of the rows whose subject the viewer still sees (one check per subject)."""
    seen: dict[tuple[str | None, uuid.UUID | None], bool] = {}
    out = set()
    for row in rows:
        key = (row.subject_type, row.subject_id)
        if key not in seen:
            seen[key] = can_see(session, row.subject_type, row.subject_id, viewer)
        if seen[key]:
            out.add(row.id)
    return out
