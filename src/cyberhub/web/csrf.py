"""CSRF tokens bound to the browser session.

A signed-in browser's token is an HMAC of its session secret; before sign-in, of a
random pre-session cookie. Forged or missing tokens are refused with 403.
"""

from __future__ import annotations

from fastapi import Request

from cyberhub.community import security
from cyberhub.errors import PermissionDenied
from cyberhub.i18n import _
from cyberhub.web import cookies

FIELD = "csrf_token"
HEADER = "x-csrf-token"
ANON_COOKIE = "cyberhub_presession"


def message(session_cookie: str | None, anon_cookie: str | None) -> str:
    """What a browser's token signs: its session cookie, else its pre-session cookie
    (``web.pace`` binds its form stamps to the same)."""
    if session_cookie:
        return "csrf:session:" + session_cookie
    return "csrf:anon:" + (anon_cookie or "")


def token_for(session_cookie: str | None, anon_cookie: str | None) -> str:
    return security.sign(message(session_cookie, anon_cookie))


def check(request: Request, session_cookie: str | None, given: str | None) -> None:
    anon = request.cookies.get(cookies.name(ANON_COOKIE))
    if not given or (not session_cookie and not anon):
        raise PermissionDenied(_("The form has expired or was not sent by this site. Reload the "
                                 "page and try again."), code="csrf_failed")
    # Forms served before a key rotation still pass (previous_secret_keys).
    if not security.hmac_matches(message(session_cookie, anon), given):
        raise PermissionDenied(_("The form has expired or was not sent by this site. Reload the "
                                 "page and try again."), code="csrf_failed")
