"""Demo dialogues: a planned open dialogue and a Chatham House dialogue under way, with
contributions from several kinds of organisation. Topics start with "[DEMO]", records
are flagged ``is_demo``; idempotent: nothing is added when demo dialogues exist."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.audience import Audience
from cyberhub.community.models import Organisation, Role, User
from cyberhub.dialogue import service
from cyberhub.dialogue.models import Dialogue

__all__ = ["load"]

DOMAIN = "demo.cyberhub.example"


def _org(session: Session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(
        Organisation.name == f"{name} (demo)", Organisation.is_demo.is_(True)))


def _member(session: Session, org: Organisation, role: Role = Role.ANALYST) -> access.Viewer:
    user = session.scalars(select(User).where(
        User.org_id == org.id, User.role == role, User.is_demo.is_(True)).order_by(
        User.email)).first()
    assert user is not None, f"no demo {role.value} in {org.name}"
    return access.viewer_for(session, user)


def load(session: Session) -> None:
    if session.scalar(select(Dialogue.id).where(Dialogue.is_demo.is_(True))) is not None:
        return
    names = ["National Cybercrime Unit", "National CERT", "Northern Savings Bank",
             "Atlas Payments", "Meridian Telecom", "Parcel Marketplace"]
    found = {n: _org(session, n) for n in names}
    orgs = {n: o for n, o in found.items() if o is not None}
    if len(orgs) != len(names):
        return  # not the demo community this loader knows
    ncu, cert, bank, pay, tel, market = (orgs[n] for n in names)

    service.create_dialogue(
        session, _member(session, cert),
        topic="[DEMO] Quarterly exchange on phishing kits against bank customers",
        description="Open exchange, names shown.\n\n1. Kits seen this quarter\n"
                    "2. Take-down times per registrar\n3. What to ask registrars for\n",
        starts_at=datetime(2027, 1, 14, 10, 0, tzinfo=UTC),
        ends_at=datetime(2027, 1, 14, 11, 30, tzinfo=UTC), rule="open", tlp="AMBER",
        audience=Audience(org_ids=[ncu.id, bank.id, pay.id]), is_demo=True)

    convenor = _member(session, ncu, Role.ORG_ADMIN)
    ch = service.create_dialogue(
        session, convenor,
        topic="[DEMO] Money-mule recruitment: what each sector sees",
        description="Held under the **Chatham House Rule**: use what you learn here, but "
                    "do not say who said it.\n\n1. How mules are recruited now\n"
                    "2. Signals each of us can see\n3. What we could do together\n",
        starts_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 17, 17, 0, tzinfo=UTC), rule="chatham_house",
        tlp="AMBER", audience=Audience(org_ids=[cert.id, bank.id, pay.id, tel.id, market.id]),
        is_demo=True)
    service.open_dialogue(session, convenor, ch.id)
    bank_v, tel_v, ncu_v = _member(session, bank), _member(session, tel), _member(session, ncu)
    market_v, pay_v = _member(session, market), _member(session, pay)

    def post(viewer: access.Viewer, body: str, **kw: object) -> str:
        posted = service.post_contribution(session, viewer, ch.id, body=body, is_demo=True,
                                           **kw)  # type: ignore[arg-type]
        return str(posted.contribution.id)

    first = post(bank_v, "Since October most new mule accounts we close were opened after "
                         "**job adverts for 'payment processing agents'**. Accounts receive "
                         "3–5 instant payments within 48 hours of opening, then go quiet.")
    post(tel_v, "We see the same adverts pushed by SMS from rotating sender numbers; a "
                "handful of SIM farms account for most of the volume.", parent_id=first)
    second = post(ncu_v, "Three of our current cases start from the same recruitment "
                         "scripts. Signals we could use:\n\n- account age under 7 days\n"
                         "- first inbound payment from a known fraud victim\n"
                         "- device shared with other new accounts")
    post(market_v, "Recruiters also post on our marketplace as 'remote jobs'. We can share "
                   "the advert texts with this group.", quote_id=second)
    post(pay_v, "Agreed on account age. @bruno.ncu@demo.cyberhub.example could your team "
                "share the script patterns with the banks?", parent_id=second)
    for viewer, kind in ((tel_v, "+1"), (ncu_v, "insightful"), (market_v, "agree")):
        service.react(session, viewer, ch.id, first, kind)
