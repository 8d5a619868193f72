"""TAXII 2.1 media types, content negotiation and the error body (sections 1.6, 3.1, 3.6)."""

from __future__ import annotations

import re
from typing import Any, Final

import orjson
from fastapi.responses import Response

from cyberhub.errors import HubError
from cyberhub.i18n import _

TAXII: Final = "application/taxii+json;version=2.1"
STIX: Final = "application/stix+json;version=2.1"
PREFIX: Final = "/taxii2"
# A TAXII media type in Accept or Content-Type: the bare type takes the latest version.
_MEDIA = re.compile(r"^application/taxii\+json(?:;version=(\d+\.\d+))?$")


class NotAcceptable(HubError):
    status_code = 406
    code = "not_acceptable"


class UnsupportedMediaType(HubError):
    status_code = 415
    code = "unsupported_media_type"


def _taxii_version(header: str) -> list[str | None] | None:
    """The TAXII versions a header names (None: the bare type), or None if it names none."""
    found: list[str | None] = []
    for item in header.replace(" ", "").lower().split(","):
        match = _MEDIA.match(item.split(";q=")[0])
        if match:
            found.append(match.group(1))
    return found or None


def names_taxii_21(header: str | None) -> bool:
    """Whether a media-type header names TAXII 2.1 (the bare type counts as the latest)."""
    versions = _taxii_version(header or "")
    return versions is not None and any(v in (None, "2.1") for v in versions)


def check_accept(header: str | None) -> None:
    if not names_taxii_21(header):
        raise NotAcceptable(_("Send 'Accept: %(media)s': this server speaks TAXII 2.1 only.")
                            % {"media": TAXII})


def check_content_type(header: str | None) -> None:
    if not names_taxii_21(header):
        raise UnsupportedMediaType(_("Send the objects as 'Content-Type: %(media)s'.")
                                   % {"media": TAXII})


def taxii_response(body: dict[str, Any] | bytes, status_code: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content, status_code=status_code, media_type=TAXII, headers=headers)


_TITLES: Final = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                  406: "Not acceptable", 413: "Request too large", 415: "Unsupported media type",
                  422: "Unprocessable entity", 429: "Too many requests",
                  503: "Service unavailable"}


def error_body(error: HubError) -> dict[str, Any]:
    """The TAXII error message (section 3.6.1): title, description, codes."""
    body: dict[str, Any] = {"title": _TITLES.get(error.status_code, "Error"),
                            "description": error.message, "error_code": error.code,
                            "http_status": str(error.status_code)}
    if error.details is not None:
        body["details"] = error.details if isinstance(error.details, dict) \
            else {"details": error.details}
    return body


def error_response(error: HubError, headers: dict[str, str] | None = None) -> Response:
    return taxii_response(error_body(error), error.status_code, headers)


def is_taxii_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


UNAUTHENTICATED_HEADERS: Final = {
    "WWW-Authenticate": 'Basic realm="cyberhub TAXII", '
                        'Bearer realm="cyberhub TAXII"'}
