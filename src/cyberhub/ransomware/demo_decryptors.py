"""Demo decryptor catalogue entries: invented tools, on invented ``.example`` addresses,
named "[DEMO]", so that the demo's identification results and family pages offer a
decryptor. Idempotent: nothing is added when demo entries exist."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Organisation, Role, User
from cyberhub.errors import InvalidInput
from cyberhub.ransomware import service
from cyberhub.ransomware.models import Decryptor

__all__ = ["load"]

SITE = "https://decryptors.demo.cyberhub.example"
# (family as the galaxy names it, tool, released)
TOOLS = [("LockBit", "LockBit 3.0 key recovery", date(2024, 2, 20)),
         ("Jigsaw", "Jigsaw file restorer", date(2016, 4, 12)),
         ("TeslaCrypt", "TeslaCrypt master-key decryptor", date(2016, 5, 19)),
         ("Akira", "Akira (Linux/ESXi) partial decryptor", date(2024, 6, 3))]


def load(session: Session) -> int:
    """Add the demo decryptors once; returns how many were added."""
    if session.scalar(select(Decryptor.id).where(Decryptor.url.startswith(SITE))) is not None:
        return 0
    user = session.scalars(select(User).join(Organisation).where(
        Organisation.name == "Sentinel Threat Research (demo)", Organisation.is_demo.is_(True),
        User.role == Role.ANALYST).order_by(User.email)).first()
    if user is None:
        return 0
    viewer = access.viewer_for(session, user)
    added = 0
    for family, tool, released in TOOLS:
        try:
            fam = service.known_family(session, viewer, family)
        except InvalidInput:  # the reference data is not loaded
            continue
        slug = family.lower().replace(" ", "-")
        service.create_decryptor(
            session, viewer, family_ref=fam.key, name=f"[DEMO] {tool}",
            url=f"{SITE}/{slug}", provider="Sentinel Threat Research (demo)",
            notes="[DEMO] Invented for the demo hub: there is no such tool at this address.",
            released=released)
        added += 1
    return added
