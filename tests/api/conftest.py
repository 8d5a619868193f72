"""A small hub for the REST tests: an operators' organisation, two members, every role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.deps import SESSION_COOKIE
from cyberhub.web import csrf
from tests.factories import Community, bearer, sign_in
from tests.state import VOLATILE, snapshot


@dataclass
class Hub:
    client: TestClient
    database: Database
    community: Community
    ops: Organisation
    alpha: Organisation
    beta: Organisation
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    warm: bool = False

    def as_(self, who: str) -> dict[str, str]:
        """Headers for a write token of ``who`` (``<who>:read`` for a read token)."""
        return bearer(self.tokens[who])

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.as_(who), **kw)

    def post(self, who: str, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post("/api/v1" + path, headers=self.as_(who), json=json, **kw)

    def patch(self, who: str, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch("/api/v1" + path, headers=self.as_(who), json=json, **kw)

    def delete(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.delete("/api/v1" + path, headers=self.as_(who), **kw)

    def state(self, *, skip_sessions: bool = False) -> dict[str, list[Any]]:
        """The whole database; a browser's session is touched on use, so may be skipped.
        Every token is used once first: a token's first use is audited (later ones within
        the hour only touch ``last_used_at``), which would otherwise show as a change."""
        if not self.warm:
            for who in self.tokens:
                assert self.get(who, "/me").status_code == 200
            self.warm = True
        return snapshot(self.database, skip=VOLATILE | ({"web_sessions"} if skip_sessions
                                                         else set()))

    def browser(self, who: str) -> tuple[TestClient, dict[str, str]]:
        """A browser signed in as ``who``, and the CSRF header its unsafe requests carry."""
        browser = TestClient(self.client.app, base_url="http://testserver")
        r = sign_in(browser, self.users[who].email)
        assert r.status_code == 303, r.text
        cookie = browser.cookies[SESSION_COOKIE]
        return browser, {csrf.HEADER: csrf.token_for(cookie, None)}


@pytest.fixture
def hub(client: TestClient, database: Database, community: Community) -> Hub:
    ops = community.org("Hub Operators", kind="other")
    alpha = community.org("Alpha CERT", kind="cert", country="BE", sector="IT - Security")
    beta = community.org("Beta Bank", kind="financial", country="NL")
    h = Hub(client, database, community, ops, alpha, beta)
    for name, org, role in [("admin", ops, "hub-admin"), ("a_admin", alpha, "org-admin"),
                            ("a_analyst", alpha, "analyst"), ("a_reader", alpha, "reader"),
                            ("b_admin", beta, "org-admin"), ("b_analyst", beta, "analyst")]:
        user = community.user(org, role, email=f"{name}@example.org")
        h.users[name] = user
        h.tokens[name] = community.token(user, scope="write")
        h.tokens[name + ":read"] = community.token(user, scope="read")
    return h


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error body: {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]  # type: ignore[no-any-return]
