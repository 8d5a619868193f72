"""Helpers for page tests: sign a browser in and post forms with its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import csrf_of, sign_in


def login(client: TestClient, email: str, **kw: Any) -> None:
    r = sign_in(client, email, **kw)
    assert r.status_code == 303, r.text


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, *,
         token_from: str = "/profile", **kw: Any) -> Any:
    """POST a form the way the browser does: with the CSRF token of the session."""
    body = {"csrf_token": csrf_of(client, token_from), **(data or {})}
    return client.post(path, data=body, follow_redirects=False, **kw)


def alert(html: str) -> str:
    """The text of the error alert a failed form shows."""
    match = re.search(r'id="form-error">(.*?)</div>', html, re.S)
    assert match, "no error alert on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()
