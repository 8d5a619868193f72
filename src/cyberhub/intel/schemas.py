from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from cyberhub.intel.models import ImportStatus


class ImportProblem(BaseModel):
    index: int = Field(description="Position of the object in the bundle's objects array "
                                   "(-1: found after reading, e.g. an unresolved reference).")
    id: str | None
    path: str = Field(description="The property at fault; empty for the whole object.")
    message: str


class ImportCountsOut(BaseModel):
    seen: int = 0
    stored: int = 0
    unchanged: int = 0
    new_versions: int = 0
    invalid: int = 0
    bytes_done: int = 0


class ImportOut(BaseModel):
    id: uuid.UUID
    status: ImportStatus
    format: str
    mode: str
    filename: str
    tlp: str
    pap: str | None
    audience: dict[str, list[str]]
    bytes_total: int
    progress: float = Field(description="0 to 1, by bytes read.")
    counts: ImportCountsOut
    errors: list[ImportProblem]
    notices: list[ImportProblem] = Field(
        default_factory=list, description="What the converter of a non-STIX format kept, "
        "changed or skipped (index: the row, line or item in the source).")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="The format's options (a CSV mapping…).")
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: dict[str, Any] = Field(default_factory=dict)
