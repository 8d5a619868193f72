"""Web page: the ransomware dashboard at ``/ransomware`` — the k-anonymous trends drawn
as charts (ECharts, ``static/js/ransomware-dashboard.js``), the viewer's organisation's
reports, and the newest incidents and decryptors the viewer may see. ``pages.py`` mounts
:func:`dashboard_page` at ``/ransomware``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from cyberhub import access
from cyberhub.community import service as community
from cyberhub.i18n import _
from cyberhub.ransomware import dashboard, trends
from cyberhub.ransomware.pages_incidents import row_view, trend_labels, vector_labels
from cyberhub.web.common import MemberCtx, page, view

TOP = 10  # bars per ranked chart


def _country(code: str) -> tuple[str, str]:
    """(ISO numeric — the world map's ids —, display name) of an alpha-2 code."""
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return "", code
    return str(found.numeric), str(getattr(found, "common_name", found.name))


def chart_data(t: trends.Trends) -> dict[str, Any]:
    """What the charts draw: the published cells only (withheld ones are not in ``t``)."""
    dims = {d.name: d for d in t.dimensions}
    vectors = vector_labels()

    def ranked(name: str, labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return [{"value": c.value, "label": (labels or {}).get(c.value, c.label)
                 if c.value != trends.UNKNOWN else _("Unknown"), "count": c.count}
                for c in dims[name].cells][:TOP]

    countries = []
    for c in dims["country"].cells:
        if c.value == trends.UNKNOWN:
            continue
        numeric, name = _country(c.value)
        countries.append({"code": c.value, "numeric": numeric, "label": name,
                          "count": c.count})
    names = trend_labels()
    return {
        "months": [{"label": c.value, "count": c.count} for c in dims["month"].cells
                   if c.value != trends.UNKNOWN],
        "families": ranked("family"), "sectors": ranked("sector"),
        "vectors": ranked("access_vector", vectors), "countries": countries,
        "labels": {"month": names["month"], "family": names["family"],
                   "sector": names["sector"], "access_vector": names["access_vector"],
                   "country": names["country"], "incidents": _("Incidents"),
                   "more": _("more"), "fewer": _("fewer"), "none": _("Nothing to publish")},
        "withheld": {d.name: d.withheld for d in t.dimensions},
    }


def leak_chart(d: dashboard.Dashboard) -> dict[str, Any]:
    return {"months": d.leak_months, "counts": d.leak_posts, "label": _("Leak-site posts")}


def dashboard_page(ctx: MemberCtx) -> Response:
    d = dashboard.dashboard(ctx.session, ctx.viewer)
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
    return page(ctx, "ransomware/dashboard.html", {
        "d": d, "t": d.trends, "chart": {**chart_data(d.trends), "leaks": leak_chart(d)},
        "recent": [row_view(ctx, r, orgs) for r in d.recent_incidents],
        "decryptors": [view(x, "id", "family_ref", "family_name", "name", "provider", "url",
                            "released", "tlp") for x in d.recent_decryptors],
        "vector_labels": vector_labels(), "can_write": access.can_contribute(ctx.viewer)})
