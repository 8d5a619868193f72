"""Web pages: incident reports, one-time report links (and the victim's form behind
one), and the k-anonymous trends."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from cyberhub import access
from cyberhub.audience import Audience, audience_of
from cyberhub.community import service as community
from cyberhub.community.reference import countries, sectors
from cyberhub.deps import Ctx, WebCtx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _, pgettext
from cyberhub.ransomware import incidents, report_links, trends
from cyberhub.ransomware.models import Incident
from cyberhub.sharing import PAP, TLP
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, audience_options, on_error, page, redirect, view

router = APIRouter()  # under /ransomware (pages.py includes it)
report_router = APIRouter()  # /report/{token}: for victims without an account

PAGE_SIZE = 50
AUDIENCE_TLPS = {"orgs": "AMBER AMBER+STRICT", "groups": "AMBER AMBER+STRICT RED",
                 "users": "AMBER RED"}
TRI = {"": None, "yes": True, "no": False}


class IncidentForm(BaseModel):
    """The incident form's fields, as posted (checked by the service)."""

    model_config = ConfigDict(extra="ignore")
    discovered: str = Field(default="", max_length=40)
    family: str = Field(default="", max_length=300)
    access_vector: str = Field(default="unknown", max_length=40)
    cve: str = Field(default="", max_length=40)
    sector: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=10)
    size_band: str = Field(default="", max_length=16)
    systems_affected: str = Field(default="", max_length=20)
    data_stolen: str = Field(default="", max_length=3)
    leak_listed: str = Field(default="", max_length=3)
    demand_amount: str = Field(default="", max_length=30)
    demand_currency: str = Field(default="", max_length=10)
    paid: str = Field(default="", max_length=3)
    paid_amount: str = Field(default="", max_length=30)
    wallets: str = Field(default="", max_length=20 * 300)
    negotiation_contact: str = Field(default="", max_length=501)
    decryptor_used: str = Field(default="", max_length=201)
    recovery_days: str = Field(default="", max_length=20)
    loss_band: str = Field(default="", max_length=16)
    reported_to: str = Field(default="", max_length=201)
    notes: str = Field(default="", max_length=incidents.MAX_NOTES + 1)
    victim_name: str = Field(default="", max_length=301)
    victim_contact: str = Field(default="", max_length=501)


class SharingForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tlp: str = Field(default="AMBER+STRICT", max_length=16)
    pap: str = Field(default="", max_length=8)
    org_ids: list[str] = Field(default_factory=list, max_length=500)
    group_ids: list[str] = Field(default_factory=list, max_length=500)
    user_ids: list[str] = Field(default_factory=list, max_length=500)


def _tri(value: str, fieldname: str) -> bool | None:
    if value not in TRI:
        raise InvalidInput(_("Answer yes, no, or leave it unknown."),
                           details={"field": fieldname})
    return TRI[value]


def to_input(form: IncidentForm) -> incidents.IncidentInput:
    return incidents.IncidentInput(
        discovered=form.discovered, family=form.family, access_vector=form.access_vector,
        cve=form.cve, sector=form.sector, country=form.country, size_band=form.size_band,
        systems_affected=form.systems_affected,
        data_stolen=_tri(form.data_stolen, "data_stolen"),
        leak_listed=_tri(form.leak_listed, "leak_listed"),
        demand_amount=form.demand_amount, demand_currency=form.demand_currency,
        paid=_tri(form.paid, "paid"), paid_amount=form.paid_amount,
        wallets=[w for w in form.wallets.splitlines() if w.strip()],
        negotiation_contact=form.negotiation_contact, decryptor_used=form.decryptor_used,
        recovery_days=form.recovery_days, loss_band=form.loss_band,
        reported_to=form.reported_to, notes=form.notes, victim_name=form.victim_name,
        victim_contact=form.victim_contact)


def vector_labels() -> dict[str, str]:
    return {"phishing": _("Phishing"), "exposed-remote-access": _("Exposed remote access"),
            "exploited-vulnerability": _("Exploited vulnerability"),
            "stolen-credentials": _("Stolen credentials"), "supply-chain": _("Supply chain"),
            "other": _("Other"), "unknown": _("Unknown")}


def _choices() -> dict[str, Any]:
    return {"vectors": incidents.ACCESS_VECTORS, "vector_labels": vector_labels(),
            "size_bands": incidents.SIZE_BANDS,
            "loss_bands": incidents.LOSS_BANDS, "sectors": sectors(),
            "countries": countries(), "currencies": sorted(incidents.currencies())}


def _form_context(ctx: Ctx, form: IncidentForm, sharing: SharingForm) -> dict[str, Any]:
    values = SimpleNamespace(**form.model_dump(), tlp=sharing.tlp, pap=sharing.pap,
                             org_ids=set(sharing.org_ids), group_ids=set(sharing.group_ids),
                             user_ids=set(sharing.user_ids))
    return {"form": values, "options": audience_options(ctx), "audience_tlps": AUDIENCE_TLPS,
            "rules": [SimpleNamespace(tlp=t, **access.describe_rule(t)) for t in TLP],
            "TLPS": list(TLP), "PAPS": list(PAP), **_choices()}


