"""Joint operations: propose, approve, run, conclude and review — through the sharing
rules, always.

An operation is shared with its participants only: AMBER+STRICT names the participating
organisations as its audience, RED names its individual members (users of participating
organisations). Whoever may load it through ``access`` is therefore a participant; its
targets, tasks, timeline and review are read only after the operation has been loaded,
so a non-participant meets a 404 on every part of it.

The workflow moves one step at a time, proposed → approved → active → concluded →
reviewed, and only at the hand of the lead: the lead organisation's admins and the
operation's lead. Moving to ``reviewed`` needs a complete after-action review.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, events, markdown
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_pap, clean_tlp, write_audience
from cyberhub.community.models import Organisation, Role, User
from cyberhub.community.validation import clean_text, refuse_nul
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.intel.models import StixObject
from cyberhub.lessons import service as lessons
from cyberhub.lessons.models import Lesson
from cyberhub.operations import registry  # noqa: F401 - registers comments and watches
from cyberhub.operations.labels import status_label, task_label
from cyberhub.operations.models import (
    WORKFLOW,
    Operation,
    OperationParticipant,
    OperationStatus,
    OperationTarget,
    OperationTask,
    TaskStatus,
    TimelineEntry,
)
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = [
    "AAR_SECTIONS",
    "MARKINGS",
    "Audience",
    "TargetRow",
    "add_note",
    "add_target",
    "add_task",
    "can_lead",
    "change_status",
    "create_operation",
    "delete_operation",
    "get_operation",
    "get_task",
    "list_operations",
    "members_of",
    "next_status",
    "participant_ids",
    "participants_of",
    "publish_review",
    "remove_target",
    "review_complete",
    "targets_of",
    "tasks_of",
    "timeline_of",
    "update_operation",
    "update_task",
    "who_can_see",
    "write_review",
]

MARKINGS = (TLP.AMBER_STRICT, TLP.RED)
AAR_SECTIONS = ("planned", "happened", "worked", "improve")
MAX_MARKDOWN = 100_000
MAX_LEGAL_BASIS = 5_000
MAX_NOTE = 5_000
MAX_PARTICIPANTS = 100
MAX_TARGETS = 500
MAX_RECIPIENTS = 500
CLOSED = (OperationStatus.CONCLUDED, OperationStatus.REVIEWED)


# ---------------------------------------------------------------- cleaning input


def _uuid(value: uuid.UUID | str | None, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(_("%(field)s must be a UUID.") % {"field": field},
                           details={"field": field}) from None


def _uuid_or_404(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def _markdown(value: str | None, field: str, max_len: int = MAX_MARKDOWN) -> str:
    value = (value or "").replace("\r\n", "\n")
    if len(value) > max_len:
        raise InvalidInput(_("%(field)s must be at most %(n)d characters long.")
                           % {"field": field, "n": max_len}, details={"field": field})
    return refuse_nul(value, field)


def _required_text(value: str | None, field: str, max_len: int) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise InvalidInput(_("%(field)s is required.") % {"field": field},
                           details={"field": field})
    return _markdown(value, field, max_len)


def _marking(tlp: str | TLP) -> TLP:
    tlp_ = clean_tlp(tlp)
    if tlp_ not in MARKINGS:
        raise InvalidInput(_("An operation is shared with its participants only: mark it "
                             "AMBER+STRICT (the participating organisations) or RED (the "
                             "named members)."), details={"field": "tlp"})
    return tlp_


def due_time(due: date | datetime | None) -> datetime | None:
    """A date alone means the end of that day, UTC; a time without a zone is UTC."""
    if due is None:
        return None
    if isinstance(due, datetime):
        return due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)
    return datetime.combine(due, time(23, 59, 59), tzinfo=UTC)


def _status(value: str, field: str = "status") -> OperationStatus:
    try:
        return OperationStatus((value or "").strip().lower())
    except ValueError:
        raise InvalidInput(_("Unknown status %(value)r; use one of: %(allowed)s.")
                           % {"value": value, "allowed": ", ".join(s.value for s in WORKFLOW)},
                           details={"field": field}) from None


def _task_status(value: str) -> TaskStatus:
    try:
        return TaskStatus((value or "").strip().lower())
    except ValueError:
        raise InvalidInput(_("Unknown task status %(value)r; use one of: %(allowed)s.")
                           % {"value": value, "allowed": ", ".join(s.value for s in TaskStatus)},
                           details={"field": "status"}) from None


# ---------------------------------------------------------------- who may do what


def can_lead(operation: Operation, viewer: Viewer) -> bool:
    """The lead organisation's admins and the operation's lead steer it."""
    if viewer.user_id is None or viewer.org_id != operation.owner_org_id:
        return False
    return viewer.role is Role.ORG_ADMIN or viewer.user_id == operation.lead_user_id


def _require_lead(operation: Operation, viewer: Viewer) -> None:
    if not can_lead(operation, viewer):
        raise PermissionDenied(_("Only the lead organisation's admins and the operation's "
                                 "lead may do this."))


def can_work(viewer: Viewer) -> bool:
    """A participant who may see the operation and is not a reader adds to it."""
    return access.can_contribute(viewer)


def _require_work(viewer: Viewer) -> None:
    if not can_work(viewer):
        raise PermissionDenied(_("Readers may not change an operation."))


_CLOSED_TEXT: dict[str, Callable[[], str]] = {
    "participants": lambda: _("The operation's status is “%(status)s”, so its participants "
                              "can no longer be changed."),
    "targets": lambda: _("The operation's status is “%(status)s”, so its targets can no "
                         "longer be changed."),
    "tasks": lambda: _("The operation's status is “%(status)s”, so its tasks can no longer "
                       "be changed."),
}


def _require_open(operation: Operation, what: str) -> None:
    """Conflict once the operation has concluded; ``what`` names the part asked about
    (participants, targets or tasks)."""
    if operation.status in CLOSED:
        raise Conflict(_CLOSED_TEXT[what]() % {"status": status_label(operation.status)},
                       details={"field": "status", "status": operation.status.value})


def next_status(operation: Operation) -> OperationStatus | None:
    i = WORKFLOW.index(operation.status)
    return WORKFLOW[i + 1] if i + 1 < len(WORKFLOW) else None


# ---------------------------------------------------------------- participants


def participant_ids(session: Session, operation_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(
        select(OperationParticipant.org_id)
        .where(OperationParticipant.operation_id == operation_id)
        .order_by(OperationParticipant.added_at, OperationParticipant.org_id)))


def participants_of(session: Session, operation: Operation) -> list[Organisation]:
    """The participating organisations, the lead first, then by name."""
    orgs = list(session.scalars(select(Organisation).join(
        OperationParticipant, OperationParticipant.org_id == Organisation.id).where(
        OperationParticipant.operation_id == operation.id)))
    return sorted(orgs, key=lambda o: (o.id != operation.owner_org_id, o.name.casefold()))


def members_of(session: Session, operation: Operation) -> list[uuid.UUID]:
    """The named members of a RED operation (empty under AMBER+STRICT)."""
    if operation.tlp is not TLP.RED:
        return []
    return sorted(uid for uid in session.scalars(select(AudienceEntry.user_id).where(
        AudienceEntry.record_id == operation.id, AudienceEntry.user_id.is_not(None)))
        if uid is not None)


def who_can_see(session: Session, operation: Operation, users: Iterable[User]) -> list[User]:
    """Those among ``users`` (active ones) who may see the operation: the people a task
    may be assigned to, for a form to offer."""
    return [u for u in users if u.is_active and access.can_see(
        session, Operation, operation.id, access.viewer_for(session, u))]


def _clean_participants(session: Session, lead_org: uuid.UUID,
                        ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    cleaned = {_uuid(i, "participant_org_ids") for i in ids} | {lead_org}
    if len(cleaned) > MAX_PARTICIPANTS:
        raise InvalidInput(_("An operation may have at most %(n)d participating organisations.")
                           % {"n": MAX_PARTICIPANTS}, details={"field": "participant_org_ids"})
    found = set(session.scalars(select(Organisation.id).where(
        Organisation.id.in_(sorted(cleaned)))))
    missing = sorted(cleaned - found)
    if missing:
        raise InvalidInput(_("No organisation with the id %(id)s.") % {"id": missing[0]},
                           details={"field": "participant_org_ids"})
    return sorted(cleaned)


def _clean_members(session: Session, tlp: TLP, participants: Sequence[uuid.UUID],
                   ids: Iterable[uuid.UUID | str], always: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    cleaned = {_uuid(i, "member_ids") for i in ids}
    if tlp is not TLP.RED:
        if cleaned:
            raise InvalidInput(_("Members are named only for a RED operation; an AMBER+STRICT "
                                 "operation is shared with the participating organisations."),
                               details={"field": "member_ids"})
        return []
    cleaned |= set(always)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(sorted(cleaned))))}
    for uid in sorted(cleaned):
        user = users.get(uid)
        if user is None or not user.is_active:
            raise InvalidInput(_("No active user with the id %(id)s.") % {"id": uid},
                               details={"field": "member_ids"})
        if user.org_id not in participants:
            raise InvalidInput(_("%(email)s does not belong to a participating organisation; "
                                 "add their organisation as a participant first.")
                               % {"email": user.email}, details={"field": "member_ids"})
    return sorted(cleaned)


def _write_sharing(session: Session, operation: Operation, participants: Sequence[uuid.UUID],
                   members: Sequence[uuid.UUID]) -> None:
    session.execute(delete(OperationParticipant).where(
        OperationParticipant.operation_id == operation.id))
    session.add_all([OperationParticipant(operation_id=operation.id, org_id=o)
                     for o in participants])
    audience = (Audience(user_ids=list(members)) if operation.tlp is TLP.RED
                else Audience(org_ids=list(participants)))
    write_audience(session, operation.id, check_audience(session, operation.tlp, audience))


def _check_lead_user(session: Session, operation: Operation, user_id: uuid.UUID | str) -> uuid.UUID:
    uid = _uuid(user_id, "lead_user_id")
    user = session.get(User, uid)
    if user is None or not user.is_active or user.org_id != operation.owner_org_id:
        raise InvalidInput(_("The operation's lead must be an active user of the lead "
                             "organisation."), details={"field": "lead_user_id"})
    return uid


# ---------------------------------------------------------------- timeline


def _log(session: Session, operation: Operation, kind: str, text: str,
         viewer: Viewer | None = None, object_id: uuid.UUID | None = None,
         at: datetime | None = None) -> TimelineEntry:
    entry = TimelineEntry(operation_id=operation.id, kind=kind, text=text,
                          at=at or utcnow(), object_id=object_id,
                          author_id=viewer.user_id if viewer else None)
    session.add(entry)
    return entry


def timeline_of(session: Session, operation: Operation) -> list[TimelineEntry]:
    """The timeline of an operation the caller has already loaded through ``access``."""
    return list(session.scalars(select(TimelineEntry).where(
        TimelineEntry.operation_id == operation.id).order_by(
        TimelineEntry.at, TimelineEntry.created_at, TimelineEntry.id)))


def add_note(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *, text: str,
             at: datetime | None = None) -> TimelineEntry:
    """A participant's own line on the timeline."""
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    _require_work(viewer)
    if operation.status is OperationStatus.REVIEWED:
        raise Conflict(_("The operation has been reviewed: its timeline is closed."),
                       details={"field": "status", "status": operation.status.value})
    entry = _log(session, operation, "note", _required_text(text, "text", MAX_NOTE), viewer,
                 at=due_time(at))
    session.flush()
    audit.record(session, viewer.actor, "operation.timeline", target_type="operations",
                 target_id=operation.id, details={"entry_id": str(entry.id)})
    return entry


