"""Outcomes of an operation, its publication flag, and the hub-wide impact dashboard.

Outcomes are read and written only after the operation was loaded through the
operations service (and so through ``cyberhub.access``). The dashboard asks ``access``
which operations the viewer sees, and hands the rest to ``rules.build``, which decides
what may be shown of the others.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.community.validation import clean_text
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.operations import service as operations
from cyberhub.operations.impact import rules
from cyberhub.operations.impact.models import ImpactPublication, Outcome
from cyberhub.operations.models import Operation, OperationStatus

MAX_COUNT = 1_000_000_000
MAX_AMOUNT = Decimal(10) ** 21
_CURRENCY = re.compile(r"[A-Z0-9]{2,10}")
EARLIEST = date(1990, 1, 1)


def kind_labels() -> dict[str, str]:
    return {"arrests": _("Arrests"), "servers_taken_down": _("Servers taken down"),
            "domains_taken_down": _("Domains taken down"), "wallets_frozen": _("Wallets frozen"),
            "wallets_seized": _("Wallets seized"), "victims_notified": _("Victims notified"),
            "decryptors_released": _("Decryptors released")}


# ---------------------------------------------------------------- input


def _kind(value: str | None) -> str:
    kind = (value or "").strip().lower().replace("-", "_")
    if kind not in rules.KINDS:
        raise InvalidInput(_("kind must be one of %(kinds)s.") % {"kinds": ", ".join(rules.KINDS)},
                           details={"field": "kind"})
    return kind


def _count(value: int | str | None) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_COUNT:
        raise InvalidInput(_("count must be a whole number from 1 to %(n)d.") % {"n": MAX_COUNT},
                           details={"field": "count"})
    return n


def _amount(kind: str, value: Decimal | str | None, currency: str | None
            ) -> tuple[Decimal | None, str | None]:
    text = "" if value is None else str(value).strip().replace(",", "")
    code = (currency or "").strip().upper()
    if not text:
        if code:
            raise InvalidInput(_("A currency goes with an amount; give the amount too."),
                               details={"field": "amount"})
        return None, None
    if kind not in rules.MONEY_KINDS:
        raise InvalidInput(_("Only frozen or seized wallets carry an amount."),
                           details={"field": "amount"})
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT or \
            amount != amount.quantize(Decimal("0.00000001")):
        raise InvalidInput(_("amount must be a positive number with at most 8 decimals."),
                           details={"field": "amount"})
    if not _CURRENCY.fullmatch(code):
        raise InvalidInput(_("Give the currency or asset of the amount as a code, e.g. EUR, "
                             "BTC or USDT."), details={"field": "currency"})
    return amount, code


def _on(value: date | str | None) -> date:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise InvalidInput(_("Give the day it happened as a date, e.g. 2026-11-20."),
                           details={"field": "occurred_on"}) from None
    if day > utcnow().date() + timedelta(days=1) or day < EARLIEST:
        raise InvalidInput(_("The day it happened must lie between 1990 and today."),
                           details={"field": "occurred_on"})
    return day


# ---------------------------------------------------------------- outcomes


def list_outcomes(session: Session, viewer: Viewer, operation_id: uuid.UUID | str
                  ) -> tuple[Operation, list[Outcome]]:
    operation = operations.get_operation(session, viewer, operation_id)
    return operation, list(session.scalars(select(Outcome).where(
        Outcome.operation_id == operation.id).order_by(Outcome.occurred_on, Outcome.created_at)))


def add_outcome(session: Session, viewer: Viewer, operation_id: uuid.UUID | str, *,
                kind: str | None, count: int | str | None,
                amount: Decimal | str | None = None, currency: str | None = None,
                occurred_on: date | str | None = None, note: str | None = "",
                is_demo: bool = False) -> Outcome:
    """A participant records what the operation achieved."""
    operation = operations.get_operation(session, viewer, operation_id, purpose="outcome_add")
    if not operations.can_work(viewer):
        raise PermissionDenied(_("Readers may not record outcomes."))
    if operation.status is OperationStatus.PROPOSED:
        raise Conflict(_("Outcomes are recorded once the operation is approved; this one is "
                         "still proposed."), details={"field": "status",
                                                      "status": operation.status.value})
    kind_ = _kind(kind)
    n = _count(count)
    amount_, currency_ = _amount(kind_, amount, currency)
    day = _on(occurred_on if occurred_on not in (None, "") else utcnow().date())
    text = clean_text(note or "", "note", max_len=2000, min_len=0)
    assert viewer.user_id is not None and viewer.org_id is not None
    outcome = Outcome(operation_id=operation.id, kind=kind_, count=n, amount=amount_,
                      currency=currency_, occurred_on=day, note=text, org_id=viewer.org_id,
                      created_by_id=viewer.user_id, is_demo=is_demo)
    session.add(outcome)
    session.flush()
    audit.record(session, viewer.actor, "operation.outcome_add", target_type="operations",
                 target_id=operation.id, details={"outcome_id": str(outcome.id), "kind": kind_,
                                                  "count": n, "amount": str(amount_ or ""),
                                                  "currency": currency_})
    return outcome


def delete_outcome(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
                   outcome_id: uuid.UUID | str) -> None:
    """Correct a mistake: the organisation that recorded it, or the lead, takes it back."""
    operation = operations.get_operation(session, viewer, operation_id, purpose="outcome_delete")
    try:
        oid = uuid.UUID(str(outcome_id))
    except ValueError:
        raise NotFound() from None
    outcome = session.scalars(select(Outcome).where(
        Outcome.id == oid, Outcome.operation_id == operation.id)).one_or_none()
    if outcome is None:
        raise NotFound()
    if not operations.can_work(viewer) or (
            viewer.org_id != outcome.org_id and not operations.can_lead(operation, viewer)):
        raise PermissionDenied(_("Only the organisation that recorded an outcome, or the "
                                 "operation's lead, may remove it."))
    audit.record(session, viewer.actor, "operation.outcome_delete", target_type="operations",
                 target_id=operation.id, details={"outcome_id": str(outcome.id),
                                                  "kind": outcome.kind, "count": outcome.count})
    session.delete(outcome)
    session.flush()


# ---------------------------------------------------------------- publication


def allows_aggregates(session: Session, operation: Operation) -> bool:
    return session.scalar(select(ImpactPublication.allow_aggregates).where(
        ImpactPublication.operation_id == operation.id)) is True


def set_publication(session: Session, viewer: Viewer, operation_id: uuid.UUID | str,
                    allow: bool) -> bool:
    """The lead decides, for the participants, whether the operation's figures may count,
    summed and unnamed, in other members' impact dashboards."""
    operation = operations.get_operation(session, viewer, operation_id, purpose="publication")
    if not operations.can_lead(operation, viewer):
        raise PermissionDenied(_("Only the lead organisation's admins and the operation's lead "
                                 "may decide whether its figures are published in aggregate."))
    assert viewer.user_id is not None
    row = session.get(ImpactPublication, operation.id)
    if row is None:
        row = ImpactPublication(operation_id=operation.id, allow_aggregates=bool(allow),
                                set_by_id=viewer.user_id, set_at=utcnow())
        session.add(row)
    else:
        row.allow_aggregates, row.set_by_id, row.set_at = bool(allow), viewer.user_id, utcnow()
    audit.record(session, viewer.actor, "operation.impact_publication",
                 target_type="operations", target_id=operation.id,
                 details={"allow_aggregates": bool(allow)})
    session.flush()
    return bool(allow)


# ---------------------------------------------------------------- dashboard


def dashboard(session: Session, viewer: Viewer) -> rules.Dashboard:
    """The impact the viewer may see: their operations in full, the others that allow it
    summed and unnamed, nothing of the rest."""
    seen = list(session.scalars(access.select_visible(Operation, viewer)))
    access.audit_listing(session, Operation, seen, viewer)
    visible = {op.id: op.name for op in seen}
    publishing = set(session.scalars(select(ImpactPublication.operation_id).where(
        ImpactPublication.allow_aggregates.is_(True))))
    wanted = or_(Outcome.operation_id.in_(
        access.select_visible(Operation, viewer).with_only_columns(Operation.id)),
        Outcome.operation_id.in_(select(ImpactPublication.operation_id).where(
            ImpactPublication.allow_aggregates.is_(True))))
    rows = session.execute(select(Outcome.operation_id, Outcome.kind, Outcome.count,
                                  Outcome.occurred_on, Outcome.amount, Outcome.currency)
                           .where(wanted)).all()
    facts = [rules.Fact(op_id, kind, n, day.strftime("%Y-%m"), amount, currency)
             for op_id, kind, n, day, amount, currency in rows]
    return rules.build(visible, publishing, facts)
