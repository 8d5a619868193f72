"""Meetings, their decisions and action items — always through the sharing rules.

A meeting is a shareable record; its attendees, decisions and action items have no
marking of their own and are seen exactly by those who see the meeting. Attendees and
action-item owners must be able to see the meeting: naming someone who could not would
tell them nothing and would leave work with a person who cannot read it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, markdown, source_links
from cyberhub.access import Viewer
from cyberhub.audience import (
    Audience,
    audience_of,
    check_audience,
    clean_pap,
    clean_tlp,
    write_audience,
)
from cyberhub.community.models import User
from cyberhub.community.validation import clean_text, refuse_nul
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.meetings.models import (
    STATUS_DONE,
    STATUS_OPEN,
    ActionItem,
    Decision,
    Meeting,
    MeetingAttendee,
)
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = [
    "MAX_MARKDOWN",
    "SOURCE_TYPES",
    "Audience",
    "add_action_item",
    "add_decision",
    "attendee_ids",
    "can_manage",
    "create_meeting",
    "decisions_of",
    "delete_meeting",
    "get_action_item",
    "get_meeting",
    "items_of",
    "list_action_items",
    "list_meetings",
    "set_action_item_status",
    "update_action_item",
    "update_meeting",
]

MAX_MARKDOWN = 100_000
MAX_DECISION = 5_000
MAX_ITEM = 2_000
MAX_ATTENDEES = 200
MAX_ITEMS_LISTED = 500
SOURCE_TYPES = ("dialogue", "operation", "incident")
DUE_SOON = timedelta(hours=24)


# ---------------------------------------------------------------- cleaning input


def _clean_markdown(text: str | None, field: str) -> str:
    text = (text or "").replace("\r\n", "\n")
    if len(text) > MAX_MARKDOWN:
        raise InvalidInput(_("%(field)s must be at most %(n)d characters long.")
                           % {"field": field, "n": MAX_MARKDOWN}, details={"field": field})
    return refuse_nul(text, field)


def _clean_long_text(text: str, field: str, max_len: int) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": field},
                           details={"field": field})
    if len(text) > max_len:
        raise InvalidInput(_("%(field)s must be at most %(n)d characters long.")
                           % {"field": field, "n": max_len}, details={"field": field})
    return text


def _clean_link(link: str | None) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    if len(link) > 2000:
        raise InvalidInput(_("The link must be at most 2000 characters long."),
                           details={"field": "link"})
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(_("The link must be an http:// or https:// address."),
                           details={"field": "link"})
    return link


def aware(when: datetime) -> datetime:
    """A time without a zone is taken as UTC (forms send local-free times)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def due_time(due: date | datetime) -> datetime:
    """A date alone means the end of that day, UTC."""
    if isinstance(due, datetime):
        return aware(due)
    return datetime.combine(due, time(23, 59, 59), tzinfo=UTC)


def _uuid(value: uuid.UUID | str, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(_("%(field)s must be a UUID.") % {"field": field},
                           details={"field": field}) from None


# ---------------------------------------------------------------- who may do what


def _viewer_of_user(session: Session, user_id: uuid.UUID, field: str) -> tuple[User, Viewer]:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidInput(_("No active user with the id %(id)s.") % {"id": user_id},
                           details={"field": field})
    return user, access.viewer_for(session, user)


def _require_sees(session: Session, meeting: Meeting, user_id: uuid.UUID, field: str,
                  message: str) -> None:
    user, viewer = _viewer_of_user(session, user_id, field)
    if not access.can_see(session, Meeting, meeting.id, viewer):
        raise InvalidInput(message % {"name": user.display_name, "email": user.email},
                           details={"field": field, "user_id": str(user_id)})


def who_can_see(session: Session, meeting: Meeting, users: Iterable[User]) -> list[User]:
    """Those among ``users`` (active ones) who may see the meeting: the possible owners
    of its action items and attendees, for a form to offer."""
    return [u for u in users if u.is_active and access.can_see(
        session, Meeting, meeting.id, access.viewer_for(session, u))]


def attendee_ids(session: Session, meeting_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(MeetingAttendee.user_id)
                                .where(MeetingAttendee.meeting_id == meeting_id)))


