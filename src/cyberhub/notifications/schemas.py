from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    summary: str
    url: str = Field(description="A path on this hub.")
    created_at: datetime
    read_at: datetime | None
    unread: bool


class InboxOut(BaseModel):
    """Unread first, then newest first. Pass ``next_offset`` as ``offset`` for the next
    page; null on the last page."""

    items: list[NotificationOut]
    next_offset: int | None
    unread: int


class MarkedOut(BaseModel):
    marked: int


class UnreadOut(BaseModel):
    unread: int


class WatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=16, description="stix, actor, family, sector, dialogue…")
    target: str = Field(max_length=300, description="A STIX id, a sector name, a dialogue id.")


class WatchOut(BaseModel):
    id: uuid.UUID
    kind: str
    target: str
    key: str
    created_at: datetime


class SettingsOut(BaseModel):
    in_app: bool = Field(True, description="Always on: every notification reaches the inbox.")
    email_mode: str = Field(description="immediate, digest (daily at 06:00 UTC) or off")
    email_available: bool = Field(description="Whether this hub sends e-mail at all.")
    webhook_enabled: bool
    muted_kinds: list[str]
    event_kinds: list[str] = Field(description="Every kind that may be muted.")


class SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_mode: str | None = Field(default=None, max_length=16)
    webhook_enabled: bool | None = None
    muted_kinds: list[str] | None = Field(default=None, max_length=50)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=4096)
    for_organisation: bool = Field(
        default=False, description="Org admins: deliver what the whole organisation may see.")
    password: str | None = Field(
        default=None, max_length=1024,
        description="Your password (re-authentication): required, with a token as with "
                    "a browser session.")


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    for_organisation: bool
    is_enabled: bool
    created_at: datetime
    last_attempt_at: datetime | None
    last_status: str
    last_ok: bool | None


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="Shown once: keep it to verify X-Cyberhub-Signature.")
