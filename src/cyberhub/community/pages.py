"""Web pages: sign-in, second factor, sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.community import auth
from cyberhub.config import get_settings
from cyberhub.deps import SESSION_COOKIE, WebCtx
from cyberhub.web import cookies
from cyberhub.web.common import page, redirect, safe_next

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
def signin(ctx: WebCtx, email: Annotated[str, Form(max_length=254)],
           password: Annotated[str, Form(max_length=1024)],
           next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    ctx.request.state.error_template = "community/signin.html"
    ctx.request.state.page_context = {"email": email, "next": safe_next(next)}
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


@router.get("/signin/2fa")
def second_factor_form(ctx: WebCtx, next: str = "/") -> Response:
    if ctx.web_session is None:
        return redirect("/signin")
    if ctx.user is not None:
        return redirect(safe_next(next))
    return page(ctx, "community/second_factor.html", {"next": safe_next(next)})


@router.post("/signin/2fa")
def second_factor(ctx: WebCtx, code: Annotated[str, Form(max_length=16)],
                  next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    if ctx.web_session is None:
        return redirect("/signin")
    ctx.request.state.error_template = "community/second_factor.html"
    ctx.request.state.page_context = {"next": safe_next(next)}
    token = auth.complete_second_factor(ctx.session, ctx.web_session, code, ip=ctx.ip)
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
