"""Demo outcomes and evidence for the demo operations: fictional, flagged ``is_demo``,
written through the services by each operation's lead. Days are relative to the load, so
that the impact dashboard always shows the last months. The concluded operation allows
aggregate publication; the others do not. Idempotent: an operation that already has
outcomes or evidence gets none added.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.operations import service as operations
from cyberhub.operations.evidence import service as evidence
from cyberhub.operations.evidence import store
from cyberhub.operations.evidence.models import EvidenceItem
from cyberhub.operations.impact import service as impact
from cyberhub.operations.impact.models import Outcome
from cyberhub.operations.models import Operation, OperationStatus

__all__ = ["load"]

# (kind, count, days ago, amount, currency, note)
_CONCLUDED = [
    ("servers_taken_down", 11, 150, None, None, "[DEMO] Phishing-kit panels at two hosters"),
    ("domains_taken_down", 27, 148, None, None, "[DEMO] Look-alike bank domains"),
    ("wallets_frozen", 2, 120, "148500", "EUR", "[DEMO] Mule accounts at two banks"),
    ("arrests", 3, 95, None, None, "[DEMO] Kit developer and two resellers"),
    ("wallets_seized", 3, 94, "2.75", "BTC", "[DEMO] Seized at the developer's home"),
    ("servers_taken_down", 6, 90, None, None, "[DEMO] Back-end and exfiltration servers"),
    ("victims_notified", 312, 70, None, None, "[DEMO] Through the banks' fraud desks"),
    ("decryptors_released", 1, 40, None, None, "[DEMO] Keys recovered from the back end"),
]
_ACTIVE = [
    ("domains_taken_down", 9, 25, None, None, "[DEMO] First wave of suspensions"),
    ("arrests", 1, 12, None, None, "[DEMO] A money mule recruiter"),
    ("wallets_frozen", 1, 6, "23800", "USDT", "[DEMO] At an exchange"),
]
_EVIDENCE = [
    ("mule-ledger.csv", b"account;opened;amount_eur\nDEMO-MULE-01;2026-03-02;9500\n"
     b"DEMO-MULE-02;2026-03-04;12400\nDEMO-MULE-03;2026-03-09;7800\n",
     "[DEMO] Ledger of mule accounts found on the seized back-end server",
     "Back-end server (demo), imaged by the lead's forensic team", "Evidence locker 4"),
    ("panel-screenshot-notes.txt", b"[DEMO] Notes on the phishing-kit admin panel:\n"
     b"- 14 campaigns, 3 operators\n- victim list export at /admin/export (disabled)\n",
     "[DEMO] Notes and hashes of the phishing-kit admin panel screenshots",
     "Phishing-kit panel (demo), captured before the take-down", ""),
]


def _lead(session: Session, op: Operation) -> access.Viewer | None:
    user = session.get(User, op.lead_user_id) if op.lead_user_id else None
    if user is None or not user.is_active:
        return None
    return access.viewer_for(session, user)


def load(session: Session, today: date | None = None) -> None:
    today = today or datetime.now(UTC).date()
    demo_ops = list(session.scalars(select(Operation).where(
        Operation.is_demo.is_(True), Operation.status != OperationStatus.PROPOSED)
        .order_by(Operation.created_at)))
    for op in demo_ops:
        lead = _lead(session, op)
        if lead is None:
            continue
        concluded = op.status in (OperationStatus.CONCLUDED, OperationStatus.REVIEWED)
        if session.scalar(select(Outcome.id).where(Outcome.operation_id == op.id).limit(1)) \
                is None:
            for kind, count, ago, amount, currency, note in (_CONCLUDED if concluded
                                                             else _ACTIVE):
                impact.add_outcome(session, lead, op.id, kind=kind, count=count,
                                   amount=amount, currency=currency,
                                   occurred_on=today - timedelta(days=ago), note=note,
                                   is_demo=True)
            impact.set_publication(session, lead, op.id, concluded)
        if session.scalar(select(EvidenceItem.id).where(
                EvidenceItem.operation_id == op.id).limit(1)) is None:
            _evidence(session, lead, op, _EVIDENCE if concluded else _EVIDENCE[:1])


def _evidence(session: Session, lead: access.Viewer, op: Operation,
              items: list[tuple[str, bytes, str, str, str]]) -> None:
    others = [o for o in operations.participant_ids(session, op.id) if o != lead.org_id]
    for filename, data, description, source, location in items:
        fields = evidence.check_fields(description=description, source=source,
                                       location=location)
        stored = store.store_chunks([data])
        item = evidence.register(session, lead, op.id, fields, stored, filename=filename,
                                 is_demo=True)
        if others:
            evidence.hand_over(session, lead, op.id, item.id, to_org_id=others[0],
                               to_name="[DEMO] Forensic examiner",
                               reason="[DEMO] Analysis of the accounts named in the file")
