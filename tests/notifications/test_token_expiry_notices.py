"""API token expiry (ASVS 2.3.3): a week before a live token expires, its owner is told
once, in the inbox and by e-mail whatever their e-mail settings, how to renew it — the
token's name, scope and expiry, never the secret. The worker's hourly task runs the
check; revoked and expired tokens are left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from cyberhub import jobs
from cyberhub.community import auth, service
from cyberhub.community.models import User
from cyberhub.config import get_settings
from cyberhub.db import Database, utcnow
from cyberhub.deps import SESSION_COOKIE
from cyberhub.web import csrf
from tests.factories import Community, bearer
from tests.notifications.conftest import Mailbox
from tests.web.helpers import login


@dataclass
class Token:
    id: Any
    secret: str
    expires_at: datetime


def _token(database: Database, user: User, name: str, days: int, scope: str = "read",
           revoke: bool = False) -> Token:
    with database.transaction() as s:
        me = s.get(User, user.id)
        assert me is not None
        token, secret = auth.create_token(s, me, name=name, scope=scope, expires_days=days)
        if revoke:
            auth.revoke_token(s, me, token.id, ip=None)
        return Token(token.id, secret, token.expires_at)  # type: ignore[arg-type]


def _notices(client: TestClient, reader: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/notifications", headers=bearer(reader))
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["kind"] == "account.security"]


def test_owners_are_told_once_of_tokens_that_expire_within_a_week(
        client: TestClient, database: Database, community: Community, smtp: Mailbox) -> None:
    org = community.org("Expiry CERT")
    nora = community.user(org, email="nora@example.org")
    omar = community.user(org, email="omar@example.org")
    login(client, nora.email)
    # E-mail is off for everything else: the warning is a security notice, sent all the same.
    r = client.patch("/api/v1/notifications/settings", json={"email_mode": "off"},
                     headers={csrf.HEADER: csrf.token_for(client.cookies[SESSION_COOKIE], None)})
    assert r.status_code == 200, r.text
    readers = {nora.email: community.token(nora), omar.email: community.token(omar)}

    # Told already: the job ran while it had four days left.
    told = _token(database, nora, "Told already", 4)
    assert jobs.warn_expiring_tokens_now() == [told.id]
    assert [n["title"] for n in _notices(client, readers[nora.email])] == [
        "Your API token Told already (read) expires in 4 days"]

    # Two days on, the job runs again (it takes the time it runs at).
    expired = _token(database, nora, "Expired", 1)         # gone a day before the run
    soon = _token(database, nora, "SIEM feed", 5, "write")  # three days left
    month = _token(database, nora, "Monthly export", 32)    # thirty days left
    revoked = _token(database, nora, "Revoked", 5, revoke=True)
    theirs = _token(database, omar, "Omar's script", 6)     # four days left, omar's
    later = utcnow() + timedelta(days=2)
    assert sorted(jobs.warn_expiring_tokens_now(later)) == sorted([soon.id, theirs.id])
    # Run again (and an hour later, as the worker does): nothing is told twice.
    assert jobs.warn_expiring_tokens_now(later) == []
    assert jobs.warn_expiring_tokens_now(later + timedelta(hours=1)) == []

    mine = _notices(client, readers[nora.email])
    assert [n["title"] for n in mine] == [  # newest first
        "Your API token SIEM feed (write) expires in 3 days",
        "Your API token Told already (read) expires in 4 days",
    ]
    warning = mine[0]
    assert warning["url"] == "/profile/tokens"
    assert f"It stops working at {soon.expires_at:%Y-%m-%d %H:%M} UTC" in warning["summary"]
    assert "create a new token on your API tokens page (/profile/tokens)" in warning["summary"]
    [their] = _notices(client, readers[omar.email])
    assert their["title"] == "Your API token Omar's script (read) expires in 4 days"

    mails = [m for m in smtp.messages if m["To"] in readers]
    assert sorted((m["To"], m["Subject"].strip()) for m in mails) == sorted(
        (to, f"[{get_settings().hub_name}] {title}") for to, title in (
            (nora.email, "Your API token Told already (read) expires in 4 days"),
            (nora.email, "Your API token SIEM feed (write) expires in 3 days"),
            (omar.email, "Your API token Omar's script (read) expires in 4 days")))
    for m in mails:
        body = m.get_content()
        assert "https://hub.example/profile/tokens" in body
        assert "always sent" in body
        for token in (told, expired, soon, month, revoked, theirs):
            assert token.secret not in body and token.secret not in m["Subject"]
            assert token.secret[:12] not in body  # not even the public prefix
        assert not re.search(r"chub_\w", body)
    for title in ("Expired", "Monthly export", "Revoked"):
        assert not any(title in m["Subject"] for m in mails)


def test_the_warning_is_in_the_owners_language(client: TestClient, database: Database,
                                               community: Community) -> None:
    user = community.user(community.org(), email="fatima@example.org")
    viewer = community.viewer(user)
    with database.transaction() as s:
        service.set_own_locale(s, viewer, s.get(User, user.id), "fr")  # type: ignore[arg-type]
    reader = community.token(user)
    _token(database, user, "Flux SIEM", 2)
    jobs.warn_expiring_tokens_now()
    [notice] = _notices(client, reader)
    assert notice["title"] == "Votre jeton d'API Flux SIEM (read) expire dans 2 jours"


def test_a_deactivated_users_tokens_wait(client: TestClient, database: Database,
                                         community: Community) -> None:
    user = community.user(community.org(), email="dora@example.org")
    token = _token(database, user, "Paused", 3)
    with database.transaction() as s:
        service.update_user(s, community.system, user.id, is_active=False)
    assert jobs.warn_expiring_tokens_now() == []
    with database.transaction() as s:
        service.update_user(s, community.system, user.id, is_active=True)
    assert jobs.warn_expiring_tokens_now() == [token.id]


def test_the_periodic_task_runs_every_hour() -> None:
    task = jobs.warn_expiring_tokens_hourly.task_class()
    assert all(task.validate_datetime(datetime(2026, 12, 5, hour, 20)) for hour in range(24))
    assert not task.validate_datetime(datetime(2026, 12, 5, 3, 21))
