"""Comments go with the record they are on.

A comment has no marking of its own: once its record is deleted nobody may read it, so
it is deleted in the same flush. One hook on every session covers every domain that
deletes a commentable record through the ORM (notes, incidents, insights, later ones),
without those domains knowing about comments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from cyberhub.comments import targets
from cyberhub.comments.models import Comment
from cyberhub.sharing import Shareable


@event.listens_for(Session, "before_flush")
def _drop_comments_of_deleted(session: Session, _context: Any, _instances: Any) -> None:
    doomed: dict[str, list[Any]] = {}
    for record in session.deleted:
        if not isinstance(record, Shareable):
            continue
        target = targets.for_model(type(record))
        if target is not None:
            doomed.setdefault(target.name, []).append(record.id)
    for name, ids in doomed.items():
        # Replies first: their parent must not go while they still point at it.
        for replies in (True, False):
            session.execute(delete(Comment).where(
                Comment.target_type == name, Comment.target_id.in_(ids),
                Comment.parent_id.is_not(None) if replies else Comment.parent_id.is_(None)))
