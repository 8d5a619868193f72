"""Web pages: notes — list, read, write, change and delete, always through the service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from cyberhub import access
from cyberhub.community import service as community
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.notes import service
from cyberhub.notes.models import Note
from cyberhub.sharing import TLP
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, audience_options, on_error, page, redirect, view

router = APIRouter()

PAGE_SIZE = 25
# Which recipients each marking may name (the service enforces it; the form explains it).
AUDIENCE_TLPS = {
    "orgs": "AMBER AMBER+STRICT",
    "groups": "AMBER AMBER+STRICT RED",
    "users": "AMBER RED",
}

IdList = Annotated[list[str], Form(max_length=500)]


# ---------------------------------------------------------------- views


def tlp_rules() -> list[SimpleNamespace]:
    return [SimpleNamespace(tlp=t, **access.describe_rule(t)) for t in TLP]


def _org_names(ctx: Ctx) -> dict[uuid.UUID, str]:
    return {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}


def note_rows(ctx: Ctx, notes: Sequence[Note]) -> list[SimpleNamespace]:
    """Snapshots of notes for lists: markings, owner and author names."""
    orgs = _org_names(ctx) if notes else {}
    rows = []
    for n in notes:
        author = community.get_user(ctx.session, ctx.viewer, n.created_by_id)
        rows.append(view(n, "id", "title", "tlp", "pap", "is_demo", "created_at", "updated_at",
                         owner=orgs.get(n.owner_org_id, ""), author=author.display_name))
    return rows


def _form_values(title: str = "", body: str = "", tlp: str = "AMBER", pap: str = "",
                 org_ids: Sequence[str] = (), group_ids: Sequence[str] = (),
                 user_ids: Sequence[str] = ()) -> SimpleNamespace:
    return SimpleNamespace(title=title, body=body, tlp=tlp, pap=pap, org_ids=set(org_ids),
                           group_ids=set(group_ids), user_ids=set(user_ids))


def _form_context(ctx: Ctx, values: SimpleNamespace, *, note: SimpleNamespace | None = None
                  ) -> dict[str, Any]:
    return {"form": values, "options": audience_options(ctx), "note": note, "rules": tlp_rules(),
            "audience_tlps": AUDIENCE_TLPS}


def _uuids(values: Sequence[str], field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": field}) from None


def _audience(org_ids: Sequence[str], group_ids: Sequence[str],
              user_ids: Sequence[str]) -> service.Audience:
    return service.Audience(_uuids(org_ids, "audience"), _uuids(group_ids, "audience"),
                            _uuids(user_ids, "audience"))


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not write notes. Ask your organisation's admin "
                                 "for the analyst role."))


# ---------------------------------------------------------------- list


@router.get("/notes")
def list_notes(ctx: MemberCtx, tlp: Annotated[list[str] | None, Query(max_length=5)] = None,
               cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    tlps = [service.clean_tlp(t) for t in tlp or [] if t]
    result = service.list_notes(ctx.session, ctx.viewer, cursor=cursor or None,
                                limit=PAGE_SIZE, tlp=tlps)
    older = None
    if result.next_cursor:
        from urllib.parse import urlencode

        older = "/notes?" + urlencode([("tlp", t.value) for t in tlps]
                                      + [("cursor", result.next_cursor)])
    return page(ctx, "notes/list.html", {
        "recent_notes": note_rows(ctx, result.items), "selected": {t.value for t in tlps},
        "older": older, "paged": bool(cursor), "can_write": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- create


@router.get("/notes/new")
def new_note_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "notes/form.html", _form_context(ctx, _form_values()))


@router.post("/notes/new")
def create_note(ctx: MemberCtx, stamp: pace.FormStamp,
                title: Annotated[str, Form(max_length=1000)] = "",
                tlp: Annotated[str, Form(max_length=16)] = "",
                body: Annotated[str, Form(max_length=service.MAX_BODY + 1)] = "",
                pap: Annotated[str, Form(max_length=8)] = "",
                org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                group_ids: IdList = [],  # noqa: B006
                user_ids: IdList = []) -> Response:  # noqa: B006
    values = _form_values(title, body, tlp, pap, org_ids, group_ids, user_ids)
    on_error(ctx, "notes/form.html", _form_context(ctx, values))
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    note = service.create_note(ctx.session, ctx.viewer, title=title, body=body, tlp=tlp,
                               pap=pap or None,
                               audience=_audience(org_ids, group_ids, user_ids))
    return redirect(f"/notes/{note.id}", "note-created")


# ---------------------------------------------------------------- read


@router.get("/notes/{note_id}")
def show_note(ctx: MemberCtx, note_id: str) -> Response:
    note = service.get_note(ctx.session, ctx.viewer, note_id)
    aud = service.audience_of(ctx.session, note.id)
    owner = community.get_organisation(ctx.session, ctx.viewer, note.owner_org_id)
    author = community.get_user(ctx.session, ctx.viewer, note.created_by_id)
    audience = SimpleNamespace(
        orgs=[community.get_organisation(ctx.session, ctx.viewer, i).name for i in aud.org_ids],
        groups=[community.get_group(ctx.session, ctx.viewer, i).name for i in aud.group_ids],
        users=[_user_label(ctx, i) for i in aud.user_ids])
    return page(ctx, "notes/show.html", {
        "note": view(note, "id", "title", "body_html", "tlp", "pap", "is_demo", "created_at",
                     "updated_at", owner=owner.name, owner_is_demo=owner.is_demo,
                     author=author.display_name),
        "rule": access.describe_rule(note.tlp), "audience": audience,
        "can_edit": access.can_edit(note, ctx.viewer)})


def _user_label(ctx: Ctx, user_id: uuid.UUID) -> str:
    u = community.get_user(ctx.session, ctx.viewer, user_id)
    return f"{u.display_name} ({u.organisation.name})"


# ---------------------------------------------------------------- edit


def _editable(ctx: Ctx, note_id: str) -> Note:
    note = service.get_note(ctx.session, ctx.viewer, note_id)
    if not access.can_edit(note, ctx.viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this note."))
    return note


@router.get("/notes/{note_id}/edit")
def edit_note_form(ctx: MemberCtx, note_id: str) -> Response:
    note = _editable(ctx, note_id)
    aud = service.audience_of(ctx.session, note.id)
    values = _form_values(note.title, note.body_markdown, note.tlp.value,
                          note.pap.value if note.pap else "", [str(i) for i in aud.org_ids],
                          [str(i) for i in aud.group_ids], [str(i) for i in aud.user_ids])
    return page(ctx, "notes/form.html",
                _form_context(ctx, values, note=view(note, "id", "title", "is_demo")))


@router.post("/notes/{note_id}/edit")
def edit_note(ctx: MemberCtx, note_id: str, title: Annotated[str, Form(max_length=1000)] = "",
              tlp: Annotated[str, Form(max_length=16)] = "",
              body: Annotated[str, Form(max_length=service.MAX_BODY + 1)] = "",
              pap: Annotated[str, Form(max_length=8)] = "",
              org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
              group_ids: IdList = [],  # noqa: B006
              user_ids: IdList = []) -> Response:  # noqa: B006
    note = _editable(ctx, note_id)
    values = _form_values(title, body, tlp, pap, org_ids, group_ids, user_ids)
    on_error(ctx, "notes/form.html",
             _form_context(ctx, values, note=view(note, "id", "title", "is_demo")))
    # An empty PAP choice clears the marking (the service keeps it only when given None).
    service.update_note(ctx.session, ctx.viewer, note.id, title=title, body=body, tlp=tlp,
                        pap=pap, audience=_audience(org_ids, group_ids, user_ids))
    return redirect(f"/notes/{note.id}", "saved")


# ---------------------------------------------------------------- delete


@router.get("/notes/{note_id}/delete")
def delete_note_form(ctx: MemberCtx, note_id: str) -> Response:
    note = _editable(ctx, note_id)
    return page(ctx, "notes/delete.html", {"note": view(note, "id", "title", "tlp")})


@router.post("/notes/{note_id}/delete")
def delete_note(ctx: MemberCtx, note_id: str) -> Response:
    note = _editable(ctx, note_id)
    on_error(ctx, "notes/delete.html", {"note": view(note, "id", "title", "tlp")})
    service.delete_note(ctx.session, ctx.viewer, note.id)
    return redirect("/notes", "deleted")
