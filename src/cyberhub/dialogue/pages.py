"""Web pages: the dialogues index, convening one, the room itself, transcripts, files.

Every author shown here comes from ``views`` (and so from ``attribution``): the page
follows the room's rule exactly as the API and the transcripts do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from cyberhub import access
from cyberhub.deps import Ctx
from cyberhub.dialogue import api as dialogue_api
from cyberhub.dialogue import files, service, views
from cyberhub.dialogue.labels import status_label
from cyberhub.dialogue.models import Dialogue, Rule, Status
from cyberhub.dialogue.schemas import ContributionOut
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.notes.pages import AUDIENCE_TLPS, tlp_rules
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, audience_options, is_htmx, on_error, page, redirect

router = APIRouter()

PAGE_SIZE = 25
IdList = Annotated[list[str], Form(max_length=500)]


def rule_label(rule: Rule) -> str:
    return {Rule.OPEN: _("Open dialogue"), Rule.CHATHAM_HOUSE: _("Chatham House Rule")}[rule]


def reaction_labels() -> dict[str, str]:
    return {"+1": _("+1"), "insightful": _("Insightful"), "agree": _("Agree"),
            "concern": _("Concern"), "thanks": _("Thanks")}


def _common() -> dict[str, Any]:
    return {"status_label": status_label, "rule_label": rule_label,
            "reactions": service.REACTIONS, "reaction_labels": reaction_labels(),
            "max_body": service.MAX_BODY,
            "max_file_mb": files.MAX_BYTES // (1024 * 1024)}


# ---------------------------------------------------------------- index


@router.get("/dialogues")
def index(ctx: MemberCtx, status: Annotated[str, Query(max_length=10)] = "",
          q: Annotated[str, Query(max_length=200)] = "",
          cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    statuses = [service.clean_status(status)] if status else []
    result = service.list_dialogues(ctx.session, ctx.viewer, cursor=cursor or None,
                                    limit=PAGE_SIZE, status=statuses, q=q or None)
    older = None
    if result.next_cursor:
        older = "/dialogues?" + urlencode({"status": status, "q": q,
                                           "cursor": result.next_cursor})
    return page(ctx, "dialogue/index.html", {
        **_common(), "dialogues": views.dialogue_list(ctx.session, ctx.viewer, result.items, q),
        "status": status, "q": q, "older": older, "statuses": list(Status),
        "can_convene": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- convene


def _form(**values: Any) -> SimpleNamespace:
    base: dict[str, Any] = {"topic": "", "description": "", "starts_at": "", "ends_at": "",
                            "rule": "open", "tlp": "AMBER", "pap": "", "org_ids": set(),
                            "group_ids": set(), "user_ids": set()}
    base.update(values)
    return SimpleNamespace(**base)


def _form_context(ctx: Ctx, form: SimpleNamespace) -> dict[str, Any]:
    return {"form": form, "options": audience_options(ctx), "rules": tlp_rules(),
            "audience_tlps": AUDIENCE_TLPS}


def _when(value: str, field: str) -> datetime | None:
    """A datetime-local field, read as UTC (the form says so)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("%(field)s is not a date and time.") % {"field": field},
                           details={"field": field}) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _uuids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None


@router.get("/dialogues/new")
def new_form(ctx: MemberCtx) -> Response:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not convene dialogues."))
    return page(ctx, "dialogue/form.html", _form_context(ctx, _form()))


@router.post("/dialogues/new")
def create(ctx: MemberCtx, stamp: pace.FormStamp, topic: Annotated[str, Form(max_length=1000)] = "",
           description: Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 1)] = "",
           starts_at: Annotated[str, Form(max_length=40)] = "",
           ends_at: Annotated[str, Form(max_length=40)] = "",
           rule: Annotated[str, Form(max_length=20)] = "open",
           tlp: Annotated[str, Form(max_length=16)] = "AMBER",
           pap: Annotated[str, Form(max_length=8)] = "",
           org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
           group_ids: IdList = [],  # noqa: B006
           user_ids: IdList = []) -> Response:  # noqa: B006
    form = _form(topic=topic, description=description, starts_at=starts_at, ends_at=ends_at,
                 rule=rule, tlp=tlp, pap=pap, org_ids=set(org_ids), group_ids=set(group_ids),
                 user_ids=set(user_ids))
    on_error(ctx, "dialogue/form.html", _form_context(ctx, form))
    pace.check(ctx, stamp)
    d = service.create_dialogue(
        ctx.session, ctx.viewer, topic=topic, description=description,
        starts_at=_when(starts_at, "starts_at"), ends_at=_when(ends_at, "ends_at"), rule=rule,
        tlp=tlp, pap=pap or None,
        audience=service.Audience(_uuids(org_ids), _uuids(group_ids), _uuids(user_ids)))
    return redirect(f"/dialogues/{d.id}", "dialogue-created")


# ---------------------------------------------------------------- the room


def threaded(items: list[ContributionOut]) -> list[SimpleNamespace]:
    """Contributions as a tree (replies under their parent), oldest first."""
    nodes = {c.id: SimpleNamespace(c=c, replies=[]) for c in items}
    roots: list[SimpleNamespace] = []
    for c in items:
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.replies if parent is not None else roots).append(nodes[c.id])
    return roots


