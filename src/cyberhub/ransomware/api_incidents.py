"""REST: incident reports, one-time report links and the k-anonymous trends."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cyberhub.access import Viewer
from cyberhub.audience import Audience, audience_of, audiences_of
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput
from cyberhub.ransomware import incidents, report_links, trends
from cyberhub.ransomware.incident_schemas import (
    CellOut,
    DimensionOut,
    IncidentFields,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    ReportLinkIn,
    ReportLinkOut,
    StatsOut,
    TrendsOut,
    VictimOut,
)
from cyberhub.ransomware.models import Incident
from cyberhub.schemas import AudienceModel, Paged

router = APIRouter(tags=["ransomware"])


def incident_input(body: IncidentFields) -> incidents.IncidentInput:
    return incidents.IncidentInput(
        discovered=body.discovered, family=body.family, access_vector=body.access_vector,
        cve=body.cve, sector=body.sector, country=body.country, size_band=body.size_band,
        systems_affected=body.systems_affected, data_stolen=body.data_stolen,
        leak_listed=body.leak_listed, demand_amount=body.demand_amount,
        demand_currency=body.demand_currency, paid=body.paid, paid_amount=body.paid_amount,
        wallets=list(body.wallets), negotiation_contact=body.negotiation_contact,
        decryptor_used=body.decryptor_used, recovery_days=body.recovery_days,
        loss_band=body.loss_band, reported_to=body.reported_to, notes=body.notes,
        victim_name=body.victim.name if body.victim else "",
        victim_contact=body.victim.contact if body.victim else "")


def incident_out(session: Session, viewer: Viewer, row: Incident,
                 aud: Audience | None = None) -> IncidentOut:
    aud = aud if aud is not None else audience_of(session, row.id)
    victim = incidents.victim_of(session, viewer, row)
    return IncidentOut(
        id=row.id, discovered=row.discovered, family_ref=row.family_ref,
        family_name=row.family_name, access_vector=row.access_vector, cve=row.cve,
        sector=row.sector, country=row.country, size_band=row.size_band,
        systems_affected=row.systems_affected, data_stolen=row.data_stolen,
        leak_listed=row.leak_listed, demand_amount=row.demand_amount,
        demand_currency=row.demand_currency, paid=row.paid, paid_amount=row.paid_amount,
        wallets=list(row.wallets or []), negotiation_contact=row.negotiation_contact,
        decryptor_used=row.decryptor_used, recovery_days=row.recovery_days,
        loss_band=row.loss_band, reported_to=row.reported_to, notes=row.notes,
        victim=VictimOut(name=victim.name, contact=victim.contact) if victim else None,
        via_link=row.via_link, tlp=row.tlp, pap=row.pap,
        audience=AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                               user_ids=aud.user_ids),
        owner_org_id=row.owner_org_id, created_by_id=row.created_by_id,
        created_at=row.created_at, updated_at=row.updated_at, is_demo=row.is_demo)


@router.get("/incidents", response_model=Paged[IncidentOut])
def list_incidents(ctx: ApiCtx, cursor: Annotated[str | None, Query(max_length=500)] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Paged[IncidentOut]:
    page = incidents.list_incidents(ctx.session, ctx.viewer, cursor=cursor, limit=limit)
    auds = audiences_of(ctx.session, [r.id for r in page.items])
    return Paged(items=[incident_out(ctx.session, ctx.viewer, r, auds[r.id])
                        for r in page.items], next_cursor=page.next_cursor)


@router.post("/incidents", response_model=IncidentOut, status_code=201)
def create_incident(body: IncidentIn, ctx: ApiCtx) -> IncidentOut:
    aud = Audience(body.audience.org_ids, body.audience.group_ids, body.audience.user_ids)
    row = incidents.create_incident(ctx.session, ctx.viewer, incident_input(body), tlp=body.tlp,
                                    pap=body.pap, audience=aud)
    return incident_out(ctx.session, ctx.viewer, row)


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(incident_id: str, ctx: ApiCtx) -> IncidentOut:
    return incident_out(ctx.session, ctx.viewer,
                        incidents.get_incident(ctx.session, ctx.viewer, incident_id))


@router.patch("/incidents/{incident_id}", response_model=IncidentOut)
def update_incident(incident_id: str, body: IncidentPatch, ctx: ApiCtx) -> IncidentOut:
    """Change an incident: the fields given replace the stored ones. The reporter and the
    admins of the reporting organisation may; a wrong field answers 422 naming it, and
    nothing changes."""
    row = incidents.get_incident(ctx.session, ctx.viewer, incident_id)
    now = incident_out(ctx.session, ctx.viewer, row)
    stored = {name: getattr(now, name) for name in IncidentIn.model_fields
              if hasattr(now, name)}
    stored.update(family=now.family_ref or "", cve=now.cve or "", sector=now.sector or "",
                  country=now.country or "", size_band=now.size_band or "",
                  demand_currency=now.demand_currency or "", loss_band=now.loss_band or "",
                  tlp=now.tlp.value, pap=now.pap.value if now.pap else None,
                  victim=now.victim.model_dump() if now.victim else None,
                  audience=now.audience.model_dump())
    try:
        merged = IncidentIn.model_validate({**stored, **body.model_dump(exclude_unset=True)})
    except ValidationError as exc:  # e.g. "discovered": null
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", details={"field": where}) from None
    aud = Audience(merged.audience.org_ids, merged.audience.group_ids,
                   merged.audience.user_ids)
    row = incidents.update_incident(ctx.session, ctx.viewer, row.id, incident_input(merged),
                                    tlp=merged.tlp, pap=merged.pap, audience=aud)
    return incident_out(ctx.session, ctx.viewer, row)


@router.delete("/incidents/{incident_id}", status_code=204)
def delete_incident(incident_id: str, ctx: ApiCtx) -> Response:
    incidents.delete_incident(ctx.session, ctx.viewer, incident_id)
    return Response(status_code=204)


@router.post("/report-links", response_model=ReportLinkOut, status_code=201)
def issue_report_link(body: ReportLinkIn, ctx: ApiCtx) -> ReportLinkOut:
    link, token = report_links.issue_link(ctx.session, ctx.viewer, tlp=body.tlp,
                                          audience_org_ids=body.audience_org_ids,
                                          days=body.days)
    base = str(ctx.request.base_url).rstrip("/")
    return ReportLinkOut(id=link.id, url=f"{base}/report/{token}", tlp=link.tlp,
                         expires_at=link.expires_at)


def trends_out(t: trends.Trends) -> TrendsOut:
    def stats(s: trends.Stats) -> StatsOut:
        return StatsOut(p25=s.p25, median=s.median, p75=s.p75)
    return TrendsOut(
        k=t.k, total=t.total,
        dimensions=[DimensionOut(name=d.name, withheld=d.withheld,
                                 cells=[CellOut(value=c.value, label=c.label, count=c.count)
                                        for c in d.cells]) for d in t.dimensions],
        demands={c: stats(s) for c, s in t.demands.items()},
        payments={c: stats(s) for c, s in t.payments.items()},
        payment_rate=t.payment_rate,
        recovery_days=stats(t.recovery_days) if t.recovery_days else None)


Dim = Annotated[str | None, Query(max_length=40, description="Filter: a dimension…")]
Val = Annotated[str | None, Query(max_length=300, description="…and its value.")]


@router.get("/trends", response_model=TrendsOut)
def get_trends(ctx: ApiCtx, dimension: Dim = None, value: Val = None) -> TrendsOut:
    """Counts by family, sector, country, access vector, month, currency and payment;
    quartiles of demands and payments per currency; payment rate; days to recover —
    over the incidents the caller may see, every figure resting on fewer than k
    organisations (besides the caller's own) withheld."""
    return trends_out(trends.trends(ctx.session, ctx.viewer, dimension=dimension,
                                     value=value))


def trends_csv(t: trends.Trends) -> str:
    """The published figures as CSV: what the API and the page publish, nothing more."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["figure", "dimension", "value", "label", "count", "p25", "median", "p75"])
    w.writerow(["total", "", "", "", "" if t.total is None else t.total, "", "", ""])
    for d in t.dimensions:
        for c in d.cells:
            w.writerow(["count", d.name, _safe(c.value), _safe(c.label), c.count, "", "", ""])
        if d.withheld:
            w.writerow(["withheld", d.name, "", "", "", "", "", ""])
    for name, group in (("demand", t.demands), ("payment", t.payments)):
        for cur, s in group.items():
            w.writerow([name, "currency", cur, cur, "", s.p25, s.median, s.p75])
    if t.payment_rate is not None:
        w.writerow(["payment_rate", "", "", "", "", "", round(t.payment_rate, 4), ""])
    if t.recovery_days is not None:
        s = t.recovery_days
        w.writerow(["recovery_days", "", "", "", "", s.p25, s.median, s.p75])
    return out.getvalue()


def _safe(text: str) -> str:
    """No spreadsheet formulas from a cell (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/trends.csv", response_class=Response)
def get_trends_csv(ctx: ApiCtx, dimension: Dim = None, value: Val = None) -> Response:
    t = trends.trends(ctx.session, ctx.viewer, dimension=dimension, value=value)
    return Response(trends_csv(t), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="ransomware-trends.csv"'})
