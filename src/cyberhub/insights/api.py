"""REST: insights — CRUD, publish, and the STIX export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub.access import Viewer
from cyberhub.deps import ApiCtx
from cyberhub.insights import export, service
from cyberhub.insights.models import Insight
from cyberhub.insights.schemas import (
    InsightIn,
    InsightOut,
    InsightPatch,
    InsightSummary,
    LinkedObject,
)
from cyberhub.schemas import AudienceModel, Paged

router = APIRouter(tags=["insights"])


def _out(session: Session, viewer: Viewer, insight: Insight) -> InsightOut:
    aud = service.audience_of(session, insight.id)
    objects = [LinkedObject(id=o.id, stix_id=o.stix_id, type=o.type, name=o.name, tlp=o.tlp)
               for o in service.linked_objects(session, viewer, insight)]
    source = (f"{insight.source_type}:{insight.source_id}"
              if insight.source_type and insight.source_id else None)
    return InsightOut(
        id=insight.id, title=insight.title, summary=insight.summary,
        body_markdown=insight.body_markdown, body_html=insight.body_html, status=insight.status,
        published_at=insight.published_at, tlp=insight.tlp, pap=insight.pap,
        audience=AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                               user_ids=aud.user_ids),
        objects=objects, source=source,
        source_url=service.source_link(session, viewer, insight), owner_org_id=insight.owner_org_id,
        created_by_id=insight.created_by_id, created_at=insight.created_at,
        updated_at=insight.updated_at, is_demo=insight.is_demo)


def _audience(model: AudienceModel) -> service.Audience:
    return service.Audience(model.org_ids, model.group_ids, model.user_ids)


@router.get("/insights", response_model=Paged[InsightSummary])
def list_insights(ctx: ApiCtx, cursor: Annotated[str | None, Query(max_length=500)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  tlp: Annotated[list[str] | None, Query(max_length=5)] = None,
                  q: Annotated[str, Query(max_length=200)] = "",
                  status: Annotated[str | None, Query(max_length=16)] = None
                  ) -> Paged[InsightSummary]:
    page = service.list_insights(
        ctx.session, ctx.viewer, cursor=cursor, limit=limit, q=q,
        tlp=[service.clean_tlp(t) for t in tlp or []],
        status=service.clean_status(status) if status else None)
    return Paged(items=[InsightSummary.model_validate(i, from_attributes=True)
                        for i in page.items], next_cursor=page.next_cursor)


@router.post("/insights", response_model=InsightOut, status_code=201)
def create_insight(body: InsightIn, ctx: ApiCtx) -> InsightOut:
    insight = service.create_insight(
        ctx.session, ctx.viewer, title=body.title, summary=body.summary, body=body.body,
        tlp=body.tlp, pap=body.pap, audience=_audience(body.audience),
        object_refs=body.object_refs, source=body.source)
    return _out(ctx.session, ctx.viewer, insight)


@router.get("/insights/{insight_id}", response_model=InsightOut)
def get_insight(insight_id: str, ctx: ApiCtx) -> InsightOut:
    return _out(ctx.session, ctx.viewer, service.get_insight(ctx.session, ctx.viewer, insight_id))


@router.patch("/insights/{insight_id}", response_model=InsightOut)
def update_insight(insight_id: str, body: InsightPatch, ctx: ApiCtx) -> InsightOut:
    pap = (body.pap or "") if "pap" in body.model_fields_set else None
    insight = service.update_insight(
        ctx.session, ctx.viewer, insight_id, title=body.title, summary=body.summary,
        body=body.body, tlp=body.tlp, pap=pap,
        audience=_audience(body.audience) if body.audience is not None else None,
        object_refs=body.object_refs)
    return _out(ctx.session, ctx.viewer, insight)


@router.post("/insights/{insight_id}/publish", response_model=InsightOut)
def publish_insight(insight_id: str, ctx: ApiCtx) -> InsightOut:
    insight = service.publish_insight(ctx.session, ctx.viewer, insight_id)
    return _out(ctx.session, ctx.viewer, insight)


@router.delete("/insights/{insight_id}", status_code=204)
def delete_insight(insight_id: str, ctx: ApiCtx) -> Response:
    service.delete_insight(ctx.session, ctx.viewer, insight_id)
    return Response(status_code=204)


@router.get("/insights/{insight_id}/stix")
def export_stix(insight_id: str, ctx: ApiCtx,
                as_: Annotated[str | None, Query(alias="as", max_length=16)] = None) -> Response:
    insight = service.get_insight(ctx.session, ctx.viewer, insight_id)
    data = export.bundle(ctx.session, ctx.viewer, insight, as_)
    return Response(data, media_type="application/stix+json;version=2.1")
