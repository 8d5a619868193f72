"""Web pages: insights — the index, write, read, change, publish, delete, export."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from cyberhub import access
from cyberhub.community import service as community
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.insights import export, service
from cyberhub.insights.models import Insight, InsightStatus
from cyberhub.intel.pages import display_name
from cyberhub.notes.pages import AUDIENCE_TLPS, tlp_rules
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, audience_options, on_error, page, redirect, view

router = APIRouter()

PAGE_SIZE = 25
IdList = Annotated[list[str], Form(max_length=500)]


def _require_writer(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not write insights. Ask your organisation's admin "
                                 "for the analyst role."))


def _uuids(values: Sequence[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None


def _refs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines()
            if line.strip()]


# ---------------------------------------------------------------- index


@router.get("/insights")
def list_insights(ctx: MemberCtx, q: Annotated[str, Query(max_length=200)] = "",
                  tlp: Annotated[list[str] | None, Query(max_length=5)] = None,
                  cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    tlps = [service.clean_tlp(t) for t in tlp or [] if t]
    result = service.list_insights(ctx.session, ctx.viewer, cursor=cursor or None,
                                   limit=PAGE_SIZE, tlp=tlps, q=q)
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)} \
        if result.items else {}
    rows = [view(i, "id", "title", "summary", "tlp", "pap", "is_demo", "created_at",
                 "published_at", draft=i.status is InsightStatus.DRAFT,
                 owner=orgs.get(i.owner_org_id, "")) for i in result.items]
    filters = [("q", q)] if q else []
    filters += [("tlp", t.value) for t in tlps]
    older = ("/insights?" + urlencode([*filters, ("cursor", result.next_cursor)])
             if result.next_cursor else None)
    return page(ctx, "insights/list.html", {
        "insights": rows, "q": q, "selected": {t.value for t in tlps}, "older": older,
        "paged": bool(cursor), "newest": "/insights" + ("?" + urlencode(filters) if filters
                                                        else ""),
        "can_write": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- write


def _values(title: str = "", summary: str = "", body: str = "", tlp: str = "GREEN",
            pap: str = "", objects: str = "", source: str = "",
            org_ids: Sequence[str] = (), group_ids: Sequence[str] = (),
            user_ids: Sequence[str] = ()) -> SimpleNamespace:
    return SimpleNamespace(title=title, summary=summary, body=body, tlp=tlp, pap=pap,
                           objects=objects, source=source, org_ids=set(org_ids),
                           group_ids=set(group_ids), user_ids=set(user_ids))


def _form_context(ctx: Ctx, values: SimpleNamespace,
                  insight: SimpleNamespace | None = None) -> dict[str, Any]:
    return {"form": values, "insight": insight, "options": audience_options(ctx),
            "rules": tlp_rules(), "audience_tlps": AUDIENCE_TLPS,
            "max_body": service.MAX_BODY, "max_summary": service.MAX_SUMMARY}


@router.get("/insights/new")
def new_form(ctx: MemberCtx, source: Annotated[str, Query(max_length=120)] = "",
             object: Annotated[str, Query(max_length=300)] = "") -> Response:
    _require_writer(ctx)
    src = service.clean_source(source)
    return page(ctx, "insights/form.html", _form_context(
        ctx, _values(source=f"{src.type}:{src.id}" if src else "", objects=object)))


@router.post("/insights/new")
def create(ctx: MemberCtx, stamp: pace.FormStamp, title: Annotated[str, Form(max_length=1000)] = "",
           summary: Annotated[str, Form(max_length=service.MAX_SUMMARY + 1)] = "",
           body: Annotated[str, Form(max_length=service.MAX_BODY + 1)] = "",
           tlp: Annotated[str, Form(max_length=16)] = "",
           pap: Annotated[str, Form(max_length=8)] = "",
           objects: Annotated[str, Form(max_length=100_000)] = "",
           source: Annotated[str, Form(max_length=120)] = "",
           org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
           group_ids: IdList = [],  # noqa: B006
           user_ids: IdList = []) -> Response:  # noqa: B006
    values = _values(title, summary, body, tlp, pap, objects, source, org_ids, group_ids,
                     user_ids)
    on_error(ctx, "insights/form.html", _form_context(ctx, values))
    pace.check(ctx, stamp)
    _require_writer(ctx)
    insight = service.create_insight(
        ctx.session, ctx.viewer, title=title, summary=summary, body=body, tlp=tlp,
        pap=pap or None, object_refs=_refs(objects), source=source or None,
        audience=service.Audience(_uuids(org_ids), _uuids(group_ids), _uuids(user_ids)))
    return redirect(f"/insights/{insight.id}", "insight-created")


# ---------------------------------------------------------------- read


def _show_context(ctx: Ctx, insight: Insight) -> dict[str, Any]:
    owner = community.get_organisation(ctx.session, ctx.viewer, insight.owner_org_id)
    author = community.get_user(ctx.session, ctx.viewer, insight.created_by_id)
    objects = [SimpleNamespace(id=o.id, name=display_name(o), type=o.type, tlp=o.tlp)
               for o in service.linked_objects(ctx.session, ctx.viewer, insight)]
    return {
        "insight": view(insight, "id", "title", "summary", "body_html", "tlp", "pap", "is_demo",
                        "created_at", "updated_at", "published_at", "source_type",
                        draft=insight.status is InsightStatus.DRAFT, owner=owner.name,
                        author=author.display_name),
        "objects": objects, "source_url": service.source_link(ctx.session, ctx.viewer, insight),
        "rule": access.describe_rule(insight.tlp),
        "can_edit": access.can_edit(insight, ctx.viewer)}


@router.get("/insights/{insight_id}")
def show(ctx: MemberCtx, insight_id: str) -> Response:
    insight = service.get_insight(ctx.session, ctx.viewer, insight_id)
    return page(ctx, "insights/show.html", _show_context(ctx, insight))


@router.get("/insights/{insight_id}/stix")
def download_stix(ctx: MemberCtx, insight_id: str,
                  as_: Annotated[str | None, Query(alias="as", max_length=16)] = None
                  ) -> Response:
    insight = service.get_insight(ctx.session, ctx.viewer, insight_id)
    data = export.bundle(ctx.session, ctx.viewer, insight, as_ or None)
    return Response(data, media_type="application/stix+json;version=2.1", headers={
        "content-disposition": f'attachment; filename="insight-{insight.id}.json"'})


# ---------------------------------------------------------------- change


def _editable(ctx: Ctx, insight_id: str) -> Insight:
    insight = service.get_insight(ctx.session, ctx.viewer, insight_id)
    if not access.can_edit(insight, ctx.viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this insight."))
    return insight


@router.get("/insights/{insight_id}/edit")
def edit_form(ctx: MemberCtx, insight_id: str) -> Response:
    insight = _editable(ctx, insight_id)
    aud = service.audience_of(ctx.session, insight.id)
    linked = service.linked_objects(ctx.session, ctx.viewer, insight)
    values = _values(insight.title, insight.summary, insight.body_markdown, insight.tlp.value,
                     insight.pap.value if insight.pap else "",
                     "\n".join(o.stix_id for o in linked), "",
                     [str(i) for i in aud.org_ids], [str(i) for i in aud.group_ids],
                     [str(i) for i in aud.user_ids])
    return page(ctx, "insights/form.html",
                _form_context(ctx, values, view(insight, "id", "title")))


@router.post("/insights/{insight_id}/edit")
def edit(ctx: MemberCtx, insight_id: str, title: Annotated[str, Form(max_length=1000)] = "",
         summary: Annotated[str, Form(max_length=service.MAX_SUMMARY + 1)] = "",
         body: Annotated[str, Form(max_length=service.MAX_BODY + 1)] = "",
         tlp: Annotated[str, Form(max_length=16)] = "",
         pap: Annotated[str, Form(max_length=8)] = "",
         objects: Annotated[str, Form(max_length=100_000)] = "",
         org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
         group_ids: IdList = [],  # noqa: B006
         user_ids: IdList = []) -> Response:  # noqa: B006
    insight = _editable(ctx, insight_id)
    values = _values(title, summary, body, tlp, pap, objects, "", org_ids, group_ids, user_ids)
    on_error(ctx, "insights/form.html",
             _form_context(ctx, values, view(insight, "id", "title")))
    service.update_insight(
        ctx.session, ctx.viewer, insight.id, title=title, summary=summary, body=body, tlp=tlp,
        pap=pap, object_refs=_refs(objects),
        audience=service.Audience(_uuids(org_ids), _uuids(group_ids), _uuids(user_ids)))
    return redirect(f"/insights/{insight.id}", "saved")


@router.post("/insights/{insight_id}/publish")
def publish(ctx: MemberCtx, insight_id: str) -> Response:
    insight = _editable(ctx, insight_id)
    on_error(ctx, "insights/show.html", _show_context(ctx, insight))
    service.publish_insight(ctx.session, ctx.viewer, insight.id)
    return redirect(f"/insights/{insight.id}", "insight-published")


@router.get("/insights/{insight_id}/delete")
def delete_form(ctx: MemberCtx, insight_id: str) -> Response:
    insight = _editable(ctx, insight_id)
    return page(ctx, "insights/delete.html", {"insight": view(insight, "id", "title", "tlp")})


@router.post("/insights/{insight_id}/delete")
def delete(ctx: MemberCtx, insight_id: str) -> Response:
    insight = _editable(ctx, insight_id)
    on_error(ctx, "insights/delete.html", {"insight": view(insight, "id", "title", "tlp")})
    service.delete_insight(ctx.session, ctx.viewer, insight.id)
    return redirect("/insights", "deleted")
