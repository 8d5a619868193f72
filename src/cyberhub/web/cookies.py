"""Cookie names: behind TLS they carry the ``__Host-`` prefix (ASVS 3.4.4).

A browser keeps a ``__Host-`` cookie only if it is ``Secure``, has ``Path=/`` and no
``Domain``: a page on a sibling subdomain or on plain HTTP cannot plant or overwrite it
(session fixation through a neighbour). Browsers refuse the prefix over plain HTTP, so
local development (``CYBERHUB_SECURE_COOKIES=false``) keeps the bare names."""

from __future__ import annotations

from starlette.responses import Response

from cyberhub.config import get_settings

HOST_PREFIX = "__Host-"


def name(base: str) -> str:
    """The name the cookie ``base`` has on this hub."""
    return HOST_PREFIX + base if get_settings().secure_cookies else base


def delete(response: Response, base: str) -> None:
    """Remove the cookie ``base`` (with the attributes a ``__Host-`` cookie needs)."""
    response.delete_cookie(name(base), path="/", secure=get_settings().secure_cookies,
                           httponly=True, samesite="lax")
