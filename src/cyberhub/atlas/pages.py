"""Web pages of the threat map."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cyberhub.atlas import chokepoints, service
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.web.common import MemberCtx, page

router = APIRouter()


def _category_labels() -> dict[str, str]:
    return {"infrastructure": _("Infrastructure"), "service": _("Criminal services"),
            "tool": _("Tools and malware"), "money": _("Money"),
            "contact": _("Contact points")}


@router.get("/atlas/chokepoints")
def choke_points(ctx: MemberCtx,
                 category: Annotated[str, Query(max_length=32)] = "",
                 depth: Annotated[str, Query(max_length=2)] = "") -> Response:
    labels = _category_labels()
    error = ""
    found: list[chokepoints.ChokePoint] = []
    hops = chokepoints.DEFAULT_DEPTH
    try:
        if depth:
            if not depth.isdigit():
                raise InvalidInput(_("depth must be between 1 and %(max)d.")
                                   % {"max": chokepoints.MAX_DEPTH})
            hops = int(depth)
        found = service.choke_points(ctx.session, ctx.viewer, depth=hops, limit=50,
                                     category=category or None)
    except InvalidInput as exc:
        error = str(exc)
    top = max((c.actors for c in found), default=0)
    rows = [SimpleNamespace(rank=i + 1, stix_id=c.node.stix_id, name=c.node.name,
                            type=c.node.type, category=labels[c.node.category],
                            actors=c.actors, top=top, explanation=c.explanation,
                            sample=c.sample, more=c.actors - len(c.sample),
                            betweenness=f"{c.betweenness:.3f}")
            for i, c in enumerate(found)]
    return page(ctx, "atlas/chokepoints.html", {
        "rows": rows, "error": error, "category": category, "depth": hops,
        "categories": list(labels.items()),
        "depths": list(range(1, chokepoints.MAX_DEPTH + 1))},
        status_code=422 if error else 200)
