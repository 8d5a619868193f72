"""REST: meetings, their decisions and action items; my action items."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub import source_links
from cyberhub.access import Viewer
from cyberhub.audience import Audience, audience_of, audiences_of
from cyberhub.deps import ApiCtx
from cyberhub.meetings import service
from cyberhub.meetings.models import ActionItem, Decision, Meeting
from cyberhub.meetings.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    DecisionIn,
    DecisionOut,
    MeetingIn,
    MeetingOut,
    MeetingPatch,
    SourceOut,
)
from cyberhub.schemas import AudienceModel, Paged

router = APIRouter(tags=["meetings"])


def _audience(model: AudienceModel) -> Audience:
    return Audience(model.org_ids, model.group_ids, model.user_ids)


def source_out(session: Session, viewer: Viewer, source_type: str | None,
               source_id: uuid.UUID | None) -> SourceOut | None:
    """The pointer to the source is part of the record; its page only for those who see it."""
    if not source_type or source_id is None:
        return None
    link = source_links.link_for(session, viewer, source_type, source_id)
    return SourceOut(type=source_type, id=source_id, url=link.url if link else None)


def item_out(item: ActionItem, meeting: Meeting, now: datetime | None = None) -> ActionItemOut:
    return ActionItemOut(
        id=item.id, meeting_id=meeting.id, meeting_title=meeting.title, text=item.text,
        owner_id=item.owner_id, due_at=item.due_at, status=item.status,
        overdue=service.is_overdue(item, now), completed_at=item.completed_at,
        created_by_id=item.created_by_id, created_at=item.created_at)


def _decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(id=d.id, meeting_id=d.meeting_id, text=d.text, decided_at=d.decided_at,
                       created_by_id=d.created_by_id)


def _out(session: Session, viewer: Viewer, meeting: Meeting, aud: Audience | None = None, *,
         full: bool = False) -> MeetingOut:
    aud = aud if aud is not None else audience_of(session, meeting.id)
    now = datetime.now(UTC)
    return MeetingOut(
        id=meeting.id, title=meeting.title, starts_at=meeting.starts_at,
        location=meeting.location, link=meeting.link,
        agenda_markdown=meeting.agenda_markdown, agenda_html=meeting.agenda_html,
        minutes_markdown=meeting.minutes_markdown, minutes_html=meeting.minutes_html,
        attendee_ids=service.attendee_ids(session, meeting.id),
        source=source_out(session, viewer, meeting.source_type, meeting.source_id),
        tlp=meeting.tlp, pap=meeting.pap, owner_org_id=meeting.owner_org_id,
        created_by_id=meeting.created_by_id, created_at=meeting.created_at,
        updated_at=meeting.updated_at, is_demo=meeting.is_demo,
        audience=AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                               user_ids=aud.user_ids),
        decisions=[_decision_out(d) for d in service.decisions_of(session, meeting)]
        if full else None,
        action_items=[item_out(i, meeting, now) for i in service.items_of(session, meeting)]
        if full else None)


@router.get("/meetings", response_model=Paged[MeetingOut])
def list_meetings(ctx: ApiCtx, cursor: Annotated[str | None, Query(max_length=500)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Paged[MeetingOut]:
    page = service.list_meetings(ctx.session, ctx.viewer, cursor=cursor, limit=limit)
    audiences = audiences_of(ctx.session, [m.id for m in page.items])
    return Paged(items=[_out(ctx.session, ctx.viewer, m, audiences[m.id]) for m in page.items],
                 next_cursor=page.next_cursor)


@router.post("/meetings", response_model=MeetingOut, status_code=201)
def create_meeting(body: MeetingIn, ctx: ApiCtx) -> MeetingOut:
    meeting = service.create_meeting(
        ctx.session, ctx.viewer, title=body.title, starts_at=body.starts_at,
        location=body.location, link=body.link, agenda=body.agenda, minutes=body.minutes,
        tlp=body.tlp, pap=body.pap, audience=_audience(body.audience),
        attendees=body.attendee_ids, source_type=body.source_type, source_id=body.source_id)
    return _out(ctx.session, ctx.viewer, meeting, full=True)


@router.get("/meetings/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting_id: str, ctx: ApiCtx) -> MeetingOut:
    meeting = service.get_meeting(ctx.session, ctx.viewer, meeting_id)
    return _out(ctx.session, ctx.viewer, meeting, full=True)


@router.patch("/meetings/{meeting_id}", response_model=MeetingOut)
def update_meeting(meeting_id: str, body: MeetingPatch, ctx: ApiCtx) -> MeetingOut:
    fields = body.model_fields_set
    # An explicit "pap": null clears the marking; leaving the field out keeps it.
    pap = (body.pap or "") if "pap" in fields else None
    meeting = service.update_meeting(
        ctx.session, ctx.viewer, meeting_id, title=body.title, starts_at=body.starts_at,
        location=body.location, link=body.link, agenda=body.agenda, minutes=body.minutes,
        tlp=body.tlp, pap=pap,
        audience=_audience(body.audience) if body.audience is not None else None,
        attendees=body.attendee_ids, source_type=body.source_type, source_id=body.source_id,
        change_source=bool({"source_type", "source_id"} & fields))
    return _out(ctx.session, ctx.viewer, meeting, full=True)


@router.delete("/meetings/{meeting_id}", status_code=204)
def delete_meeting(meeting_id: str, ctx: ApiCtx) -> Response:
    service.delete_meeting(ctx.session, ctx.viewer, meeting_id)
    return Response(status_code=204)


@router.post("/meetings/{meeting_id}/decisions", response_model=DecisionOut, status_code=201)
def add_decision(meeting_id: str, body: DecisionIn, ctx: ApiCtx) -> DecisionOut:
    return _decision_out(service.add_decision(ctx.session, ctx.viewer, meeting_id,
                                              text=body.text, decided_at=body.decided_at))


@router.delete("/meetings/{meeting_id}/decisions/{decision_id}", status_code=204)
def delete_decision(meeting_id: str, decision_id: str, ctx: ApiCtx) -> Response:
    service.delete_decision(ctx.session, ctx.viewer, meeting_id, decision_id)
    return Response(status_code=204)


@router.post("/meetings/{meeting_id}/action-items", response_model=ActionItemOut,
             status_code=201)
def add_action_item(meeting_id: str, body: ActionItemIn, ctx: ApiCtx) -> ActionItemOut:
    item = service.add_action_item(ctx.session, ctx.viewer, meeting_id, text=body.text,
                                   owner_id=body.owner_id, due=body.due)
    return item_out(item, service.get_meeting(ctx.session, ctx.viewer, item.meeting_id))


@router.get("/action-items", response_model=list[ActionItemOut])
def list_action_items(
    ctx: ApiCtx,
    mine: Annotated[bool, Query(description="Only the items I own.")] = False,
    status: Annotated[str, Query(pattern="^(open|done|all)$")] = "open",
) -> list[ActionItemOut]:
    rows = service.list_action_items(ctx.session, ctx.viewer, mine=mine,
                                     status=None if status == "all" else status)
    now = datetime.now(UTC)
    return [item_out(r.item, r.meeting, now) for r in rows]


@router.get("/action-items/{item_id}", response_model=ActionItemOut)
def get_action_item(item_id: str, ctx: ApiCtx) -> ActionItemOut:
    item, meeting = service.get_action_item(ctx.session, ctx.viewer, item_id)
    return item_out(item, meeting)


@router.patch("/action-items/{item_id}", response_model=ActionItemOut)
def update_action_item(item_id: str, body: ActionItemPatch, ctx: ApiCtx) -> ActionItemOut:
    item, meeting = service.update_action_item(
        ctx.session, ctx.viewer, item_id, text=body.text, owner_id=body.owner_id, due=body.due,
        status=body.status)
    return item_out(item, meeting)


@router.post("/action-items/{item_id}/complete", response_model=ActionItemOut)
def complete_action_item(item_id: str, ctx: ApiCtx) -> ActionItemOut:
    item, meeting = service.set_action_item_status(ctx.session, ctx.viewer, item_id, "done")
    return item_out(item, meeting)


@router.post("/action-items/{item_id}/reopen", response_model=ActionItemOut)
def reopen_action_item(item_id: str, ctx: ApiCtx) -> ActionItemOut:
    item, meeting = service.set_action_item_status(ctx.session, ctx.viewer, item_id, "open")
    return item_out(item, meeting)


@router.delete("/action-items/{item_id}", status_code=204)
def delete_action_item(item_id: str, ctx: ApiCtx) -> Response:
    service.delete_action_item(ctx.session, ctx.viewer, item_id)
    return Response(status_code=204)
