"""REST shapes of the threat map."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChokePointOut(BaseModel):
    stix_id: str
    type: str
    name: str
    category: str = Field(description="infrastructure, service, tool, money or contact.")
    actors: int = Field(description="Distinct actors that depend on it (see docs/atlas.md).")
    direct_actors: int = Field(description="Of them, those linked to it directly.")
    ransomware_actors: int = Field(description="Of them, actors that use a ransomware family.")
    betweenness: float = Field(description="Normalised betweenness on the shared part of the "
                                           "graph: how much it bridges separate groups.")
    explanation: str
    sample_actors: list[str] = Field(description="Names of up to five of the actors.")
