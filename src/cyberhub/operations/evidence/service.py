"""The evidence register: register an item, hand it over, read it, verify it.

Every function loads the operation first through the operations service (and so through
``cyberhub.access``): a non-participant meets a 404 on every part of the register. Reads
of evidence are written to the audit log; so is every custody event, whose audit entry's
sequence number and hash the register keeps.

Uploading is two steps, so that nothing is streamed for a request that will be refused:
:func:`check_upload` before the file is read, :func:`register` after it was stored
(``store.store_stream``). A registration that fails after the file was stored removes the
file again when its transaction rolls back.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import audit, i18n, quotas
from cyberhub.access import Viewer
from cyberhub.audit import AuditEntry
from cyberhub.community.models import Organisation, User
from cyberhub.community.validation import clean_text
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.operations import service as operations
from cyberhub.operations.evidence import store
from cyberhub.operations.evidence.models import (
    HANDOVER,
    REGISTERED,
    VERIFY_MISMATCH,
    VERIFY_MISSING,
    VERIFY_OK,
    CustodyEvent,
    EvidenceItem,
)
from cyberhub.operations.models import Operation, OperationStatus

MAX_DESCRIPTION = 5_000
MAX_REASON = 2_000
# A hand-over's time may run this far ahead of the hub's clock (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=5)


# ---------------------------------------------------------------- input


def _long_text(value: str | None, name: str, max_len: int) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": name}, details={"field": name})
    if len(text) > max_len:
        raise InvalidInput(_("%(field)s must be at most %(n)d characters long.")
                           % {"field": name, "n": max_len}, details={"field": name})
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text):
        raise InvalidInput(_("%(field)s must not contain control characters.") % {"field": name},
                           details={"field": name})
    return text


def clean_filename(name: str | None) -> str:
    """The last path component of an uploaded file's name, for display and download."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    base = base[-200:] if base else "evidence.bin"
    return base


@dataclass(frozen=True)
class ItemFields:
    description: str
    source: str
    location: str
    custodian_name: str


def check_fields(*, description: str | None, source: str | None, location: str | None = "",
                 custodian_name: str | None = "") -> ItemFields:
    return ItemFields(
        description=_long_text(description, "description", MAX_DESCRIPTION),
        source=clean_text(source or "", "source", max_len=300),
        location=clean_text(location or "", "location", max_len=300, min_len=0),
        custodian_name=clean_text(custodian_name or "", "custodian_name", max_len=200,
                                  min_len=0))


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# ---------------------------------------------------------------- the operation


def get_operation(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
                  purpose: str = "read") -> Operation:
    """The operation, through the operations service's loader (404 for non-participants)."""
    return operations.get_operation(session, viewer, operation_id, purpose=purpose)


def _require_contributor(viewer: Viewer) -> None:
    if not operations.can_work(viewer):
        raise PermissionDenied(_("Readers may not add to an operation's evidence register."))


def _require_started(operation: Operation) -> None:
    if operation.status is OperationStatus.PROPOSED:
        raise Conflict(_("Evidence is registered once the operation is approved; this one "
                         "is still proposed."), details={"field": "status",
                                                         "status": operation.status.value})


def check_upload(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
                 fields: ItemFields) -> Operation:
    """Everything that can refuse a registration before its file is read."""
    operation = get_operation(session, viewer, operation_id, purpose="evidence_register")
    _require_contributor(viewer)
    _require_started(operation)
    del fields  # already checked by check_fields
    _check_quota(session, viewer, 0)
    return operation


def _check_quota(session: Session, viewer: Viewer, adding: int) -> None:
    assert viewer.user_id is not None
    settings = get_settings()
    quotas.check(session, owner=EvidenceItem.registered_by_id, size=EvidenceItem.size,
                 user_id=viewer.user_id, adding=adding,
                 max_files=settings.evidence_quota_files,
                 max_bytes=settings.evidence_quota_bytes)


# ---------------------------------------------------------------- writing


def _custody_details(item: EvidenceItem, event: CustodyEvent) -> dict[str, Any]:
    """What the audit entry of a custody event says: the register must say the same."""
    return {"operation_id": str(item.operation_id), "item": f"E-{item.number}",
            "sha256": item.sha256, "seq": event.seq, "kind": event.kind,
            "from_org_id": str(event.from_org_id) if event.from_org_id else None,
            "from_name": event.from_name, "to_org_id": str(event.to_org_id),
            "to_name": event.to_name, "at": event.at.isoformat(timespec="microseconds"),
            "reason": event.reason}


def _record_custody(session: Session, viewer: Viewer, item: EvidenceItem,
                    event: CustodyEvent) -> None:
    action = "evidence.register" if event.kind == REGISTERED else "evidence.handover"
    entry = audit.record(session, viewer.actor, action, target_type="evidence_items",
                         target_id=item.id, details=_custody_details(item, event))
    event.audit_seq = entry.seq
    event.audit_hash = entry.hash
    session.add(event)


