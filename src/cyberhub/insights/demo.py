"""Demo insights and comments: fictional, titled "[DEMO] …", flagged ``is_demo``, written
through the services by the demo organisations' analysts. One insight links demo STIX
objects, one is AMBER for the payment-fraud taskforce, one is still a draft; comments
(with a reply) sit on an insight and on a STIX object. Idempotent: nothing is added when
demo insights exist.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.audience import Audience
from cyberhub.comments import service as comments
from cyberhub.community.models import Group, Organisation, Role, User
from cyberhub.insights import service
from cyberhub.insights.models import Insight
from cyberhub.intel.models import StixObject
from cyberhub.sharing import TLP

__all__ = ["load"]

NCU, NSB, CERT = "National Cybercrime Unit", "Northern Savings Bank", "National CERT"


def _analyst(session: Session, org_name: str) -> User | None:
    return session.scalar(
        select(User).join(Organisation, Organisation.id == User.org_id)
        .where(Organisation.name == f"{org_name} (demo)", Organisation.is_demo.is_(True),
               User.is_demo.is_(True), User.role == Role.ANALYST).order_by(User.email))


def _demo_dialogue_source(session: Session, viewer: access.Viewer) -> str | None:
    """A demo dialogue the author may see, when the dialogues' demo has one."""
    from cyberhub.dialogue.models import Dialogue

    row = session.scalar(access.select_visible(Dialogue, viewer)
                         .where(Dialogue.is_demo.is_(True)).order_by(Dialogue.created_at))
    return f"dialogue:{row.id}" if row is not None else None


def load(session: Session) -> None:
    if session.scalar(select(Insight.id).where(Insight.is_demo.is_(True)).limit(1)):
        return
    found = {name: _analyst(session, name) for name in (NCU, NSB, CERT)}
    if any(u is None for u in found.values()):
        return  # not the demo community this module knows
    users: dict[str, User] = {k: v for k, v in found.items() if v is not None}

    def as_(name: str) -> access.Viewer:
        return access.viewer_for(session, users[name])

    # Named GREEN objects the CERT may see: what the first insight is about.
    objects = list(session.scalars(
        access.select_visible(StixObject, as_(CERT))
        .where(StixObject.tlp == TLP.GREEN, StixObject.name.is_not(None),
               StixObject.type.in_(["threat-actor", "malware", "infrastructure", "indicator"]))
        .order_by(StixObject.type, StixObject.stix_id).limit(3)))

    infra = service.create_insight(
        session, as_(CERT), title="[DEMO] Bulletproof hosting behind this month's phishing kits",
        summary="Most of the phishing kits reported this month resolve to two hosting "
                "services; taking them down would hurt several crews at once.",
        body="## What we saw\n\n- The kits share **one panel** and two hosting services.\n"
             "- Takedown requests to the first service worked within a day.\n\n"
             "## What to do\n\nBlock the linked indicators; report new kits to the CERT.",
        tlp=TLP.GREEN, object_refs=[str(o.id) for o in objects], is_demo=True)
    service.publish_insight(session, as_(CERT), infra.id)

    taskforce = session.scalar(select(Group.id).where(
        Group.name == "Payment Fraud Taskforce (demo)"))
    mules = service.create_insight(
        session, as_(NCU), title="[DEMO] Money mules recruited through fake job adverts",
        summary="Three recruitment patterns banks can spot before the first transfer.",
        body="1. Adverts promise **remote payment processing** work.\n"
             "2. New accounts receive many small transfers within days.\n"
             "3. The account holder forwards money abroad within hours.",
        tlp=TLP.AMBER if taskforce else TLP.GREEN,
        audience=Audience([], [taskforce], []) if taskforce else None,
        source=_demo_dialogue_source(session, as_(NCU)), is_demo=True)
    service.publish_insight(session, as_(NCU), mules.id)

    service.create_insight(
        session, as_(NSB), title="[DEMO] Draft: refund scams aimed at older customers",
        summary="Still a draft: only the bank sees it until it is published.",
        body="Notes from our fraud desk, to be checked with the other banks first.",
        tlp=TLP.GREEN, is_demo=True)

    first = comments.create_comment(
        session, as_(NSB), target_type="insight", target_id=infra.id, is_demo=True,
        body="We see the **same panel** in customer reports. Did the second hosting service "
             "answer takedown requests?").comment
    comments.create_comment(
        session, as_(CERT), target_type="insight", target_id=infra.id, parent_id=first.id,
        body="Not yet: we asked through its upstream provider.", is_demo=True)
    if objects:
        comments.create_comment(
            session, as_(NCU), target_type="stix", target_id=objects[0].id, is_demo=True,
            body="This also came up in one of our cases last month.")