def _uuids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not report incidents. Ask your organisation's "
                                 "admin for the analyst role."))


# ---------------------------------------------------------------- incidents


def row_view(ctx: Ctx, r: Incident, orgs: dict[uuid.UUID, str]) -> SimpleNamespace:
    return view(r, "id", "discovered", "family_ref", "family_name", "access_vector", "sector",
                "country", "tlp", "via_link", "is_demo", owner=orgs.get(r.owner_org_id, ""))


@router.get("/incidents")
def list_incidents(ctx: MemberCtx,
                   cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    result = incidents.list_incidents(ctx.session, ctx.viewer, cursor=cursor or None,
                                      limit=PAGE_SIZE)
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
    return page(ctx, "ransomware/incidents.html", {
        "incidents": [row_view(ctx, r, orgs) for r in result.items],
        "older": f"/ransomware/incidents?cursor={result.next_cursor}"
        if result.next_cursor else None,
        "can_write": access.can_contribute(ctx.viewer), "vector_labels": vector_labels()})


@router.get("/incidents/new")
def new_incident_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "ransomware/incident_form.html",
                _form_context(ctx, IncidentForm(), SharingForm()))


@router.post("/incidents/new")
def create_incident(ctx: MemberCtx, stamp: pace.FormStamp, form: Annotated[IncidentForm, Form()],
                    sharing: Annotated[SharingForm, Form()]) -> Response:
    on_error(ctx, "ransomware/incident_form.html", _form_context(ctx, form, sharing))
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    aud = Audience(_uuids(sharing.org_ids), _uuids(sharing.group_ids),
                             _uuids(sharing.user_ids))
    row = incidents.create_incident(ctx.session, ctx.viewer, to_input(form), tlp=sharing.tlp,
                                    pap=sharing.pap or None, audience=aud)
    return redirect(f"/ransomware/incidents/{row.id}", "created")


@router.get("/incidents/{incident_id}")
def show_incident(ctx: MemberCtx, incident_id: str) -> Response:
    row = incidents.get_incident(ctx.session, ctx.viewer, incident_id)
    victim = incidents.victim_of(ctx.session, ctx.viewer, row)
    owner = community.get_organisation(ctx.session, ctx.viewer, row.owner_org_id)
    return page(ctx, "ransomware/incident.html", {
        "incident": view(row, *(c.key for c in Incident.__table__.columns), owner=owner.name),
        "victim": view(victim, "name", "contact") if victim else None,
        "rule": access.describe_rule(row.tlp), "vector_labels": vector_labels(),
        "can_edit": access.can_edit(row, ctx.viewer)})


def _edit_context(ctx: Ctx, incident_id: str, form: IncidentForm,
                  sharing: SharingForm) -> dict[str, Any]:
    return {**_form_context(ctx, form, sharing), "edit_id": incident_id}


