"""REST: the landscape dashboard's figures and the actor profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cyberhub.atlas import landscape, profiles
from cyberhub.deps import ApiCtx

router = APIRouter(prefix="/atlas", tags=["threat map"])


class SeriesOut(BaseModel):
    category: str = Field(description="actor, infrastructure, service, tool, money, "
                                      "contact, indicator or report.")
    label: str
    counts: list[int] = Field(description="One count per week, as in `weeks`.")


class SectorOut(BaseModel):
    stix_id: str = Field(description="The sector identity's STIX id.")
    name: str
    actors: int = Field(description="Distinct actors and campaigns targeting it.")


class CountryOut(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-2.")
    numeric: str = Field(description="ISO 3166-1 numeric (the world map's ids); empty when "
                                     "the code has none.")
    name: str
    targeted: int = Field(description="Distinct actors and campaigns targeting it.")
    origin: int = Field(description="Distinct actors and campaigns originating from it.")


class RankedOut(BaseModel):
    stix_id: str
    type: str
    name: str
    activity: int = Field(description="Visible relationships and sightings touching it, "
                                      "modified in the period.")


class TopOut(BaseModel):
    actors: list[RankedOut]
    tools: list[RankedOut]
    infrastructure: list[RankedOut]


class LandscapeOut(BaseModel):
    period: str
    since: str = Field(description="Start of the first week (a Monday, 00:00 UTC).")
    until: str = Field(description="End of the period (now).")
    weeks: list[str] = Field(description="The first day of each week.")
    new_objects: list[SeriesOut]
    sightings: list[int]
    vetted: list[int]
    sectors: list[SectorOut]
    countries: list[CountryOut]
    top: TopOut


Period = Annotated[str, Query(max_length=8, description="30d, 90d, 1y or 2y.")]


@router.get("/landscape", response_model=LandscapeOut)
def get_landscape(ctx: ApiCtx, period: Period = landscape.DEFAULT_PERIOD) -> LandscapeOut:
    """Trends, sectors, countries and the most active actors, tools and infrastructure,
    computed over what the caller may see."""
    found = landscape.compute(ctx.session, ctx.viewer, period)
    return LandscapeOut.model_validate(found.as_json())


class ActorRowOut(BaseModel):
    id: str = Field(description="The record id of the viewer's copy (or the newest visible).")
    stix_id: str
    type: str
    name: str
    aliases: list[str]
    relationships: int = Field(description="Visible relationships from it.")


class ActorListOut(BaseModel):
    total: int
    actors: list[ActorRowOut]


@router.get("/actors", response_model=ActorListOut)
def list_actors(ctx: ApiCtx, q: Annotated[str, Query(max_length=200)] = "",
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0)] = 0) -> ActorListOut:
    """Visible intrusion sets and threat actors by name; ``q`` searches names and aliases."""
    rows, total = profiles.list_actors(ctx.session, ctx.viewer, q, limit=limit, offset=offset)
    return ActorListOut(total=total, actors=[
        ActorRowOut(id=str(r.record_id), stix_id=r.stix_id, type=r.type, name=r.name,
                    aliases=r.aliases, relationships=r.relationships) for r in rows])


@router.get("/actors/{ref}")
def get_actor(ctx: ApiCtx, ref: str) -> dict[str, Any]:
    """One actor's profile: aliases, artefacts by kind, infrastructure, tools, ATT&CK
    techniques, targets, origins, campaigns, timeline, sources and vetting. 404 when the
    actor does not exist or is not visible."""
    return profiles.profile(ctx.session, ctx.viewer, ref).as_json()
