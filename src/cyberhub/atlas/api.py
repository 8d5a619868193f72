"""REST: the threat map's analyses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cyberhub.atlas import chokepoints, service
from cyberhub.atlas.schemas import ChokePointOut
from cyberhub.deps import ApiCtx

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
