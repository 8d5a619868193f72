"""REST: comments on any commentable record, read and written through that record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub.comments import service
from cyberhub.comments.models import Comment
from cyberhub.comments.schemas import (
    CommentAuthor,
    CommentIn,
    CommentOut,
    CommentPatch,
    CommentPosted,
)
from cyberhub.deps import ApiCtx
from cyberhub.schemas import Paged

router = APIRouter(tags=["comments"])


def _fields(session: Session, comment: Comment,
            authors: dict[Any, service.Author] | None = None) -> dict[str, Any]:
    authors = authors if authors is not None else service.authors(session, [comment])
    who = authors.get(comment.author_id, service.Author("", ""))
    return {"id": comment.id, "target_type": comment.target_type,
            "target_id": comment.target_id, "parent_id": comment.parent_id,
            "author": CommentAuthor(id=comment.author_id, name=who.name, organisation=who.org),
            "body_markdown": comment.body_markdown, "body_html": comment.body_html,
            "created_at": comment.created_at, "edited_at": comment.edited_at,
            "deleted": comment.is_deleted, "is_demo": comment.is_demo}


def _posted(session: Session, posted: service.Posted) -> CommentPosted:
    return CommentPosted(**_fields(session, posted.comment), not_notified=posted.not_notified)


@router.get("/comments", response_model=Paged[CommentOut])
def list_comments(ctx: ApiCtx, target_type: Annotated[str, Query(max_length=40)],
                  target_id: Annotated[str, Query(max_length=64)],
                  cursor: Annotated[str | None, Query(max_length=500)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Paged[CommentOut]:
    page = service.list_comments(ctx.session, ctx.viewer, target_type=target_type,
                                 target_id=target_id, cursor=cursor, limit=limit)
    authors = service.authors(ctx.session, page.items)
    return Paged(items=[CommentOut(**_fields(ctx.session, c, authors)) for c in page.items],
                 next_cursor=page.next_cursor)


@router.post("/comments", response_model=CommentPosted, status_code=201)
def create_comment(body: CommentIn, ctx: ApiCtx) -> CommentPosted:
    posted = service.create_comment(ctx.session, ctx.viewer, target_type=body.target_type,
                                    target_id=body.target_id, body=body.body,
                                    parent_id=body.parent_id)
    return _posted(ctx.session, posted)


@router.get("/comments/{comment_id}", response_model=CommentOut)
def get_comment(comment_id: str, ctx: ApiCtx) -> CommentOut:
    comment, _on = service.get_comment(ctx.session, ctx.viewer, comment_id)
    return CommentOut(**_fields(ctx.session, comment))


@router.patch("/comments/{comment_id}", response_model=CommentPosted)
def edit_comment(comment_id: str, body: CommentPatch, ctx: ApiCtx) -> CommentPosted:
    posted = service.edit_comment(ctx.session, ctx.viewer, comment_id, body=body.body)
    return _posted(ctx.session, posted)


@router.delete("/comments/{comment_id}", status_code=204)
def delete_comment(comment_id: str, ctx: ApiCtx) -> Response:
    service.delete_comment(ctx.session, ctx.viewer, comment_id)
    return Response(status_code=204)
