"""Helpers shared by page routes, and the pages that belong to no domain (home).

Pages render *views*: plain snapshots of the records they show, taken before a form's
service call. A failed form rolls the transaction back, which expires every ORM object
of the request; the snapshots survive, so the form re-renders with what was there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cyberhub.community import auth
from cyberhub.community.models import Role
from cyberhub.deps import Ctx, WebCtx
from cyberhub.i18n import _
from cyberhub.web.render import render

router = APIRouter()

# Messages shown after a redirect, chosen by key so a URL cannot inject text.
FLASH: dict[str, Callable[[], str]] = {
    "signed-in": lambda: _("Welcome back."),
    "signed-out": lambda: _("You are signed out."),
    "signed-out-everywhere": lambda: _("You are signed out on every device."),
    "saved": lambda: _("Saved."),
    "deleted": lambda: _("Deleted."),
    "created": lambda: _("Created."),
    "totp-on": lambda: _("Two-factor sign-in is on."),
    "totp-off": lambda: _("Two-factor sign-in is off."),
    "app-off": lambda: _("The authenticator app is removed. Your security keys still protect "
                         "your sign-in."),
    "key-added": lambda: _("The security key is added. The hub asks for it after your "
                           "password."),
    "key-removed": lambda: _("The security key is removed."),
    "token-revoked": lambda: _("The token is revoked."),
    "password-changed": lambda: _("Your password is changed. Other devices are signed out."),
    "user-added": lambda: _("The user is added. Give them their initial password in person "
                            "or over a second channel."),
    "user-erased": lambda: _("The account is erased: its personal data is gone, and what it "
                             "contributed is now attributed to \"Erased user\"."),
    "note-created": lambda: _("The note is shared."),
    "dialogue-created": lambda: _("The dialogue is planned. Open it when the participants "
                                  "may start contributing."),
    "dialogue-opened": lambda: _("The dialogue is open: participants may contribute."),
    "dialogue-closed": lambda: _("The dialogue is closed, with its outcomes."),
    "contribution-posted": lambda: _("Your contribution is posted."),
    "attachment-added": lambda: _("The file is attached."),
    "insight-created": lambda: _("The draft is saved. Only your organisation sees it until you "
                                 "publish it."),
    "insight-published": lambda: _("The insight is published."),
    "watching": lambda: _("You are watching it: news about it reaches your inbox."),
}


# ---------------------------------------------------------------- who is signed in


@dataclass(frozen=True)
class Me:
    """The signed-in user as the layout shows them: a snapshot, safe after a rollback."""

    id: str
    email: str
    display_name: str
    role: Role
    org_id: str
    org_name: str
    org_is_demo: bool
    totp_enabled: bool
    must_enrol: bool
    second_factor: bool = False  # an authenticator app or a security key
    unread: int = 0  # notifications in the inbox not yet read
    org_kind: str = ""

    @property
    def is_law_enforcement(self) -> bool:
        return self.org_kind == "law-enforcement"

    @property
    def is_hub_admin(self) -> bool:
        return self.role is Role.HUB_ADMIN

    @property
    def is_org_admin(self) -> bool:
        return self.role in (Role.ORG_ADMIN, Role.HUB_ADMIN)


def must_enrol(ctx: Ctx) -> bool:
    """Signed in, but owing a second factor not set up yet: a hub administrator, or a
    member of an organisation that requires one (``auth.second_factor_rule``)."""
    return auth.must_enrol(ctx.user)


def me_of(ctx: Ctx) -> Me | None:
    u = ctx.user
    if u is None:
        return None
    return Me(id=str(u.id), email=u.email, display_name=u.display_name, role=u.role,
              org_id=str(u.org_id), org_name=u.organisation.name,
              org_is_demo=u.organisation.is_demo, totp_enabled=u.totp_enabled,
              must_enrol=must_enrol(ctx), second_factor=u.has_second_factor, unread=_unread(ctx),
              org_kind=str(u.organisation.kind.value))


def _unread(ctx: Ctx) -> int:
    """The inbox counter: one indexed count. An error page after a failed transaction
    shows no number rather than failing again."""
    from sqlalchemy.exc import SQLAlchemyError

    from cyberhub.notifications import service as notifications

    try:
        return notifications.unread_count(ctx.session, ctx.viewer)
    except SQLAlchemyError:
        return 0


def view(obj: Any, *fields: str, **extra: Any) -> SimpleNamespace:
    """A plain snapshot of ``fields`` of an ORM object (plus ``extra``) for a template."""
    return SimpleNamespace(**{f: getattr(obj, f) for f in fields}, **extra)


# ---------------------------------------------------------------- access to pages


class RedirectRequired(Exception):
    """Raised by page guards; the app answers with a 303 to ``url`` (see app.py)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def redirect_response(request: Request, exc: RedirectRequired) -> Response:
    response: Response = RedirectResponse(exc.url, status_code=303)
    if request.headers.get("hx-request"):
        # htmx follows a redirect inside the swap; ask it to load the whole page instead.
        response = Response(status_code=204, headers={"HX-Redirect": exc.url})
    response.headers["cache-control"] = "no-store"
    return response


def _signin_url(request: Request) -> str:
    from urllib.parse import quote

    path = request.url.path if request.method == "GET" else "/"
    return "/signin?next=" + quote(path, safe="/")


