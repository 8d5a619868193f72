from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.intel.models import Vetting
from cyberhub.packages.models import PackageStatus
from cyberhub.schemas import AudienceModel
from cyberhub.sharing import TLP

__all__ = ["AckOut", "PackageIn", "PackageObjectOut", "PackageOut", "PackagePatch",
           "ReleaseIn", "ReviewIn"]


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=1000)
    target: str = Field(default="", max_length=1000, description="Who or what it is about.")
    # The service says plainly when the narrative is over 100,000 characters.
    narrative: str = Field(default="", max_length=1_100_000, description="Markdown.")
    objects: list[str] = Field(default_factory=list, max_length=500,
                               description="Record ids or STIX ids of objects to add.")


class PackagePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=1000)
    target: str | None = Field(default=None, max_length=1000)
    narrative: str | None = Field(default=None, max_length=1_100_000)


class ObjectRefIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str = Field(max_length=300, description="A record id, or a STIX id (your "
                                                    "organisation's copy first).")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(max_length=16, description="approve, or return (to draft)")
    comment: str = Field(default="", max_length=10_000)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tlp: str = Field(default="AMBER", max_length=16,
                     description="AMBER (default), AMBER+STRICT or RED.")
    org_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500,
                                     description="Law-enforcement organisations (AMBER, "
                                                 "AMBER+STRICT).")
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500,
                                      description="Users of law-enforcement organisations "
                                                  "(RED).")


class PackageObjectOut(BaseModel):
    id: uuid.UUID
    stix_id: str
    type: str
    name: str | None
    tlp: TLP
    vetting: Vetting


class AckOut(BaseModel):
    recipient: str = Field(description="org:<id> or user:<id>: the audience entry.")
    org_id: uuid.UUID
    user_id: uuid.UUID
    at: datetime


class PackageOut(BaseModel):
    id: uuid.UUID
    title: str
    target: str
    narrative_markdown: str
    narrative_html: str = Field(description="The narrative rendered and sanitised.")
    status: PackageStatus
    tlp: TLP
    audience: AudienceModel
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewed_by_id: uuid.UUID | None
    reviewed_at: datetime | None
    review_comment: str
    released_by_id: uuid.UUID | None
    released_at: datetime | None
    is_demo: bool
    objects: list[PackageObjectOut] = Field(description="The objects you may see.")
    relationships: list[PackageObjectOut] = Field(
        description="Relationships you may see between the package's objects.")
    hidden_objects: int = Field(description="Objects of the package you may not see.")
    acknowledgements: list[AckOut]
