"""Demo readiness assessments: generated, fictional, flagged ``is_demo``.

Every demo organisation gets one to three completed assessments over the past year
(scores rising as it works through its action plan). Four generated banks ("… (demo)",
users at ``demo.cyberhub.example`` without a password) join Northern Savings Bank in the
"Bank" sector, so that its peer benchmark is published; the three police organisations
share a sector too but are only three, so each of them sees "not enough peers yet".
Deterministic (a fixed seed); idempotent: nothing is added when demo assessments exist.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community import service as community
from cyberhub.community.models import Organisation, Role, User
from cyberhub.ransomware import readiness
from cyberhub.ransomware.readiness_bank import Tier, bank
from cyberhub.ransomware.readiness_models import ReadinessAssessment

__all__ = ["PEER_BANKS", "load"]

DOMAIN = "demo.cyberhub.example"
# Generated peers of Northern Savings Bank: name, country, e-mail label, maturity.
PEER_BANKS = [("Riverside Credit Union", "NL", "riverside", 0.35),
              ("Alpine Mutual Bank", "AT", "alpine", 0.55),
              ("Lakeshore Cooperative Bank", "FI", "lakeshore", 0.7),
              ("Eastgate Commercial Bank", "PL", "eastgate", 0.45)]
TIER_SHIFT = {Tier.BASIC: 0.2, Tier.INTERMEDIATE: 0.0, Tier.ADVANCED: -0.25}
LAST = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _answers(rng: random.Random, maturity: float) -> dict[str, readiness.AnswerIn]:
    out = {}
    for q in bank().questions:
        p = min(0.97, max(0.03, maturity + TIER_SHIFT[q.tier]))
        roll = rng.random()
        if roll < 0.03:
            answer = "na"
        elif roll < 0.03 + p:
            answer = "yes"
        elif roll < 0.03 + p + (1 - p) * 0.4:
            answer = "partial"
        else:
            answer = "no"
        out[q.id] = readiness.AnswerIn(answer)
    return out


def _peer_banks(session: Session) -> None:
    system = access.system_viewer("demo loader")
    for name, country, label, _m in PEER_BANKS:
        full = f"{name} (demo)"
        if session.scalar(select(Organisation.id).where(Organisation.name == full)):
            continue
        org = community.create_organisation(session, system, name=full, kind="financial",
                                            country=country, sector="Bank", is_demo=True)
        community.create_user(session, system, email=f"security.{label}@{DOMAIN}",
                              display_name=f"Demo Security Lead ({name})", org_id=org.id,
                              role="org-admin", is_demo=True)


def load(session: Session) -> int:
    """Add the demo assessments once; returns how many were added."""
    if session.scalar(select(ReadinessAssessment.id).where(
            ReadinessAssessment.is_demo.is_(True))) is not None:
        return 0
    _peer_banks(session)
    rng = random.Random(20261204)  # noqa: S311 - demo data, not a secret
    maturity = {f"{n} (demo)": m for n, _c, _l, m in PEER_BANKS}
    orgs = session.scalars(select(Organisation).where(Organisation.is_demo.is_(True))
                           .order_by(Organisation.name)).all()
    added = 0
    for org in orgs:
        user = session.scalars(select(User).where(
            User.org_id == org.id, User.is_demo.is_(True),
            User.role.in_([Role.ORG_ADMIN, Role.ANALYST, Role.HUB_ADMIN]))
            .order_by(User.role, User.email)).first()
        if user is None:
            continue
        viewer = access.viewer_for(session, user)
        level = maturity.get(org.name, rng.uniform(0.3, 0.65))
        rounds = rng.randint(1, 3)
        for i in range(rounds):
            when = LAST - timedelta(days=120 * (rounds - 1 - i) + rng.randint(0, 20))
            readiness.save_draft(session, viewer, _answers(rng, level + 0.08 * i))
            row = readiness.complete(session, viewer, is_demo=True)
            row.created_at = row.updated_at = when - timedelta(days=2)
            row.completed_at = when
            added += 1
    session.flush()
    return added