# ---------------------------------------------------------------- events


def _participant_users(session: Session, operation: Operation) -> frozenset[uuid.UUID]:
    """Users who may hear of the operation: active users of its participating
    organisations (delivery still asks ``access`` about each of them)."""
    orgs = participant_ids(session, operation.id)
    return frozenset(session.scalars(select(User.id).where(
        User.org_id.in_(orgs), User.is_active.is_(True)).order_by(User.id).limit(MAX_RECIPIENTS)))


def _announce(session: Session, viewer: Viewer, operation: Operation, kind: str, title: str,
              recipients: frozenset[uuid.UUID], summary: str = "", anchor: str = "") -> None:
    events.publish(session, events.Event(
        kind=kind, title=title, summary=summary,
        url=f"/operations/{operation.id}{anchor}", subject_type=Operation,
        subject_id=operation.id, actor_user_id=viewer.user_id, recipients=recipients,
        watch_keys=frozenset({f"operation:{operation.id}"})))


# ---------------------------------------------------------------- operations


def create_operation(session: Session, viewer: Viewer, *, name: str, legal_basis: str,
                     objectives: str = "", participant_org_ids: Iterable[uuid.UUID | str] = (),
                     tlp: str | TLP = TLP.AMBER_STRICT, pap: str | PAP | None = None,
                     member_ids: Iterable[uuid.UUID | str] = (),
                     lead_user_id: uuid.UUID | str | None = None,
                     is_demo: bool = False) -> Operation:
    """Propose an operation, led by the viewer's organisation."""
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not propose operations."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = _marking(tlp)
    objectives = _markdown(objectives, "objectives")
    operation = Operation(
        name=clean_text(name, "name", max_len=200),
        legal_basis=_required_text(legal_basis, "legal_basis", MAX_LEGAL_BASIS),
        objectives_markdown=objectives, objectives_html=markdown.render(objectives),
        tlp=tlp_, pap=clean_pap(pap), status=OperationStatus.PROPOSED,
        status_changed_at=utcnow(), owner_org_id=viewer.org_id, created_by_id=viewer.user_id,
        lead_user_id=viewer.user_id, is_demo=is_demo)
    if lead_user_id not in (None, ""):
        operation.lead_user_id = _check_lead_user(session, operation, lead_user_id)
    participants = _clean_participants(session, viewer.org_id, participant_org_ids)
    always = {viewer.user_id} | ({operation.lead_user_id} if operation.lead_user_id else set())
    members = _clean_members(session, tlp_, participants, member_ids, always)
    session.add(operation)
    session.flush()
    _write_sharing(session, operation, participants, members)
    _log(session, operation, "status", _("Operation proposed."), viewer)
    session.flush()
    audit.record(session, viewer.actor, "operation.create", target_type="operations",
                 target_id=operation.id, details={"tlp": tlp_.value,
                                                  "participants": len(participants)})
    _announce(session, viewer, operation, "operation.proposed",
              _("Operation proposed: %(name)s") % {"name": operation.name},
              _participant_users(session, operation))
    return operation