def _person(viewer: Viewer, session: Session) -> str:
    user = session.get(User, viewer.user_id) if viewer.user_id else None
    return user.email if user is not None else viewer.label


def register(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
             fields: ItemFields, stored: store.Stored, *, filename: str | None,
             is_demo: bool = False) -> EvidenceItem:
    """Enter a stored file in the register; the registrant's organisation holds it first."""
    store.keep_until_rollback(session, stored.name)
    operation = check_upload(session, viewer, operation_id, fields)
    _check_quota(session, viewer, stored.size)
    assert viewer.user_id is not None and viewer.org_id is not None
    number = (session.scalar(select(func.max(EvidenceItem.number))
                             .where(EvidenceItem.operation_id == operation.id)) or 0) + 1
    now = utcnow()
    item = EvidenceItem(
        operation_id=operation.id, number=number, description=fields.description,
        source=fields.source, location=fields.location, filename=clean_filename(filename),
        size=stored.size, sha256=stored.sha256, storage_name=stored.name,
        registered_by_id=viewer.user_id, registered_at=now, custodian_org_id=viewer.org_id,
        custodian_name=fields.custodian_name or _person(viewer, session), is_demo=is_demo)
    session.add(item)
    session.flush()
    event = CustodyEvent(item_id=item.id, seq=1, kind=REGISTERED, from_org_id=None,
                         from_name=fields.source, to_org_id=item.custodian_org_id,
                         to_name=item.custodian_name, at=now,
                         reason=_("Registered in the evidence register."),
                         recorded_by_id=viewer.user_id, recorded_at=now)
    _record_custody(session, viewer, item, event)
    session.flush()
    return item


def hand_over(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
              item_id: uuid.UUID | str, *, to_org_id: uuid.UUID | str | None,
              to_name: str | None, reason: str | None,
              at: datetime | None = None) -> CustodyEvent:
    """Record that the item passed to another custodian (an organisation taking part).

    The current custodian's organisation records it, or the operation's lead."""
    operation, item = get_item(session, viewer, operation_id, item_id, audit_read=False)
    _require_contributor(viewer)
    if viewer.org_id != item.custodian_org_id and not operations.can_lead(operation, viewer):
        raise PermissionDenied(_("Only the current custodian's organisation or the operation's "
                                 "lead may record a hand-over of this item."))
    try:
        to_org = uuid.UUID(str(to_org_id or ""))
    except ValueError:
        raise InvalidInput(_("Name the organisation that receives the item."),
                           details={"field": "to_org_id"}) from None
    if to_org not in operations.participant_ids(session, operation.id):
        raise InvalidInput(_("Evidence can be handed over only to an organisation taking part "
                             "in the operation."), details={"field": "to_org_id"})
    name = clean_text(to_name or "", "to_name", max_len=200)
    why = _long_text(reason, "reason", MAX_REASON)
    now = utcnow()
    when = _aware(at) if at is not None else now
    last = session.scalars(select(CustodyEvent).where(CustodyEvent.item_id == item.id)
                           .order_by(CustodyEvent.seq.desc()).limit(1)).one()
    if when > now + CLOCK_SKEW:
        raise InvalidInput(_("A hand-over cannot be recorded ahead of time."),
                           details={"field": "at"})
    if when < last.at:
        raise InvalidInput(_("A hand-over cannot predate the previous custody event (%(at)s).")
                           % {"at": i18n.format_datetime(last.at) + " UTC"},
                           details={"field": "at"})
    if to_org == item.custodian_org_id and name == item.custodian_name:
        raise InvalidInput(_("The item is already held by %(name)s.") % {"name": name},
                           details={"field": "to_name"})
    assert viewer.user_id is not None
    event = CustodyEvent(item_id=item.id, seq=last.seq + 1, kind=HANDOVER,
                         from_org_id=item.custodian_org_id, from_name=item.custodian_name,
                         to_org_id=to_org, to_name=name, at=when, reason=why,
                         recorded_by_id=viewer.user_id, recorded_at=now)
    _record_custody(session, viewer, item, event)
    item.custodian_org_id = to_org
    item.custodian_name = name
    session.flush()
    return event


# ---------------------------------------------------------------- reading


def list_items(session: Session, viewer: Viewer, operation_id: uuid.UUID | str
               ) -> tuple[Operation, list[EvidenceItem]]:
    operation = get_operation(session, viewer, operation_id)
    items = list(session.scalars(select(EvidenceItem).where(
        EvidenceItem.operation_id == operation.id).order_by(EvidenceItem.number)))
    if items:
        audit.record(session, viewer.actor, "evidence.list", target_type="operations",
                     target_id=operation.id, details={"items": [f"E-{i.number}" for i in items]})
    return operation, items


