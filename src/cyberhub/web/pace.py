"""Forms sent back at a person's pace, not a program's (ASVS 4.0.3 V11.1.2).

The web forms bots abuse most (sign-in and its second step, a victim's report through a
report link, and the forms that create records) carry a *form stamp*: the moment the
page showed the form, signed with the secret key and bound to the browser's session (the
very message its CSRF token signs). A stamp therefore cannot be made up, moved to
another browser or kept for ever (:data:`MAX_AGE`).

A form sent back sooner than ``CYBERHUB_MIN_FORM_SECONDS`` after it was shown is refused
with 429 and ``Retry-After``; a missing, forged, another browser's or stale stamp with
403, as a failed CSRF check is. The route re-renders the form with what was typed, and
nothing is stored. Both refusals are security events, logged and counted like the
others (``app._error_response``). The REST and TAXII APIs never look at a stamp:
automation is what they are for. ``CYBERHUB_MIN_FORM_SECONDS=0`` turns the check off.

A route opts in with its dependency and one call after it has said where an error
re-renders; its template puts ``{{ form_stamp() }}`` (``_macros.html``) in the form::

    def create(ctx: MemberCtx, stamp: pace.FormStamp, ...) -> Response:
        on_error(ctx, "notes/form.html", ...)
        pace.check(ctx, stamp)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from cyberhub.community import security
from cyberhub.config import get_settings
from cyberhub.errors import PermissionDenied, TooManyRequests
from cyberhub.i18n import _
from cyberhub.web import cookies, csrf

if TYPE_CHECKING:
    from cyberhub.deps import Ctx

__all__ = ["FIELD", "MAX_AGE", "FormStamp", "check", "clock", "posted_stamp", "stamp"]

FIELD = "form_stamp"
# How long a form may stay open before it must be shown again (a long report included).
MAX_AGE = 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Seconds since the epoch: what stamps are made and judged by (tests replace it).
clock: Callable[[], float] = time.time


def _message(browser: str, issued_ms: int) -> str:
    return f"form-stamp:{issued_ms}:{browser}"


def stamp(session_cookie: str | None, anon_cookie: str | None) -> str:
    """A stamp of this moment for the browser with these cookies: ``<ms>.<hmac>``."""
    issued = int(clock() * 1000)
    mac = security.sign(_message(csrf.message(session_cookie, anon_cookie), issued))
    return f"{issued}.{mac}"


def _issued(browser: str, given: str | None) -> float | None:
    """When a genuine stamp of this browser was made (seconds), else None."""
    issued, _sep, mac = (given or "").partition(".")
    if not (issued.isascii() and issued.isdigit() and 0 < len(issued) <= 15 and len(mac) == 64):
        return None
    # A stamp made before a key rotation still counts (previous_secret_keys).
    if not security.hmac_matches(_message(browser, int(issued)), mac):
        return None
    return int(issued) / 1000


async def posted_stamp(request: Request) -> str | None:
    """The stamp an unsafe request's form carries (reading the form needs the event loop;
    Starlette keeps the parsed form for the route)."""
    if request.method in SAFE_METHODS:
        return None
    value = (await request.form()).get(FIELD)
    return value if isinstance(value, str) else None


FormStamp = Annotated[str | None, Depends(posted_stamp)]


def check(ctx: Ctx, given: str | None) -> None:
    """Refuse the form unless its stamp is this browser's, younger than :data:`MAX_AGE`
    and at least ``min_form_seconds`` old. Call it after ``on_error`` (the refusal then
    re-renders the form) and before anything is written."""
    minimum = get_settings().min_form_seconds
    if minimum <= 0:
        return
    anon = ctx.request.cookies.get(cookies.name(csrf.ANON_COOKIE))
    issued = _issued(csrf.message(ctx.session_cookie, anon), given)
    elapsed = clock() - issued if issued is not None else None
    if elapsed is None or elapsed > MAX_AGE:
        raise PermissionDenied(_("This form has expired or was not shown by this page. Check "
                                 "what you entered and send it again."),
                               code="form_stamp_invalid")
    if elapsed < minimum:
        raise TooManyRequests(_("The form came back faster than a person fills it in, so it "
                                "was not taken. Check what you entered and send it again."),
                              retry_after=max(1, math.ceil(minimum - elapsed)),
                              code="form_too_fast")
