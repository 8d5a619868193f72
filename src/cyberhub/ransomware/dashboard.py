"""The ransomware dashboard: one page that gathers what the pillar knows for the viewer —
the k-anonymous trends (drawn as charts), the viewer's own reports, the newest incidents
and decryptors the viewer may see, the leak-site posts per month, the organisation's
latest readiness score, and the size of the family catalogue.

Every figure comes from the module that owns it (``trends`` for the community's figures,
``access`` for lists), so the dashboard publishes nothing those pages would not.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.ransomware import leakposts, readiness, service, trends
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
    leak_months: list[str]  # the last twelve months, YYYY-MM
    leak_posts: list[int]  # distinct leak-site posts the viewer may see, per month
    readiness_score: float | None  # the organisation's latest completed assessment
    readiness_id: str | None


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
    months, posts = leakposts.activity(session, viewer)
    done = readiness.history(session, viewer)[:1]
    return Dashboard(trends=t, own_incidents=own, recent_incidents=recent, families=families,
                     decryptors=decryptors, recent_decryptors=newest, leak_months=months,
                     leak_posts=posts,
                     readiness_score=done[0].overall_score if done else None,
                     readiness_id=str(done[0].id) if done else None)