def _room(ctx: Ctx, d: Dialogue, **extra: Any) -> dict[str, Any]:
    t = views.transcript(ctx.session, ctx.viewer, d)
    return {**_common(), "d": t.dialogue, "tree": threaded(t.contributions),
            "attachments": t.attachments, "can_post": t.dialogue.can_contribute,
            # A closed dialogue's outcomes may become an insight (insights/ links back).
            "can_publish": d.status is Status.CLOSED and access.can_contribute(ctx.viewer),
            "not_notified": [], "body": "", **extra}


@router.get("/dialogues/{dialogue_id}")
def show(ctx: MemberCtx, dialogue_id: str) -> Response:
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id)
    return page(ctx, "dialogue/show.html", _room(ctx, d))


@router.post("/dialogues/{dialogue_id}/contributions")
def contribute(ctx: MemberCtx, dialogue_id: str,
               body: Annotated[str, Form(max_length=service.MAX_BODY * 5)] = "",
               parent_id: Annotated[str, Form(max_length=40)] = "",
               quote_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id)
    if is_htmx(ctx):
        on_error(ctx, "dialogue/_post_error.html", {})
    else:
        on_error(ctx, "dialogue/show.html", _room(ctx, d, body=body))
    posted = service.post_contribution(ctx.session, ctx.viewer, d.id, body=body,
                                       parent_id=parent_id or None, quote_id=quote_id or None)
    c = views.contributions_out(ctx.session, ctx.viewer, d, [posted.contribution])[0]
    if is_htmx(ctx):
        return page(ctx, "dialogue/_posted.html", {
            **_common(), "d": views.dialogue_out(ctx.session, ctx.viewer, d),
            "node": SimpleNamespace(c=c, replies=[]), "can_post": True,
            "not_notified": posted.not_notified})
    if posted.not_notified:
        # Shown at once rather than through a redirect, so that no URL carries the text.
        return page(ctx, "dialogue/show.html", _room(ctx, d, not_notified=posted.not_notified))
    return redirect(f"/dialogues/{d.id}#c-{c.id}", "contribution-posted")


@router.post("/dialogues/{dialogue_id}/contributions/{contribution_id}/reactions")
def react(ctx: MemberCtx, dialogue_id: str, contribution_id: str,
          kind: Annotated[str, Form(max_length=16)] = "") -> Response:
    r = service.react(ctx.session, ctx.viewer, dialogue_id, contribution_id, kind)
    if is_htmx(ctx):
        return page(ctx, "dialogue/_reactions.html", {
            **_common(), "d": SimpleNamespace(id=dialogue_id),
            "c": SimpleNamespace(id=contribution_id, reactions=r.counts, my_reactions=r.mine),
            "can_post": True})
    return redirect(f"/dialogues/{dialogue_id}#c-{contribution_id}")


@router.post("/dialogues/{dialogue_id}/open")
def open_(ctx: MemberCtx, dialogue_id: str) -> Response:
    d = service.open_dialogue(ctx.session, ctx.viewer, dialogue_id)
    return redirect(f"/dialogues/{d.id}", "dialogue-opened")


@router.post("/dialogues/{dialogue_id}/close")
def close(ctx: MemberCtx, dialogue_id: str,
          outcomes: Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 1)] = "") -> Response:
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id)
    on_error(ctx, "dialogue/show.html", _room(ctx, d, outcomes=outcomes))
    service.close_dialogue(ctx.session, ctx.viewer, d.id, outcomes)
    return redirect(f"/dialogues/{d.id}", "dialogue-closed")


@router.post("/dialogues/{dialogue_id}/attachments")
async def attach(ctx: MemberCtx, dialogue_id: str,
                 file: Annotated[UploadFile | None, File()] = None,
                 contribution_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id)
    on_error(ctx, "dialogue/show.html", _room(ctx, d))
    if file is None or not file.filename:
        raise InvalidInput(_("Choose a file to attach."), details={"field": "file"})
    data = await file.read(files.MAX_BYTES + 1)
    service.add_attachment(ctx.session, ctx.viewer, d.id, data=data, filename=file.filename,
                           declared_type=file.content_type,
                           contribution_id=contribution_id or None)
    return redirect(f"/dialogues/{d.id}#attachments", "attachment-added")


@router.get("/dialogues/{dialogue_id}/attachments/{attachment_id}")
def download(ctx: MemberCtx, dialogue_id: str, attachment_id: str) -> Response:
    att, path = service.get_attachment(ctx.session, ctx.viewer, dialogue_id, attachment_id)
    return dialogue_api.file_response(att.filename, att.media_type, str(path))


@router.get("/dialogues/{dialogue_id}/transcript")
def transcript(ctx: MemberCtx, dialogue_id: str,
               format: Annotated[Literal["md", "json"], Query()] = "md") -> Response:
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id, purpose="export")
    return dialogue_api.transcript_response(views.transcript(ctx.session, ctx.viewer, d),
                                            format)
