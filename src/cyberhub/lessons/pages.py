"""Web pages: the lessons library — search, read, write, change and delete."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from cyberhub import access, source_links
from cyberhub.audience import audience_of
from cyberhub.community import service as community
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.lessons import service
from cyberhub.lessons.models import Lesson
from cyberhub.notes.pages import AUDIENCE_TLPS, tlp_rules
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, audience_options, on_error, page, redirect, view

router = APIRouter()

PAGE_SIZE = 20
IdList = Annotated[list[str], Form(max_length=500)]
Markdown = Annotated[str, Form(max_length=service.MAX_MARKDOWN + 1)]


def _uuids(values: Sequence[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not write lessons. Ask your organisation's admin "
                                 "for the analyst role."))


def _source_labels() -> dict[str, str]:
    return {"dialogue": _("a dialogue"), "operation": _("an operation"),
            "incident": _("an incident"), "meeting": _("a meeting")}


# ---------------------------------------------------------------- search


@router.get("/lessons")
def list_lessons(ctx: MemberCtx, q: Annotated[str, Query(max_length=service.MAX_QUERY)] = "",
                 tag: Annotated[list[str] | None, Query(max_length=5)] = None,
                 cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    tags = service.clean_tags(tag or [])
    result = service.search_lessons(ctx.session, ctx.viewer, q=q, tags=tags,
                                    cursor=cursor or None, limit=PAGE_SIZE)
    tag_map = service.tags_of(ctx.session, [x.id for x in result.items])
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
    rows = [view(x, "id", "title", "tlp", "pap", "is_demo", "created_at",
                 owner=orgs.get(x.owner_org_id, ""), tags=tag_map[x.id]) for x in result.items]
    base = [("q", q)] if q else []
    older = ("/lessons?" + urlencode(base + [("tag", t) for t in tags]
                                     + [("cursor", result.next_cursor)])
             if result.next_cursor else None)
    cloud = service.tag_cloud(ctx.session, ctx.viewer)
    top = max((c.count for c in cloud), default=1)

    def with_tag(t: str) -> str:
        chosen = [x for x in tags if x != t] if t in tags else [*tags, t]
        return "/lessons?" + urlencode(base + [("tag", x) for x in chosen[:5]])

    return page(ctx, "lessons/list.html", {
        "lessons": rows, "q": q, "tags": tags, "older": older, "paged": bool(cursor),
        "cloud": [SimpleNamespace(tag=c.tag, count=c.count, url=with_tag(c.tag),
                                  selected=c.tag in tags,
                                  size=1 + round(3 * c.count / top)) for c in cloud],
        "tag_url": with_tag, "can_write": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- create and edit


class LessonForm:
    """The fields of the lesson form, as FastAPI reads them."""

    def __init__(self, title: Annotated[str, Form(max_length=1000)] = "",
                 what_happened: Markdown = "", what_worked: Markdown = "",
                 what_to_change: Markdown = "",
                 tags: Annotated[str, Form(max_length=2000)] = "",
                 tlp: Annotated[str, Form(max_length=16)] = "GREEN",
                 pap: Annotated[str, Form(max_length=8)] = "",
                 source_type: Annotated[str, Form(max_length=20)] = "",
                 source_id: Annotated[str, Form(max_length=60)] = "",
                 org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                 group_ids: IdList = [],  # noqa: B006
                 user_ids: IdList = []) -> None:  # noqa: B006
        self.values = SimpleNamespace(
            title=title, what_happened=what_happened, what_worked=what_worked,
            what_to_change=what_to_change, tags=tags, tlp=tlp, pap=pap,
            source_type=source_type, source_id=source_id, org_ids=set(org_ids),
            group_ids=set(group_ids), user_ids=set(user_ids))

    def fields(self) -> dict[str, Any]:
        v = self.values
        return {"title": v.title, "what_happened": v.what_happened,
                "what_worked": v.what_worked, "what_to_change": v.what_to_change,
                "tags": v.tags.split(","), "tlp": v.tlp,
                "audience": service.Audience(_uuids(v.org_ids), _uuids(v.group_ids),
                                             _uuids(v.user_ids)),
                "source_type": v.source_type or None, "source_id": v.source_id or None}


def _blank() -> SimpleNamespace:
    return LessonForm().values


def _form_context(ctx: Ctx, values: SimpleNamespace, *,
                  lesson: SimpleNamespace | None = None) -> dict[str, Any]:
    return {"form": values, "options": audience_options(ctx), "lesson": lesson,
            "rules": tlp_rules(), "audience_tlps": AUDIENCE_TLPS,
            "source_types": service.SOURCE_TYPES, "source_labels": _source_labels()}


@router.get("/lessons/new")
def new_lesson_form(ctx: MemberCtx,
                    source_type: Annotated[str, Query(max_length=20)] = "",
                    source_id: Annotated[str, Query(max_length=60)] = "") -> Response:
    _require_contributor(ctx)
    values = _blank()
    # "Write a lesson" links from a meeting (or a dialogue) prefill the source.
    values.source_type, values.source_id = source_type, source_id
    return page(ctx, "lessons/form.html", _form_context(ctx, values))


@router.post("/lessons/new")
def create_lesson(ctx: MemberCtx, stamp: pace.FormStamp,
                  form: Annotated[LessonForm, Depends()]) -> Response:
    on_error(ctx, "lessons/form.html", _form_context(ctx, form.values))
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    lesson = service.create_lesson(ctx.session, ctx.viewer, pap=form.values.pap or None,
                                   **form.fields())
    return redirect(f"/lessons/{lesson.id}", "created")


def _editable(ctx: Ctx, lesson_id: str) -> Lesson:
    lesson = service.get_lesson(ctx.session, ctx.viewer, lesson_id)
    if not access.can_edit(lesson, ctx.viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this lesson."))
    return lesson


@router.get("/lessons/{lesson_id}/edit")
def edit_lesson_form(ctx: MemberCtx, lesson_id: str) -> Response:
    x = _editable(ctx, lesson_id)
    aud = audience_of(ctx.session, x.id)
    values = SimpleNamespace(
        title=x.title, what_happened=x.what_happened_markdown,
        what_worked=x.what_worked_markdown, what_to_change=x.what_to_change_markdown,
        tags=", ".join(service.tags_of(ctx.session, [x.id])[x.id]), tlp=x.tlp.value,
        pap=x.pap.value if x.pap else "", source_type=x.source_type or "",
        source_id=str(x.source_id) if x.source_id else "",
        org_ids={str(i) for i in aud.org_ids}, group_ids={str(i) for i in aud.group_ids},
        user_ids={str(i) for i in aud.user_ids})
    return page(ctx, "lessons/form.html",
                _form_context(ctx, values, lesson=view(x, "id", "title")))


@router.post("/lessons/{lesson_id}/edit")
def edit_lesson(ctx: MemberCtx, lesson_id: str,
                form: Annotated[LessonForm, Depends()]) -> Response:
    x = _editable(ctx, lesson_id)
    on_error(ctx, "lessons/form.html",
             _form_context(ctx, form.values, lesson=view(x, "id", "title")))
    service.update_lesson(ctx.session, ctx.viewer, x.id, pap=form.values.pap,
                          change_source=True, **form.fields())
    return redirect(f"/lessons/{x.id}", "saved")


@router.get("/lessons/{lesson_id}/delete")
def delete_lesson_form(ctx: MemberCtx, lesson_id: str) -> Response:
    x = _editable(ctx, lesson_id)
    return page(ctx, "lessons/delete.html", {"lesson": view(x, "id", "title", "tlp")})


@router.post("/lessons/{lesson_id}/delete")
def delete_lesson(ctx: MemberCtx, lesson_id: str) -> Response:
    x = _editable(ctx, lesson_id)
    on_error(ctx, "lessons/delete.html", {"lesson": view(x, "id", "title", "tlp")})
    service.delete_lesson(ctx.session, ctx.viewer, x.id)
    return redirect("/lessons", "deleted")


# ---------------------------------------------------------------- read


@router.get("/lessons/{lesson_id}")
def show_lesson(ctx: MemberCtx, lesson_id: str) -> Response:
    x = service.get_lesson(ctx.session, ctx.viewer, lesson_id)
    aud = audience_of(ctx.session, x.id)
    owner = community.get_organisation(ctx.session, ctx.viewer, x.owner_org_id)
    author = community.get_user(ctx.session, ctx.viewer, x.created_by_id)
    link = source_links.link_for(ctx.session, ctx.viewer, x.source_type, x.source_id)
    return page(ctx, "lessons/show.html", {
        "lesson": view(x, "id", "title", "what_happened_html", "what_worked_html",
                       "what_to_change_html", "tlp", "pap", "is_demo", "created_at",
                       "updated_at", owner=owner.name, owner_is_demo=owner.is_demo,
                       author=author.display_name,
                       tags=service.tags_of(ctx.session, [x.id])[x.id]),
        "source_link": link, "source_label": _source_labels().get(link.type) if link else None,
        "rule": access.describe_rule(x.tlp),
        "audience": SimpleNamespace(
            orgs=[community.get_organisation(ctx.session, ctx.viewer, i).name
                  for i in aud.org_ids],
            groups=[community.get_group(ctx.session, ctx.viewer, i).name for i in aud.group_ids],
            users=[community.get_user(ctx.session, ctx.viewer, i).display_name
                   for i in aud.user_ids]),
        "can_edit": access.can_edit(x, ctx.viewer)})