def signed_in(ctx: WebCtx) -> Ctx:
    """A signed-in user, even one who still has to enrol a second factor."""
    if ctx.user is None:
        raise RedirectRequired(_signin_url(ctx.request))
    # Errors raised before the page renders (a 404) still show the signed-in layout.
    ctx.request.state.page_context = {**_base(ctx), "user": None, "flash": None}
    return ctx


def member(ctx: WebCtx) -> Ctx:
    """A signed-in user who may use the hub: with a password of their own (a one-time
    password is changed first), enrolled in 2FA where the role or the organisation
    requires it (everyone else is sent to the enrolment page first)."""
    signed_in(ctx)
    if auth.must_change_password(ctx.user):
        raise RedirectRequired("/profile/password")
    if must_enrol(ctx):
        raise RedirectRequired("/profile/2fa")
    return ctx


UserCtx = Annotated[Ctx, Depends(signed_in)]
MemberCtx = Annotated[Ctx, Depends(member)]


# ---------------------------------------------------------------- responses


def _base(ctx: Ctx) -> dict[str, Any]:
    flash_key = ctx.request.query_params.get("flash", "")
    return {"user": ctx.user, "me": me_of(ctx), "viewer": ctx.viewer,
            "flash": FLASH[flash_key]() if flash_key in FLASH else None}


def request_origin(ctx: Ctx) -> str:
    """The scheme, host and port the request came to (``scheme://host[:port]``)."""
    url = ctx.request.url
    return f"{url.scheme}://{url.netloc}"


def json_options(options: str) -> Response:
    """WebAuthn options (JSON text from the webauthn library) for a page's script, as
    ``{"publicKey": …}``. The script asks with ``Accept: application/json``, so a refusal
    answers in JSON too (``app._wants_html``)."""
    return Response('{"publicKey":' + options + "}", media_type="application/json")


def page(ctx: Ctx, template: str, context: dict[str, Any] | None = None, *,
         status_code: int = 200) -> HTMLResponse:
    base = _base(ctx)
    ctx.request.state.page_context = {**base, "user": None}
    return render(ctx.request, template, {**base, **(context or {})}, status_code=status_code)


def on_error(ctx: Ctx, template: str, context: dict[str, Any] | None = None) -> None:
    """Before a form's service call: where a HubError re-renders, and with what.

    ``context`` must hold snapshots (see :func:`view`), never ORM objects."""
    ctx.request.state.error_template = template
    ctx.request.state.page_context = {**_base(ctx), "user": None, "flash": None,
                                      **(context or {})}


def is_htmx(ctx: Ctx) -> bool:
    return bool(ctx.request.headers.get("hx-request"))


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    if flash:
        url += ("&" if "?" in url else "?") + "flash=" + flash
    return RedirectResponse(url, status_code=303)


def signin_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(_signin_url(request), status_code=303)


def safe_next(value: str | None) -> str:
    """Only same-site paths: never let ?next= send someone to another host."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _came_from(request: Request) -> str:
    """The page a form was posted from, by its Referer when that is this site (the
    switcher carries no path of its own, so a page never echoes the address it was
    asked for: a missing record's page stays byte for byte an invisible one's)."""
    from urllib.parse import urlsplit

    referer = urlsplit(request.headers.get("referer", ""))
    if referer.scheme in ("http", "https") and referer.netloc == request.url.netloc:
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    return "/"


@router.post("/language")
def choose_language(ctx: WebCtx, locale: Annotated[str, Form(max_length=16)] = "",
                    next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """The language switcher (every page) and the profile's chooser: saved to the profile
    when signed in, to a cookie in any case, then back to the page (``next``, else the
    Referer; same site only). An empty choice follows the browser's language again."""
    from cyberhub import i18n
    from cyberhub.community import service as community
    from cyberhub.config import get_settings

    chosen = i18n.supported(locale) if locale else None
    if ctx.user is not None:
        community.set_own_locale(ctx.session, ctx.viewer, ctx.user, locale or None)
    target = safe_next(next) if next else _came_from(ctx.request)
    response = RedirectResponse(target, status_code=303)
    if chosen is None:
        response.delete_cookie(i18n.COOKIE, path="/")
    else:
        response.set_cookie(i18n.COOKIE, chosen, max_age=366 * 24 * 3600, httponly=True,
                            samesite="lax", secure=get_settings().secure_cookies, path="/")
    return response


@router.get("/")
def home(ctx: MemberCtx) -> Response:
    from cyberhub.notes import service as notes
    from cyberhub.notes.pages import note_rows, tlp_rules

    recent = notes.list_notes(ctx.session, ctx.viewer, limit=8).items
    return page(ctx, "home.html", {"recent_notes": note_rows(ctx, recent),
                                   "tlp_rules": tlp_rules()})


def audience_options(ctx: Ctx) -> SimpleNamespace:
    """The recipients a shareable record may name: organisations, groups, active users."""
    from cyberhub.community import service as community

    orgs = community.list_organisations(ctx.session, ctx.viewer)
    org_names = {o.id: o.name for o in orgs}
    return SimpleNamespace(
        orgs=[SimpleNamespace(id=str(o.id), label=o.name) for o in orgs],
        groups=[SimpleNamespace(id=str(g.id), label=g.name)
                for g in community.list_groups(ctx.session, ctx.viewer)],
        users=[SimpleNamespace(id=str(u.id), label=f"{u.display_name} · {u.email} "
                                                  f"({org_names.get(u.org_id, '')})")
               for u in community.list_users(ctx.session, ctx.viewer) if u.is_active],
    )

