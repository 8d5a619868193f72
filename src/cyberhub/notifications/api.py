"""REST: the inbox, watches, notification settings and webhooks of the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from cyberhub.deps import ApiCtx
from cyberhub.notifications import email, service, webhooks
from cyberhub.notifications.models import Notification, NotificationSettings, Watch, Webhook
from cyberhub.notifications.schemas import (
    InboxOut,
    MarkedOut,
    NewWebhookOut,
    NotificationOut,
    SettingsOut,
    SettingsPatch,
    UnreadOut,
    WatchIn,
    WatchOut,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(tags=["notifications"])


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(id=n.id, kind=n.kind, title=n.title, summary=n.summary, url=n.url,
                           created_at=n.created_at, read_at=n.read_at, unread=n.read_at is None)


def settings_out(s: NotificationSettings) -> SettingsOut:
    return SettingsOut(email_mode=s.email_mode, email_available=email.enabled(),
                       webhook_enabled=s.webhook_enabled, muted_kinds=list(s.muted_kinds or []),
                       event_kinds=list(service.EVENT_KINDS))


def watch_out(w: Watch) -> WatchOut:
    return WatchOut(id=w.id, kind=w.kind, target=w.target, key=w.key, created_at=w.created_at)


def webhook_out(h: Webhook) -> WebhookOut:
    return WebhookOut(id=h.id, url=h.url, for_organisation=h.org_id is not None,
                      is_enabled=h.is_enabled, created_at=h.created_at,
                      last_attempt_at=h.last_attempt_at, last_status=h.last_status,
                      last_ok=h.last_ok)


@router.get("/notifications", response_model=InboxOut)
def list_notifications(ctx: ApiCtx, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       unread: bool = False) -> InboxOut:
    page = service.inbox(ctx.session, ctx.viewer, offset=offset, limit=limit,
                         unread_only=unread)
    return InboxOut(items=[notification_out(n) for n in page.items],
                    next_offset=page.next_offset, unread=page.unread)


@router.get("/notifications/unread-count", response_model=UnreadOut)
def unread_count(ctx: ApiCtx) -> UnreadOut:
    return UnreadOut(unread=service.unread_count(ctx.session, ctx.viewer))


@router.post("/notifications/read-all", response_model=MarkedOut)
def read_all(ctx: ApiCtx) -> MarkedOut:
    return MarkedOut(marked=service.mark_all_read(ctx.session, ctx.viewer))


@router.get("/notifications/settings", response_model=SettingsOut)
def get_settings(ctx: ApiCtx) -> SettingsOut:
    return settings_out(service.settings_of(ctx.session, ctx.require_user().id))


@router.patch("/notifications/settings", response_model=SettingsOut)
def update_settings(body: SettingsPatch, ctx: ApiCtx) -> SettingsOut:
    return settings_out(service.update_settings(
        ctx.session, ctx.viewer, email_mode=body.email_mode,
        webhook_enabled=body.webhook_enabled, muted_kinds=body.muted_kinds))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def read_one(notification_id: str, ctx: ApiCtx) -> NotificationOut:
    return notification_out(service.mark_read(ctx.session, ctx.viewer, notification_id))


@router.get("/watches", response_model=list[WatchOut])
def list_watches(ctx: ApiCtx) -> list[WatchOut]:
    return [watch_out(w) for w in service.list_watches(ctx.session, ctx.viewer)]


@router.post("/watches", response_model=WatchOut, status_code=201)
def add_watch(body: WatchIn, ctx: ApiCtx) -> WatchOut:
    return watch_out(service.add_watch(ctx.session, ctx.viewer, body.kind, body.target))


@router.delete("/watches/{watch_id}", status_code=204)
def remove_watch(watch_id: str, ctx: ApiCtx) -> Response:
    service.remove_watch(ctx.session, ctx.viewer, watch_id)
    return Response(status_code=204)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(ctx: ApiCtx) -> list[WebhookOut]:
    return [webhook_out(h) for h in webhooks.list_webhooks(ctx.session, ctx.viewer)]


@router.post("/webhooks", response_model=NewWebhookOut, status_code=201)
def create_webhook(body: WebhookIn, ctx: ApiCtx) -> NewWebhookOut:
    new = webhooks.create_webhook(ctx.session, ctx.viewer, url=body.url,
                                  password=body.password,
                                  for_organisation=body.for_organisation)
    return NewWebhookOut(**webhook_out(new.webhook).model_dump(), secret=new.secret)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, ctx: ApiCtx) -> Response:
    webhooks.delete_webhook(ctx.session, ctx.viewer, webhook_id)
    return Response(status_code=204)
