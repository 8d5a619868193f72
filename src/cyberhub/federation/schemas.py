from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cyberhub.federation.models import FeedStatus
from cyberhub.schemas import AudienceModel
from cyberhub.sharing import PAP, TLP


class MispFeedOut(BaseModel):
    id: uuid.UUID
    name: str
    url: str = Field(description="The feed's folder (http(s) URL, without any password) or "
                                 "directory on the hub's server.")
    org_id: uuid.UUID
    run_as_id: uuid.UUID = Field(description="The user whose rights the feed's imports run "
                                             "with.")
    tlp: TLP = Field(description="Marking for what the feed's data leaves unmarked.")
    pap: PAP | None
    audience: AudienceModel
    interval_minutes: int
    enabled: bool
    cursor: int | None = Field(description="The newest event timestamp imported (manifest "
                                           "timestamp, Unix seconds); null before the first "
                                           "import.")
    cursor_time: datetime | None
    next_poll_at: datetime
    last_polled_at: datetime | None
    last_status: FeedStatus
    last_error: str | None
    last_import_id: uuid.UUID | None
    events_imported: int
    created_at: datetime
    updated_at: datetime
    links: dict[str, str]


class MispFeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    tlp: str = Field(default="AMBER", max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel = Field(default_factory=AudienceModel)
    interval_minutes: int = Field(default=60, ge=1, le=100_000)
    enabled: bool = True
    run_as: uuid.UUID | None = Field(default=None, description="Defaults to you; admins may "
                                                               "name another member.")


class MispFeedPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
    interval_minutes: int | None = Field(default=None, ge=1, le=100_000)
    enabled: bool | None = None
    run_as: uuid.UUID | None = None
