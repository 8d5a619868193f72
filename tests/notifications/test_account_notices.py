"""Security notices (ASVS 2.2.3, 2.5.5, 2.8.5): a user is told in the inbox and by e-mail,
whatever their e-mail settings, when their password, second factor or API tokens change
and when a used sign-in code is entered again — never with the secret itself."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from cyberhub.config import get_settings
from cyberhub.db import Database
from cyberhub.deps import SESSION_COOKIE
from cyberhub.web import csrf
from tests.factories import PASSWORD, Community, bearer, csrf_of, next_code
from tests.notifications.conftest import Mailbox
from tests.web.helpers import login, post

NEW_PASSWORD = "seven lanterns over a restless northern harbour"


def _inbox(client: TestClient, token: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/notifications", headers=bearer(token))
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["kind"] == "account.security"]


def test_account_changes_are_notified_without_secrets(client: TestClient, community: Community,
                                                      smtp: Mailbox) -> None:
    org = community.org("Notice CERT")
    user = community.user(org, "analyst", email="nora@example.org")
    login(client, user.email)
    # E-mail is off for everything else: security notices are sent all the same.
    r = client.patch("/api/v1/notifications/settings", json={"email_mode": "off"},
                     headers={csrf.HEADER: csrf.token_for(client.cookies[SESSION_COOKIE], None)})
    assert r.status_code == 200, r.text

    r = post(client, "/profile/password", {"current_password": PASSWORD,
                                           "password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD})
    assert r.status_code == 303, r.text
    r = post(client, "/profile/tokens", {"name": "SIEM feed", "scope": "write",
                                         "expires_days": "30", "password": NEW_PASSWORD},
             token_from="/profile/tokens")
    assert r.status_code == 201, r.text
    secret = re.search(r"chub_[A-Za-z0-9_-]+", r.text)
    assert secret
    token = secret.group(0)
    post(client, "/profile/2fa/start", token_from="/profile/2fa")
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', client.get("/profile/2fa").text)
    assert match
    totp = pyotp.TOTP(match.group(1).replace(" ", ""))
    code = totp.now()
    r = post(client, "/profile/2fa/confirm", {"code": code}, token_from="/profile/2fa")
    assert r.status_code == 303, r.text
    r = post(client, "/profile/2fa/disable", {"password": NEW_PASSWORD},
             token_from="/profile/2fa")
    assert r.status_code == 303, r.text

    titles = [n["title"] for n in _inbox(client, token)]
    assert titles == [  # newest first
        "Two-factor sign-in was turned off for your account",
        "Two-factor sign-in was turned on for your account",
        "A new API token was created for your account: SIEM feed (write)",
        "Your password was changed",
    ]
    mails = [m for m in smtp.messages if m["To"] == user.email]
    assert sorted(m["Subject"].strip() for m in mails) == sorted(
        f"[{get_settings().hub_name}] {t}" for t in titles)
    for m in mails:
        body = m.get_content()
        assert "If this was not you, change your password now" in body
        assert "always sent" in body
        for leak in (PASSWORD, NEW_PASSWORD, token, totp.secret, code):
            assert leak not in body and leak not in m["Subject"]


def test_a_replayed_sign_in_code_is_refused_and_notified(client: TestClient,
                                                         database: Database,
                                                         community: Community,
                                                         smtp: Mailbox) -> None:
    from sqlalchemy import select

    from cyberhub.audit import AuditEntry

    user = community.user(community.org("Replay CERT"), "analyst", email="rex@example.org")
    community.enrol(user)
    token = community.token(user)
    # The code the user typed (say, watched over their shoulder) …
    r = client.post("/signin", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.headers["location"].startswith("/signin/2fa")
    code = next_code(user.email)
    r = client.post("/signin/2fa", data={"code": code, "csrf_token": csrf_of(
        client, r.headers["location"])}, follow_redirects=False)
    assert r.status_code == 303, r.text
    # … is entered again by someone else who knows the password.
    with TestClient(client.app, base_url="http://testserver") as thief:
        r = thief.post("/signin", data={"email": user.email, "password": PASSWORD,
                                        "csrf_token": csrf_of(thief)}, follow_redirects=False)
        assert r.headers["location"].startswith("/signin/2fa")
        r = thief.post("/signin/2fa", data={"code": code, "csrf_token": csrf_of(
            thief, r.headers["location"])}, follow_redirects=False)
        assert r.status_code == 422
        assert thief.get("/api/v1/me").status_code == 401
    # A wrong code is refused as before, and not notified.
    with TestClient(client.app, base_url="http://testserver") as other:
        r = other.post("/signin", data={"email": user.email, "password": PASSWORD,
                                        "csrf_token": csrf_of(other)}, follow_redirects=False)
        r = other.post("/signin/2fa", data={"code": "000000", "csrf_token": csrf_of(
            other, r.headers["location"])}, follow_redirects=False)
        assert r.status_code == 422
    [notice] = [n for n in _inbox(client, token) if "used again" in n["title"]]
    assert notice["title"] == "A sign-in code of yours was used again"
    assert "had already been used, and was refused" in notice["summary"]
    assert code not in notice["summary"]
    assert any("used again" in m["Subject"] for m in smtp.messages if m["To"] == user.email)
    with database.transaction() as s:
        reasons = [e.details.get("reason") for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "signin.failure"))]
    assert reasons == ["totp-replayed", "totp"]
