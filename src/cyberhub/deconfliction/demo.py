"""Demo deconfliction: two demo agencies registered the same demo wallet, so each has a
hit and a notice in its inbox naming the other's (invented) point of contact.

The wallet is a valid bitcoin address held by no one (derived from a seed, as the demo
ransom payments are); the case references start with "[DEMO]". Idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Organisation, Role, User
from cyberhub.deconfliction import service
from cyberhub.deconfliction.models import Registration
from cyberhub.ransomware.demo_payments import btc_address

NCU, FCPO = "National Cybercrime Unit", "Federal Criminal Police Office"
WALLET = btc_address("deconfliction demo")


def _analyst(session: Session, org_name: str) -> User | None:
    return session.scalar(
        select(User).join(Organisation, Organisation.id == User.org_id)
        .where(Organisation.name == f"{org_name} (demo)", Organisation.is_demo.is_(True),
               User.is_demo.is_(True), User.role == Role.ANALYST).order_by(User.email))


def load(session: Session) -> None:
    if session.scalar(select(Registration.id).where(Registration.is_demo.is_(True)).limit(1)):
        return
    ncu, fcpo = _analyst(session, NCU), _analyst(session, FCPO)
    if ncu is None or fcpo is None:
        return  # not the demo community this module knows
    for user, case, phone in ((ncu, "[DEMO] NCU-2026-0142", "+31 70 000 0142"),
                              (fcpo, "[DEMO] FCPO-2026-7781", "+49 611 000 7781")):
        service.register(session, access.viewer_for(session, user),
                         service.Value("wallet", f"btc:{WALLET}"), case_reference=case,
                         contact=f"{user.display_name} (demo), {user.email}, {phone}",
                         is_demo=True, rate_limited=False)
