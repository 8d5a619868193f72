"""REST: the network of hubs — partners' matching questions, an analyst's question to
the partners, and the state of each partner link (hub admins)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from cyberhub import access
from cyberhub.community import auth
from cyberhub.deconfliction import network
from cyberhub.deps import ApiCtx, Ctx, DbSession, client_ip, refuse_unenrolled, route_reads
from cyberhub.errors import BadRequest, InvalidInput, NotAuthenticated
from cyberhub.federation import matching, peers
from cyberhub.i18n import _
from cyberhub.intel.service import value_keys

router = APIRouter(tags=["network of hubs"])


def partner_ctx(request: Request, session: DbSession) -> Ctx:
    """A partner hub's client: a Bearer token of a user of the organisation standing for
    the partner (read tokens may ask: a question changes nothing here)."""
    scheme, _sep, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthenticated(_("Use 'Authorization: Bearer <token>'."))
    token = auth.authenticate_token(session, secret.strip(), ip=client_ip(request))
    refuse_unenrolled(token.user)
    viewer = access.viewer_for(session, token.user, client_ip(request))
    route_reads(request, session, token)
    return Ctx(session, viewer, request, user=token.user, token=token)


class MatchOut(BaseModel):
    matches: list[str]


@router.post("/federation/match", response_model=MatchOut)
async def answer_partner(request: Request,
                         ctx: Annotated[Ctx, Depends(partner_ctx)]) -> MatchOut:
    """A partner hub asks which of its keyed digests this hub holds (docs/federation.md)."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest(_("The body is not JSON.")) from None
    return MatchOut(matches=matching.answer(ctx.session, ctx.viewer, body))


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest(_("The body is not JSON.")) from None


@router.post("/federation/deconfliction/match")
async def deconfliction_match(request: Request, ctx: Annotated[Ctx, Depends(partner_ctx)]
                              ) -> dict[str, Any]:
    """A partner hub asks which of its deconfliction digests match active registrations
    here; the answer is their pointers (docs/deconfliction.md)."""
    return {"matches": network.answer(ctx.session, ctx.viewer, await _json(request))}


@router.post("/federation/deconfliction/notify")
async def deconfliction_notify(request: Request, ctx: Annotated[Ctx, Depends(partner_ctx)]
                               ) -> dict[str, Any]:
    """A partner hub tells its pointers for digests that matched registrations here."""
    return {"recorded": network.receive(ctx.session, ctx.viewer, await _json(request))}


class PartnerHitOut(BaseModel):
    partner: str
    contact: str
    kinds: list[str]


@router.get("/values/partners", response_model=list[PartnerHitOut])
def ask_partners(ctx: ApiCtx, value: Annotated[str, Query(min_length=1, max_length=2048)],
                 kind: Annotated[str | None, Query(max_length=32)] = None
                 ) -> list[PartnerHitOut]:
    """Which partner hubs also hold this value — asked with keyed digests only."""
    keys = value_keys(value, kind)
    if not keys:
        raise InvalidInput(_("%(value)r is not a value the hub can match.")
                           % {"value": value[:80]}, details={"field": "value"})
    return [PartnerHitOut(partner=h.partner, contact=h.contact, kinds=list(h.kinds))
            for h in matching.ask_partners(ctx.session, ctx.viewer, keys)]


def _state(p: Any) -> dict[str, Any]:
    return {"name": p.name, "url": p.url, "direction": p.direction.value,
            "share_green": p.share_green, "enabled": p.enabled,
            "last_success_at": p.last_success_at, "next_sync_at": p.next_sync_at,
            "syncing": p.syncing_since is not None, "failures": p.failures,
            "last_error": p.last_error, "objects_pulled": p.objects_pulled,
            "objects_pushed": p.objects_pushed, "pull_cursor": p.pull_cursor,
            "matching": bool(p.match_key), "match_indexed_at": p.match_indexed_at}


@router.get("/partners")
def list_partners(ctx: ApiCtx) -> list[dict[str, Any]]:
    """The partner hubs and the state of each link (hub admins)."""
    return [_state(p) for p in peers.list_peers(ctx.session, ctx.viewer)]