def get_operation(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
                  purpose: str = "read") -> Operation:
    return access.load(session, Operation, operation_id, viewer, purpose=purpose)


def list_operations(session: Session, viewer: Viewer, *, status: str | None = None,
                    q: str | None = None, cursor: str | None = None,
                    limit: int = 50) -> Page[Operation]:
    """The operations the viewer takes part in, newest first; ``q`` finds words of the
    name or the objectives (case-insensitive)."""
    query = access.select_visible(Operation, viewer)
    if status:
        query = query.where(Operation.status == _status(status))
    for word in (q or "").split()[:8]:
        needle = word.casefold()[:100]
        query = query.where(func.lower(Operation.name).contains(needle, autoescape=True)
                            | func.lower(Operation.objectives_markdown).contains(
                                needle, autoescape=True))
    page = paginate(session, query, Operation.created_at, Operation.id, cursor=cursor,
                    limit=limit)
    access.audit_listing(session, Operation, page.items, viewer)
    return page


def open_operations(session: Session, viewer: Viewer, *, limit: int = 200) -> list[Operation]:
    """The operations the viewer takes part in that still take targets (not concluded or
    reviewed), newest first — the choice for "add as target"."""
    rows = list(session.scalars(access.select_visible(Operation, viewer)
                                .where(Operation.status.not_in(CLOSED))
                                .order_by(Operation.created_at.desc(), Operation.id)
                                .limit(limit)))
    access.audit_listing(session, Operation, rows, viewer)
    return rows


