"""Web page: the partner hubs and the state of each link (hub admins) — last success,
lag, errors, what flowed — with "sync now", pause and resume."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from cyberhub.community.service import require_hub_admin
from cyberhub.db import utcnow
from cyberhub.deps import Ctx
from cyberhub.federation import peers, sync
from cyberhub.federation.models import Peer
from cyberhub.i18n import _, ngettext
from cyberhub.jobs import enqueue_after_commit, sync_peer
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view

router = APIRouter()

FLASH: dict[str, Callable[[], str]] = {
    "syncing": lambda: _("The sync has started; reload the page to follow it."),
    "busy": lambda: _("A sync with this partner is already running."),
    "paused": lambda: _("The partner is paused: no scheduled syncs."),
    "resumed": lambda: _("The partner is resumed; it syncs within a minute."),
}


def _lag(p: Peer) -> str:
    if p.last_success_at is None:
        return _("never synced")
    minutes = int((utcnow() - p.last_success_at).total_seconds() // 60)
    if minutes < 1:
        return _("under a minute")
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    return ngettext("%(n)d hour", "%(n)d hours", minutes // 60) % {"n": minutes // 60}


def _state(p: Peer) -> tuple[str, str]:
    if p.syncing_since is not None:
        return "running", _("syncing")
    if not p.enabled:
        return "queued", _("paused")
    if p.last_error:
        return "failed", _("failing")
    if p.last_success_at is None:
        return "queued", _("not synced yet")
    return "succeeded", _("ok")


def _peer_view(p: Peer) -> SimpleNamespace:
    css, label = _state(p)
    return view(p, "id", "name", "url", "share_green", "enabled", "last_success_at",
                "next_sync_at", "failures", "last_error", "objects_pulled", "objects_pushed",
                "contact", "match_indexed_at", direction=p.direction.value, lag=_lag(p),
                matching=bool(p.match_key), state_css=css, state_label=label)


def _context(ctx: Ctx) -> dict[str, Any]:
    context: dict[str, Any] = {
        "peers": [_peer_view(p) for p in peers.list_peers(ctx.session, ctx.viewer)]}
    key = ctx.request.query_params.get("flash", "")
    if key in FLASH:
        context["flash"] = FLASH[key]()
    return context


@router.get("/admin/partners")
def partners(ctx: MemberCtx) -> Response:
    require_hub_admin(ctx.viewer)
    return page(ctx, "admin/partners.html", _context(ctx))


@router.post("/admin/partners/{peer_id}/sync")
def sync_now(ctx: MemberCtx, peer_id: str) -> Response:
    require_hub_admin(ctx.viewer)
    on_error(ctx, "admin/partners.html", _context(ctx))
    peer = peers.get_peer(ctx.session, ctx.viewer, peer_id)
    if peer.syncing_since is not None:
        return redirect("/admin/partners", "busy")
    peer.next_sync_at = utcnow()
    enqueue_after_commit(ctx.session, _claim_and_sync, str(peer.id))
    return redirect("/admin/partners", "syncing")


def _claim_and_sync(peer_id: str) -> None:
    import uuid

    from cyberhub.jobs import database

    if sync.claim(database(), uuid.UUID(peer_id), force=True):
        sync_peer(peer_id)


@router.post("/admin/partners/{peer_id}/pause")
def pause(ctx: MemberCtx, peer_id: str) -> Response:
    require_hub_admin(ctx.viewer)
    on_error(ctx, "admin/partners.html", _context(ctx))
    peers.set_enabled(ctx.session, ctx.viewer, peers.get_peer(ctx.session, ctx.viewer, peer_id),
                      False)
    return redirect("/admin/partners", "paused")


@router.post("/admin/partners/{peer_id}/resume")
def resume(ctx: MemberCtx, peer_id: str) -> Response:
    require_hub_admin(ctx.viewer)
    on_error(ctx, "admin/partners.html", _context(ctx))
    peers.set_enabled(ctx.session, ctx.viewer, peers.get_peer(ctx.session, ctx.viewer, peer_id),
                      True)
    return redirect("/admin/partners", "resumed")
