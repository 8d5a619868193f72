"""REST: the ransomware dashboard — what ``GET /ransomware`` draws, as JSON."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from cyberhub.audience import audiences_of
from cyberhub.deps import ApiCtx
from cyberhub.ransomware import dashboard
from cyberhub.ransomware.api_incidents import incident_out, trends_out
from cyberhub.ransomware.incident_schemas import IncidentOut, TrendsOut
from cyberhub.ransomware.schemas import DecryptorOut

router = APIRouter(tags=["ransomware"])


class DashboardOut(BaseModel):
    trends: TrendsOut
    own_incidents: int
    families: int
    decryptors: int
    recent_incidents: list[IncidentOut]
    recent_decryptors: list[DecryptorOut]
    leak_posts_per_month: dict[str, int]  # the last twelve months
    readiness_score: float | None  # the caller's organisation's latest assessment


@router.get("/dashboard", response_model=DashboardOut)
def get_dashboard(ctx: ApiCtx) -> DashboardOut:
    """The k-anonymous trends, the caller's organisation's number of reports, the size of
    the family and decryptor catalogues, the newest incidents and decryptors the caller
    may see, the leak-site posts per month and the organisation's readiness score."""
    from cyberhub.ransomware.api import decryptor_out  # api.py includes this router

    d = dashboard.dashboard(ctx.session, ctx.viewer)
    auds = audiences_of(ctx.session, [i.id for i in d.recent_incidents])
    return DashboardOut(
        trends=trends_out(d.trends), own_incidents=d.own_incidents, families=d.families,
        decryptors=d.decryptors,
        recent_incidents=[incident_out(ctx.session, ctx.viewer, i, auds.get(i.id))
                          for i in d.recent_incidents],
        recent_decryptors=[decryptor_out(x) for x in d.recent_decryptors],
        leak_posts_per_month=dict(zip(d.leak_months, d.leak_posts, strict=True)),
        readiness_score=d.readiness_score)
