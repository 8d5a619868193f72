"""Community vetting: organisations other than the source confirm or dispute a record.

The rule (ADR 0014), applied to one record's standing verdicts, one per organisation:

- any dispute → ``disputed`` (until it is withdrawn or turned into a confirmation);
- confirmations from at least ``CYBERHUB_VETTING_QUORUM`` organisations → ``vetted``;
- fewer confirmations → ``corroborated``.

While a record has verdicts its state is derived from them, and the owner's own
setting (``PATCH /objects/{id}`` with ``vetting``) is refused; without verdicts the
owner sets it as before. Withdrawing the last verdict leaves the record ``unverified``.
A verdict counts for the record it was cast on, never for other owners' copies of the
same STIX id.

Everything goes through :func:`cyberhub.intel.service.get_object`, so a verdict on a
record the viewer may not see answers exactly like a missing record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, markdown
from cyberhub.access import Viewer
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.intel import service as intel
from cyberhub.intel.models import StixObject, Vetting
from cyberhub.vetting.models import Verdict, VettingVote

__all__ = ["MAX_REASON", "Tally", "cast", "clean_reason", "clean_verdict", "derive",
           "has_verdicts", "list_verdicts", "quorum", "recompute", "tally", "withdraw"]

MAX_REASON = 2000


def quorum() -> int:
    return max(1, get_settings().vetting_quorum)


def derive(verdicts: Iterable[Verdict | str], quorum: int) -> Vetting | None:
    """The state a record's standing verdicts give it; None when there are none."""
    found = [Verdict(v) for v in verdicts]
    if not found:
        return None
    if Verdict.DISPUTE in found:
        return Vetting.DISPUTED
    confirmations = sum(1 for v in found if v is Verdict.CONFIRM)
    return Vetting.VETTED if confirmations >= quorum else Vetting.CORROBORATED


def clean_verdict(value: str | Verdict) -> Verdict:
    try:
        return Verdict(str(value).strip().lower())
    except ValueError:
        raise InvalidInput(_("Unknown verdict %(v)r; use confirm or dispute.") % {"v": value},
                           details={"field": "verdict"}) from None


def clean_reason(value: str) -> str:
    reason = (value or "").replace("\r\n", "\n").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for your verdict: what you checked, and what "
                             "you found."), details={"field": "reason"})
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("The reason must be at most %(n)d characters long.")
                           % {"n": MAX_REASON}, details={"field": "reason"})
    return reason


def has_verdicts(session: Session, object_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(func.count()).select_from(VettingVote)
                               .where(VettingVote.object_id == object_id)))


def recompute(session: Session, row: StixObject) -> Vetting:
    """Set the record's state from its standing verdicts (unverified when none stand)."""
    verdicts = session.scalars(select(VettingVote.verdict)
                               .where(VettingVote.object_id == row.id)).all()
    state = derive(verdicts, quorum()) or Vetting.UNVERIFIED
    if row.vetting is not state:
        row.vetting = state
        row.updated_at = utcnow()
    session.flush()
    return state


@dataclass
class Tally:
    record: StixObject
    verdicts: list[VettingVote]
    quorum: int

    @property
    def confirmations(self) -> int:
        return sum(1 for v in self.verdicts if v.verdict is Verdict.CONFIRM)

    @property
    def disputes(self) -> int:
        return sum(1 for v in self.verdicts if v.verdict is Verdict.DISPUTE)


def tally(session: Session, row: StixObject) -> Tally:
    """The verdicts on a record already loaded through ``access`` (newest first)."""
    votes = list(session.scalars(select(VettingVote).where(VettingVote.object_id == row.id)
                                 .order_by(VettingVote.updated_at.desc(), VettingVote.id)))
    return Tally(row, votes, quorum())


def list_verdicts(session: Session, viewer: Viewer, ref: str | StixObject) -> Tally:
    row = ref if isinstance(ref, StixObject) else intel.get_object(session, viewer, ref)
    return tally(session, row)


def _voter(session: Session, viewer: Viewer, ref: str) -> StixObject:
    row = intel.get_object(session, viewer, ref)  # NotFound when not visible
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not vet objects. Ask your organisation's admin "
                                 "for the analyst role."))
    if row.owner_org_id == viewer.org_id:
        raise PermissionDenied(_("Your organisation contributed this record: verdicts come from "
                                 "other organisations. Change its vetting state as the owner "
                                 "instead, while no verdict stands."))
    return row


def cast(session: Session, viewer: Viewer, ref: str, *, verdict: str | Verdict, reason: str,
         is_demo: bool = False) -> Tally:
    """Cast, or replace, the viewer's organisation's verdict on a record."""
    row = _voter(session, viewer, ref)
    assert viewer.org_id is not None and viewer.user_id is not None
    verdict_ = clean_verdict(verdict)
    text = clean_reason(reason)
    vote = session.scalars(select(VettingVote).where(
        VettingVote.object_id == row.id, VettingVote.org_id == viewer.org_id)).one_or_none()
    previous = vote.verdict.value if vote is not None else None
    now = utcnow()
    if vote is None:
        vote = VettingVote(object_id=row.id, org_id=viewer.org_id, created_at=now)
        session.add(vote)
    vote.user_id = viewer.user_id
    vote.verdict = verdict_
    vote.reason = text
    vote.reason_html = markdown.render(text)
    vote.updated_at = now
    vote.is_demo = is_demo
    session.flush()
    before = row.vetting
    state = recompute(session, row)
    audit.record(session, viewer.actor, "vetting.cast", target_type="stix_objects",
                 target_id=row.id, details={
                     "stix_id": row.stix_id, "verdict": verdict_.value, "previous": previous,
                     "state_before": before.value, "state": state.value,
                     "reason_chars": len(text)})
    return tally(session, row)


def withdraw(session: Session, viewer: Viewer, ref: str) -> Tally:
    """Withdraw the viewer's organisation's verdict on a record."""
    row = _voter(session, viewer, ref)
    vote = session.scalars(select(VettingVote).where(
        VettingVote.object_id == row.id, VettingVote.org_id == viewer.org_id)).one_or_none()
    if vote is None:
        raise NotFound(_("Your organisation has no verdict on this object to withdraw."))
    withdrawn = vote.verdict.value
    session.delete(vote)
    session.flush()
    before = row.vetting
    state = recompute(session, row)
    audit.record(session, viewer.actor, "vetting.withdraw", target_type="stix_objects",
                 target_id=row.id, details={"stix_id": row.stix_id, "withdrawn": withdrawn,
                                            "state_before": before.value,
                                            "state": state.value})
    return tally(session, row)
