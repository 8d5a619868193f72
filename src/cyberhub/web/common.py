"""Helpers shared by page routes, and the pages that belong to no domain (home)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cyberhub.deps import Ctx, WebCtx
from cyberhub.i18n import _
from cyberhub.web.render import render

router = APIRouter()

# Messages shown after a redirect, chosen by key so a URL cannot inject text.
FLASH = {
    "signed-in": lambda: _("Welcome back."),
    "signed-out": lambda: _("You are signed out."),
    "signed-out-everywhere": lambda: _("You are signed out on every device."),
    "saved": lambda: _("Saved."),
    "deleted": lambda: _("Deleted."),
    "totp-on": lambda: _("Two-factor sign-in is on."),
    "totp-off": lambda: _("Two-factor sign-in is off."),
    "token-revoked": lambda: _("The token is revoked."),
}


def page(ctx: Ctx, template: str, context: dict[str, Any] | None = None, *,
         status_code: int = 200) -> HTMLResponse:
    flash_key = ctx.request.query_params.get("flash", "")
    base = {"user": ctx.user, "viewer": ctx.viewer,
            "flash": FLASH[flash_key]() if flash_key in FLASH else None}
    ctx.request.state.page_context = base
    return render(ctx.request, template, {**base, **(context or {})}, status_code=status_code)


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    if flash:
        url += ("&" if "?" in url else "?") + "flash=" + flash
    return RedirectResponse(url, status_code=303)


def signin_redirect(request: Request) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse("/signin?next=" + quote(request.url.path, safe="/"), status_code=303)


def safe_next(value: str | None) -> str:
    """Only same-site paths: never let ?next= send someone to another host."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/")
def home(ctx: WebCtx) -> Response:
    if ctx.user is None:
        return signin_redirect(ctx.request)
    from cyberhub.notes import service as notes

    recent = notes.list_notes(ctx.session, ctx.viewer, limit=5).items
    return page(ctx, "home.html", {"recent_notes": recent})