def update_operation(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
                     name: str | None = None, legal_basis: str | None = None,
                     objectives: str | None = None,
                     participant_org_ids: Iterable[uuid.UUID | str] | None = None,
                     member_ids: Iterable[uuid.UUID | str] | None = None,
                     lead_user_id: uuid.UUID | str | None = None,
                     pap: str | PAP | None = None, tlp: str | TLP | None = None) -> Operation:
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    _require_lead(operation, viewer)
    if operation.status is OperationStatus.REVIEWED:
        raise Conflict(_("The operation has been reviewed and can no longer be changed."),
                       details={"field": "status", "status": operation.status.value})
    before_tlp = operation.tlp
    if tlp is not None and tlp != "":
        # The lead may tighten or relax the marking until the review; the audience is
        # rewritten below for the new marking (RED: named members, AMBER+STRICT: the
        # participating organisations).
        operation.tlp = _marking(tlp)
    remarked = operation.tlp is not before_tlp
    if name is not None:
        operation.name = clean_text(name, "name", max_len=200)
    if legal_basis is not None:
        operation.legal_basis = _required_text(legal_basis, "legal_basis", MAX_LEGAL_BASIS)
    if objectives is not None:
        operation.objectives_markdown = _markdown(objectives, "objectives")
        operation.objectives_html = markdown.render(operation.objectives_markdown)
    if pap is not None:  # "" clears the marking
        operation.pap = clean_pap(pap)
    if lead_user_id not in (None, ""):
        assert lead_user_id is not None
        operation.lead_user_id = _check_lead_user(session, operation, lead_user_id)
    if participant_org_ids is not None or member_ids is not None or lead_user_id or remarked:
        before = participant_ids(session, operation.id)
        participants = (_clean_participants(session, operation.owner_org_id, participant_org_ids)
                        if participant_org_ids is not None else before)
        if participant_org_ids is not None:
            _require_open(operation, "participants")
        gone = set(before) - set(participants)
        busy = session.scalar(select(OperationTask.assignee_org_id).where(
            OperationTask.operation_id == operation.id,
            OperationTask.assignee_org_id.in_(sorted(gone)),
            OperationTask.status.in_([TaskStatus.OPEN, TaskStatus.IN_PROGRESS])).limit(1))
        if busy is not None:
            org = session.get(Organisation, busy)
            raise InvalidInput(_("%(org)s still has open tasks in this operation; reassign or "
                                 "close them before removing the organisation.")
                               % {"org": org.name if org else busy},
                               details={"field": "participant_org_ids"})
        if member_ids is not None:
            current: Iterable[uuid.UUID | str] = member_ids
        elif remarked and operation.tlp is not TLP.RED:
            current = []  # AMBER+STRICT names organisations, not members
        else:
            current = members_of(session, operation)
        always = {operation.created_by_id} | (
            {operation.lead_user_id} if operation.lead_user_id else set())
        members = _clean_members(session, operation.tlp, participants, current, always)
        _write_sharing(session, operation, participants, members)
        if set(before) != set(participants):
            _log(session, operation, "participants",
                 ngettext("Participants changed: %(n)d organisation takes part.",
                          "Participants changed: %(n)d organisations take part.",
                          len(participants)) % {"n": len(participants)}, viewer)
        if remarked:
            _log(session, operation, "marking",
                 _("Marking changed from TLP:%(before)s to TLP:%(after)s.")
                 % {"before": before_tlp.value, "after": operation.tlp.value}, viewer)
        session.flush()
        _check_assignees(session, operation)
    operation.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "operation.update", target_type="operations",
                 target_id=operation.id, details={"tlp": operation.tlp.value, **(
                     {"tlp_before": before_tlp.value} if remarked else {})})
    return operation


