"""Web pages of the threat map."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cyberhub.atlas import attack, chokepoints, service
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.web.common import MemberCtx, page
from cyberhub.web.render import render

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
                            sample_links=list(zip(c.sample_ids, c.sample, strict=False)),
                            betweenness=f"{c.betweenness:.3f}")
            for i, c in enumerate(found)]
    return page(ctx, "atlas/chokepoints.html", {
        "rows": rows, "error": error, "category": category, "depth": hops,
        "categories": list(labels.items()),
        "depths": list(range(1, chokepoints.MAX_DEPTH + 1))},
        status_code=422 if error else 200)


def _moment(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise InvalidInput(_("%(field)s must be a date, e.g. 2026-01-31.") % {"field": field},
                           details={"field": field}) from None


@router.get("/atlas/attack")
def attack_heatmap(ctx: MemberCtx,
                   actor: Annotated[str, Query(max_length=300)] = "",
                   sector: Annotated[str, Query(max_length=300)] = "",
                   since: Annotated[str, Query(max_length=10)] = "",
                   until: Annotated[str, Query(max_length=10)] = "",
                   all: Annotated[str, Query(max_length=1)] = "") -> Response:
    error = ""
    actor_name = ""
    actor_field = actor  # what the actor field shows again
    try:
        # An actor is picked from the suggestions (its STIX id) or typed by its name; the
        # field shows its name when that names it alone.
        actor, actor_name = service.attack_actor(ctx.session, ctx.viewer, actor.strip())
        if actor_name and service.attack_actor_named_alone(ctx.session, ctx.viewer, actor_name):
            actor_field = actor_name
        found = service.attack_heatmap(
            ctx.session, ctx.viewer, actor=actor or None, sector=sector or None,
            since=_moment(since, "since"), until=_moment(until, "until"))
    except InvalidInput as exc:
        error = str(exc)
        found = service.attack_heatmap(ctx.session, ctx.viewer)
    top = found.top
    columns = [SimpleNamespace(phase=phase, label=label, used=sum(1 for t in cells if t.score),
                               cells=[SimpleNamespace(
                                   stix_id=t.stix_id, attack_id=t.attack_id, name=t.name,
                                   score=t.score, actors=t.actors, reports=t.reports,
                                   heat=attack.heat(t.score, top)) for t in cells])
               for phase, label, cells in found.columns(include_unused=bool(all))]
    # The layer's link downloads what is shown: everything, when the filters were refused.
    query = "" if error else urlencode({k: v for k, v in (
        ("actor", actor), ("sector", sector), ("since", since), ("until", until)) if v})
    return page(ctx, "atlas/attack.html", {
        "columns": columns, "top": top, "error": error, "show_all": bool(all),
        "actor": actor, "actor_name": actor_name, "actor_field": actor_field,
        "sector": sector, "since": since,
        "until": until, "sectors": service.attack_sectors(ctx.session, ctx.viewer),
        "query": query, "used": sum(c.used for c in columns)},
        status_code=422 if error else 200)


@router.get("/atlas/attack/actors")
def attack_actor_options(ctx: MemberCtx,
                         actor: Annotated[str, Query(max_length=300)] = "") -> Response:
    """Suggestions for the heatmap's actor field: the visible actors whose name holds what
    was typed (htmx fills the field's list with them)."""
    return render(ctx.request, "atlas/_actor_options.html", {
        "actors": service.attack_actor_suggestions(ctx.session, ctx.viewer, actor)})
