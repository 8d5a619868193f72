"""Jinja2 environment and page rendering: translations, CSRF token and form stamp,
current user."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape

from cyberhub import __version__, i18n
from cyberhub.community.models import OrgKind, Role
from cyberhub.config import get_settings
from cyberhub.errors import HubError
from cyberhub.sharing import PAP, TLP
from cyberhub.web import cookies, csrf, pace

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"], default=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
# Also the globals ``pgettext(context, message)`` and ``npgettext(context, s, p, n)``.
env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext)


def role_label(role: Role | str) -> str:
    return {
        Role.HUB_ADMIN: i18n.gettext("Hub admin"),
        Role.ORG_ADMIN: i18n.gettext("Org admin"),
        Role.ANALYST: i18n.gettext("Analyst"),
        Role.READER: i18n.gettext("Reader"),
    }.get(Role(role), str(role))


def kind_label(kind: OrgKind | str) -> str:
    return {
        OrgKind.LAW_ENFORCEMENT: i18n.gettext("Law enforcement"),
        OrgKind.CERT: i18n.gettext("CERT / CSIRT"),
        OrgKind.FINANCIAL: i18n.gettext("Financial"),
        OrgKind.TELECOM: i18n.gettext("Telecom"),
        OrgKind.HOSTING: i18n.gettext("Hosting"),
        OrgKind.ONLINE_PLATFORM: i18n.gettext("Online platform"),
        OrgKind.SECURITY_VENDOR: i18n.gettext("Security vendor"),
        OrgKind.INTERNATIONAL: i18n.gettext("International organisation"),
        OrgKind.NON_PROFIT: i18n.gettext("Non-profit"),
        OrgKind.ACADEMIA: i18n.gettext("Academia"),
        OrgKind.OTHER: i18n.gettext("Other"),
    }.get(OrgKind(kind), str(kind))


def device_label(user_agent: str | None) -> str:
    """A short, readable name for a browser's user agent: "Firefox on Windows"."""
    ua = user_agent or ""
    browser = next((name for key, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl"),
        ("python-", "Python"), ("httpx", "Python")) if key in ua), None)
    system = next((name for key, name in (
        ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")) if key in ua), None)
    if browser and system:
        return i18n.gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or i18n.gettext("Unknown device")


# Locale-aware formatting (Babel): moments in UTC, days, numbers, percentages, money.
env.filters["dt"] = i18n.format_datetime
env.filters["date"] = i18n.format_date
env.filters["number"] = i18n.format_number
env.filters["percent"] = i18n.format_percent
env.filters["money"] = i18n.format_money
env.filters["device"] = device_label
env.globals["role_label"] = role_label
env.globals["kind_label"] = kind_label
env.globals["ROLES"] = list(Role)
env.globals["KINDS"] = list(OrgKind)
env.globals["TLPS"] = list(TLP)
env.globals["PAPS"] = list(PAP)

env.globals["LANGUAGES"] = [(code, i18n.LANGUAGE_NAMES[code]) for code in i18n.SUPPORTED_LOCALES]


def use_bytecode_cache(var_dir: Path) -> None:
    """Keep compiled templates on disk (``var/cache/templates``), shared by the app
    processes and kept across restarts: compiling all of them costs seconds of CPU per
    process, loading them from here tens of milliseconds. Jinja checks each against its
    source, so an upgrade recompiles what changed. Without a writable directory,
    templates compile in memory."""
    directory = var_dir / "cache" / "templates"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return
    env.bytecode_cache = FileSystemBytecodeCache(str(directory))


def warm() -> int:
    """Load every page template now (at process start) rather than at the first request
    for it, which would otherwise pay for the compile while a user waits."""
    names = [n for n in env.list_templates() if n.endswith(".html")]
    for name in names:
        env.get_template(name)
    return len(names)


def _csrf_for(request: Request) -> tuple[str, str, str | None]:
    """The CSRF token and the form stamp (``web.pace``) for this browser, and a new
    pre-session cookie if one is needed."""
    session_cookie = request.cookies.get(cookies.name("cyberhub_session"))
    anon = request.cookies.get(cookies.name(csrf.ANON_COOKIE))
    new_anon = None
    if not session_cookie and not anon:
        anon = new_anon = secrets.token_urlsafe(32)
    return (csrf.token_for(session_cookie, anon), pace.stamp(session_cookie, anon), new_anon)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    token, form_stamp, new_anon = _csrf_for(request)
    locale = i18n.get_locale()
    ctx = {
        "request": request,
        "csrf_token": token,
        "form_stamp_value": form_stamp,
        "hub_name": get_settings().hub_name,
        "version": __version__,
        "locale": locale,
        "direction": i18n.direction(locale),
        "user": None,
        "viewer": None,
        **(context or {}),
    }
    html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["cache-control"] = "no-store"
    if new_anon:
        response.set_cookie(cookies.name(csrf.ANON_COOKIE), new_anon, httponly=True,
                            samesite="strict", secure=get_settings().secure_cookies, path="/")
    return response


def error_page(request: Request, error: HubError, *,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """A failed form re-renders its own page with the message (routes set
    ``request.state.error_template``); anything else gets the error page."""
    ctx = getattr(request.state, "page_context", None) or {}
    template = getattr(request.state, "error_template", None) or "error.html"
    return render(request, template, {**ctx, "error": error},
                  status_code=error.status_code, headers=headers)
