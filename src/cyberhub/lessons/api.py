"""REST: the lessons library — CRUD, search (``q``) and tag filters, the tag cloud."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub.access import Viewer
from cyberhub.audience import Audience, audience_of, audiences_of
from cyberhub.deps import ApiCtx
from cyberhub.lessons import service
from cyberhub.lessons.models import Lesson
from cyberhub.lessons.schemas import LessonIn, LessonOut, LessonPatch, TagCountOut
from cyberhub.meetings.api import source_out
from cyberhub.schemas import AudienceModel, Paged

router = APIRouter(tags=["lessons"])


def _audience(model: AudienceModel) -> Audience:
    return Audience(model.org_ids, model.group_ids, model.user_ids)


def _out(session: Session, viewer: Viewer, lesson: Lesson, aud: Audience | None = None,
         tags: list[str] | None = None) -> LessonOut:
    aud = aud if aud is not None else audience_of(session, lesson.id)
    tags = tags if tags is not None else service.tags_of(session, [lesson.id])[lesson.id]
    return LessonOut(
        id=lesson.id, title=lesson.title,
        what_happened_markdown=lesson.what_happened_markdown,
        what_happened_html=lesson.what_happened_html,
        what_worked_markdown=lesson.what_worked_markdown,
        what_worked_html=lesson.what_worked_html,
        what_to_change_markdown=lesson.what_to_change_markdown,
        what_to_change_html=lesson.what_to_change_html, tags=tags,
        source=source_out(session, viewer, lesson.source_type, lesson.source_id),
        tlp=lesson.tlp, pap=lesson.pap, owner_org_id=lesson.owner_org_id,
        created_by_id=lesson.created_by_id, created_at=lesson.created_at,
        updated_at=lesson.updated_at, is_demo=lesson.is_demo,
        audience=AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                               user_ids=aud.user_ids))


@router.get("/lessons", response_model=Paged[LessonOut])
def list_lessons(ctx: ApiCtx,
                 q: Annotated[str, Query(max_length=service.MAX_QUERY,
                                         description="Words, each prefix-matched.")] = "",
                 tag: Annotated[list[str] | None, Query(max_length=5,
                                                        description="Every tag given.")] = None,
                 cursor: Annotated[str | None, Query(max_length=500)] = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Paged[LessonOut]:
    page = service.search_lessons(ctx.session, ctx.viewer, q=q, tags=tag or [], cursor=cursor,
                                  limit=limit)
    ids = [lesson.id for lesson in page.items]
    audiences, tags = audiences_of(ctx.session, ids), service.tags_of(ctx.session, ids)
    return Paged(items=[_out(ctx.session, ctx.viewer, x, audiences[x.id], tags[x.id])
                        for x in page.items], next_cursor=page.next_cursor)


@router.get("/lessons/tags", response_model=list[TagCountOut])
def lesson_tags(ctx: ApiCtx) -> list[TagCountOut]:
    """The most used tags among the lessons you may see."""
    return [TagCountOut(tag=t.tag, count=t.count)
            for t in service.tag_cloud(ctx.session, ctx.viewer)]


@router.post("/lessons", response_model=LessonOut, status_code=201)
def create_lesson(body: LessonIn, ctx: ApiCtx) -> LessonOut:
    lesson = service.create_lesson(
        ctx.session, ctx.viewer, title=body.title, what_happened=body.what_happened,
        what_worked=body.what_worked, what_to_change=body.what_to_change, tlp=body.tlp,
        pap=body.pap, audience=_audience(body.audience), tags=body.tags,
        source_type=body.source_type, source_id=body.source_id)
    return _out(ctx.session, ctx.viewer, lesson)


@router.get("/lessons/{lesson_id}", response_model=LessonOut)
def get_lesson(lesson_id: str, ctx: ApiCtx) -> LessonOut:
    return _out(ctx.session, ctx.viewer, service.get_lesson(ctx.session, ctx.viewer, lesson_id))


@router.patch("/lessons/{lesson_id}", response_model=LessonOut)
def update_lesson(lesson_id: str, body: LessonPatch, ctx: ApiCtx) -> LessonOut:
    fields = body.model_fields_set
    pap = (body.pap or "") if "pap" in fields else None
    lesson = service.update_lesson(
        ctx.session, ctx.viewer, lesson_id, title=body.title, what_happened=body.what_happened,
        what_worked=body.what_worked, what_to_change=body.what_to_change, tlp=body.tlp,
        pap=pap, audience=_audience(body.audience) if body.audience is not None else None,
        tags=body.tags, source_type=body.source_type, source_id=body.source_id,
        change_source=bool({"source_type", "source_id"} & fields))
    return _out(ctx.session, ctx.viewer, lesson)


@router.delete("/lessons/{lesson_id}", status_code=204)
def delete_lesson(lesson_id: str, ctx: ApiCtx) -> Response:
    service.delete_lesson(ctx.session, ctx.viewer, lesson_id)
    return Response(status_code=204)
