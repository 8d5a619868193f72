"""REST: me, organisations, users, groups, tokens."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from cyberhub.community import auth, privacy, service
from cyberhub.community.models import Group
from cyberhub.community.schemas import (
    EraseIn,
    GroupIn,
    GroupOut,
    GroupPatch,
    MeOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from cyberhub.deps import ApiCtx
from cyberhub.errors import PermissionDenied
from cyberhub.i18n import _
from cyberhub.schemas import Paged

router = APIRouter()

Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of the page before")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _group_out(group: Group) -> GroupOut:
    return GroupOut(
        id=group.id, name=group.name, description=group.description, is_demo=group.is_demo,
        created_at=group.created_at,
        org_ids=sorted(m.org_id for m in group.members if m.org_id),
        user_ids=sorted(m.user_id for m in group.members if m.user_id))


@router.get("/me", response_model=MeOut, tags=["me"])
def me(ctx: ApiCtx) -> MeOut:
    user = ctx.require_user()
    return MeOut.model_validate(
        {**UserOut.model_validate(user).model_dump(), "totp_enabled": user.totp_enabled,
         "organisation": OrganisationOut.model_validate(user.organisation)})


@router.get("/me/export", tags=["me"], responses={200: {
    "description": "The caller's own data, as a JSON download (no hashes, no secrets).",
    "content": {"application/json": {"schema": {"type": "object"}}}}})
def export_me(ctx: ApiCtx) -> Response:
    """Everything the hub keeps about the caller themself, and references to what they
    contributed (ASVS 8.3.2). The read is audited (``me.export``)."""
    document = privacy.export_own_data(ctx.session, ctx.viewer, ctx.require_user())
    return Response(orjson.dumps(document, option=orjson.OPT_INDENT_2),
                    media_type="application/json",
                    headers={"content-disposition":
                             f'attachment; filename="{privacy.EXPORT_FILENAME}"',
                             "cache-control": "no-store"})


@router.get("/organisations", response_model=Paged[OrganisationOut], tags=["organisations"])
def list_organisations(ctx: ApiCtx, cursor: Cursor = None,
                       limit: Limit = 50) -> Paged[OrganisationOut]:
    page = service.page_organisations(ctx.session, ctx.viewer, cursor=cursor, limit=limit)
    return Paged(items=[OrganisationOut.model_validate(o) for o in page.items],
                 next_cursor=page.next_cursor)


@router.post("/organisations", response_model=OrganisationOut, status_code=201,
             tags=["organisations"])
def create_organisation(body: OrganisationIn, ctx: ApiCtx) -> OrganisationOut:
    org = service.create_organisation(ctx.session, ctx.viewer, **body.model_dump())
    return OrganisationOut.model_validate(org)


@router.get("/organisations/{org_id}", response_model=OrganisationOut, tags=["organisations"])
def get_organisation(org_id: str, ctx: ApiCtx) -> OrganisationOut:
    return OrganisationOut.model_validate(service.get_organisation(ctx.session, ctx.viewer, org_id))


@router.patch("/organisations/{org_id}", response_model=OrganisationOut, tags=["organisations"])
def update_organisation(org_id: str, body: OrganisationPatch, ctx: ApiCtx) -> OrganisationOut:
    org = service.get_organisation(ctx.session, ctx.viewer, org_id)
    org = service.update_organisation(ctx.session, ctx.viewer, org.id,
                                      **body.model_dump(exclude_unset=True))
    return OrganisationOut.model_validate(org)


@router.get("/users", response_model=Paged[UserOut], tags=["users"])
def list_users(ctx: ApiCtx, org_id: str | None = None, cursor: Cursor = None,
               limit: Limit = 50) -> Paged[UserOut]:
    oid = service.get_organisation(ctx.session, ctx.viewer, org_id).id if org_id else None
    page = service.page_users(ctx.session, ctx.viewer, org_id=oid, cursor=cursor, limit=limit)
    return Paged(items=[UserOut.model_validate(u) for u in page.items],
                 next_cursor=page.next_cursor)


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
def create_user(body: UserIn, ctx: ApiCtx) -> UserOut:
    user = service.create_user(ctx.session, ctx.viewer, **body.model_dump())
    return UserOut.model_validate(user)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
def get_user(user_id: str, ctx: ApiCtx) -> UserOut:
    return UserOut.model_validate(service.get_user(ctx.session, ctx.viewer, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(user_id: str, body: UserPatch, ctx: ApiCtx) -> UserOut:
    user = service.get_user(ctx.session, ctx.viewer, user_id)
    user = service.update_user(ctx.session, ctx.viewer, user.id,
                               **body.model_dump(exclude_unset=True))
    return UserOut.model_validate(user)


@router.post("/users/{user_id}/erase", response_model=UserOut, tags=["users"])
def erase_user(user_id: str, body: EraseIn, ctx: ApiCtx) -> UserOut:
    """Erase a deactivated account's personal data (hub admins, and the admins of the
    user's organisation). ``confirm`` is the account's e-mail address."""
    return UserOut.model_validate(privacy.erase_user(ctx.session, ctx.viewer, user_id,
                                                     confirm=body.confirm))


@router.get("/groups", response_model=Paged[GroupOut], tags=["groups"])
def list_groups(ctx: ApiCtx, cursor: Cursor = None, limit: Limit = 50) -> Paged[GroupOut]:
    page = service.page_groups(ctx.session, ctx.viewer, cursor=cursor, limit=limit)
    return Paged(items=[_group_out(g) for g in page.items], next_cursor=page.next_cursor)


@router.post("/groups", response_model=GroupOut, status_code=201, tags=["groups"])
def create_group(body: GroupIn, ctx: ApiCtx) -> GroupOut:
    return _group_out(service.create_group(ctx.session, ctx.viewer, **body.model_dump()))


@router.get("/groups/{group_id}", response_model=GroupOut, tags=["groups"])
def get_group(group_id: str, ctx: ApiCtx) -> GroupOut:
    return _group_out(service.get_group(ctx.session, ctx.viewer, group_id))


@router.patch("/groups/{group_id}", response_model=GroupOut, tags=["groups"])
def update_group(group_id: str, body: GroupPatch, ctx: ApiCtx) -> GroupOut:
    group = service.get_group(ctx.session, ctx.viewer, group_id)
    return _group_out(service.update_group(ctx.session, ctx.viewer, group.id,
                                           **body.model_dump(exclude_unset=True)))


@router.get("/tokens", response_model=Paged[TokenOut], tags=["tokens"])
def list_tokens(ctx: ApiCtx) -> Paged[TokenOut]:
    tokens = auth.list_tokens(ctx.session, ctx.require_user())
    return Paged(items=[TokenOut.model_validate(t) for t in tokens])


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["tokens"])
def create_token(body: TokenIn, ctx: ApiCtx) -> TokenCreated:
    if ctx.token is not None:
        # A token must not mint tokens: a leaked one would otherwise outlive its expiry.
        raise PermissionDenied(_("Create API tokens while signed in (profile page or command "
                                 "line), not with another token."))
    token, secret = auth.create_token(ctx.session, ctx.require_user(), name=body.name,
                                      scope=body.scope, expires_days=body.expires_days, ip=ctx.ip,
                                      self_service=True, password=body.password)
    return TokenCreated.model_validate({**TokenOut.model_validate(token).model_dump(),
                                        "token": secret})


@router.delete("/tokens/{token_id}", status_code=204, tags=["tokens"])
def revoke_token(token_id: str, ctx: ApiCtx) -> Response:
    auth.revoke_token(ctx.session, ctx.require_user(), token_id, ip=ctx.ip)
    return Response(status_code=204)