def can_manage(session: Session, meeting: Meeting, viewer: Viewer) -> bool:
    """Who records decisions and action items: those who may edit the meeting, and its
    attendees (other than readers)."""
    if access.can_edit(meeting, viewer):
        return True
    return access.can_contribute(viewer) and viewer.user_id in attendee_ids(session, meeting.id)


def _require_manage(session: Session, meeting: Meeting, viewer: Viewer) -> None:
    if not can_manage(session, meeting, viewer):
        raise PermissionDenied(_("Only the meeting's author, its attendees and the admins of "
                                 "the owning organisation may record decisions and action "
                                 "items."))


def _require_edit(meeting: Meeting, viewer: Viewer) -> None:
    if not access.can_edit(meeting, viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this meeting."))


# ---------------------------------------------------------------- meetings


def _clean_attendees(ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    cleaned = sorted({_uuid(i, "attendee_ids") for i in ids})
    if len(cleaned) > MAX_ATTENDEES:
        raise InvalidInput(_("A meeting may have at most %(n)d attendees.")
                           % {"n": MAX_ATTENDEES}, details={"field": "attendee_ids"})
    return cleaned


def _attendee_orgs(session: Session, user_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    if not user_ids:
        return []
    return sorted(set(session.scalars(select(User.org_id).where(User.id.in_(user_ids)))))


def _write_sharing(session: Session, meeting: Meeting, tlp: TLP, audience: Audience,
                   attendees: Sequence[uuid.UUID]) -> None:
    if tlp is TLP.AMBER and audience.empty:
        # The default: shared with the organisations of those who attend.
        for uid in attendees:
            _viewer_of_user(session, uid, "attendee_ids")
        audience = Audience(org_ids=_attendee_orgs(session, attendees))
    aud = check_audience(session, tlp, audience)
    meeting.tlp = tlp
    write_audience(session, meeting.id, aud)


def _write_attendees(session: Session, meeting: Meeting, attendees: Sequence[uuid.UUID]) -> None:
    known = set(session.scalars(select(User.id).where(User.id.in_(attendees),
                                                      User.is_active.is_(True))))
    for uid in attendees:
        if uid not in known:
            raise InvalidInput(_("No active user with the id %(id)s.") % {"id": uid},
                               details={"field": "attendee_ids"})
    session.execute(delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    session.add_all([MeetingAttendee(meeting_id=meeting.id, user_id=u) for u in attendees])


def _check_people(session: Session, meeting: Meeting) -> None:
    """Everyone named on the meeting can still see it (after any change of marking)."""
    session.flush()
    for uid in attendee_ids(session, meeting.id):
        _require_sees(session, meeting, uid, "attendee_ids",
                      _("%(name)s (%(email)s) could not see this meeting under its marking and "
                        "audience; add their organisation to the audience, or do not name "
                        "them as an attendee."))
    owners = set(session.scalars(select(ActionItem.owner_id).where(
        ActionItem.meeting_id == meeting.id, ActionItem.status == STATUS_OPEN)))
    for uid in sorted(owners):
        _require_sees(session, meeting, uid, "audience",
                      _("%(name)s (%(email)s) owns an open action item of this meeting and "
                        "could no longer see it; keep them in the audience."))


def create_meeting(session: Session, viewer: Viewer, *, title: str, starts_at: datetime,
                   location: str = "", link: str = "", agenda: str = "", minutes: str = "",
                   tlp: str | TLP = TLP.AMBER, pap: str | PAP | None = None,
                   audience: Audience | None = None,
                   attendees: Iterable[uuid.UUID | str] = (),
                   source_type: str | None = None, source_id: uuid.UUID | str | None = None,
                   is_demo: bool = False) -> Meeting:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not create meetings."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    people = _clean_attendees(attendees)
    stype, sid = source_links.clean_source(source_type, source_id, SOURCE_TYPES)
    agenda = _clean_markdown(agenda, "agenda")
    minutes = _clean_markdown(minutes, "minutes")
    meeting = Meeting(
        title=clean_text(title, "title", max_len=200), starts_at=aware(starts_at),
        location=clean_text(location, "location", max_len=300, min_len=0),
        link=_clean_link(link), agenda_markdown=agenda, agenda_html=markdown.render(agenda),
        minutes_markdown=minutes, minutes_html=markdown.render(minutes), tlp=tlp_,
        pap=clean_pap(pap), source_type=stype, source_id=sid, owner_org_id=viewer.org_id,
        created_by_id=viewer.user_id, is_demo=is_demo)
    session.add(meeting)
    session.flush()
    _write_sharing(session, meeting, tlp_, audience or Audience(), people)
    _write_attendees(session, meeting, people)
    _check_people(session, meeting)
    audit.record(session, viewer.actor, "meeting.create", target_type="meetings",
                 target_id=meeting.id, details={"tlp": tlp_.value})
    return meeting


def get_meeting(session: Session, viewer: Viewer, meeting_id: uuid.UUID | str,
                *, purpose: str = "read") -> Meeting:
    return access.load(session, Meeting, meeting_id, viewer, purpose=purpose)


def update_meeting(session: Session, viewer: Viewer, meeting_id: uuid.UUID | str, *,
                   title: str | None = None, starts_at: datetime | None = None,
                   location: str | None = None, link: str | None = None,
                   agenda: str | None = None, minutes: str | None = None,
                   tlp: str | TLP | None = None, pap: str | PAP | None = None,
                   audience: Audience | None = None,
                   attendees: Iterable[uuid.UUID | str] | None = None,
                   source_type: str | None = None,
                   source_id: uuid.UUID | str | None = None,
                   change_source: bool = False) -> Meeting:
    meeting = get_meeting(session, viewer, meeting_id, purpose="edit")
    _require_edit(meeting, viewer)
    if title is not None:
        meeting.title = clean_text(title, "title", max_len=200)
    if starts_at is not None:
        meeting.starts_at = aware(starts_at)
    if location is not None:
        meeting.location = clean_text(location, "location", max_len=300, min_len=0)
    if link is not None:
        meeting.link = _clean_link(link)
    if agenda is not None:
        meeting.agenda_markdown = _clean_markdown(agenda, "agenda")
        meeting.agenda_html = markdown.render(meeting.agenda_markdown)
    if minutes is not None:
        meeting.minutes_markdown = _clean_markdown(minutes, "minutes")
        meeting.minutes_html = markdown.render(meeting.minutes_markdown)
    if pap is not None:  # "" clears the marking
        meeting.pap = clean_pap(pap)
    if change_source:
        meeting.source_type, meeting.source_id = source_links.clean_source(
            source_type, source_id, SOURCE_TYPES)
    people = (_clean_attendees(attendees) if attendees is not None
              else attendee_ids(session, meeting.id))
    if tlp is not None or audience is not None:
        new_tlp = clean_tlp(tlp) if tlp is not None else meeting.tlp
        _write_sharing(session, meeting, new_tlp,
                       audience if audience is not None else audience_of(session, meeting.id),
                       people)
    if attendees is not None:
        _write_attendees(session, meeting, people)
    _check_people(session, meeting)
    audit.record(session, viewer.actor, "meeting.update", target_type="meetings",
                 target_id=meeting.id, details={"tlp": meeting.tlp.value})
    return meeting


def delete_meeting(session: Session, viewer: Viewer, meeting_id: uuid.UUID | str) -> None:
    meeting = get_meeting(session, viewer, meeting_id, purpose="delete")
    _require_edit(meeting, viewer)
    for model in (ActionItem, Decision, MeetingAttendee):
        session.execute(delete(model).where(model.meeting_id == meeting.id))
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == meeting.id))
    session.delete(meeting)
    audit.record(session, viewer.actor, "meeting.delete", target_type="meetings",
                 target_id=meeting.id, details={"title": meeting.title})


def list_meetings(session: Session, viewer: Viewer, *, cursor: str | None = None,
                  limit: int = 50) -> Page[Meeting]:
    page = paginate(session, access.select_visible(Meeting, viewer), Meeting.created_at,
                    Meeting.id, cursor=cursor, limit=limit)
    access.audit_listing(session, Meeting, page.items, viewer)
    return page


# ---------------------------------------------------------------- decisions


def decisions_of(session: Session, meeting: Meeting) -> list[Decision]:
    """The decisions of a meeting the caller has already loaded through ``access``."""
    return list(session.scalars(select(Decision).where(Decision.meeting_id == meeting.id)
                                .order_by(Decision.decided_at, Decision.id)))


def add_decision(session: Session, viewer: Viewer, meeting_id: uuid.UUID | str, *, text: str,
                 decided_at: datetime | None = None) -> Decision:
    meeting = get_meeting(session, viewer, meeting_id, purpose="edit")
    _require_manage(session, meeting, viewer)
    assert viewer.user_id is not None
    decision = Decision(meeting_id=meeting.id, text=_clean_long_text(text, "text", MAX_DECISION),
                        decided_at=aware(decided_at) if decided_at else datetime.now(UTC),
                        created_by_id=viewer.user_id)
    session.add(decision)
    session.flush()
    audit.record(session, viewer.actor, "meeting.decision", target_type="meetings",
                 target_id=meeting.id, details={"decision_id": str(decision.id)})
    return decision


def delete_decision(session: Session, viewer: Viewer, meeting_id: uuid.UUID | str,
                    decision_id: uuid.UUID | str) -> None:
    meeting = get_meeting(session, viewer, meeting_id, purpose="edit")
    decision = session.get(Decision, _uuid_or_404(decision_id))
    if decision is None or decision.meeting_id != meeting.id:
        raise NotFound()
    _require_manage(session, meeting, viewer)
    session.delete(decision)
    audit.record(session, viewer.actor, "meeting.decision_delete", target_type="meetings",
                 target_id=meeting.id, details={"decision_id": str(decision.id)})


# ---------------------------------------------------------------- action items


def _uuid_or_404(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def items_of(session: Session, meeting: Meeting) -> list[ActionItem]:
    """The action items of a meeting the caller has already loaded through ``access``."""
    return list(session.scalars(select(ActionItem).where(ActionItem.meeting_id == meeting.id)
                                .order_by(ActionItem.due_at, ActionItem.id)))


def get_action_item(session: Session, viewer: Viewer, item_id: uuid.UUID | str,
                    *, purpose: str = "read") -> tuple[ActionItem, Meeting]:
    """An action item and its meeting; 404 when the meeting is not visible."""
    item = session.get(ActionItem, _uuid_or_404(item_id))
    if item is None:
        raise NotFound()
    return item, get_meeting(session, viewer, item.meeting_id, purpose=purpose)


def _owner_message() -> str:
    return _("%(name)s (%(email)s) cannot see this meeting, so cannot own its action item; "
             "choose an owner who can, or share the meeting with them first.")


def add_action_item(session: Session, viewer: Viewer, meeting_id: uuid.UUID | str, *,
                    text: str, owner_id: uuid.UUID | str, due: date | datetime) -> ActionItem:
    meeting = get_meeting(session, viewer, meeting_id, purpose="edit")
    _require_manage(session, meeting, viewer)
    assert viewer.user_id is not None
    owner = _uuid(owner_id, "owner_id")
    _require_sees(session, meeting, owner, "owner_id", _owner_message())
    item = ActionItem(meeting_id=meeting.id, text=_clean_long_text(text, "text", MAX_ITEM),
                      owner_id=owner, due_at=due_time(due), status=STATUS_OPEN,
                      created_by_id=viewer.user_id)
    session.add(item)
    session.flush()
    audit.record(session, viewer.actor, "action_item.create", target_type="meetings",
                 target_id=meeting.id, details={"action_item_id": str(item.id)})
    return item


def _may_change_item(session: Session, item: ActionItem, meeting: Meeting,
                     viewer: Viewer) -> bool:
    return (access.can_contribute(viewer) and item.owner_id == viewer.user_id) or \
        can_manage(session, meeting, viewer)


def update_action_item(session: Session, viewer: Viewer, item_id: uuid.UUID | str, *,
                       text: str | None = None, owner_id: uuid.UUID | str | None = None,
                       due: date | datetime | None = None,
                       status: str | None = None) -> tuple[ActionItem, Meeting]:
    item, meeting = get_action_item(session, viewer, item_id, purpose="edit")
    if not _may_change_item(session, item, meeting, viewer):
        raise PermissionDenied(_("Only the owner of the action item, the meeting's attendees "
                                 "and its author may change it."))
    if text is not None:
        item.text = _clean_long_text(text, "text", MAX_ITEM)
    if owner_id is not None:
        owner = _uuid(owner_id, "owner_id")
        _require_sees(session, meeting, owner, "owner_id", _owner_message())
        if owner != item.owner_id:
            item.owner_id = owner
            item.due_reminded_at = item.overdue_reminded_at = None  # the new owner is told
    if due is not None:
        new_due = due_time(due)
        if new_due != item.due_at:
            item.due_at = new_due
            item.due_reminded_at = item.overdue_reminded_at = None
    if status is not None:
        _set_status(item, viewer, status)
    session.flush()
    audit.record(session, viewer.actor, "action_item.update", target_type="meetings",
                 target_id=meeting.id, details={"action_item_id": str(item.id),
                                                "status": item.status})
    return item, meeting


def _set_status(item: ActionItem, viewer: Viewer, status: str) -> None:
    status = (status or "").strip().lower()
    if status not in (STATUS_OPEN, STATUS_DONE):
        raise InvalidInput(_("Unknown status %(value)r; use open or done.") % {"value": status},
                           details={"field": "status"})
    if status == item.status:
        return
    item.status = status
    if status == STATUS_DONE:
        item.completed_at, item.completed_by_id = datetime.now(UTC), viewer.user_id
    else:
        item.completed_at = item.completed_by_id = None


def set_action_item_status(session: Session, viewer: Viewer, item_id: uuid.UUID | str,
                           status: str) -> tuple[ActionItem, Meeting]:
    return update_action_item(session, viewer, item_id, status=status)


def delete_action_item(session: Session, viewer: Viewer, item_id: uuid.UUID | str) -> None:
    item, meeting = get_action_item(session, viewer, item_id, purpose="edit")
    _require_manage(session, meeting, viewer)
    session.delete(item)
    audit.record(session, viewer.actor, "action_item.delete", target_type="meetings",
                 target_id=meeting.id, details={"action_item_id": str(item.id)})


@dataclass(frozen=True)
class ItemRow:
    item: ActionItem
    meeting: Meeting


def _visible_items(viewer: Viewer) -> Select[ActionItem, Meeting]:
    return (select(ActionItem, Meeting).join(Meeting, Meeting.id == ActionItem.meeting_id)
            .where(access.visible(Meeting, viewer)))


def list_action_items(session: Session, viewer: Viewer, *, mine: bool = False,
                      status: str | None = STATUS_OPEN,
                      limit: int = MAX_ITEMS_LISTED) -> list[ItemRow]:
    """Action items of the meetings the viewer sees, soonest due first (``mine``: the
    viewer's own). Items of meetings the viewer cannot see are never among them."""
    if viewer.user_id is None:
        return []
    query = _visible_items(viewer)
    if mine:
        query = query.where(ActionItem.owner_id == viewer.user_id)
    if status:
        if status not in (STATUS_OPEN, STATUS_DONE):
            raise InvalidInput(_("Unknown status %(value)r; use open or done.")
                               % {"value": status}, details={"field": "status"})
        query = query.where(ActionItem.status == status)
    result = session.execute(
        query.order_by(ActionItem.due_at, ActionItem.id).limit(min(limit, MAX_ITEMS_LISTED)))
    rows = [ItemRow(row[0], row[1]) for row in result]
    meetings = {r.meeting.id: r.meeting for r in rows}
    access.audit_listing(session, Meeting, list(meetings.values()), viewer)
    return rows


def is_overdue(item: ActionItem, now: datetime | None = None) -> bool:
    return item.status == STATUS_OPEN and item.due_at <= (now or datetime.now(UTC))
