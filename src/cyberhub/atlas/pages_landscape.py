"""Web pages: the landscape dashboard and the actor profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cyberhub.atlas import landscape
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
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
