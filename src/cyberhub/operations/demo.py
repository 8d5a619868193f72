"""Demo joint operations: fictional, named "[DEMO] …", flagged ``is_demo``, written
through the service by the demo organisations' admins and analysts.

- "[DEMO] Operation Glass Harbour" (concluded and reviewed): the National Cybercrime
  Unit led it with the Federal Criminal Police Office and Northern Savings Bank; its
  after-action review is published to the lessons library (GREEN).
- "[DEMO] Operation Paper Lantern" (active): led by the Gendarmerie Cyber Command with
  the National Cybercrime Unit, the National CERT and Atlas Payments; tasks (one
  overdue, one done) and targets linked to the demo knowledge base (an actor, a wallet,
  a bank account, a domain).

Both are AMBER+STRICT: only the participating organisations see them. Idempotent: nothing
is added when demo operations exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Organisation, Role, User
from cyberhub.intel.models import StixObject
from cyberhub.operations import service
from cyberhub.operations.models import Operation

__all__ = ["load"]

NCU, FCPO, GCC = "National Cybercrime Unit", "Federal Criminal Police Office", \
    "Gendarmerie Cyber Command"
CERT, NSB, ATLAS = "National CERT", "Northern Savings Bank", "Atlas Payments"
TARGET_TYPES = ("intrusion-set", "x-cyberhub-cryptocurrency-wallet", "x-cyberhub-bank-account",
                "domain-name")


def _org(session: Session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(
        Organisation.name == f"{name} (demo)", Organisation.is_demo.is_(True)))


def _user(session: Session, org: Organisation, role: Role) -> User | None:
    return session.scalar(select(User).where(
        User.org_id == org.id, User.is_demo.is_(True), User.role == role).order_by(User.email))


def _targets(session: Session, viewer: access.Viewer) -> list[StixObject]:
    """One demo object of each kind the lead may see (the generated ecosystem)."""
    found = []
    for stix_type in TARGET_TYPES:
        obj = session.scalars(access.select_visible(StixObject, viewer).where(
            StixObject.type == stix_type).order_by(StixObject.name, StixObject.stix_id)
            .limit(1)).first()
        if obj is not None:
            found.append(obj)
    return found


def _backdate(session: Session, op: Operation, start: datetime) -> None:
    """Space the automatic timeline entries out as if the operation had run for weeks."""
    entries = service.timeline_of(session, op)
    for i, entry in enumerate(entries):
        entry.at = start + timedelta(days=4 * i, hours=9)
    session.flush()


def load(session: Session, now: datetime | None = None) -> None:
    if session.scalar(select(Operation.id).where(Operation.is_demo.is_(True)).limit(1)):
        return
    orgs = {n: _org(session, n) for n in (NCU, FCPO, GCC, CERT, NSB, ATLAS)}
    if any(o is None for o in orgs.values()):
        return  # not the demo community this module knows
    o = {k: v for k, v in orgs.items() if v is not None}
    ncu_admin, gcc_admin = _user(session, o[NCU], Role.ORG_ADMIN), \
        _user(session, o[GCC], Role.ORG_ADMIN)
    analysts = {n: _user(session, o[n], Role.ANALYST) for n in (NCU, FCPO, NSB, GCC, ATLAS)}
    if ncu_admin is None or gcc_admin is None or any(u is None for u in analysts.values()):
        return
    people: dict[str, User] = {k: v for k, v in analysts.items() if v is not None}
    now = now or datetime.now(UTC)
    day = timedelta(days=1)

    def as_(user: User) -> access.Viewer:
        return access.viewer_for(session, user)

    # ------------------------------------------------ concluded and reviewed
    lead = as_(ncu_admin)
    glass = service.create_operation(
        session, lead, name="[DEMO] Operation Glass Harbour",
        legal_basis="Joint investigation team agreement JIT-DEMO-2026/03 between the "
                    "National Cybercrime Unit and the Federal Criminal Police Office; the bank "
                    "takes part under its contract with the hub (fictional).",
        objectives="- Identify the **money-mule network** cashing out phishing proceeds\n"
                   "- Freeze the mule accounts before the next payout cycle\n"
                   "- Arrest the recruiters",
        participant_org_ids=[o[FCPO].id, o[NSB].id], is_demo=True)
    service.add_task(session, lead, glass.id, title="Map the mule accounts from the bank's "
                     "alerts", assignee_org_id=o[NSB].id, assignee_user_id=people[NSB].id,
                     due=now - 40 * day)
    service.add_task(session, lead, glass.id, title="Prepare the arrest warrants",
                     assignee_org_id=o[FCPO].id, due=now - 30 * day)
    for status in ("approved", "active"):
        service.change_status(session, lead, glass.id, status)
    for task in service.tasks_of(session, glass):
        service.update_task(session, lead, task.id, status="done")
    service.add_note(session, as_(people[NSB]), glass.id,
                     text="Twelve mule accounts frozen within two hours of the request.")
    service.change_status(session, lead, glass.id, "concluded")
    service.write_review(
        session, lead, glass.id,
        planned="Freeze the mule accounts and arrest the two recruiters on the same day.",
        happened="Twelve accounts were frozen within two hours; one recruiter was arrested, "
                 "the other left the country the week before.",
        worked="A named person at the bank to call for urgent freezes, agreed beforehand.",
        improve="Share the arrest date with the bank earlier, so that freezes and arrests "
                "line up; watch for recruiters travelling.")
    service.publish_review(session, lead, glass.id, tlp="GREEN",
                           title="[DEMO] Lessons from Operation Glass Harbour",
                           tags=["money-mules", "joint-operation"])
    service.change_status(session, lead, glass.id, "reviewed")
    _backdate(session, glass, now - 75 * day)

    # ------------------------------------------------ active, with tasks and targets
    lead = as_(gcc_admin)
    lantern = service.create_operation(
        session, lead, name="[DEMO] Operation Paper Lantern",
        legal_basis="Investigating judge's order DEMO-2026-114 (fictional); the CERT and the "
                    "payment provider contribute under the hub's partnership agreement.",
        objectives="Take the **phishing-kit crew's** infrastructure offline and follow the "
                   "money: its wallets and the mule accounts behind them.",
        participant_org_ids=[o[NCU].id, o[CERT].id, o[ATLAS].id], is_demo=True)
    for obj in _targets(session, lead):
        service.add_target(session, lead, lantern.id, object_id=str(obj.id),
                           note="Linked from the demo knowledge base.")
    service.change_status(session, lead, lantern.id, "approved")
    service.change_status(session, lead, lantern.id, "active")
    service.add_task(session, lead, lantern.id, title="Preserve the phishing panel's logs",
                     assignee_org_id=o[CERT].id, due=now - 2 * day)  # overdue on purpose
    service.add_task(session, lead, lantern.id, title="Trace the wallet's cash-out path",
                     assignee_org_id=o[NCU].id, assignee_user_id=people[NCU].id,
                     due=now + 5 * day)
    done = service.add_task(session, lead, lantern.id,
                            title="Name an urgent contact for freeze requests",
                            assignee_org_id=o[ATLAS].id, assignee_user_id=people[ATLAS].id,
                            due=now - 6 * day)
    service.update_task(session, as_(people[ATLAS]), done.id, status="done")
    service.add_note(session, as_(people[NCU]), lantern.id,
                     text="The kit's second panel moved to a new hoster; preservation request "
                          "sent.")
    _backdate(session, lantern, now - 20 * day)
    session.flush()


def demo_operations(session: Session) -> list[Operation]:
    return list(session.scalars(select(Operation).where(Operation.is_demo.is_(True))
                                .order_by(Operation.name)))
