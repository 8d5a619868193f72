"""Demo meetings (with decisions and action items, one of them overdue) and demo lessons:
fictional, titled "[DEMO] …", flagged ``is_demo``, written through the services by the
demo organisations' analysts. Times are relative to the load, so that the demo always
has an overdue item and one due within a day. Idempotent: nothing is added when demo
meetings exist.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.audience import Audience
from cyberhub.community.models import Group, Organisation, Role, User
from cyberhub.lessons import service as lessons
from cyberhub.meetings import service as meetings
from cyberhub.meetings.models import Meeting
from cyberhub.sharing import TLP

__all__ = ["load"]

NCU, NSB, ATLAS = "National Cybercrime Unit", "Northern Savings Bank", "Atlas Payments"
CERT, HARBOUR = "National CERT", "Harbour Hosting"


def _analyst(session: Session, org_name: str) -> User | None:
    return session.scalar(
        select(User).join(Organisation, Organisation.id == User.org_id)
        .where(Organisation.name == f"{org_name} (demo)", Organisation.is_demo.is_(True),
               User.is_demo.is_(True), User.role == Role.ANALYST).order_by(User.email))


def load(session: Session, now: datetime | None = None) -> None:
    if session.scalar(select(Meeting.id).where(Meeting.is_demo.is_(True)).limit(1)):
        return
    people = {name: _analyst(session, name) for name in (NCU, NSB, ATLAS, CERT, HARBOUR)}
    if any(u is None for u in people.values()):
        return  # not the demo community this module knows
    users: dict[str, User] = {k: v for k, v in people.items() if v is not None}
    now = now or datetime.now(UTC)
    day = timedelta(days=1)

    def as_(name: str) -> access.Viewer:
        return access.viewer_for(session, users[name])

    mules = meetings.create_meeting(
        session, as_(NCU), title="[DEMO] Money-mule working session",
        starts_at=(now - 6 * day).replace(hour=14, minute=0, second=0, microsecond=0),
        location="Video call", link="https://meet.demo.cyberhub.example/mules",
        agenda="1. Mule recruitment adverts seen this month\n2. Freeze requests: what slows "
               "them down\n3. Next steps",
        minutes="- Banks see **the same adverts** on three job boards.\n"
                "- Freeze requests wait for a named contact at the bank.\n",
        attendees=[users[NCU].id, users[NSB].id, users[ATLAS].id], is_demo=True)
    for text in ("Every bank names one contact for urgent freeze requests.",
                 "Mule account patterns are shared weekly with the payment-fraud taskforce."):
        meetings.add_decision(session, as_(NCU), mules.id, text=text,
                              decided_at=mules.starts_at + timedelta(minutes=50))
    meetings.add_action_item(session, as_(NCU), mules.id, owner_id=users[NSB].id,
                             text="Share this month's mule account patterns.",
                             due=now - 3 * day)  # overdue on purpose
    meetings.add_action_item(session, as_(NCU), mules.id, owner_id=users[NCU].id,
                             text="Draft the freeze request template.",
                             due=now + timedelta(hours=12))  # reminded as due soon
    done = meetings.add_action_item(session, as_(NCU), mules.id, owner_id=users[ATLAS].id,
                                    text="Name Atlas Payments' urgent contact.",
                                    due=now - 2 * day)
    meetings.set_action_item_status(session, as_(ATLAS), done.id, "done")

    group = session.scalar(select(Group).where(Group.name == "Ransomware Working Group (demo)"))
    ransomware = meetings.create_meeting(
        session, as_(CERT), title="[DEMO] Ransomware working group: monthly call",
        starts_at=(now + 5 * day).replace(hour=10, minute=0, second=0, microsecond=0),
        location="CERT briefing room and video", agenda="1. New families\n2. Decryptors\n"
        "3. Incident reporting through the hub",
        tlp=TLP.AMBER, audience=Audience(group_ids=[group.id]) if group else None,
        attendees=[users[CERT].id, users[NCU].id], is_demo=True)
    meetings.add_action_item(session, as_(CERT), ransomware.id, owner_id=users[CERT].id,
                             text="Collect the decryptors members found useful.",
                             due=now + 4 * day)

    lesson_specs: list[tuple[str, str, TLP, Audience | None, list[str], tuple[str, str, str],
                             tuple[str, uuid.UUID] | None]] = [
        (NCU, "Agree bank contacts before a mule operation", TLP.GREEN, None,
         ["money-mules", "banking", "operations"],
         ("Freeze requests waited up to three days for someone at the bank to act.",
          "One **named contact** per bank, agreed before the action day.",
          "Keep the contact list in the hub and check it every quarter."),
         ("meeting", mules.id)),
        (CERT, "Seize the phishing panel before the domains", TLP.GREEN, None,
         ["phishing", "takedown"],
         ("Domains were suspended first; the kit moved to new domains within hours.",
          "Taking the **panel** down first cut the operators off their captured data.",
          "Ask the hoster for the panel server before reporting the domains."), None),
        (CERT, "Ask for decryptors before anyone pays", TLP.AMBER,
         Audience(group_ids=[group.id]) if group else None,
         ["ransomware", "incident-response", "decryptors"],
         ("A victim paid although a free decryptor existed for its family.",
          "Identifying the family from the ransom note in the hub took minutes.",
          "Point every victim to family identification in the first call."), None),
        (ATLAS, "Chatham House sessions get franker input", TLP.CLEAR, None,
         ["dialogues", "trust"],
         ("Banks said little in attributed sessions about their own losses.",
          "Under the Chatham House Rule they shared figures and failures.",
          "Default to the Chatham House Rule for sessions about losses."), None),
        (NSB, "Keep wallet addresses in the first incident report", TLP.GREEN, None,
         ["ransomware", "cryptocurrency", "reporting"],
         ("Wallet addresses arrived days after the incident report, after the funds moved.",
          "Reports that carried the wallet let investigators follow payments the same day.",
          "Make the wallet address a prompted field in the first report."), None),
    ]
    for org, title, tlp, audience, tags, (happened, worked, change), source in lesson_specs:
        lessons.create_lesson(
            session, as_(org), title=f"[DEMO] {title}", tlp=tlp, audience=audience, tags=tags,
            what_happened=happened, what_worked=worked, what_to_change=change,
            source_type=source[0] if source else None,
            source_id=source[1] if source else None,
            is_demo=True)
