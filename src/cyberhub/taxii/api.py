"""The TAXII 2.1 routes under ``/taxii2/`` (discovery, API root, status, collections,
manifest, objects, object, versions) and their authentication.

Clients authenticate with HTTP Basic (the user's e-mail and an API token as the
password) or a Bearer token; browser sessions are not accepted here. Read tokens read;
a write token and a contributor's role are needed to POST or DELETE.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.community import auth
from cyberhub.community.models import TokenScope
from cyberhub.deps import DbSession, client_ip, refuse_unenrolled, route_reads
from cyberhub.errors import NotAuthenticated, NotFound, PermissionDenied
from cyberhub.federation import peers, wire
from cyberhub.federation.models import Peer
from cyberhub.i18n import _, get_locale
from cyberhub.jobs import enqueue_after_commit, run_import
from cyberhub.taxii import media, paging, service
from cyberhub.taxii.models import TaxiiCollection

router = APIRouter(prefix=media.PREFIX, include_in_schema=False)


@dataclass
class TaxiiCtx:
    session: Session
    viewer: Viewer
    writes: bool  # the token may write
    # Set when the requester's organisation stands for a partner hub.
    peer: Peer | None = None
    partner: access.Partner | None = None


def _credentials(request: Request) -> str:
    """The API token from Basic (e-mail:token) or Bearer authorisation."""
    header = request.headers.get("authorization", "")
    scheme, _sep, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise NotAuthenticated(_("The Basic credentials are not valid base64.")) from None
        email, sep, token = decoded.partition(":")
        if not sep or not token:
            raise NotAuthenticated(_("Send your e-mail address and an API token as the "
                                     "Basic credentials."))
        request.state.basic_email = email.strip().lower()
        return token
    raise NotAuthenticated(_("Authenticate with HTTP Basic (your e-mail address and an API "
                             "token) or 'Authorization: Bearer <token>'."))


def taxii_ctx(request: Request, session: DbSession) -> TaxiiCtx:
    secret = _credentials(request)
    token = auth.authenticate_token(session, secret, ip=client_ip(request))
    email = getattr(request.state, "basic_email", None)
    if email is not None and email != token.user.email.lower():
        raise NotAuthenticated(_("The API token is not valid."))
    refuse_unenrolled(token.user)
    media.check_accept(request.headers.get("accept"))
    viewer = access.viewer_for(session, token.user, client_ip(request))
    peer = peers.partner_for(session, viewer.org_id)
    partner = peers.rule(session, peer) if peer is not None else None
    route_reads(request, session, token)
    return TaxiiCtx(session, viewer, token.scope is TokenScope.WRITE, peer, partner)


Ctx = Annotated[TaxiiCtx, Depends(taxii_ctx)]


def _params(request: Request) -> list[tuple[str, str]]:
    return paging.to_params(request.query_params.multi_items())


def _collection(ctx: TaxiiCtx, api_root: str, collection_id: str) -> TaxiiCollection:
    service.check_api_root(api_root)
    return service.get_collection(ctx.session, collection_id)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/")
def discovery(request: Request, ctx: Ctx) -> Response:
    return media.taxii_response(service.discovery(_base_url(request)))


@router.get("/{api_root}/")
def api_root(api_root: str, ctx: Ctx) -> Response:
    service.check_api_root(api_root)
    return media.taxii_response(service.api_root())


@router.get("/{api_root}/status/{status_id}/")
def status(api_root: str, status_id: str, ctx: Ctx) -> Response:
    service.check_api_root(api_root)
    job = service.get_status(ctx.session, ctx.viewer, status_id)
    return media.taxii_response(service.status_resource(job))


@router.get("/{api_root}/collections/")
def collections(api_root: str, ctx: Ctx) -> Response:
    service.check_api_root(api_root)
    found = service.list_collections(ctx.session)
    if not found:
        return media.taxii_response({})
    return media.taxii_response({"collections": [
        service.collection_resource(c, ctx.viewer, ctx.writes) for c in found]})


@router.get("/{api_root}/collections/{collection_id}/")
def collection(api_root: str, collection_id: str, ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    return media.taxii_response(service.collection_resource(found, ctx.viewer, ctx.writes))


@router.get("/{api_root}/collections/{collection_id}/manifest/")
def manifest(api_root: str, collection_id: str, request: Request, ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    req = paging.parse(_params(request), endpoint="manifest", scope=str(found.id),
                       user_id=_user(ctx))
    page = service.page(ctx.session, ctx.viewer, found, req, with_data=False,
                        partner=ctx.partner)
    return media.taxii_response(service.manifest(page), headers=page.headers())


@router.get("/{api_root}/collections/{collection_id}/objects/")
def get_objects(api_root: str, collection_id: str, request: Request, ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    req = paging.parse(_params(request), endpoint="objects", scope=str(found.id),
                       user_id=_user(ctx))
    page = service.page(ctx.session, ctx.viewer, found, req, partner=ctx.partner)
    return _served(ctx, service.envelope(page, with_origins=ctx.peer is not None), page)


@router.post("/{api_root}/collections/{collection_id}/objects/")
async def add_objects(api_root: str, collection_id: str, request: Request,
                      ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    media.check_content_type(request.headers.get("content-type"))
    if not service.can_write(found, ctx.viewer, ctx.writes):
        raise PermissionDenied(_("You may not add objects to this collection."))
    body = await request.body()
    job = service.add_objects(ctx.session, ctx.viewer, found, body, ctx.peer)
    enqueue_after_commit(ctx.session, run_import, str(job.id), get_locale())
    return media.taxii_response(service.status_resource(job), status_code=202)


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/")
def get_object(api_root: str, collection_id: str, object_id: str, request: Request,
               ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    req = paging.parse(_params(request), endpoint="object", scope=f"{found.id}/{object_id}",
                       user_id=_user(ctx), allowed=("version", "spec_version"))
    _must_exist(ctx, found, object_id)
    page = service.page(ctx.session, ctx.viewer, found, _for_object(req, object_id),
                        partner=ctx.partner)
    return _served(ctx, service.envelope(page, with_origins=ctx.peer is not None), page)


@router.delete("/{api_root}/collections/{collection_id}/objects/{object_id}/")
def delete_object(api_root: str, collection_id: str, object_id: str, request: Request,
                  ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    req = paging.parse(_params(request), endpoint="delete", scope=f"{found.id}/{object_id}",
                       user_id=_user(ctx), allowed=("version", "spec_version"))
    _must_exist(ctx, found, object_id)
    if not ctx.writes:
        raise PermissionDenied(_("This token may only read; use a write token to delete."))
    service.delete_object(ctx.session, ctx.viewer, found, object_id, req)
    return media.taxii_response(b"", status_code=200)


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/versions/")
def get_versions(api_root: str, collection_id: str, object_id: str, request: Request,
                 ctx: Ctx) -> Response:
    found = _collection(ctx, api_root, collection_id)
    req = paging.parse(_params(request), endpoint="versions", scope=f"{found.id}/{object_id}",
                       user_id=_user(ctx), allowed=("spec_version",), default_version="all")
    _must_exist(ctx, found, object_id)
    page = service.page(ctx.session, ctx.viewer, found, _for_object(req, object_id),
                        with_data=False, partner=ctx.partner)
    return media.taxii_response(service.versions(page), headers=page.headers())


def _user(ctx: TaxiiCtx) -> uuid.UUID:
    assert ctx.viewer.user_id is not None
    return ctx.viewer.user_id


def _must_exist(ctx: TaxiiCtx, found: TaxiiCollection, object_id: str) -> None:
    if "--" not in object_id or len(object_id) > 300 or not service.object_exists(
            ctx.session, ctx.viewer, found, object_id, ctx.partner):
        raise NotFound(_("No object %(id)r in this collection.") % {"id": object_id[:100]})


def _served(ctx: TaxiiCtx, body: bytes, page: service.Page) -> Response:
    if wire.enabled():
        wire.record("serve", f"partner:{ctx.peer.name}" if ctx.peer else ctx.viewer.label,
                    body)
    return media.taxii_response(body, headers=page.headers())


def _for_object(req: paging.Request, object_id: str) -> paging.Request:
    return replace(req, ids=(object_id,))