def _check_assignees(session: Session, operation: Operation) -> None:
    """Everyone holding an open task can still see the operation."""
    users = sorted({uid for uid in session.scalars(select(OperationTask.assignee_user_id).where(
        OperationTask.operation_id == operation.id, OperationTask.assignee_user_id.is_not(None),
        OperationTask.status.in_([TaskStatus.OPEN, TaskStatus.IN_PROGRESS]))) if uid})
    for uid in users:
        user = session.get(User, uid)
        if user is not None and not access.can_see(
                session, Operation, operation.id, access.viewer_for(session, user)):
            raise InvalidInput(_("%(email)s holds an open task of this operation and could no "
                                 "longer see it; keep them as a member.") % {"email": user.email},
                               details={"field": "member_ids"})


def delete_operation(session: Session, viewer: Viewer, operation_id: uuid.UUID | str) -> None:
    """Withdraw a proposal. An operation that was approved stays on record."""
    operation = get_operation(session, viewer, operation_id, purpose="delete")
    _require_lead(operation, viewer)
    if operation.status is not OperationStatus.PROPOSED:
        raise Conflict(_("Only a proposed operation can be withdrawn; this one's status is "
                         "“%(status)s”.") % {"status": status_label(operation.status)},
                       details={"field": "status", "status": operation.status.value})
    for model in (TimelineEntry, OperationTask, OperationTarget, OperationParticipant):
        session.execute(delete(model).where(model.operation_id == operation.id))
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == operation.id))
    session.delete(operation)
    audit.record(session, viewer.actor, "operation.delete", target_type="operations",
                 target_id=operation.id, details={"name": operation.name})


_STATUS_TEXT = {
    OperationStatus.APPROVED: lambda: _("Operation approved."),
    OperationStatus.ACTIVE: lambda: _("Operation started: it is active."),
    OperationStatus.CONCLUDED: lambda: _("Operation concluded."),
    OperationStatus.REVIEWED: lambda: _("After-action review completed: the operation is "
                                        "reviewed."),
}


def change_status(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
                  status: str) -> Operation:
    """Move the operation one step along the workflow; anything else changes nothing."""
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    wanted = _status(status)
    _require_lead(operation, viewer)
    allowed = next_status(operation)
    if wanted is not allowed:
        if allowed is None:
            message = _("The operation is reviewed; that is the end of its workflow.")
        else:
            message = _("An operation moves proposed → approved → active → concluded → "
                        "reviewed, one step at a time; this one's status is “%(current)s”, so "
                        "it can move only to “%(next)s”.") % {
                            "current": status_label(operation.status),
                            "next": status_label(allowed)}
        raise Conflict(message, details={
            "field": "status", "status": operation.status.value,
            "allowed": [allowed.value] if allowed else []})
    if wanted is OperationStatus.REVIEWED and not review_complete(operation):
        raise Conflict(_("Write the after-action review (what was planned, what happened, what "
                         "worked, what to improve) before marking the operation reviewed."),
                       details={"field": "review", "status": operation.status.value})
    before = operation.status
    operation.status = wanted
    operation.status_changed_at = operation.updated_at = utcnow()
    _log(session, operation, "status", _STATUS_TEXT[wanted](), viewer)
    session.flush()
    audit.record(session, viewer.actor, "operation.status", target_type="operations",
                 target_id=operation.id, details={"from": before.value, "to": wanted.value})
    _announce(session, viewer, operation, "operation.status",
              _("The status of operation %(name)s is now “%(status)s”")
              % {"name": operation.name, "status": status_label(wanted)},
              _participant_users(session, operation))
    return operation


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class TargetRow:
    target: OperationTarget
    # The object, when the viewer may see it; None otherwise (then it is not named).
    object: StixObject | None


