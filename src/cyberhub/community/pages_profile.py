"""Web pages: the signed-in user's own profile, second factor and API tokens."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.community import auth, keys, notices, security, service
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.deps import SESSION_COOKIE, Ctx
from cyberhub.errors import HubError, InvalidInput
from cyberhub.i18n import _
from cyberhub.web import cookies
from cyberhub.web.common import (
    MemberCtx,
    UserCtx,
    json_options,
    on_error,
    page,
    redirect,
    request_origin,
    view,
)

router = APIRouter()

TOKEN_EXPIRY_CHOICES = (7, 30, 90, 180, 366)


# ---------------------------------------------------------------- profile


def _profile_data(ctx: Ctx) -> dict[str, Any]:
    user = ctx.require_user()
    current = ctx.web_session.id if ctx.web_session else None
    sessions = [view(s, "id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent",
                     current=s.id == current)
                for s in auth.list_sessions(ctx.session, user)]
    return {"sessions": sessions, "token_count": len(auth.list_tokens(ctx.session, user)),
            "display_name": user.display_name, "user_locale": user.locale}


@router.get("/profile")
def profile(ctx: MemberCtx) -> Response:
    return page(ctx, "community/profile.html", _profile_data(ctx))


@router.post("/profile/name")
def change_name(ctx: MemberCtx,
                display_name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    on_error(ctx, "community/profile.html", {**_profile_data(ctx), "display_name": display_name,
                                             "failed": "name"})
    service.set_own_display_name(ctx.session, ctx.viewer, ctx.require_user(), display_name)
    return redirect("/profile", "saved")


@router.get("/profile/password")
def choose_password(ctx: UserCtx) -> Response:
    """Where a one-time password is changed before anything else (others: the profile)."""
    if not auth.must_change_password(ctx.user):
        return redirect("/profile")
    return page(ctx, "community/password.html")


@router.post("/profile/password")
def change_password(ctx: UserCtx, current_password: Annotated[str, Form(max_length=1024)] = "",
                    password: Annotated[str, Form(max_length=2048)] = "",
                    password_confirm: Annotated[str, Form(max_length=2048)] = "") -> Response:
    # Open to a user who still owes a new password (``UserCtx``): this is where it is set.
    one_time = auth.must_change_password(ctx.user)
    if one_time:
        on_error(ctx, "community/password.html")
    else:
        on_error(ctx, "community/profile.html", {**_profile_data(ctx), "failed": "password"})
    if password != password_confirm:
        raise InvalidInput(_("The two new passwords are not the same. Type the new password "
                             "twice."), details={"field": "password_confirm"})
    service.change_own_password(
        ctx.session, ctx.viewer, ctx.require_user(), current=current_password, new=password,
        keep_session_id=ctx.web_session.id if ctx.web_session else None)
    return redirect("/" if one_time else "/profile", "password-changed")


@router.post("/profile/password/strength")
def password_strength(ctx: UserCtx, password: Annotated[str, Form(max_length=2048)] = "",
                      email: Annotated[str | None, Form(max_length=1000)] = None,
                      display_name: Annotated[str, Form(max_length=1000)] = "",
                      org: Annotated[str | None, Form(max_length=64)] = None) -> Response:
    """The live strength meter under a new password (ASVS V2.1.8), judged by the same rule
    as the check on submit. Signed-in users only; the password is neither kept, logged
    nor echoed, and zxcvbn never sees more than its first 72 characters (over 128 it is
    refused as on submit). With ``email`` it is an administrator's new-user form: the
    new user's e-mail, name and organisation (``org``; absent: the administrator's own, as
    on the organisation's page) count as guessable, as when the user is created."""
    user = ctx.require_user()
    if email is None:
        inputs = [user.email, user.display_name or "", user.organisation.name]
    else:
        inputs = [email, display_name]
        try:
            chosen = user.organisation if org is None else (
                service.get_organisation(ctx.session, ctx.viewer, org) if org else None)
        except HubError:
            chosen = None
        if chosen is not None:
            inputs.append(chosen.name)
    strength = security.password_strength(password, user_inputs=inputs) if password else None
    return page(ctx, "community/_password_strength.html", {
        "strength": strength, "min_score": get_settings().password_min_score})


@router.post("/profile/signout-everywhere")
def signout_everywhere(ctx: UserCtx,
                       password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    on_error(ctx, "community/profile.html", {**_profile_data(ctx), "failed": "signout"})
    auth.sign_out_everywhere(ctx.session, ctx.require_user(), password, ip=ctx.ip)
    response = redirect("/signin", "signed-out-everywhere")
    cookies.delete(response, SESSION_COOKIE)
    return response


# ---------------------------------------------------------------- second factor


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a base64 data URI (the CSP allows data: images, nothing inline)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=6, border=2, dark="#000000",
                                     light="#ffffff", xmldecl=False, svgns=True)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _totp_data(ctx: Ctx) -> dict[str, Any]:
    user = ctx.require_user()
    secret = auth.pending_totp_secret(user)
    data: dict[str, Any] = {"enabled": user.totp_enabled, "pending": secret is not None,
                            "required": auth.second_factor_rule(user),
                            "keys": [view(k, "id", "name", "created_at", "last_used_at")
                                     for k in keys.list_keys(ctx.session, user)],
                            "key_form": {"name": ""}}
    if secret is not None:
        uri = security.totp_uri(secret, user.email, get_settings().hub_name)
        grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
        data.update(secret=grouped, qr=qr_data_uri(uri))
    return data


@router.get("/profile/2fa")
def totp_page(ctx: UserCtx) -> Response:
    return page(ctx, "community/totp.html", _totp_data(ctx))


