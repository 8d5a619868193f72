"""The ransomware dashboard: one page that gathers what the pillar knows for the viewer —
the k-anonymous trends (drawn as charts), the viewer's own reports, the newest incidents
and decryptors the viewer may see, and the size of the family catalogue.

Every figure comes from the module that owns it (``trends`` for the community's figures,
``access`` for lists), so the dashboard publishes nothing those pages would not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.ransomware import service, trends
from cyberhub.ransomware.models import Decryptor, Incident

__all__ = ["Dashboard", "dashboard"]

RECENT = 5


@dataclass
class Dashboard:
    trends: trends.Trends
    own_incidents: int  # reported by the viewer's organisation (it knows them anyway)
    recent_incidents: list[Incident]  # the newest the viewer may see
    families: int  # ransomware families in the catalogue
    decryptors: int
    recent_decryptors: list[Decryptor]

    def as_json(self) -> dict[str, Any]:
        return {"own_incidents": self.own_incidents, "families": self.families,
                "decryptors": self.decryptors}


def dashboard(session: Session, viewer: Viewer) -> Dashboard:
    """What the dashboard shows ``viewer``."""
    t = trends.trends(session, viewer)
    own = 0
    if viewer.org_id is not None:
        own = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.owner_org_id == viewer.org_id, access.visible(Incident, viewer))) or 0
    recent = list(session.scalars(access.select_visible(Incident, viewer).order_by(
        Incident.created_at.desc(), Incident.id.desc()).limit(RECENT)))
    access.audit_listing(session, Incident, recent, viewer)
    decryptors = session.scalar(select(func.count()).select_from(Decryptor).where(
        access.visible(Decryptor, viewer))) or 0
    newest = list(session.scalars(access.select_visible(Decryptor, viewer).order_by(
        Decryptor.created_at.desc(), Decryptor.id.desc()).limit(RECENT)))
    _items, families = service.list_families(session, viewer, "", offset=0, limit=1)
    return Dashboard(trends=t, own_incidents=own, recent_incidents=recent, families=families,
                     decryptors=decryptors, recent_decryptors=newest)