def _visible_object(session: Session, viewer: Viewer, ref: uuid.UUID | str) -> StixObject:
    """The knowledge-base object by id or STIX id; one the viewer may not see is refused
    exactly like one that does not exist."""
    ref = str(ref or "").strip()
    refused = InvalidInput(_("No knowledge-base object %(ref)r that you may see; give the id or "
                             "STIX id of an object you can open.") % {"ref": ref[:100]},
                           details={"field": "object_id"})
    query = access.select_visible(StixObject, viewer)
    if "--" in ref:
        query = query.where(StixObject.stix_id == ref).order_by(StixObject.created_at)
    else:
        try:
            query = query.where(StixObject.id == uuid.UUID(ref))
        except ValueError:
            raise refused from None
    obj = session.scalars(query.limit(1)).first()
    if obj is None:
        raise refused
    if obj.tlp.is_sensitive:
        audit.record(session, viewer.actor, "record.link", target_type="stix_objects",
                     target_id=obj.id, details={"tlp": obj.tlp.value})
    return obj


def add_target(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
               object_id: uuid.UUID | str, note: str = "") -> OperationTarget:
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    _require_work(viewer)
    _require_open(operation, "targets")
    assert viewer.user_id is not None
    obj = _visible_object(session, viewer, object_id)
    if session.scalar(select(OperationTarget.id).where(
            OperationTarget.operation_id == operation.id,
            OperationTarget.object_id == obj.id)) is not None:
        raise Conflict(_("This object is already a target of the operation."),
                       details={"field": "object_id"})
    if (session.scalar(select(func.count()).select_from(OperationTarget).where(
            OperationTarget.operation_id == operation.id)) or 0) >= MAX_TARGETS:
        raise InvalidInput(_("An operation may have at most %(n)d targets.")
                           % {"n": MAX_TARGETS}, details={"field": "object_id"})
    target = OperationTarget(operation_id=operation.id, object_id=obj.id,
                             note=clean_text(note, "note", max_len=500, min_len=0),
                             added_by_id=viewer.user_id)
    session.add(target)
    # The timeline names the object only to those who may see it (see targets_of).
    _log(session, operation, "target", _("Target linked."), viewer, object_id=obj.id)
    session.flush()
    audit.record(session, viewer.actor, "operation.target_add", target_type="operations",
                 target_id=operation.id, details={"object_id": str(obj.id)})
    return target


def remove_target(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
                  target_id: uuid.UUID | str) -> None:
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    target = session.get(OperationTarget, _uuid_or_404(target_id))
    if target is None or target.operation_id != operation.id:
        raise NotFound()
    if not (can_lead(operation, viewer) or (can_work(viewer)
                                            and target.added_by_id == viewer.user_id)):
        raise PermissionDenied(_("Only whoever linked the target and the operation's lead may "
                                 "remove it."))
    _require_open(operation, "targets")
    _log(session, operation, "target", _("Target removed."), viewer, object_id=target.object_id)
    session.delete(target)
    session.flush()
    audit.record(session, viewer.actor, "operation.target_remove", target_type="operations",
                 target_id=operation.id, details={"object_id": str(target.object_id)})