@router.post("/profile/2fa/start")
def totp_start(ctx: UserCtx) -> Response:
    on_error(ctx, "community/totp.html", _totp_data(ctx))
    auth.begin_totp_enrolment(ctx.session, ctx.require_user())
    return redirect("/profile/2fa")


@router.post("/profile/2fa/confirm")
def totp_confirm(ctx: UserCtx, code: Annotated[str, Form(max_length=32)] = "") -> Response:
    on_error(ctx, "community/totp.html", _totp_data(ctx))
    auth.confirm_totp_enrolment(ctx.session, ctx.require_user(), code, ip=ctx.ip)
    return redirect("/profile/2fa", "totp-on")


@router.post("/profile/2fa/disable")
def totp_disable(ctx: MemberCtx, password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    on_error(ctx, "community/totp.html", _totp_data(ctx))
    user = ctx.require_user()
    auth.disable_totp(ctx.session, user, password, ip=ctx.ip)
    return redirect("/profile/2fa", "app-off" if user.security_keys else "totp-off")


# ---------------------------------------------------------------- security keys


@router.post("/profile/2fa/keys/options")
def key_options(ctx: UserCtx, name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """What the browser asks the new key to do (the page's script fetches it as JSON);
    the challenge is kept on this session for five minutes."""
    assert ctx.web_session is not None
    options = keys.registration_options(
        ctx.session, ctx.require_user(), ctx.web_session,
        keys.relying_party(request_origin(ctx)), name=name)
    return json_options(options)


@router.post("/profile/2fa/keys")
def key_add(ctx: UserCtx, name: Annotated[str, Form(max_length=1000)] = "",
            credential: Annotated[str, Form(max_length=1_048_576)] = "") -> Response:
    on_error(ctx, "community/totp.html", {**_totp_data(ctx), "key_form": {"name": name}})
    assert ctx.web_session is not None
    keys.register_key(ctx.session, ctx.require_user(), ctx.web_session,
                      keys.relying_party(request_origin(ctx)), name=name,
                      credential=credential, ip=ctx.ip)
    return redirect("/profile/2fa", "key-added")


def _key_data(ctx: Ctx, key_id: str) -> dict[str, Any]:
    user = ctx.require_user()
    key = keys.get_key(ctx.session, user, key_id)
    others = [k for k in keys.list_keys(ctx.session, user) if k.id != key.id]
    return {"key": view(key, "id", "name", "created_at", "last_used_at"),
            "last_factor": auth.second_factor_rule(user) is not None
            and not user.totp_enabled and not others,
            "required": auth.second_factor_rule(user)}


@router.get("/profile/2fa/keys/{key_id}/remove")
def key_remove_form(ctx: MemberCtx, key_id: str) -> Response:
    return page(ctx, "community/key_remove.html", _key_data(ctx, key_id))


@router.post("/profile/2fa/keys/{key_id}/remove")
def key_remove(ctx: MemberCtx, key_id: str,
               password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    on_error(ctx, "community/key_remove.html", _key_data(ctx, key_id))
    keys.remove_key(ctx.session, ctx.require_user(), key_id, password, ip=ctx.ip)
    return redirect("/profile/2fa", "key-removed")


# ---------------------------------------------------------------- API tokens


def _tokens_data(ctx: Ctx) -> dict[str, Any]:
    now = utcnow()

    def expiry(expires_at: datetime | None) -> dict[str, Any]:
        # Days left, and whether to warn: within the week the owner is told (ASVS 2.3.3).
        if expires_at is None:
            return {"days_left": None, "expired": False, "expiring_soon": False}
        return {"days_left": notices.days_left(expires_at, now), "expired": expires_at <= now,
                "expiring_soon": now < expires_at <= now + notices.TOKEN_EXPIRY_WARNING}

    tokens = [view(t, "id", "name", "prefix", "scope", "created_at", "expires_at",
                   "last_used_at", **expiry(t.expires_at))
              for t in auth.list_tokens(ctx.session, ctx.require_user())]
    return {"tokens": tokens, "expiry_choices": TOKEN_EXPIRY_CHOICES,
            "form": {"name": "", "scope": "read", "expires_days": "90"}}


@router.get("/profile/tokens")
def tokens(ctx: MemberCtx) -> Response:
    return page(ctx, "community/tokens.html", _tokens_data(ctx))


@router.post("/profile/tokens")
def create_token(ctx: MemberCtx, name: Annotated[str, Form(max_length=1000)] = "",
                 scope: Annotated[str, Form(max_length=16)] = "read",
                 expires_days: Annotated[str, Form(max_length=8)] = "90",
                 password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    on_error(ctx, "community/tokens.html", {
        **_tokens_data(ctx),
        "form": {"name": name, "scope": scope, "expires_days": expires_days}})
    try:
        days = int(expires_days)
    except ValueError:
        raise InvalidInput(_("A token expires after 1 to 366 days."),
                           details={"field": "expires_days"}) from None
    token, secret = auth.create_token(ctx.session, ctx.require_user(), name=name, scope=scope,
                                      expires_days=days, ip=ctx.ip, self_service=True,
                                      password=password)
    return page(ctx, "community/token_created.html", {
        "token": view(token, "id", "name", "prefix", "scope", "expires_at"), "secret": secret},
        status_code=201)


@router.post("/profile/tokens/{token_id}/revoke")
def revoke_token(ctx: MemberCtx, token_id: str) -> Response:
    auth.revoke_token(ctx.session, ctx.require_user(), token_id, ip=ctx.ip)
    return redirect("/profile/tokens", "token-revoked")
