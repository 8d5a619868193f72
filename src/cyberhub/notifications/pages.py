"""Web pages: the inbox, its unread counter, notification settings, webhooks, and the
watch/unwatch button that other pages include (``notifications/_watch.html``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from cyberhub.community import reference
from cyberhub.community.validation import clean_sector
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.notifications import email, service, webhooks
from cyberhub.web.common import MemberCtx, is_htmx, on_error, page, redirect, safe_next, view
from cyberhub.web.render import render

router = APIRouter()
PAGE_SIZE = 25

KindList = Annotated[list[str], Form(max_length=50)]


# ---------------------------------------------------------------- the inbox


@router.get("/inbox")
def inbox(ctx: MemberCtx, page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
          ) -> Response:
    result = service.inbox(ctx.session, ctx.viewer, offset=(page_no - 1) * PAGE_SIZE,
                           limit=PAGE_SIZE)
    rows = [view(n, "id", "kind", "title", "summary", "url", "created_at",
                 unread=n.read_at is None) for n in result.items]
    return page(ctx, "notifications/inbox.html", {
        "items": rows, "unread": result.unread, "page_no": page_no, "kind_label": kind_label,
        "newer": page_no - 1 if page_no > 1 else None,
        "older": page_no + 1 if result.next_offset is not None else None})


@router.get("/inbox/count")
def inbox_count(ctx: MemberCtx) -> Response:
    """The counter in the page header (htmx refreshes it)."""
    return render(ctx.request, "notifications/_counter.html",
                  {"unread": service.unread_count(ctx.session, ctx.viewer)})


@router.post("/inbox/read-all")
def read_all(ctx: MemberCtx) -> Response:
    service.mark_all_read(ctx.session, ctx.viewer)
    return redirect("/inbox", "saved")


@router.post("/inbox/{notification_id}/read")
def read_one(ctx: MemberCtx, notification_id: str,
             next: Annotated[str, Form(max_length=600)] = "") -> Response:
    n = service.mark_read(ctx.session, ctx.viewer, notification_id)
    # "Open" marks read and goes to the item; "Mark read" stays in the inbox.
    return redirect(n.url if next == "open" else safe_next(next) if next else "/inbox")


# ---------------------------------------------------------------- settings


def _settings_context(ctx: Ctx, *, new_secret: str | None = None, form_url: str = "",
                      form_for_org: bool = False) -> dict[str, Any]:
    user = ctx.require_user()
    prefs = service.settings_of(ctx.session, user.id)
    hooks = [view(h, "id", "url", "is_enabled", "last_attempt_at", "last_status", "last_ok",
                  for_organisation=h.org_id is not None)
             for h in webhooks.list_webhooks(ctx.session, ctx.viewer)]
    watches = [view(w, "id", "kind", "target") for w in service.list_watches(ctx.session,
                                                                              ctx.viewer)]
    return {"prefs": SimpleNamespace(email_mode=prefs.email_mode,
                                     webhook_enabled=prefs.webhook_enabled,
                                     muted=set(prefs.muted_kinds or [])),
            "kinds": [SimpleNamespace(value=k, label=kind_label(k)) for k in service.EVENT_KINDS],
            "email_available": email.enabled(), "hooks": hooks, "watches": watches,
            "new_secret": new_secret, "form_url": form_url, "form_for_org": form_for_org,
            "sectors": reference.sectors(),
            "is_org_admin": ctx.viewer.role is not None
            and ctx.viewer.role.value in ("org-admin", "hub-admin")}


def kind_label(kind: str) -> str:
    labels = {
        "mention": _("Mentions of you"), "dialogue.contribution": _("Contributions in dialogues"),
        "dialogue.reply": _("Replies in dialogues"), "dialogue.opened": _("Dialogues opened"),
        "dialogue.closed": _("Dialogues closed"), "comment.new": _("New comments"),
        "comment.reply": _("Replies to comments"), "insight.published": _("Insights published"),
        "object.related": _("New objects related to what you watch"),
        "correlation": _("Correlations with your organisation's objects"),
        "incident.new": _("New ransomware incidents"),
        "action_item.due": _("Action items due"), "action_item.overdue": _("Action items overdue"),
        "deconfliction.hit": _("Deconfliction hits"),
    }
    return labels.get(kind, kind)


@router.get("/inbox/settings")
def settings_page(ctx: MemberCtx) -> Response:
    return page(ctx, "notifications/settings.html", _settings_context(ctx))


@router.post("/inbox/settings")
def save_settings(ctx: MemberCtx, email_mode: Annotated[str, Form(max_length=16)] = "immediate",
                  webhook_enabled: Annotated[str, Form(max_length=4)] = "",
                  muted: KindList = []) -> Response:  # noqa: B006 - FastAPI copies defaults
    on_error(ctx, "notifications/settings.html", _settings_context(ctx))
    service.update_settings(ctx.session, ctx.viewer, email_mode=email_mode,
                            webhook_enabled=bool(webhook_enabled), muted_kinds=muted)
    return redirect("/inbox/settings", "saved")


@router.post("/inbox/webhooks")
def add_webhook(ctx: MemberCtx, url: Annotated[str, Form(max_length=4096)] = "",
                for_organisation: Annotated[str, Form(max_length=4)] = "",
                password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    on_error(ctx, "notifications/settings.html",
             _settings_context(ctx, form_url=url, form_for_org=bool(for_organisation)))
    new = webhooks.create_webhook(ctx.session, ctx.viewer, url=url, password=password,
                                  for_organisation=bool(for_organisation))
    # The secret is shown on this response only; it is never shown again.
    return page(ctx, "notifications/settings.html",
                _settings_context(ctx, new_secret=new.secret), status_code=201)


@router.post("/inbox/webhooks/{webhook_id}/delete")
def delete_webhook(ctx: MemberCtx, webhook_id: str) -> Response:
    webhooks.delete_webhook(ctx.session, ctx.viewer, webhook_id)
    return redirect("/inbox/settings", "deleted")


@router.post("/inbox/watches")
def watch_sector(ctx: MemberCtx, sector: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Sectors have no page of their own to carry a Watch button: they are chosen here."""
    on_error(ctx, "notifications/settings.html", _settings_context(ctx))
    name = clean_sector(sector)  # an unknown sector is named in the error, not a 404
    if name is None:
        raise InvalidInput(_("Choose a sector to watch."), details={"field": "sector"})
    service.add_watch(ctx.session, ctx.viewer, "sector", name)
    return redirect("/inbox/settings", "watching")


