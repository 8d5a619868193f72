"""Web pages: meetings (list, read, write, change, delete), their decisions and action
items, and "My action items" — always through the service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from cyberhub import access, source_links
from cyberhub.audience import audience_of
from cyberhub.community import service as community
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.meetings import service
from cyberhub.meetings.models import ActionItem, Meeting
from cyberhub.notes.pages import AUDIENCE_TLPS, tlp_rules
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, audience_options, is_htmx, on_error, page, redirect, view

router = APIRouter()

PAGE_SIZE = 25
IdList = Annotated[list[str], Form(max_length=500)]
Markdown = Annotated[str, Form(max_length=service.MAX_MARKDOWN + 1)]


# ---------------------------------------------------------------- helpers


def _uuids(values: Sequence[str], field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The form names a recipient that does not exist."),
                           details={"field": field}) from None


def _when(value: str, field: str) -> datetime:
    """A datetime-local field: a time without a zone, taken as UTC."""
    try:
        return service.aware(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise InvalidInput(_("Give the start as a date and time, e.g. 2026-12-10 14:00."),
                           details={"field": field}) from None


def _due(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(_("Give the due date as a date, e.g. 2026-12-20."),
                           details={"field": "due"}) from None


def _user_label(ctx: Ctx, user_id: uuid.UUID) -> str:
    u = community.get_user(ctx.session, ctx.viewer, user_id)
    return f"{u.display_name} ({u.organisation.name})"


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not create meetings. Ask your organisation's "
                                 "admin for the analyst role."))


def item_view(ctx: Ctx, item: ActionItem, meeting: Meeting, now: datetime,
              *, can_toggle: bool) -> SimpleNamespace:
    return view(item, "id", "text", "due_at", "status", "completed_at",
                meeting_id=meeting.id, meeting_title=meeting.title, meeting_tlp=meeting.tlp,
                owner=_user_label(ctx, item.owner_id), overdue=service.is_overdue(item, now),
                is_mine=item.owner_id == ctx.viewer.user_id, can_toggle=can_toggle)


def _may_toggle(ctx: Ctx, item: ActionItem, meeting: Meeting, manage: bool) -> bool:
    return manage or (access.can_contribute(ctx.viewer) and item.owner_id == ctx.viewer.user_id)


# ---------------------------------------------------------------- list


@router.get("/meetings")
def list_meetings(ctx: MemberCtx,
                  cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    result = service.list_meetings(ctx.session, ctx.viewer, cursor=cursor or None,
                                   limit=PAGE_SIZE)
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
    now = datetime.now(UTC)
    rows = []
    for m in result.items:
        items = service.items_of(ctx.session, m)
        rows.append(view(m, "id", "title", "starts_at", "location", "tlp", "pap", "is_demo",
                         owner=orgs.get(m.owner_org_id, ""),
                         open_items=sum(1 for i in items if i.status == "open"),
                         overdue_items=sum(1 for i in items if service.is_overdue(i, now))))
    return page(ctx, "meetings/list.html", {
        "meetings": rows, "older": f"/meetings?cursor={result.next_cursor}"
        if result.next_cursor else None, "paged": bool(cursor),
        "can_write": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- create and edit


def _form_values(title: str = "", starts_at: str = "", location: str = "", link: str = "",
                 agenda: str = "", minutes: str = "", tlp: str = "AMBER", pap: str = "",
                 org_ids: Sequence[str] = (), group_ids: Sequence[str] = (),
                 user_ids: Sequence[str] = (), attendee_ids: Sequence[str] = (),
                 source_type: str = "", source_id: str = "") -> SimpleNamespace:
    return SimpleNamespace(title=title, starts_at=starts_at, location=location, link=link,
                           agenda=agenda, minutes=minutes, tlp=tlp, pap=pap,
                           org_ids=set(org_ids), group_ids=set(group_ids),
                           user_ids=set(user_ids), attendee_ids=set(attendee_ids),
                           source_type=source_type, source_id=source_id)


def _form_context(ctx: Ctx, values: SimpleNamespace, *,
                  meeting: SimpleNamespace | None = None) -> dict[str, Any]:
    return {"form": values, "options": audience_options(ctx), "meeting": meeting,
            "rules": tlp_rules(), "audience_tlps": AUDIENCE_TLPS,
            "source_types": service.SOURCE_TYPES}


class MeetingForm:
    """The fields of the meeting form, as FastAPI reads them."""

    def __init__(self, title: Annotated[str, Form(max_length=1000)] = "",
                 starts_at: Annotated[str, Form(max_length=40)] = "",
                 location: Annotated[str, Form(max_length=1000)] = "",
                 link: Annotated[str, Form(max_length=3000)] = "",
                 agenda: Markdown = "", minutes: Markdown = "",
                 tlp: Annotated[str, Form(max_length=16)] = "AMBER",
                 pap: Annotated[str, Form(max_length=8)] = "",
                 source_type: Annotated[str, Form(max_length=20)] = "",
                 source_id: Annotated[str, Form(max_length=60)] = "",
                 org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                 group_ids: IdList = [],  # noqa: B006
                 user_ids: IdList = [],  # noqa: B006
                 attendee_ids: IdList = []) -> None:  # noqa: B006
        self.values = _form_values(title, starts_at, location, link, agenda, minutes, tlp, pap,
                                   org_ids, group_ids, user_ids, attendee_ids, source_type,
                                   source_id)

    def fields(self) -> dict[str, Any]:
        v = self.values
        return {"title": v.title, "starts_at": _when(v.starts_at, "starts_at"),
                "location": v.location, "link": v.link, "agenda": v.agenda,
                "minutes": v.minutes, "tlp": v.tlp,
                "audience": service.Audience(_uuids(v.org_ids, "audience"),
                                             _uuids(v.group_ids, "audience"),
                                             _uuids(v.user_ids, "audience")),
                "attendees": _uuids(v.attendee_ids, "attendee_ids"),
                "source_type": v.source_type or None, "source_id": v.source_id or None}


@router.get("/meetings/new")
def new_meeting_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "meetings/form.html", _form_context(ctx, _form_values()))


@router.post("/meetings/new")
def create_meeting(ctx: MemberCtx, stamp: pace.FormStamp,
                   form: Annotated[MeetingForm, Depends()]) -> Response:
    on_error(ctx, "meetings/form.html", _form_context(ctx, form.values))
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    meeting = service.create_meeting(ctx.session, ctx.viewer, pap=form.values.pap or None,
                                     **form.fields())
    return redirect(f"/meetings/{meeting.id}", "created")


def _editable(ctx: Ctx, meeting_id: str) -> Meeting:
    meeting = service.get_meeting(ctx.session, ctx.viewer, meeting_id)
    if not access.can_edit(meeting, ctx.viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this meeting."))
    return meeting


@router.get("/meetings/{meeting_id}/edit")
def edit_meeting_form(ctx: MemberCtx, meeting_id: str) -> Response:
    m = _editable(ctx, meeting_id)
    aud = audience_of(ctx.session, m.id)
    values = _form_values(
        m.title, m.starts_at.strftime("%Y-%m-%dT%H:%M"), m.location, m.link, m.agenda_markdown,
        m.minutes_markdown, m.tlp.value, m.pap.value if m.pap else "",
        [str(i) for i in aud.org_ids], [str(i) for i in aud.group_ids],
        [str(i) for i in aud.user_ids],
        [str(i) for i in service.attendee_ids(ctx.session, m.id)], m.source_type or "",
        str(m.source_id) if m.source_id else "")
    return page(ctx, "meetings/form.html",
                _form_context(ctx, values, meeting=view(m, "id", "title")))


@router.post("/meetings/{meeting_id}/edit")
def edit_meeting(ctx: MemberCtx, meeting_id: str,
                 form: Annotated[MeetingForm, Depends()]) -> Response:
    m = _editable(ctx, meeting_id)
    on_error(ctx, "meetings/form.html",
             _form_context(ctx, form.values, meeting=view(m, "id", "title")))
    # An empty PAP choice clears the marking.
    service.update_meeting(ctx.session, ctx.viewer, m.id, pap=form.values.pap,
                           change_source=True, **form.fields())
    return redirect(f"/meetings/{m.id}", "saved")


@router.get("/meetings/{meeting_id}/delete")
def delete_meeting_form(ctx: MemberCtx, meeting_id: str) -> Response:
    m = _editable(ctx, meeting_id)
    return page(ctx, "meetings/delete.html", {"meeting": view(m, "id", "title", "tlp")})


@router.post("/meetings/{meeting_id}/delete")
def delete_meeting(ctx: MemberCtx, meeting_id: str) -> Response:
    m = _editable(ctx, meeting_id)
    on_error(ctx, "meetings/delete.html", {"meeting": view(m, "id", "title", "tlp")})
    service.delete_meeting(ctx.session, ctx.viewer, m.id)
    return redirect("/meetings", "deleted")


# ---------------------------------------------------------------- read


def _show_context(ctx: Ctx, m: Meeting, *, decision_text: str = "", item_text: str = "",
                  item_owner: str = "", item_due: str = "") -> dict[str, Any]:
    aud = audience_of(ctx.session, m.id)
    owner = community.get_organisation(ctx.session, ctx.viewer, m.owner_org_id)
    author = community.get_user(ctx.session, ctx.viewer, m.created_by_id)
    manage = service.can_manage(ctx.session, m, ctx.viewer)
    now = datetime.now(UTC)
    link = source_links.link_for(ctx.session, ctx.viewer, m.source_type, m.source_id)
    owners = []
    if manage:
        users = community.list_users(ctx.session, ctx.viewer)
        owners = [SimpleNamespace(id=str(u.id), label=f"{u.display_name} ({u.organisation.name})")
                  for u in service.who_can_see(ctx.session, m, users)]
    return {
        "meeting": view(m, "id", "title", "starts_at", "location", "link", "agenda_html",
                        "minutes_html", "tlp", "pap", "is_demo", "created_at", "updated_at",
                        "source_type", owner=owner.name, owner_is_demo=owner.is_demo,
                        author=author.display_name),
        "source_link": link,
        "attendees": [_user_label(ctx, u) for u in service.attendee_ids(ctx.session, m.id)],
        "decisions": [view(d, "id", "text", "decided_at")
                      for d in service.decisions_of(ctx.session, m)],
        "items": [item_view(ctx, i, m, now, can_toggle=_may_toggle(ctx, i, m, manage))
                  for i in service.items_of(ctx.session, m)],
        "rule": access.describe_rule(m.tlp),
        "audience": SimpleNamespace(
            orgs=[community.get_organisation(ctx.session, ctx.viewer, i).name
                  for i in aud.org_ids],
            groups=[community.get_group(ctx.session, ctx.viewer, i).name for i in aud.group_ids],
            users=[_user_label(ctx, i) for i in aud.user_ids]),
        "can_edit": access.can_edit(m, ctx.viewer), "can_manage": manage,
        "owner_options": owners,
        "new": SimpleNamespace(decision=decision_text, text=item_text,
                               owner=item_owner or str(ctx.viewer.user_id), due=item_due),
    }


@router.get("/meetings/{meeting_id}")
def show_meeting(ctx: MemberCtx, meeting_id: str) -> Response:
    m = service.get_meeting(ctx.session, ctx.viewer, meeting_id)
    return page(ctx, "meetings/show.html", _show_context(ctx, m))


@router.post("/meetings/{meeting_id}/decisions")
def add_decision(ctx: MemberCtx, meeting_id: str,
                 text: Annotated[str, Form(max_length=service.MAX_DECISION + 1)] = "") -> Response:
    m = service.get_meeting(ctx.session, ctx.viewer, meeting_id)
    on_error(ctx, "meetings/show.html", _show_context(ctx, m, decision_text=text))
    service.add_decision(ctx.session, ctx.viewer, m.id, text=text)
    return redirect(f"/meetings/{m.id}#decisions", "saved")


@router.post("/meetings/{meeting_id}/action-items")
def add_action_item(ctx: MemberCtx, meeting_id: str,
                    text: Annotated[str, Form(max_length=service.MAX_ITEM + 1)] = "",
                    owner_id: Annotated[str, Form(max_length=60)] = "",
                    due: Annotated[str, Form(max_length=20)] = "") -> Response:
    m = service.get_meeting(ctx.session, ctx.viewer, meeting_id)
    on_error(ctx, "meetings/show.html",
             _show_context(ctx, m, item_text=text, item_owner=owner_id, item_due=due))
    service.add_action_item(ctx.session, ctx.viewer, m.id, text=text, owner_id=owner_id,
                            due=_due(due))
    return redirect(f"/meetings/{m.id}#action-items", "saved")


@router.post("/action-items/{item_id}/toggle")
def toggle_action_item(ctx: MemberCtx, item_id: str,
                       back: Annotated[str, Form(max_length=20)] = "meeting") -> Response:
    """Done ↔ open. htmx swaps the item's row; without JavaScript, back to the page."""
    item, m = service.get_action_item(ctx.session, ctx.viewer, item_id)
    item, m = service.set_action_item_status(
        ctx.session, ctx.viewer, item.id, "open" if item.status == "done" else "done")
    if is_htmx(ctx):
        manage = service.can_manage(ctx.session, m, ctx.viewer)
        row = item_view(ctx, item, m, datetime.now(UTC),
                        can_toggle=_may_toggle(ctx, item, m, manage))
        return page(ctx, "meetings/_item.html", {"i": row, "back": back})
    return redirect("/action-items" if back == "mine" else f"/meetings/{m.id}#action-{item.id}",
                    "saved")


# ---------------------------------------------------------------- my action items


@router.get("/action-items")
def my_action_items(ctx: MemberCtx) -> Response:
    now = datetime.now(UTC)
    rows = service.list_action_items(ctx.session, ctx.viewer, mine=True)
    items = [item_view(ctx, r.item, r.meeting, now, can_toggle=access.can_contribute(ctx.viewer))
             for r in rows]
    return page(ctx, "meetings/my_items.html", {
        "items": items, "overdue": sum(1 for i in items if i.overdue)})
