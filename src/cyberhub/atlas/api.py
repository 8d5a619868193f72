"""REST: the threat map's analyses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cyberhub.atlas import attack, chokepoints, service
from cyberhub.atlas.schemas import ChokePointOut, HeatmapOut, TacticOut, TechniqueOut
from cyberhub.deps import ApiCtx
from cyberhub.i18n import _

router = APIRouter(prefix="/atlas", tags=["threat map"])


@router.get("/chokepoints", response_model=list[ChokePointOut])
def list_choke_points(
    ctx: ApiCtx,
    limit: Annotated[int, Query(ge=1, le=500)] = 25,
    depth: Annotated[int, Query(description="Hops from an actor to a resource it depends "
                                            "on (1–4).")] = chokepoints.DEFAULT_DEPTH,
    category: Annotated[str | None, Query(max_length=32, description="infrastructure, "
                                          "service, tool, money or contact.")] = None,
) -> list[ChokePointOut]:
    """Resources ranked by how many visible actors depend on them."""
    found = service.choke_points(ctx.session, ctx.viewer, depth=depth, limit=limit,
                                 category=category)
    return [ChokePointOut(stix_id=c.node.stix_id, type=c.node.type, name=c.node.name,
                          category=c.node.category, actors=c.actors, direct_actors=c.direct,
                          ransomware_actors=c.ransomware, betweenness=c.betweenness,
                          explanation=c.explanation, sample_actors=c.sample)
            for c in found]


Actor = Annotated[str | None, Query(max_length=300, description="Only this actor's "
                                    "techniques (its STIX id).")]
Sector = Annotated[str | None, Query(max_length=300, description="Only actors that target "
                                     "this sector (the sector identity's STIX id).")]
Since = Annotated[datetime | None, Query(description="Relationships modified from (with a "
                                         "time zone).")]
Until = Annotated[datetime | None, Query(description="… until, exclusive.")]


@router.get("/attack", response_model=HeatmapOut)
def attack_heatmap(ctx: ApiCtx, actor: Actor = None, sector: Sector = None,
                   since: Since = None, until: Until = None) -> HeatmapOut:
    """ATT&CK techniques by tactic, scored by the visible actors and reports using them."""
    found = service.attack_heatmap(ctx.session, ctx.viewer, actor=actor, sector=sector,
                                   since=since, until=until)
    return HeatmapOut(top=found.top, tactics=[
        TacticOut(phase=phase, label=label, techniques=[
            TechniqueOut(stix_id=t.stix_id, attack_id=t.attack_id, name=t.name,
                         actors=t.actors, reports=t.reports, score=t.score)
            for t in cells])
        for phase, label, cells in found.columns()])


@router.get("/attack/navigator", response_class=JSONResponse,
            responses={200: {"content": {"application/json": {}},
                             "description": "An ATT&CK Navigator layer (format 4.5)."}})
def attack_navigator(ctx: ApiCtx, actor: Actor = None, sector: Sector = None,
                     since: Since = None, until: Until = None) -> JSONResponse:
    """The same heatmap as an ATT&CK Navigator layer, to open in the Navigator."""
    found = service.attack_heatmap(ctx.session, ctx.viewer, actor=actor, sector=sector,
                                   since=since, until=until)
    layer: dict[str, Any] = attack.navigator_layer(
        found, name=_("cyberhub: techniques in use"),
        description=_("Techniques used by the actors and reports visible to one member of "
                      "this hub, scored by how many use each."))
    return JSONResponse(layer, headers={
        "Content-Disposition": 'attachment; filename="cyberhub-attack-layer.json"'})