def visible_objects(session: Session, viewer: Viewer,
                    ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, StixObject]:
    """Of these knowledge-base objects, the ones the viewer may see (sensitive ones are
    audited as listed)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    objects = list(session.scalars(access.select_visible(StixObject, viewer).where(
        StixObject.id.in_(wanted))))
    access.audit_listing(session, StixObject, objects, viewer)
    return {o.id: o for o in objects}


def targets_of(session: Session, viewer: Viewer, operation: Operation) -> list[TargetRow]:
    """The targets of an operation the caller has already loaded through ``access``."""
    targets = list(session.scalars(select(OperationTarget).where(
        OperationTarget.operation_id == operation.id).order_by(
        OperationTarget.created_at, OperationTarget.id)))
    seen = visible_objects(session, viewer, [t.object_id for t in targets])
    return [TargetRow(t, seen.get(t.object_id)) for t in targets]


# ---------------------------------------------------------------- tasks


def tasks_of(session: Session, operation: Operation) -> list[OperationTask]:
    """The tasks of an operation the caller has already loaded through ``access``."""
    return list(session.scalars(select(OperationTask).where(
        OperationTask.operation_id == operation.id).order_by(
        OperationTask.created_at, OperationTask.id)))


def get_task(session: Session, viewer: Viewer, task_id: uuid.UUID | str, *,
             purpose: str = "read") -> tuple[OperationTask, Operation]:
    """A task and its operation; 404 when the operation is not visible."""
    task = session.get(OperationTask, _uuid_or_404(task_id))
    if task is None:
        raise NotFound()
    return task, get_operation(session, viewer, task.operation_id, purpose=purpose)


def _assignee(session: Session, operation: Operation, org_id: uuid.UUID | str | None,
              user_id: uuid.UUID | str | None) -> tuple[uuid.UUID, uuid.UUID | None, str]:
    """The assignee (organisation, optional user) and a label for the timeline."""
    if org_id in (None, ""):
        raise InvalidInput(_("assignee_org_id is required: the participating organisation that "
                             "takes the task."), details={"field": "assignee_org_id"})
    oid = _uuid(org_id, "assignee_org_id")
    org = session.get(Organisation, oid)
    if org is None or oid not in participant_ids(session, operation.id):
        raise InvalidInput(_("The task's organisation does not take part in this operation; "
                             "assign it to a participating organisation, or add the "
                             "organisation as a participant first."),
                           details={"field": "assignee_org_id", "org_id": str(oid)})
    if user_id in (None, ""):
        return oid, None, org.name
    uid = _uuid(user_id, "assignee_user_id")
    user = session.get(User, uid)
    if user is None or not user.is_active or user.org_id != oid:
        raise InvalidInput(_("The task's assignee must be an active user of the organisation "
                             "it is assigned to."), details={"field": "assignee_user_id"})
    if not access.can_see(session, Operation, operation.id, access.viewer_for(session, user)):
        raise InvalidInput(_("%(email)s cannot see this operation, so cannot hold its task; "
                             "name them as a member first.") % {"email": user.email},
                           details={"field": "assignee_user_id"})
    return oid, uid, f"{user.display_name} ({org.name})"


def _task_recipients(session: Session, task: OperationTask) -> frozenset[uuid.UUID]:
    if task.assignee_user_id is not None:
        return frozenset({task.assignee_user_id})
    return frozenset(session.scalars(select(User.id).where(
        User.org_id == task.assignee_org_id, User.is_active.is_(True))
        .order_by(User.id).limit(MAX_RECIPIENTS)))


def _announce_task(session: Session, viewer: Viewer, operation: Operation,
                   task: OperationTask) -> None:
    _announce(session, viewer, operation, "operation.task",
              _("A task of operation %(name)s is assigned to you") % {"name": operation.name},
              _task_recipients(session, task), summary=task.title, anchor=f"#task-{task.id}")


def add_task(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *, title: str,
             assignee_org_id: uuid.UUID | str | None,
             assignee_user_id: uuid.UUID | str | None = None,
             due: date | datetime | None = None) -> OperationTask:
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    _require_work(viewer)
    _require_open(operation, "tasks")
    assert viewer.user_id is not None
    title = clean_text(title, "title", max_len=300)
    org_id, user_id, label = _assignee(session, operation, assignee_org_id, assignee_user_id)
    task = OperationTask(operation_id=operation.id, title=title, assignee_org_id=org_id,
                         assignee_user_id=user_id, due_at=due_time(due),
                         status=TaskStatus.OPEN, created_by_id=viewer.user_id)
    session.add(task)
    _log(session, operation, "task", _("Task “%(title)s” assigned to %(who)s.")
         % {"title": title, "who": label}, viewer)
    session.flush()
    audit.record(session, viewer.actor, "operation.task_add", target_type="operations",
                 target_id=operation.id, details={"task_id": str(task.id)})
    _announce_task(session, viewer, operation, task)
    return task


def update_task(session: Session, viewer: Viewer, task_id: uuid.UUID | str, *,
                title: str | None = None, status: str | None = None,
                assignee_org_id: uuid.UUID | str | None = None,
                assignee_user_id: uuid.UUID | str | None = None, reassign: bool = False,
                due: date | datetime | None = None, clear_due: bool = False
                ) -> tuple[OperationTask, Operation]:
    """Change a task: its assignee organisation, whoever created it and the lead may."""
    task, operation = get_task(session, viewer, task_id, purpose="edit")
    _require_work(viewer)
    if not (can_lead(operation, viewer) or task.created_by_id == viewer.user_id
            or task.assignee_org_id == viewer.org_id):
        raise PermissionDenied(_("Only the assigned organisation, whoever created the task and "
                                 "the operation's lead may change it."))
    _require_open(operation, "tasks")
    new_status = _task_status(status) if status is not None else None
    if title is not None:
        task.title = clean_text(title, "title", max_len=300)
    if reassign:
        org_id, user_id, label = _assignee(
            session, operation, assignee_org_id or task.assignee_org_id, assignee_user_id)
        if (org_id, user_id) != (task.assignee_org_id, task.assignee_user_id):
            task.assignee_org_id, task.assignee_user_id = org_id, user_id
            _log(session, operation, "task", _("Task “%(title)s” reassigned to %(who)s.")
                 % {"title": task.title, "who": label}, viewer)
            _announce_task(session, viewer, operation, task)
    if clear_due:
        task.due_at = None
    elif due is not None:
        task.due_at = due_time(due)
    if new_status is not None and new_status is not task.status:
        task.status = new_status
        task.completed_at = utcnow() if new_status is TaskStatus.DONE else None
        _log(session, operation, "task", _("The status of task “%(title)s” is now "
                                           "“%(status)s”.")
             % {"title": task.title, "status": task_label(new_status)}, viewer)
    task.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "operation.task_update", target_type="operations",
                 target_id=operation.id, details={"task_id": str(task.id),
                                                  "status": task.status.value})
    return task, operation


# ---------------------------------------------------------------- after-action review


def review_complete(operation: Operation) -> bool:
    return all(getattr(operation, f"aar_{s}_markdown").strip() for s in AAR_SECTIONS)


def write_review(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
                 planned: str | None = None, happened: str | None = None,
                 worked: str | None = None, improve: str | None = None) -> Operation:
    """Write (or amend) the after-action review of a concluded operation."""
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    _require_lead(operation, viewer)
    if operation.status is not OperationStatus.CONCLUDED:
        raise Conflict(_("The after-action review is written once the operation has concluded "
                         "and before it is marked reviewed; this one's status is "
                         "“%(status)s”.") % {"status": status_label(operation.status)},
                       details={"field": "status", "status": operation.status.value})
    first = operation.aar_written_at is None
    for name, value in zip(AAR_SECTIONS, (planned, happened, worked, improve), strict=True):
        if value is not None:
            text = _markdown(value, name)
            setattr(operation, f"aar_{name}_markdown", text)
            setattr(operation, f"aar_{name}_html", markdown.render(text))
    operation.aar_written_at = operation.updated_at = utcnow()
    operation.aar_written_by_id = viewer.user_id
    if first:
        _log(session, operation, "review", _("After-action review written."), viewer)
    session.flush()
    audit.record(session, viewer.actor, "operation.review", target_type="operations",
                 target_id=operation.id, details={"complete": review_complete(operation)})
    return operation


def publish_review(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
                   tlp: str | TLP, audience: Audience | None = None,
                   pap: str | PAP | None = None, tags: Iterable[str] = (),
                   title: str | None = None) -> Lesson:
    """Publish the after-action review to the lessons library, under the marking the
    participants chose (the lesson is the lead organisation's, pointing back here)."""
    operation = get_operation(session, viewer, operation_id, purpose="edit")
    _require_lead(operation, viewer)
    if operation.status not in CLOSED:
        raise Conflict(_("An operation's review is published once the operation has concluded."),
                       details={"field": "status", "status": operation.status.value})
    if not review_complete(operation):
        raise Conflict(_("Complete the after-action review (all four parts) before publishing "
                         "it."), details={"field": "review"})
    if operation.lesson_id is not None:
        raise Conflict(_("This review has already been published as a lesson."),
                       details={"field": "lesson_id", "lesson_id": str(operation.lesson_id)})
    happened = (f"## {_('What was planned')}\n\n{operation.aar_planned_markdown}\n\n"
                f"## {_('What happened')}\n\n{operation.aar_happened_markdown}")
    lesson = lessons.create_lesson(
        session, viewer,
        title=title or _("Lessons from operation %(name)s") % {"name": operation.name},
        what_happened=happened, what_worked=operation.aar_worked_markdown,
        what_to_change=operation.aar_improve_markdown, tlp=tlp, pap=pap, audience=audience,
        tags=tags, source_type="operation", source_id=operation.id, is_demo=operation.is_demo)
    operation.lesson_id = lesson.id
    _log(session, operation, "lesson", _("After-action review published to the lessons "
                                         "library as %(tlp)s.") % {"tlp": lesson.tlp.value},
         viewer)
    session.flush()
    audit.record(session, viewer.actor, "operation.review_publish", target_type="operations",
                 target_id=operation.id, details={"lesson_id": str(lesson.id),
                                                  "tlp": lesson.tlp.value})
    return lesson
