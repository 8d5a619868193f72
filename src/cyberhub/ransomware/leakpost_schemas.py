"""REST shapes: leak-site posts and their import."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from cyberhub.sharing import PAP, TLP

__all__ = ["LeakImportOut", "LeakLineErrorOut", "LeakPostOut"]


class LeakPostOut(BaseModel):
    id: uuid.UUID
    group_name: str = Field(description="The group as the monitor named it.")
    family_ref: str | None = Field(description="The matched family's STIX id, or null.")
    family_name: str
    post_title: str
    description: str = Field(description="Plain text.")
    site: str = Field(description="As given (text, not a link).")
    post_url: str = Field(description="The leak site's address, as given (text).")
    published: datetime
    discovered: datetime
    sector: str | None
    country: str | None = Field(description="ISO 3166 alpha-2.")
    import_id: uuid.UUID | None
    tlp: TLP
    pap: PAP | None
    owner_org_id: uuid.UUID
    created_at: datetime
    is_demo: bool


class LeakLineErrorOut(BaseModel):
    line: int
    field: str
    problem: str


class LeakImportOut(BaseModel):
    import_id: uuid.UUID | None
    lines: int = Field(description="Non-blank lines read.")
    stored: int
    duplicates: int = Field(description="Repeated in the file, or already stored.")
    skipped: int = Field(description="Bad lines left out (mode=lenient).")
    errors: list[LeakLineErrorOut] = Field(description="The first 100 bad lines.")
    error_count: int
    notices: list[str] = Field(description="The first 50 notices (unknown sector, …).")
    notice_count: int
    matched: dict[str, str] = Field(description="Group name → family name.")
    unmatched: dict[str, int] = Field(description="Group names matched to no family → posts.")
