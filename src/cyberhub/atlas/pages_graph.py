"""Web page of the interactive ecosystem graph (the data comes from api_graph)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cyberhub.atlas import explore
from cyberhub.i18n import _, pgettext
from cyberhub.sharing import TLP
from cyberhub.web.common import MemberCtx, page

router = APIRouter()

# The types offered as filters, by how the graph draws them.
FILTER_TYPES: tuple[tuple[str, str], ...] = (
    ("intrusion-set", "actor"), ("threat-actor", "actor"), ("campaign", "actor"),
    ("infrastructure", "infrastructure"), ("domain-name", "infrastructure"),
    ("ipv4-addr", "infrastructure"), ("ipv6-addr", "infrastructure"), ("url", "infrastructure"),
    ("x-cyberhub-criminal-service", "service"), ("malware", "tool"), ("tool", "tool"),
    ("x-cyberhub-cryptocurrency-wallet", "money"), ("x-cyberhub-bank-account", "money"),
    ("email-addr", "contact"), ("x-cyberhub-phone-number", "contact"),
    ("x-cyberhub-social-account", "contact"), ("indicator", "indicator"), ("file", "indicator"),
    ("report", "report"), ("attack-pattern", "technique"), ("vulnerability", "vulnerability"),
    ("identity", "identity"), ("sighting", "sighting"),
)


def _style_labels() -> dict[str, str]:
    return {"actor": _("Actors"), "infrastructure": _("Infrastructure"),
            "service": _("Criminal services"), "tool": _("Tools and malware"),
            "money": _("Money"), "contact": _("Contact points"), "indicator": _("Indicators"),
            "report": pgettext("STIX object type", "Reports"), "technique": _("Techniques"),
            "vulnerability": _("Vulnerabilities"), "identity": _("Identities and places"),
            "sighting": _("Sightings"), "other": _("Other")}


def _js_labels() -> dict[str, Any]:
    """Every string the script shows, translated here (the script has no catalogue)."""
    return {
        "loading": _("Loading…"),
        "empty": _("Search for something, or start from an object, to draw its graph."),
        "nothing": _("Nothing you may see matches."),
        "counts": _("Nodes: %(nodes)s · links: %(edges)s"),
        "budget": _("The canvas holds %(max)s nodes; further neighbours are grouped."),
        "failed": _("The graph could not be loaded: %(message)s"),
        "type": _("Type"), "tlp": _("TLP"), "vetting": _("Vetting"), "stix_id": _("STIX id"),
        "via": _("Linked by"), "open": _("Open the object page"), "expand": _("Show neighbours"),
        "expanded": _("Neighbours shown"), "more": _("Show %(n)s more"),
        "remaining": _("%(n)s not shown yet"), "select_hint": _(
            "Click a node to show its neighbours; click a group to open it a page at a time. "
            "Shift-drag selects several nodes for export."),
        "aggregate": _("Group of neighbours"), "exported": _("Exported %(n)s objects."),
        "export_empty": _("Draw a graph first: there is nothing to export."),
        "styles": _style_labels(),
    }


@router.get("/atlas/graph")
def graph_page(ctx: MemberCtx,
               start: Annotated[str, Query(max_length=300)] = "",
               q: Annotated[str, Query(max_length=200)] = "",
               value: Annotated[str, Query(max_length=2000)] = "") -> Response:
    labels = _style_labels()
    mode = "start" if start else ("value" if value else "q")
    return page(ctx, "atlas/graph.html", {
        "start": start, "q": q, "value": value, "mode": mode,
        "search": start or value or q,
        "types": [(t, labels[style]) for t, style in FILTER_TYPES],
        "styles": [(k, v) for k, v in labels.items()],
        "tlps": [t.value for t in TLP], "vettings": [
            ("unverified", _("Unverified")), ("corroborated", _("Corroborated")),
            ("vetted", _("Vetted")), ("disputed", _("Disputed"))],
        "node_budget": explore.NODE_BUDGET, "limit": explore.EXPANSION_LIMIT,
        "js_labels": _js_labels()})
