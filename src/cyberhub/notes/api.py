"""REST: notes, the first shareable record type."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub.deps import ApiCtx
from cyberhub.notes import service
from cyberhub.notes.models import Note
from cyberhub.notes.schemas import AudienceModel, NoteIn, NoteOut, NotePatch
from cyberhub.schemas import Paged

router = APIRouter(tags=["notes"])


def _out(session: Session, note: Note, aud: service.Audience | None = None) -> NoteOut:
    aud = aud if aud is not None else service.audience_of(session, note.id)
    return NoteOut(
        id=note.id, title=note.title, body_markdown=note.body_markdown, body_html=note.body_html,
        tlp=note.tlp, pap=note.pap, owner_org_id=note.owner_org_id,
        created_by_id=note.created_by_id, created_at=note.created_at, updated_at=note.updated_at,
        is_demo=note.is_demo,
        audience=AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                               user_ids=aud.user_ids))


def _audience(model: AudienceModel) -> service.Audience:
    return service.Audience(model.org_ids, model.group_ids, model.user_ids)


@router.get("/notes", response_model=Paged[NoteOut])
def list_notes(ctx: ApiCtx, cursor: Annotated[str | None, Query(max_length=500)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               tlp: Annotated[list[str] | None, Query(max_length=5)] = None) -> Paged[NoteOut]:
    tlps = [service.clean_tlp(t) for t in tlp or []]
    page = service.list_notes(ctx.session, ctx.viewer, cursor=cursor, limit=limit, tlp=tlps)
    audiences = service.audiences_of(ctx.session, [n.id for n in page.items])
    return Paged(items=[_out(ctx.session, n, audiences[n.id]) for n in page.items],
                 next_cursor=page.next_cursor)


@router.post("/notes", response_model=NoteOut, status_code=201)
def create_note(body: NoteIn, ctx: ApiCtx) -> NoteOut:
    note = service.create_note(ctx.session, ctx.viewer, title=body.title, body=body.body,
                               tlp=body.tlp, pap=body.pap, audience=_audience(body.audience))
    return _out(ctx.session, note)


@router.get("/notes/{note_id}", response_model=NoteOut)
def get_note(note_id: str, ctx: ApiCtx) -> NoteOut:
    return _out(ctx.session, service.get_note(ctx.session, ctx.viewer, note_id))


@router.patch("/notes/{note_id}", response_model=NoteOut)
def update_note(note_id: str, body: NotePatch, ctx: ApiCtx) -> NoteOut:
    # An explicit "pap": null clears the marking; leaving the field out keeps it.
    pap = (body.pap or "") if "pap" in body.model_fields_set else None
    note = service.update_note(
        ctx.session, ctx.viewer, note_id, title=body.title, body=body.body, tlp=body.tlp,
        pap=pap, audience=_audience(body.audience) if body.audience is not None else None)
    return _out(ctx.session, note)


@router.delete("/notes/{note_id}", status_code=204)
def delete_note(note_id: str, ctx: ApiCtx) -> Response:
    service.delete_note(ctx.session, ctx.viewer, note_id)
    return Response(status_code=204)
