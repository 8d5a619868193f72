from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.sharing import TLP

__all__ = ["CandidateOut", "ContactOut", "DecryptorIn", "DecryptorOut", "DecryptorPatch",
           "EvidenceOut", "FamilyOut", "FamilySummaryOut", "IdentifyIn", "IdentifyOut"]


class IdentifyIn(BaseModel):
    """What the victim sees; give at least one."""

    model_config = ConfigDict(extra="forbid")
    file_name: str = Field(default="", max_length=400,
                           description="An encrypted file's name, or just its extension.")
    note_name: str = Field(default="", max_length=400,
                           description="The ransom note's file name.")
    note_text: str = Field(default="", max_length=200_000,
                           description="The ransom note's text (plain text).")
    contacts: list[str] = Field(default_factory=list, max_length=20,
                                description="Contact points from the note: e-mail, onion "
                                            "address, wallet, chat ID as platform:handle.")
    limit: int = Field(default=10, ge=1, le=50)


class EvidenceOut(BaseModel):
    kind: str = Field(description="extension, note_name, note_text, contact or "
                                  "knowledge_base")
    message: str
    points: float


class DecryptorOut(BaseModel):
    id: uuid.UUID
    family_ref: str
    family_name: str
    name: str
    provider: str
    url: str
    notes: str
    released: date | None
    tlp: TLP
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class CandidateOut(BaseModel):
    rank: int
    family_ref: str
    name: str
    score: float
    evidence: list[EvidenceOut]
    decryptors: list[DecryptorOut]


class ContactOut(BaseModel):
    kind: str
    value: str
    objects: int = Field(description="Visible objects of this hub that carry it.")
    warning_lists: list[str]


class IdentifyOut(BaseModel):
    candidates: list[CandidateOut]
    contacts: list[ContactOut]
    used: dict[str, object]
    families: int
    notes: int


class FamilySummaryOut(BaseModel):
    family_ref: str
    name: str
    aliases: list[str]
    extensions: list[str]
    note_names: list[str]
    notes: int


class FamilyListOut(BaseModel):
    items: list[FamilySummaryOut]
    total: int


class RelatedOut(BaseModel):
    ref: str
    name: str
    type: str
    relationship: str


class FamilyOut(BaseModel):
    family_ref: str
    name: str
    aliases: list[str]
    description: str
    extensions: list[str]
    note_names: list[str]
    notes: list[str] = Field(description="Ransom notes as plain text: never render as HTML.")
    payment_methods: list[str]
    ransom_amounts: list[str]
    encryption: list[str]
    discovered: list[str]
    records: list[uuid.UUID]
    decryptors: list[DecryptorOut]
    actors: list[RelatedOut]
    techniques: list[RelatedOut]
    related: list[RelatedOut]
    incidents: int = Field(description="Incidents of this family the caller may see "
                                       "(list them with GET /ransomware/incidents).")


class DecryptorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    family_ref: str = Field(max_length=300, description="The family's STIX id.")
    name: str = Field(max_length=200)
    url: str = Field(max_length=2000, description="http:// or https:// only.")
    provider: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=5000)
    released: date | None = None
    tlp: str = Field(default="CLEAR", max_length=16, description="CLEAR (default) or GREEN.")


class DecryptorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    family_ref: str | None = Field(default=None, max_length=300)
    name: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    provider: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    released: date | None = None
    tlp: str | None = Field(default=None, max_length=16)
