"""REST: MISP feed subscriptions of the caller's organisation."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from cyberhub.audience import Audience
from cyberhub.deps import ApiCtx
from cyberhub.federation import service
from cyberhub.federation.models import MispFeed
from cyberhub.federation.schemas import MispFeedIn, MispFeedOut, MispFeedPatch
from cyberhub.formats.misp.feeds import shown_location
from cyberhub.jobs import enqueue_after_commit, poll_feed
from cyberhub.schemas import AudienceModel, Paged

router = APIRouter(tags=["MISP feeds"])


def feed_out(feed: MispFeed) -> MispFeedOut:
    aud = feed.audience or {}
    links = {"self": f"/api/v1/misp-feeds/{feed.id}",
             "poll": f"/api/v1/misp-feeds/{feed.id}/poll"}
    if feed.last_import_id:
        links["last_import"] = f"/api/v1/imports/{feed.last_import_id}"
    return MispFeedOut(
        id=feed.id, name=feed.name, url=shown_location(feed.url), org_id=feed.org_id,
        run_as_id=feed.run_as_id, tlp=feed.tlp, pap=feed.pap,
        audience=AudienceModel(org_ids=aud.get("org_ids", []), group_ids=aud.get("group_ids", []),
                               user_ids=aud.get("user_ids", [])),
        interval_minutes=feed.interval_minutes, enabled=feed.enabled, cursor=feed.cursor,
        cursor_time=datetime.fromtimestamp(feed.cursor, UTC) if feed.cursor else None,
        next_poll_at=feed.next_poll_at, last_polled_at=feed.last_polled_at,
        last_status=feed.last_status, last_error=feed.last_error,
        last_import_id=feed.last_import_id, events_imported=feed.events_imported,
        created_at=feed.created_at, updated_at=feed.updated_at, links=links)


def _audience(model: AudienceModel | None) -> Audience | None:
    return None if model is None else Audience(model.org_ids, model.group_ids, model.user_ids)


@router.get("/misp-feeds", response_model=Paged[MispFeedOut])
def list_feeds(ctx: ApiCtx) -> Paged[MispFeedOut]:
    """Your organisation's MISP feed subscriptions (admins and analysts)."""
    return Paged(items=[feed_out(f) for f in service.list_feeds(ctx.session, ctx.viewer)])


@router.post("/misp-feeds", response_model=MispFeedOut, status_code=201)
def create_feed(body: MispFeedIn, ctx: ApiCtx) -> JSONResponse:
    """Subscribe your organisation to a MISP feed: the http(s) URL of the folder holding
    manifest.json. It is polled every ``interval_minutes``, first at the next minute."""
    feed = service.create_feed(
        ctx.session, ctx.viewer, name=body.name, url=body.url, tlp=body.tlp, pap=body.pap,
        audience=_audience(body.audience), interval_minutes=body.interval_minutes,
        enabled=body.enabled, run_as=body.run_as)
    return JSONResponse(feed_out(feed).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/api/v1/misp-feeds/{feed.id}"})


@router.get("/misp-feeds/{feed_id}", response_model=MispFeedOut)
def get_feed(feed_id: str, ctx: ApiCtx) -> MispFeedOut:
    return feed_out(service.get_feed(ctx.session, ctx.viewer, feed_id))


@router.patch("/misp-feeds/{feed_id}", response_model=MispFeedOut)
def update_feed(feed_id: str, body: MispFeedPatch, ctx: ApiCtx) -> MispFeedOut:
    """Change a subscription; ``"enabled": false`` pauses it. A new URL starts the cursor
    again; ``"pap": null`` clears the PAP marking."""
    pap = (body.pap or "") if "pap" in body.model_fields_set else None
    feed = service.update_feed(
        ctx.session, ctx.viewer, feed_id, name=body.name, url=body.url, tlp=body.tlp, pap=pap,
        audience=_audience(body.audience), interval_minutes=body.interval_minutes,
        enabled=body.enabled, run_as=body.run_as)
    return feed_out(feed)


@router.delete("/misp-feeds/{feed_id}", status_code=204)
def delete_feed(feed_id: str, ctx: ApiCtx) -> Response:
    """Unsubscribe. What the feed imported stays."""
    service.delete_feed(ctx.session, ctx.viewer, feed_id)
    return Response(status_code=204)


@router.post("/misp-feeds/{feed_id}/poll", response_model=MispFeedOut, status_code=202)
def poll_now(feed_id: str, ctx: ApiCtx) -> JSONResponse:
    """Poll the feed now, in the background (a paused feed too). Follow the feed's
    ``last_status``, or its last import. 409 while a poll is running."""
    feed = service.request_poll(ctx.session, ctx.viewer, feed_id)
    enqueue_after_commit(ctx.session, poll_feed, str(feed.id))
    return JSONResponse(feed_out(feed).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/api/v1/misp-feeds/{feed.id}"})