@router.post("/inbox/watches/{watch_id}/delete")
def delete_watch(ctx: MemberCtx, watch_id: str) -> Response:
    service.remove_watch(ctx.session, ctx.viewer, watch_id)
    return redirect("/inbox/settings", "deleted")


# ---------------------------------------------------------------- the watch button


def _button(ctx: Ctx, kind: str, target: str) -> HTMLResponse:
    watching = service.find_watch(ctx.session, ctx.viewer, kind, target) is not None
    return render(ctx.request, "notifications/_watch_button.html",
                  {"kind": kind, "target": target, "watching": watching})


@router.get("/watch/{kind}/{target:path}")
def watch_button(ctx: MemberCtx, kind: str, target: str) -> Response:
    # Only for targets the viewer may see: the button itself tells nothing else.
    service.check_target(ctx.session, ctx.viewer, kind, target)
    return _button(ctx, kind, target)


@router.post("/watch/{kind}/{target:path}")
def toggle_watch(ctx: MemberCtx, kind: str, target: str,
                 next: Annotated[str, Form(max_length=600)] = "") -> Response:
    canonical = service.check_target(ctx.session, ctx.viewer, kind, target)
    if service.find_watch(ctx.session, ctx.viewer, kind, canonical) is None:
        service.add_watch(ctx.session, ctx.viewer, kind, canonical)
    else:
        service.unwatch(ctx.session, ctx.viewer, kind, canonical)
    if is_htmx(ctx):
        return _button(ctx, kind, canonical)
    return redirect(safe_next(next) if next else "/inbox/settings")

