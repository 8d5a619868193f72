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


class TechniqueOut(BaseModel):
    stix_id: str
    attack_id: str = Field(description="The ATT&CK id, e.g. T1059.001.")
    name: str
    actors: int = Field(description="Distinct visible actors related to it by 'uses'.")
    reports: int = Field(description="Visible reports that reference it.")
    score: int = Field(description="actors + reports.")


class TacticOut(BaseModel):
    phase: str = Field(description="The kill-chain phase name, e.g. initial-access.")
    label: str
    techniques: list[TechniqueOut]


class HeatmapOut(BaseModel):
    top: int = Field(description="The highest score (the colour scale's end).")
    tactics: list[TacticOut]
