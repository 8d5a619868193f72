from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from cyberhub.community.models import OrgKind, Role, TokenScope


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OrganisationOut(Out):
    id: uuid.UUID
    name: str
    kind: OrgKind
    sector: str | None
    country: str | None
    require_2fa: bool
    is_demo: bool
    created_at: datetime


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    country: str | None = Field(default=None, max_length=64)
    sector: str | None = Field(default=None, max_length=100)
    require_2fa: StrictBool = False


class OrganisationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=64)
    sector: str | None = Field(default=None, max_length=100)
    require_2fa: StrictBool | None = None


class UserOut(Out):
    id: uuid.UUID
    email: str
    display_name: str
    org_id: uuid.UUID
    role: Role
    is_active: bool
    is_demo: bool
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    display_name: str | None = Field(default=None, max_length=120)
    org_id: uuid.UUID
    role: str = Field(max_length=32)
    password: str | None = Field(default=None, max_length=1024)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, max_length=120)
    role: str | None = Field(default=None, max_length=32)
    is_active: StrictBool | None = None


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The account's e-mail address, typed again: erasure cannot be undone.
    confirm: str = Field(max_length=254)


class MeOut(UserOut):
    # Only shown to the user themself: a directory of who lacks a second factor would
    # be a list of the easiest accounts to attack.
    totp_enabled: bool
    organisation: OrganisationOut


class GroupOut(Out):
    id: uuid.UUID
    name: str
    description: str
    org_ids: list[uuid.UUID]
    user_ids: list[uuid.UUID]
    is_demo: bool
    created_at: datetime


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    org_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    org_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    user_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)


class TokenOut(Out):
    id: uuid.UUID
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret. Shown once; store it now.")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    scope: str = Field(default="read", max_length=16)
    expires_days: int = Field(default=90, ge=1, le=366)
    password: str | None = Field(
        default=None, max_length=1024,
        description="Your password, required for a write token (re-authentication); a "
                    "read token needs none.")
