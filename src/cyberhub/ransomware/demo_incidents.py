"""Demo incidents for the demo community: generated, fictional, flagged ``is_demo``.

Several demo organisations report, so that on the trends page some cells pass k (LockBit,
the banks, the Netherlands…) and others are withheld (a family or a country one
organisation reported alone). Idempotent: nothing is added when demo incidents exist.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Organisation, Role, User
from cyberhub.errors import InvalidInput
from cyberhub.ransomware import service as families
from cyberhub.ransomware.incidents import IncidentInput, create_incident
from cyberhub.ransomware.models import Incident
from cyberhub.sharing import TLP

__all__ = ["load"]

# Demo organisations that report, and how many incidents each.
REPORTERS = {"National Cybercrime Unit": 9, "Federal Criminal Police Office": 7,
             "Gendarmerie Cyber Command": 6, "National CERT": 8, "Northern Savings Bank": 3,
             "Harbour Hosting": 3, "Sentinel Threat Research": 4}
# Families by weight; the last one is reported by a single organisation (withheld).
FAMILIES = [("LockBit", 6), ("Akira", 4), ("Play", 3), ("Rhysida", 2), ("", 2)]
RARE_FAMILY = ("BlackCat", "Sentinel Threat Research")
SECTORS = [("Manufacturing", 4), ("Health", 3), ("Bank", 2), ("Education", 2),
           ("Government, Administration", 2), ("Retail", 1), ("Legal", 1)]
COUNTRIES = [("NL", 4), ("DE", 3), ("FR", 3), ("BE", 2), ("ES", 1), ("IT", 1)]
VECTORS = [("phishing", 4), ("exposed-remote-access", 3), ("exploited-vulnerability", 3),
           ("stolen-credentials", 3), ("supply-chain", 1), ("unknown", 1)]
CVES = ["CVE-2023-4966", "CVE-2023-20269", "CVE-2024-1709", "CVE-2023-27997"]


def _pick(rng: random.Random, items: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _w in items], weights=[w for _v, w in items])[0]


def _family(session: Session, name: str) -> str:
    """The family's name when the reference data knows it; otherwise unknown."""
    if not name:
        return ""
    try:
        families.known_family(session, access.ANONYMOUS, name)
    except InvalidInput:
        return ""
    return name


def load(session: Session) -> int:
    """Add the demo incidents once; returns how many were added."""
    if session.scalar(select(Incident.id).where(Incident.is_demo.is_(True))) is not None:
        return 0
    rng = random.Random(20261204)  # noqa: S311 - demo data, not a secret
    today = date(2026, 11, 30)
    added = 0
    known = {name: _family(session, name) for name, _w in [*FAMILIES, (RARE_FAMILY[0], 1)]}
    for org_name, count in REPORTERS.items():
        user = session.scalars(select(User).join(Organisation).where(
            Organisation.name == f"{org_name} (demo)", Organisation.is_demo.is_(True),
            User.role == Role.ANALYST).order_by(User.email)).first()
        if user is None:
            continue
        viewer = access.viewer_for(session, user)
        for i in range(count):
            family = known[_pick(rng, FAMILIES)]
            if org_name == RARE_FAMILY[1] and i == 0:
                family = known[RARE_FAMILY[0]]
            vector = _pick(rng, VECTORS)
            demand = rng.choice([None, 50_000, 120_000, 250_000, 400_000, 750_000, 1_500_000])
            paid = None if demand is None else rng.random() < 0.3
            raw = IncidentInput(
                discovered=today - timedelta(days=rng.randint(0, 330)), family=family,
                access_vector=vector,
                cve=rng.choice(CVES) if vector == "exploited-vulnerability" else "",
                sector=_pick(rng, SECTORS), country=_pick(rng, COUNTRIES),
                size_band=rng.choice(["10-49", "50-249", "250-999", "1000+"]),
                systems_affected=rng.randint(5, 800), data_stolen=rng.random() < 0.7,
                leak_listed=rng.random() < 0.4, demand_amount=demand,
                demand_currency="EUR" if demand is not None else "",
                paid=paid, paid_amount=int(demand * rng.uniform(0.3, 0.8))
                if demand is not None and paid else None,
                recovery_days=rng.randint(3, 60), loss_band=rng.choice(
                    ["10k-100k", "100k-1m", "1m-10m"]),
                reported_to="[DEMO] National police", notes="[DEMO] Invented for the demo hub.",
                victim_name=f"[DEMO] Example victim {org_name[:3].upper()}-{i + 1}")
            tlp = TLP.AMBER_STRICT if i % 4 == 3 else TLP.GREEN
            create_incident(session, viewer, raw, tlp=tlp, is_demo=True)
            added += 1
    return added
