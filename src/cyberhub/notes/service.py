"""Notes: create, change, delete, list — always through the sharing rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, markdown
from cyberhub.access import Viewer
from cyberhub.community.models import Group, Organisation, User
from cyberhub.community.validation import clean_text
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.notes.models import Note
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

MAX_BODY = 100_000


@dataclass
class Audience:
    org_ids: list[uuid.UUID] = field(default_factory=list)
    group_ids: list[uuid.UUID] = field(default_factory=list)
    user_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.org_ids or self.group_ids or self.user_ids)


def clean_tlp(value: str | TLP) -> TLP:
    try:
        return TLP(str(value).upper().removeprefix("TLP:"))
    except ValueError:
        raise InvalidInput(
            _("Unknown TLP marking %(value)r; use CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")
            % {"value": value}, details={"field": "tlp"}) from None


def clean_pap(value: str | PAP | None) -> PAP | None:
    if value is None or value == "":
        return None
    try:
        return PAP(str(value).upper().removeprefix("PAP:"))
    except ValueError:
        raise InvalidInput(_("Unknown PAP marking %(value)r; use CLEAR, GREEN, AMBER or RED.")
                           % {"value": value}, details={"field": "pap"}) from None


def check_audience(session: Session, tlp: TLP, audience: Audience) -> Audience:
    """An audience fits the marking, and names only recipients that exist."""
    audience = Audience(sorted(set(audience.org_ids)), sorted(set(audience.group_ids)),
                        sorted(set(audience.user_ids)))
    if tlp in (TLP.CLEAR, TLP.GREEN) and not audience.empty:
        raise InvalidInput(_("Only AMBER, AMBER+STRICT and RED records name an audience."),
                           details={"field": "audience"})
    if tlp is TLP.AMBER_STRICT and audience.user_ids:
        raise InvalidInput(_("AMBER+STRICT is shared with organisations only; name organisations "
                             "or groups, not users."), details={"field": "audience"})
    if tlp is TLP.RED and audience.org_ids:
        raise InvalidInput(_("RED is shared with named people only; name users or groups, not "
                             "organisations."), details={"field": "audience"})
    for model, ids, name in ((Organisation, audience.org_ids, "organisation"),
                             (Group, audience.group_ids, "group"),
                             (User, audience.user_ids, "user")):
        if ids and session.scalar(select(func.count()).select_from(model).where(
                model.id.in_(ids))) != len(ids):
            raise InvalidInput(_("The audience names a %(kind)s that does not exist.")
                               % {"kind": name}, details={"field": "audience"})
    if sum(map(len, (audience.org_ids, audience.group_ids, audience.user_ids))) > 500:
        raise InvalidInput(_("An audience may name at most 500 recipients."),
                           details={"field": "audience"})
    return audience


def _write_audience(session: Session, record_id: uuid.UUID, audience: Audience) -> None:
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == record_id))
    session.add_all(
        [AudienceEntry(record_id=record_id, org_id=i) for i in audience.org_ids]
        + [AudienceEntry(record_id=record_id, group_id=i) for i in audience.group_ids]
        + [AudienceEntry(record_id=record_id, user_id=i) for i in audience.user_ids])


def audiences_of(session: Session, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, Audience]:
    """The audiences of many records in one query (for listings)."""
    result = {rid: Audience() for rid in record_ids}
    if record_ids:
        for e in session.scalars(select(AudienceEntry).where(
                AudienceEntry.record_id.in_(record_ids))):
            aud = result[e.record_id]
            if e.org_id:
                aud.org_ids.append(e.org_id)
            elif e.group_id:
                aud.group_ids.append(e.group_id)
            elif e.user_id:
                aud.user_ids.append(e.user_id)
    return result


def audience_of(session: Session, record_id: uuid.UUID) -> Audience:
    entries = access.audience_of(session, record_id)
    return Audience([e.org_id for e in entries if e.org_id],
                    [e.group_id for e in entries if e.group_id],
                    [e.user_id for e in entries if e.user_id])


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
    _write_audience(session, note.id, aud)
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
        _write_audience(session, note.id, aud)
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
