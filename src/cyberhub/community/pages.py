"""Web pages: sign-in, second factor, sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.community import auth, keys
from cyberhub.config import get_settings
from cyberhub.deps import SESSION_COOKIE, Ctx, WebCtx
from cyberhub.errors import NotAuthenticated
from cyberhub.i18n import _
from cyberhub.web import cookies, pace
from cyberhub.web.common import json_options, page, redirect, request_origin, safe_next

router = APIRouter()


def _set_session_cookie(response: Response, token: str) -> None:
    s = get_settings()
    response.set_cookie(cookies.name(SESSION_COOKIE), token, httponly=True, samesite="lax",
                        secure=s.secure_cookies, path="/", max_age=s.session_max_hours * 3600)


@router.get("/signin")
def signin_form(ctx: WebCtx, next: str = "/") -> Response:
    if ctx.user is not None:
        return redirect(safe_next(next))
    return page(ctx, "community/signin.html", {"next": safe_next(next)})


@router.post("/signin")
def signin(ctx: WebCtx, stamp: pace.FormStamp, email: Annotated[str, Form(max_length=254)],
           password: Annotated[str, Form(max_length=1024)],
           next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    ctx.request.state.error_template = "community/signin.html"
    ctx.request.state.page_context = {"email": email, "next": safe_next(next)}
    pace.check(ctx, stamp)
    result = auth.sign_in(ctx.session, email, password, ip=ctx.ip,
                          user_agent=ctx.request.headers.get("user-agent"))
    if result.needs_second_factor:
        target = "/signin/2fa?next=" + safe_next(next)
    elif result.must_change_password:
        target = "/profile/password"
    elif result.must_enrol_second_factor:
        target = "/profile/2fa"
    else:
        target = safe_next(next)
    response = redirect(target)
    _set_session_cookie(response, result.session_token)
    return response


def _second_step(ctx: Ctx, next: str) -> dict[str, object]:
    """What the second step offers: the code of an authenticator app, a security key, or
    both (whichever the user has set up)."""
    assert ctx.web_session is not None
    user = ctx.web_session.user
    has_keys = bool(user.security_keys)
    return {"next": safe_next(next), "offer_key": has_keys,
            "offer_code": user.totp_enabled or not has_keys}


@router.get("/signin/2fa")
def second_factor_form(ctx: WebCtx, next: str = "/") -> Response:
    if ctx.web_session is None:
        return redirect("/signin")
    if ctx.user is not None:
        return redirect(safe_next(next))
    return page(ctx, "community/second_factor.html", _second_step(ctx, next))


@router.post("/signin/2fa")
def second_factor(ctx: WebCtx, stamp: pace.FormStamp,
                  code: Annotated[str, Form(max_length=16)],
                  next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    if ctx.web_session is None:
        return redirect("/signin")
    ctx.request.state.error_template = "community/second_factor.html"
    ctx.request.state.page_context = _second_step(ctx, next)
    pace.check(ctx, stamp)
    token = auth.complete_second_factor(ctx.session, ctx.web_session, code, ip=ctx.ip)
    response = redirect(safe_next(next))
    _set_session_cookie(response, token)
    return response


@router.post("/signin/2fa/key/options")
def security_key_options(ctx: WebCtx) -> Response:
    """What the browser asks the member's key to sign (fetched as JSON by the page's
    script); the challenge is kept on the half-open session for five minutes."""
    if ctx.web_session is None:
        raise NotAuthenticated(_("Your sign-in has expired. Sign in again with your password."))
    options = keys.authentication_options(
        ctx.session, ctx.web_session, keys.relying_party(request_origin(ctx)), ip=ctx.ip)
    return json_options(options)


@router.post("/signin/2fa/key")
def security_key(ctx: WebCtx, credential: Annotated[str, Form(max_length=1_048_576)] = "",
                 next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    if ctx.web_session is None:
        return redirect("/signin")
    ctx.request.state.error_template = "community/second_factor.html"
    ctx.request.state.page_context = _second_step(ctx, next)
    token = keys.complete_with_key(ctx.session, ctx.web_session,
                                   keys.relying_party(request_origin(ctx)), credential,
                                   ip=ctx.ip)
    response = redirect(safe_next(next))
    _set_session_cookie(response, token)
    return response


@router.post("/signout")
def signout(ctx: WebCtx) -> Response:
    if ctx.web_session is not None:
        auth.sign_out(ctx.session, ctx.web_session, ip=ctx.ip)
    response = redirect("/signin", "signed-out")
    cookies.delete(response, SESSION_COOKIE)
    return response