def get_item(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
             item_id: uuid.UUID | str, *, purpose: str = "read",
             audit_read: bool = True) -> tuple[Operation, EvidenceItem]:
    operation = get_operation(session, viewer, operation_id)
    try:
        iid = uuid.UUID(str(item_id))
    except ValueError:
        raise NotFound() from None
    item = session.scalars(select(EvidenceItem).where(
        EvidenceItem.id == iid, EvidenceItem.operation_id == operation.id)).one_or_none()
    if item is None:
        raise NotFound()
    if audit_read:
        audit.record(session, viewer.actor, f"evidence.{purpose}", target_type="evidence_items",
                     target_id=item.id, details={"operation_id": str(operation.id),
                                                 "item": f"E-{item.number}"})
    return operation, item


def custody_of(session: Session, item: EvidenceItem) -> list[CustodyEvent]:
    return list(session.scalars(select(CustodyEvent).where(CustodyEvent.item_id == item.id)
                                .order_by(CustodyEvent.seq)))


def org_names(session: Session, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name)
                           .where(Organisation.id.in_(wanted))).all()
    return {row[0]: row[1] for row in rows}


def download(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
             item_id: uuid.UUID | str) -> tuple[EvidenceItem, str]:
    """The item and the path of its file; the read is audited."""
    _operation, item = get_item(session, viewer, operation_id, item_id, purpose="download")
    return item, str(store.path_of(item.storage_name))


# ---------------------------------------------------------------- verifying


@dataclass
class Problem:
    item_id: uuid.UUID
    operation_id: uuid.UUID
    number: int
    kind: str  # mismatch, missing, custody
    message: str


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_custody(session: Session, item: EvidenceItem) -> list[str]:
    """Each custody event must match the audit entry written with it."""
    found: list[str] = []
    for event in custody_of(session, item):
        entry = session.get(AuditEntry, event.audit_seq)
        if entry is None or entry.hash != event.audit_hash:
            found.append(_("custody event %(seq)d has no matching audit entry")
                         % {"seq": event.seq})
        elif entry.details != _custody_details(item, event) or entry.target_id != str(item.id):
            found.append(_("custody event %(seq)d differs from its audit entry %(entry)d")
                         % {"seq": event.seq, "entry": entry.seq})
    return found


def verify_items(session: Session, items: Sequence[EvidenceItem]) -> VerifyReport:
    """Recompute every file's SHA-256 and check every custody record against the log."""
    report = VerifyReport()
    now = utcnow()
    for item in items:
        report.checked += 1
        computed = store.hash_of(item.storage_name)
        if computed is None:
            result = VERIFY_MISSING
            report.problems.append(Problem(item.id, item.operation_id, item.number, result, _(
                "E-%(n)d: the file is missing from the store") % {"n": item.number}))
        elif computed != item.sha256:
            result = VERIFY_MISMATCH
            report.problems.append(Problem(item.id, item.operation_id, item.number, result, _(
                "E-%(n)d: the file's SHA-256 is now %(found)s, registered as %(expected)s")
                % {"n": item.number, "found": computed, "expected": item.sha256}))
        else:
            result = VERIFY_OK
        for message in _check_custody(session, item):
            report.problems.append(Problem(item.id, item.operation_id, item.number, "custody",
                                           f"E-{item.number}: {message}"))
        item.last_verified_at = now
        item.last_verify_result = result
    session.flush()
    return report


def verify_operation(session: Session, viewer: Viewer, operation_id: uuid.UUID | str
                     ) -> tuple[Operation, VerifyReport]:
    """A participant checks the operation's register."""
    operation = get_operation(session, viewer, operation_id)
    items = list(session.scalars(select(EvidenceItem).where(
        EvidenceItem.operation_id == operation.id).order_by(EvidenceItem.number)))
    report = verify_items(session, items)
    audit.record(session, viewer.actor, "evidence.verify", target_type="operations",
                 target_id=operation.id, details={"checked": report.checked,
                                                  "problems": [p.message for p in report.problems]})
    return operation, report


def verify_all(session: Session, actor: audit.Actor = audit.SYSTEM) -> VerifyReport:
    """The operator's check of the whole hub's evidence (the command line)."""
    items = list(session.scalars(select(EvidenceItem).order_by(
        EvidenceItem.operation_id, EvidenceItem.number)))
    report = verify_items(session, items)
    audit.record(session, actor, "evidence.verify", target_type="evidence_items",
                 details={"checked": report.checked,
                          "problems": [f"{p.operation_id} {p.kind} E-{p.number}"
                                       for p in report.problems]})
    return report
