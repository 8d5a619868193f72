"""Web page: the organisation's MISP feed subscriptions — list with their last poll, add,
pause and resume, poll now, delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.deps import Ctx
from cyberhub.federation import service
from cyberhub.federation.models import FeedStatus, MispFeed
from cyberhub.formats.misp.feeds import shown_location
from cyberhub.i18n import _
from cyberhub.jobs import enqueue_after_commit, poll_feed
from cyberhub.notes.pages import tlp_rules
from cyberhub.web.common import MemberCtx, is_htmx, on_error, page, redirect, view

router = APIRouter()

FLASH: dict[str, Callable[[], str]] = {
    "feed-added": lambda: _("The feed is added; it is polled within a minute."),
    "feed-paused": lambda: _("The feed is paused."),
    "feed-resumed": lambda: _("The feed is resumed; it is polled within a minute."),
    "feed-polling": lambda: _("The feed is being polled."),
    "feed-deleted": lambda: _("The feed is deleted. What it imported stays."),
}

STATUS: dict[FeedStatus, tuple[str, Callable[[], str]]] = {
    FeedStatus.NEW: ("queued", lambda: _("not polled yet")),
    FeedStatus.POLLING: ("running", lambda: _("polling")),
    FeedStatus.OK: ("succeeded", lambda: _("ok")),
    FeedStatus.FAILED: ("failed", lambda: _("failed")),
}


def feed_view(feed: MispFeed) -> SimpleNamespace:
    css, label = STATUS[feed.last_status]
    return view(feed, "id", "name", "enabled", "interval_minutes", "events_imported",
                "last_polled_at", "last_error", "last_import_id", "tlp", "pap",
                url=shown_location(feed.url), status_css=css, status_label=label(),
                polling=feed.last_status is FeedStatus.POLLING,
                cursor=datetime.fromtimestamp(feed.cursor, UTC) if feed.cursor else None)


def _values(name: str = "", url: str = "", tlp: str = "AMBER", pap: str = "",
            every: int = 60) -> SimpleNamespace:
    return SimpleNamespace(name=name, url=url, tlp=tlp, pap=pap, every=every)


def _context(ctx: Ctx, form: SimpleNamespace | None = None) -> dict[str, Any]:
    rows = [feed_view(f) for f in service.list_feeds(ctx.session, ctx.viewer)]
    key = ctx.request.query_params.get("flash", "")
    context: dict[str, Any] = {"feeds": rows, "form": form or _values(), "rules": tlp_rules(),
                               "polling": any(r.polling for r in rows),
                               "min_every": service.MIN_INTERVAL,
                               "max_every": service.MAX_INTERVAL}
    if key in FLASH:
        context["flash"] = FLASH[key]()
    return context


@router.get("/misp-feeds")
def list_feeds(ctx: MemberCtx) -> Response:
    return page(ctx, "federation/feeds.html", _context(ctx))


@router.get("/misp-feeds/table")
def feeds_table(ctx: MemberCtx) -> Response:
    """The table fragment that the page reloads while a poll runs."""
    if not is_htmx(ctx):
        return redirect("/misp-feeds")
    return page(ctx, "federation/_feeds_table.html", _context(ctx))


@router.post("/misp-feeds")
def add_feed(ctx: MemberCtx, name: Annotated[str, Form(max_length=200)] = "",
             url: Annotated[str, Form(max_length=2000)] = "",
             tlp: Annotated[str, Form(max_length=16)] = "AMBER",
             pap: Annotated[str, Form(max_length=8)] = "",
             every: Annotated[int, Form(ge=1, le=100_000)] = 60) -> Response:
    on_error(ctx, "federation/feeds.html", _context(ctx, _values(name, url, tlp, pap, every)))
    service.create_feed(ctx.session, ctx.viewer, name=name, url=url, tlp=tlp, pap=pap or None,
                        interval_minutes=every)
    return redirect("/misp-feeds", "feed-added")


def _action(ctx: Ctx) -> None:
    """A failed button re-renders the page with the message."""
    on_error(ctx, "federation/feeds.html", _context(ctx))


@router.post("/misp-feeds/{feed_id}/pause")
def pause_feed(ctx: MemberCtx, feed_id: str) -> Response:
    _action(ctx)
    service.update_feed(ctx.session, ctx.viewer, feed_id, enabled=False)
    return redirect("/misp-feeds", "feed-paused")


@router.post("/misp-feeds/{feed_id}/resume")
def resume_feed(ctx: MemberCtx, feed_id: str) -> Response:
    _action(ctx)
    service.update_feed(ctx.session, ctx.viewer, feed_id, enabled=True)
    return redirect("/misp-feeds", "feed-resumed")


@router.post("/misp-feeds/{feed_id}/poll")
def poll_now(ctx: MemberCtx, feed_id: str) -> Response:
    _action(ctx)
    feed = service.request_poll(ctx.session, ctx.viewer, feed_id)
    enqueue_after_commit(ctx.session, poll_feed, str(feed.id))
    return redirect("/misp-feeds", "feed-polling")


@router.post("/misp-feeds/{feed_id}/delete")
def delete_feed(ctx: MemberCtx, feed_id: str) -> Response:
    _action(ctx)
    service.delete_feed(ctx.session, ctx.viewer, feed_id)
    return redirect("/misp-feeds", "feed-deleted")
