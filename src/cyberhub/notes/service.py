"""Notes: create, change, delete, list — always through the sharing rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cyberhub import access, audit, markdown
from cyberhub.access import Viewer
from cyberhub.audience import (  # re-exported: the notes API and pages use them from here
    Audience,
    audience_of,
    audiences_of,
    check_audience,
    clean_pap,
    clean_tlp,
    write_audience,
)
from cyberhub.community.validation import clean_text
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.notes.models import Note
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = ["Audience", "audience_of", "audiences_of", "check_audience", "clean_pap",
           "clean_tlp", "create_note", "delete_note", "get_note", "list_notes", "update_note"]

MAX_BODY = 100_000


def create_note(session: Session, viewer: Viewer, *, title: str, body: str, tlp: str | TLP,
                pap: str | PAP | None = None, audience: Audience | None = None,
                is_demo: bool = False) -> Note:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not write notes."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    body = _clean_body(body)
    note = Note(title=clean_text(title, "title", max_len=200), body_markdown=body,
                body_html=markdown.render(body), tlp=tlp_, pap=clean_pap(pap),
                owner_org_id=viewer.org_id, created_by_id=viewer.user_id, is_demo=is_demo)
    session.add(note)
    session.flush()
    write_audience(session, note.id, aud)
    session.flush()
    audit.record(session, viewer.actor, "note.create", target_type="notes", target_id=note.id,
                 details={"tlp": tlp_.value})
    return note


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise InvalidInput(_("The text must be at most %(n)d characters long.") % {"n": MAX_BODY},
                           details={"field": "body"})
    return body


def get_note(session: Session, viewer: Viewer, note_id: uuid.UUID | str) -> Note:
    return access.load(session, Note, note_id, viewer)


def update_note(session: Session, viewer: Viewer, note_id: uuid.UUID | str, *,
                title: str | None = None, body: str | None = None, tlp: str | TLP | None = None,
                pap: str | PAP | None = None, audience: Audience | None = None) -> Note:
    note = access.load(session, Note, note_id, viewer, purpose="edit")
    if not access.can_edit(note, viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this note."))
    if title is not None:
        note.title = clean_text(title, "title", max_len=200)
    if body is not None:
        note.body_markdown = _clean_body(body)
        note.body_html = markdown.render(note.body_markdown)
    if pap is not None:  # "" clears the marking
        note.pap = clean_pap(pap)
    if tlp is not None or audience is not None:
        new_tlp = clean_tlp(tlp) if tlp is not None else note.tlp
        aud = check_audience(session, new_tlp, audience if audience is not None
                             else audience_of(session, note.id))
        note.tlp = new_tlp
        write_audience(session, note.id, aud)
    session.flush()
    audit.record(session, viewer.actor, "note.update", target_type="notes", target_id=note.id,
                 details={"tlp": note.tlp.value})
    return note


def delete_note(session: Session, viewer: Viewer, note_id: uuid.UUID | str) -> None:
    note = access.load(session, Note, note_id, viewer, purpose="delete")
    if not access.can_edit(note, viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "delete this note."))
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == note.id))
    session.delete(note)
    audit.record(session, viewer.actor, "note.delete", target_type="notes", target_id=note.id,
                 details={"title": note.title})


def list_notes(session: Session, viewer: Viewer, *, cursor: str | None = None, limit: int = 50,
               tlp: Iterable[TLP] | None = None) -> Page[Note]:
    query = access.select_visible(Note, viewer)
    tlps = list(tlp or [])
    if tlps:
        query = query.where(Note.tlp.in_(tlps))
    page = paginate(session, query, Note.created_at, Note.id, cursor=cursor, limit=limit)
    access.audit_listing(session, Note, page.items, viewer)
    return page
