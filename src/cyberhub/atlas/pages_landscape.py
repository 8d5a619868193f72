"""Web pages: the landscape dashboard and the actor profiles."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cyberhub.atlas import landscape, profiles
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.sharing import TLP
from cyberhub.web.common import MemberCtx, page

router = APIRouter()


def chart_labels() -> dict[str, str]:
    """Every word the charts draw, translated here (the script has no strings of its own)."""
    return {
        "trend": _("New objects per week"), "activity": _("Sightings and vetting per week"),
        "sightings": _("Sightings"), "vetted": _("Vetted findings"),
        "sectors": _("Actors by targeted sector"), "map": _("Actors by targeted country"),
        "targeted": _("Actors targeting it"), "origin": _("Actors originating from it"),
        "week": _("Week of %(date)s"), "none": _("Nothing in this period"),
        "fewer": _("fewer"), "more": _("more"),
    }


@router.get("/atlas")
def landscape_page(ctx: MemberCtx,
                   period: Annotated[str, Query(max_length=8)] = landscape.DEFAULT_PERIOD
                   ) -> Response:
    error = ""
    try:
        found = landscape.compute(ctx.session, ctx.viewer, period)
    except InvalidInput as exc:
        error = str(exc)
        period = landscape.DEFAULT_PERIOD
        found = landscape.compute(ctx.session, ctx.viewer, period)
    figures = found.as_json()
    totals: dict[str, Any] = {
        "new": sum(sum(s["counts"]) for s in figures["new_objects"]),
        "sightings": sum(found.sightings), "vetted": sum(found.vetted),
        "actors": len(found.top["actors"]),
        "countries": sum(1 for c in found.countries if c.targeted),
    }
    return page(ctx, "atlas/landscape.html", {
        "figures": found, "island": {"figures": figures, "labels": chart_labels()},
        "period": period, "periods": list(landscape.period_labels().items()),
        "error": error, "totals": totals,
        "targeted": [c for c in found.countries if c.targeted][:10],
        "origins": sorted((c for c in found.countries if c.origin),
                          key=lambda c: (-c.origin, c.name))[:10]},
        status_code=422 if error else 200)


def _kind_label(kind: str) -> str:
    from cyberhub.intel.pages import kind_label

    if kind == "sighting":
        return _("sighted")
    return kind_label(kind) if not kind.startswith("relationship:") else \
        kind.removeprefix("relationship:")


@router.get("/atlas/actors")
def actors_page(ctx: MemberCtx, q: Annotated[str, Query(max_length=200)] = "",
                page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
                ) -> Response:
    size = 50
    rows, total = profiles.list_actors(ctx.session, ctx.viewer, q, limit=size,
                                       offset=(page_no - 1) * size)
    pages = max(1, -(-total // size))

    def link(n: int) -> str:
        return "/atlas/actors?" + urlencode({k: v for k, v in (("q", q), ("page", n))
                                             if v and not (k == "page" and n == 1)})
    return page(ctx, "atlas/actors.html", {
        "rows": rows, "total": total, "q": q, "page_no": page_no, "pages": pages,
        "newer": link(page_no - 1) if page_no > 1 else "",
        "older": link(page_no + 1) if page_no < pages else ""})


@router.get("/atlas/actors/{ref}")
def actor_page(ctx: MemberCtx, ref: str) -> Response:
    from cyberhub.intel.labels import VETTING_LABELS

    found = profiles.profile(ctx.session, ctx.viewer, ref[:400])
    artefact_labels = profiles.artefact_labels()
    artefacts = [(artefact_labels[k], items) for k, items in found.artefacts.items() if items]
    timeline = [SimpleNamespace(when=e.when.date().isoformat(), kind=_kind_label(e.kind),
                                direction=e.direction, other_id=e.other_id,
                                other_name=e.other_name, org=e.org)
                for e in found.timeline[:200]]
    return page(ctx, "atlas/actor.html", {
        "actor": found, "artefacts": artefacts, "timeline": timeline,
        "more_events": max(0, len(found.timeline) - len(timeline)),
        "vetting_label": VETTING_LABELS[found.vetting](),
        "copies": [SimpleNamespace(org=o, vetting=v.value, label=VETTING_LABELS[v](), tlp=TLP(t))
                   for o, v, t in found.copies],
        "counts": {"artefacts": sum(len(i) for _k, i in artefacts),
                   "infrastructure": len(found.infrastructure), "tools": len(found.tools),
                   "techniques": len(found.techniques)}})