def _as_form(row: Incident, victim: Any) -> IncidentForm:
    """The stored incident as its form shows it."""
    def tri(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    def text(value: object) -> str:
        return "" if value is None else str(value)

    return IncidentForm(
        discovered=row.discovered.isoformat(), family=row.family_ref or "",
        access_vector=row.access_vector, cve=text(row.cve), sector=text(row.sector),
        country=text(row.country), size_band=text(row.size_band),
        systems_affected=text(row.systems_affected), data_stolen=tri(row.data_stolen),
        leak_listed=tri(row.leak_listed), demand_amount=text(row.demand_amount),
        demand_currency=text(row.demand_currency), paid=tri(row.paid),
        paid_amount=text(row.paid_amount), wallets="\n".join(row.wallets or []),
        negotiation_contact=row.negotiation_contact, decryptor_used=row.decryptor_used,
        recovery_days=text(row.recovery_days), loss_band=text(row.loss_band),
        reported_to=row.reported_to, notes=row.notes,
        victim_name=victim.name if victim else "", victim_contact=victim.contact if victim else "")


@router.get("/incidents/{incident_id}/edit")
def edit_incident_form(ctx: MemberCtx, incident_id: str) -> Response:
    row = incidents.get_incident(ctx.session, ctx.viewer, incident_id, purpose="edit")
    if not access.can_edit(row, ctx.viewer):
        raise PermissionDenied(_("Only the reporter and the admins of the reporting "
                                 "organisation may change this incident."))
    aud = audience_of(ctx.session, row.id)
    sharing = SharingForm(tlp=row.tlp.value, pap=row.pap.value if row.pap else "",
                          org_ids=[str(i) for i in aud.org_ids],
                          group_ids=[str(i) for i in aud.group_ids],
                          user_ids=[str(i) for i in aud.user_ids])
    victim = incidents.victim_of(ctx.session, ctx.viewer, row)
    return page(ctx, "ransomware/incident_form.html", {
        **_edit_context(ctx, str(row.id), _as_form(row, victim), sharing),
        "hide_victim": not incidents.may_see_victim(ctx.session, ctx.viewer, row)})


@router.post("/incidents/{incident_id}/edit")
def update_incident(ctx: MemberCtx, incident_id: str, form: Annotated[IncidentForm, Form()],
                    sharing: Annotated[SharingForm, Form()]) -> Response:
    on_error(ctx, "ransomware/incident_form.html",
             _edit_context(ctx, incident_id[:64], form, sharing))
    aud = Audience(_uuids(sharing.org_ids), _uuids(sharing.group_ids),
                   _uuids(sharing.user_ids))
    row = incidents.update_incident(ctx.session, ctx.viewer, incident_id, to_input(form),
                                    tlp=sharing.tlp, pap=sharing.pap or None, audience=aud)
    return redirect(f"/ransomware/incidents/{row.id}", "saved")


# ---------------------------------------------------------------- report links


def _links_context(ctx: Ctx, new_url: str | None = None) -> dict[str, Any]:
    links = report_links.list_links(ctx.session, ctx.viewer)
    orgs = community.list_organisations(ctx.session, ctx.viewer)
    return {"links": [view(k, "id", "tlp", "created_at", "expires_at", "used_at",
                           "incident_id") for k in links],
            "orgs": [SimpleNamespace(id=str(o.id), label=o.name) for o in orgs
                     if o.id != ctx.viewer.org_id],
            "new_url": new_url, "form": SimpleNamespace(tlp="AMBER+STRICT", days=14),
            "can_write": access.can_contribute(ctx.viewer)}


@router.get("/report-links")
def report_links_page(ctx: MemberCtx) -> Response:
    return page(ctx, "ransomware/report_links.html", _links_context(ctx))


@router.post("/report-links")
def issue_report_link(ctx: MemberCtx, tlp: Annotated[str, Form(max_length=16)] = "AMBER+STRICT",
                      days: Annotated[int, Form(ge=1, le=90)] = 14,
                      org_ids: Annotated[list[str], Form(max_length=50)] = []  # noqa: B006
                      ) -> Response:
    on_error(ctx, "ransomware/report_links.html", _links_context(ctx))
    _link, token = report_links.issue_link(ctx.session, ctx.viewer, tlp=tlp, days=days,
                                          audience_org_ids=_uuids(org_ids))
    base = str(ctx.request.base_url).rstrip("/")
    return page(ctx, "ransomware/report_links.html",
                _links_context(ctx, new_url=f"{base}/report/{token}"), status_code=201)


# ---------------------------------------------------------------- the victim's form


def _report_context(token: str, form: IncidentForm) -> dict[str, Any]:
    return {"token": token, "form": form, **_choices()}


@report_router.get("/report/{token}")
def report_form(ctx: WebCtx, token: str) -> Response:
    report_links.open_link(ctx.session, token[:200], ip=ctx.ip)
    return page(ctx, "ransomware/report.html", _report_context(token, IncidentForm()))


@report_router.post("/report/{token}")
def submit_report(ctx: WebCtx, stamp: pace.FormStamp,
                  token: str, form: Annotated[IncidentForm, Form()]) -> Response:
    on_error(ctx, "ransomware/report.html", _report_context(token, form))
    pace.check(ctx, stamp)
    report_links.submit_report(ctx.session, token[:200], to_input(form), ip=ctx.ip)
    return page(ctx, "ransomware/report_done.html", {})


# ---------------------------------------------------------------- trends


def trend_labels() -> dict[str, str]:
    return {"family": _("Family"), "sector": _("Sector"), "country": _("Country"),
            "access_vector": _("Initial access"), "month": _("Month discovered"),
            "currency": _("Ransom currency"), "paid": _("Ransom paid")}


@router.get("/trends")
def trends_page(ctx: MemberCtx, dimension: Annotated[str | None, Query(max_length=40)] = None,
                value: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    t = trends.trends(ctx.session, ctx.viewer, dimension=dimension or None, value=value or None)
    names = trend_labels()
    values = {"access_vector": vector_labels(), "paid": {
        "yes": pgettext("ransom payment state", "Paid"), "no": _("Not paid"),
        "unknown": _("Unknown")}}
    for d in t.dimensions:
        for c in d.cells:
            c.label = values.get(d.name, {}).get(c.value, c.label)
            if c.value == trends.UNKNOWN:
                c.label = _("Unknown")
    chart = {"dimensions": [{"name": d.name, "title": names[d.name],
                             "labels": [c.label for c in d.cells],
                             "counts": [c.count for c in d.cells]} for d in t.dimensions]}
    from urllib.parse import urlencode

    query = urlencode({"dimension": dimension, "value": value}) if dimension and value else ""
    return page(ctx, "ransomware/trends.html", {
        "t": t, "names": names, "chart": chart,
        "csv_url": "/api/v1/ransomware/trends.csv" + (f"?{query}" if query else ""),
        "filter": (names.get(dimension or "", dimension), value) if t.filter else None})
