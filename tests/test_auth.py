"""Sign-in through the web form, sessions, CSRF, the second factor and secrets at rest."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from typing import Any

import pyotp
import pytest
from argon2.exceptions import VerifyMismatchError
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from cyberhub.audit import AuditEntry
from cyberhub.community import auth, security
from cyberhub.community.models import ApiToken, Organisation, SigninFailure, User, WebSession
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.deps import SESSION_COOKIE
from cyberhub.web import csrf
from tests.factories import PASSWORD, Community, bearer, csrf_of, sign_in
from tests.state import snapshot


def _rows(database: Database, model: Any, *where: Any) -> list[Any]:
    with database.transaction() as s:
        return list(s.scalars(select(model).where(*where)))


def _actions(database: Database) -> list[str]:
    with database.transaction() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _me(client: TestClient, cookie: str | None = None) -> int:
    """Status of /api/v1/me for this browser (or for a bare session cookie value)."""
    if cookie is None:
        return client.get("/api/v1/me").status_code
    with TestClient(client.app, base_url="http://testserver") as other:
        other.cookies.set(SESSION_COOKIE, cookie)
        return other.get("/api/v1/me").status_code


@pytest.fixture
def alice(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), "analyst", email="alice@example.org")


def test_sign_in_opens_a_session(client: TestClient, database: Database, alice: User) -> None:
    r = sign_in(client, "Alice@Example.org ")
    assert r.status_code == 303, r.text
    cookie = r.cookies[SESSION_COOKIE]
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie
    assert client.get("/api/v1/me").json()["email"] == "alice@example.org"
    (ws,) = _rows(database, WebSession, WebSession.user_id == alice.id)
    assert ws.fully_authenticated and ws.token_hash == hashlib.sha256(cookie.encode()).hexdigest()
    assert "signin.password" in _actions(database)


def test_wrong_password_is_refused_counted_and_audited(client: TestClient, database: Database,
                                                      alice: User) -> None:
    r = sign_in(client, "alice@example.org", "not the password at all")
    assert r.status_code == 401
    assert SESSION_COOKIE not in r.cookies
    assert _me(client) == 401
    assert not _rows(database, WebSession)
    failures = _rows(database, SigninFailure)
    assert [f.email for f in failures] == ["alice@example.org"]
    with database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "signin.failure")).one()
        assert entry.details == {"email": "alice@example.org", "reason": "password"}
    # An unknown address answers the same way, and is counted too.
    r2 = sign_in(client, "nobody@example.org", "whatever it is")
    assert r2.status_code == 401
    assert len(_rows(database, SigninFailure)) == 2


def test_throttling_holds_even_with_the_right_password(client: TestClient, database: Database,
                                                      settings: Settings, alice: User) -> None:
    for _ in range(settings.signin_max_failures):
        assert sign_in(client, "alice@example.org", "wrong guess here").status_code == 401
    r = sign_in(client, "alice@example.org")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) == settings.signin_window_minutes * 60
    assert SESSION_COOKIE not in r.cookies
    assert not _rows(database, WebSession)
    # Another account from elsewhere is not locked out by Alice's attacker.
    (org,) = _rows(database, Organisation)
    bob = Community(database).user(org, email="bob@example.org")
    with TestClient(client.app, base_url="http://testserver",
                    client=("203.0.113.9", 50000)) as other:
        assert sign_in(other, bob.email).status_code == 303


def test_session_rotates_at_every_sign_in(client: TestClient, alice: User) -> None:
    client.cookies.set(SESSION_COOKIE, "fixated-by-an-attacker")
    first = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    second = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    assert len({"fixated-by-an-attacker", first, second}) == 3
    assert _me(client, "fixated-by-an-attacker") == 401


def test_sign_out_revokes_the_session(client: TestClient, database: Database,
                                      alice: User) -> None:
    cookie = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    r = client.post("/signout", data={"csrf_token": csrf.token_for(cookie, None)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert _me(client, cookie) == 401
    (ws,) = _rows(database, WebSession)
    assert ws.revoked_at is not None
    assert _actions(database)[-1] == "signout"


def test_sign_out_everywhere(app: Any, database: Database, alice: User) -> None:
    cookies = []
    for _ in range(3):
        with TestClient(app, base_url="http://testserver") as browser:
            cookies.append(sign_in(browser, alice.email).cookies[SESSION_COOKIE])
    with TestClient(app) as browser:
        assert all(_me(browser, c) == 200 for c in cookies)
        with database.transaction() as s:
            assert auth.sign_out_everywhere(s, s.get(User, alice.id), PASSWORD, ip=None) == 3  # type: ignore[arg-type]
        assert all(_me(browser, c) == 401 for c in cookies)


def test_forged_or_missing_csrf_is_refused_and_changes_nothing(client: TestClient,
                                                               database: Database,
                                                               alice: User) -> None:
    csrf_of(client)  # the browser has its pre-session cookie
    before = snapshot(database, skip=frozenset())
    for token in (None, "", "forged", csrf.token_for(None, "another-browser")):
        data = {"email": alice.email, "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        r = client.post("/signin", data=data, follow_redirects=False)
        assert r.status_code == 403, (token, r.status_code)
        assert SESSION_COOKIE not in r.cookies
    # Without any cookie at all, even a well-formed token fails.
    with TestClient(client.app, base_url="http://testserver") as fresh:
        r = fresh.post("/signin", data={"email": alice.email, "password": PASSWORD,
                                        "csrf_token": csrf.token_for(None, "")},
                       follow_redirects=False)
        assert r.status_code == 403
    assert snapshot(database, skip=frozenset()) == before


def test_sign_out_needs_csrf(client: TestClient, alice: User) -> None:
    cookie = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    assert client.post("/signout", follow_redirects=False).status_code == 403
    assert client.post("/signout", data={"csrf_token": csrf.token_for(None, "x")},
                       follow_redirects=False).status_code == 403
    assert _me(client, cookie) == 200


# ---------------------------------------------------------------- second factor


def _enrol(database: Database, user: User) -> pyotp.TOTP:
    with database.transaction() as s:
        u = s.get(User, user.id)
        assert u is not None
        uri = auth.begin_totp_enrolment(s, u)
        totp = pyotp.parse_uri(uri)
        auth.confirm_totp_enrolment(s, u, totp.now(), ip=None)
    return totp  # type: ignore[no-any-return]


def test_totp_sign_in(client: TestClient, database: Database, alice: User) -> None:
    totp = _enrol(database, alice)
    r = sign_in(client, alice.email)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/2fa")
    half = r.cookies[SESSION_COOKIE]
    # Half-open: neither the API nor the pages let it in.
    assert _me(client) == 401
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    token = csrf.token_for(half, None)
    # A wrong code is refused and counted.
    r = client.post("/signin/2fa", data={"code": "000000", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 422
    assert _me(client) == 401
    assert [f.email for f in _rows(database, SigninFailure)] == ["alice@example.org"]
    # The enrolment used the current step; the next one is within the allowed drift.
    code = totp.at(time.time() + totp.interval)
    r = client.post("/signin/2fa", data={"code": code, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    full = r.cookies[SESSION_COOKIE]
    assert full != half, "the session rotates when the second factor is given"
    assert _me(client) == 200
    assert _me(client, half) == 401
    assert "signin.totp" in _actions(database)

    # The same code a second time (say, shoulder-surfed) does not open a session.
    with TestClient(client.app, base_url="http://testserver") as thief:
        half2 = sign_in(thief, alice.email).cookies[SESSION_COOKIE]
        r = thief.post("/signin/2fa", data={"code": code, "csrf_token":
                                            csrf.token_for(half2, None)},
                       follow_redirects=False)
        assert r.status_code == 422
        assert _me(thief) == 401


def test_org_requiring_2fa_blocks_the_api_until_enrolled(client: TestClient,
                                                         database: Database,
                                                         community: Community) -> None:
    org = community.org("Strict Police", kind="law-enforcement", require_2fa=True)
    user = community.user(org, "analyst", email="strict@example.org")
    token = community.token(user)
    r = sign_in(client, user.email)
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa"
    assert client.get("/api/v1/me").status_code == 403
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 403
    totp = _enrol(database, user)
    # Enrolled: the token works, and a fresh sign-in asks for the code.
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with TestClient(client.app, base_url="http://testserver") as browser:
        half = sign_in(browser, user.email).cookies[SESSION_COOKIE]
        r = browser.post("/signin/2fa", data={"code": totp.at(time.time() + totp.interval),
                                              "csrf_token": csrf.token_for(half, None)},
                         follow_redirects=False)
        assert r.status_code == 303
        assert browser.get("/api/v1/me").status_code == 200


def test_hub_admin_must_enrol_before_administering(client: TestClient, database: Database,
                                                   community: Community) -> None:
    """ASVS 4.3.1: the hub's administration is never open to a password alone, whatever
    the administrator's organisation requires of its members."""
    org = community.org("Relaxed Operators")  # does not require 2FA
    admin = community.user(org, "hub-admin", email="op@example.org", second_factor=False)
    token = community.token(admin, scope="write")
    r = sign_in(client, admin.email)
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa"
    # Every page, the admin pages first, sends them to the enrolment page …
    for path in ("/admin", "/admin/orgs", "/admin/users", "/"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/profile/2fa", path
    page = client.get("/profile/2fa").text
    assert "Required for hub administrators." in page
    # … and the API says why, to the session and to a token made before.
    for headers in ({}, bearer(token)):
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 403
        assert "Hub administrators must use two-factor sign-in" in r.json()["error"]["message"]
    r = client.post("/api/v1/organisations", headers=bearer(token),
                    json={"name": "X", "kind": "cert"})
    assert r.status_code == 403
    assert _rows(database, Organisation, Organisation.name == "X") == []
    # TAXII is closed too.
    assert client.get("/taxii2/", headers=bearer(token)).status_code == 403

    community.enrol(admin)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with TestClient(client.app, base_url="http://testserver") as browser:
        r = sign_in(browser, admin.email)  # the password, then the code
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert browser.get("/admin/orgs", follow_redirects=False).status_code == 200
        # Once on, it cannot be turned off by the administrator.
        page = browser.get("/profile/2fa").text
        assert "Hub administrators must use two-factor sign-in, so it cannot be turned off." in page
        r = browser.post("/profile/2fa/disable", data={
            "password": PASSWORD, "csrf_token": csrf_of(browser, "/profile/2fa")},
            follow_redirects=False)
        assert r.status_code == 422
        assert browser.get("/api/v1/me").json()["email"] == admin.email
    with database.transaction() as s:
        assert s.scalars(select(User.totp_enabled).where(User.id == admin.id)).one()


def test_a_member_promoted_to_hub_admin_enrols_first(client: TestClient,
                                                     community: Community) -> None:
    org = community.org("Promoting CERT")
    boss = community.user(org, "hub-admin", email="boss@example.org")
    member = community.user(org, "analyst", email="member@example.org")
    token = community.token(member)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    r = client.patch(f"/api/v1/users/{member.id}", headers=bearer(community.token(boss, "write")),
                     json={"role": "hub-admin"})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 403


def test_an_org_admin_administers_only_once_enrolled(client: TestClient, database: Database,
                                                    community: Community) -> None:
    """ASVS 4.3.1: an organisation's administration (its settings, members, their
    passwords, second factors and erasure) is not open to a password alone either; the
    admin's own work as a member is what their organisation requires."""
    org = community.org("Relaxed Bank", kind="financial")  # does not require 2FA
    admin = community.user(org, "org-admin", email="boss@relaxed.example", second_factor=False)
    member = community.user(org, "analyst", email="member@relaxed.example")
    token = community.token(admin, scope="write")
    message = "Organisation administrators must use two-factor sign-in"
    before = snapshot(database)
    refused = [
        client.post("/api/v1/users", headers=bearer(token),
                    json={"email": "new@relaxed.example", "org_id": str(org.id),
                          "role": "analyst"}),
        client.patch(f"/api/v1/users/{member.id}", headers=bearer(token),
                     json={"role": "org-admin"}),
        client.patch(f"/api/v1/users/{member.id}", headers=bearer(token),
                     json={"is_active": False}),
        client.patch(f"/api/v1/organisations/{org.id}", headers=bearer(token),
                     json={"name": "Renamed Bank"}),
    ]
    for r in refused:
        assert r.status_code == 403, r.text
        assert message in r.json()["error"]["message"]
    assert snapshot(database) == before
    # Their own work goes on with the password alone.
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/notes", headers=bearer(token),
                       json={"title": "Still at work", "body": "x", "tlp": "GREEN"}
                       ).status_code == 201
    # The organisation page says what to do instead of offering its forms.
    assert sign_in(client, admin.email).status_code == 303
    r = client.get("/org")
    assert r.status_code == 403 and message in r.text

    community.enrol(admin)
    r = client.patch(f"/api/v1/users/{member.id}", headers=bearer(token),
                     json={"role": "org-admin"})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/users", headers=bearer(token),
                    json={"email": "new@relaxed.example", "org_id": str(org.id),
                          "role": "analyst"})
    assert r.status_code == 201, r.text


# ---------------------------------------------------------------- secrets at rest


def test_secrets_at_rest(client: TestClient, database: Database, community: Community,
                         alice: User) -> None:
    totp = _enrol(database, alice)
    token = community.token(alice)
    cookie = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    with database.engine.connect() as conn:
        (pw_hash,) = conn.execute(text("SELECT password_hash FROM users")).one()
        assert pw_hash.startswith(security.PEPPER_MARK + "$argon2id$")
        dump = "\n".join(
            repr(tuple(row)) for table in ("users", "api_tokens", "web_sessions", "audit_entries",
                                           "signin_failures")
            for row in conn.execute(text(f"SELECT * FROM {table}")))
    for secret in (PASSWORD, token, cookie, totp.secret):
        assert secret not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump
    assert hashlib.sha256(cookie.encode()).hexdigest() in dump
    assert _rows(database, ApiToken)[0].prefix == token[:12]
    assert _rows(database, Organisation)


# ---------------------------------------------------------------- the pepper (ASVS V2.4.5)


def test_a_new_password_is_stored_peppered_and_verifies(settings: Settings) -> None:
    stored = security.hash_password(PASSWORD)
    assert stored.startswith(security.PEPPER_MARK + "$argon2id$")
    assert security.verify_password(stored, PASSWORD)
    assert not security.verify_password(stored, PASSWORD + "!")
    assert not security.needs_rehash(stored)
    assert not security.verify_password(None, PASSWORD)  # the dummy hash: never true
    # argon2id of the bare password does not match: what is hashed is the keyed HMAC.
    with pytest.raises(VerifyMismatchError):
        security._hasher().verify(stored.removeprefix(security.PEPPER_MARK), PASSWORD)


def test_passwords_are_hashed_at_a_lower_priority_than_requests(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of sign-ins must not starve page reads on the same cores: Argon2id runs on
    threads whose scheduling priority is below the caller's, and answers the same."""
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen: list[tuple[str, int]] = []
    real = security._hasher()

    class Recording:
        def hash(self, secret: bytes) -> str:
            seen.append((threading.current_thread().name, priority()))
            return real.hash(secret)

        def verify(self, hashed: str, secret: bytes) -> bool:
            seen.append((threading.current_thread().name, priority()))
            return real.verify(hashed, secret)

    monkeypatch.setattr(security, "_hasher", lambda: Recording())
    stored = security.hash_password(PASSWORD)
    assert security.verify_password(stored, PASSWORD)
    assert not security.verify_password(stored, PASSWORD + "!")
    assert len(seen) == 3
    for name, nice in seen:
        assert name.startswith("password-hash")
        assert nice == min(19, priority() + security.HASHING_NICENESS)
    assert priority() < 19  # the caller's own priority is untouched


def test_a_forked_process_hashes_on_threads_of_its_own(settings: Settings) -> None:
    """Threads do not survive a fork (import processes are forked): a child that inherits
    the parent's hashing pool must make its own rather than wait on threads it lacks."""
    stored = security.hash_password(PASSWORD)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply_async(security.verify_password, (stored, PASSWORD)).get(timeout=60)


def test_a_stored_hash_does_not_verify_without_the_pepper(settings: Settings) -> None:
    """A copy of the database alone cannot be used to test guesses: the pepper is kept
    apart (var/password_pepper, 0600) and a hash checked under another pepper fails."""
    pepper_file = settings.var_dir / "password_pepper"
    stored = security.hash_password(PASSWORD)
    assert pepper_file.stat().st_mode & 0o777 == 0o600
    assert len(pepper_file.read_text().strip()) >= 32
    assert pepper_file.read_text().strip() not in stored
    try:
        set_settings(settings.model_copy(update={"password_pepper": "another-pepper-" * 3}))
        assert not security.verify_password(stored, PASSWORD)
        elsewhere = settings.model_copy(update={"var_dir": settings.var_dir.parent / "other"})
        set_settings(elsewhere)  # a fresh hub: a new pepper file, another pepper
        assert not security.verify_password(stored, PASSWORD)
        assert (elsewhere.var_dir / "password_pepper").stat().st_mode & 0o777 == 0o600
    finally:
        set_settings(settings)
    assert security.verify_password(stored, PASSWORD)
    # The pepper may also come from the secrets directory (systemd credentials, a vault).
    secrets_dir = settings.var_dir.parent / "credentials"
    secrets_dir.mkdir()
    (secrets_dir / "cyberhub_password_pepper").write_text("from-the-credentials-" * 2)
    assert Settings(_secrets_dir=str(secrets_dir)).resolved_password_pepper() == \
        "from-the-credentials-" * 2


def test_an_unpeppered_hash_signs_in_and_is_upgraded(client: TestClient, database: Database,
                                                     alice: User) -> None:
    old = security._hasher().hash(PASSWORD)  # as stored before the pepper
    with database.transaction() as s:
        s.get(User, alice.id).password_hash = old  # type: ignore[union-attr]
    assert security.needs_rehash(old)
    assert sign_in(client, alice.email, PASSWORD + "x").status_code != 303
    assert _rows(database, User)[0].password_hash == old  # a wrong password changes nothing
    r = sign_in(client, alice.email)
    assert r.status_code == 303 and not r.headers["location"].startswith("/signin"), r.text
    upgraded = _rows(database, User)[0].password_hash
    assert upgraded != old and upgraded.startswith(security.PEPPER_MARK + "$argon2id$")
    assert not security.needs_rehash(upgraded)
    with TestClient(client.app, base_url="http://testserver") as other:
        assert sign_in(other, alice.email).status_code == 303


def test_sessions_end_after_12_hours_or_30_idle_minutes(client: TestClient, database: Database,
                                                       alice: User) -> None:
    """ASVS V3.3.2 at level 2: sign in again after 12 hours, or 30 minutes without use."""
    from datetime import timedelta

    from cyberhub.db import utcnow

    cookie = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    assert _me(client, cookie) == 200
    with database.transaction() as s:
        ws = s.scalars(select(WebSession)).one()
        assert ws.expires_at - ws.created_at <= timedelta(hours=12, seconds=5)
        ws.last_seen_at = utcnow() - timedelta(minutes=29)
    assert _me(client, cookie) == 200  # used again: the idle clock starts over
    with database.transaction() as s:
        s.scalars(select(WebSession)).one().last_seen_at = utcnow() - timedelta(minutes=31)
    assert _me(client, cookie) == 401
    cookie = sign_in(client, alice.email).cookies[SESSION_COOKIE]
    with database.transaction() as s:
        ws = s.scalars(select(WebSession).where(WebSession.revoked_at.is_(None),
                                                WebSession.last_seen_at > utcnow()
                                                - timedelta(minutes=1))).one()
        ws.expires_at = utcnow() - timedelta(seconds=1)
    assert _me(client, cookie) == 401


def test_one_code_sent_twice_at_once_opens_one_session(database, community) -> None:  # type: ignore[no-untyped-def]
    """The same TOTP code posted from two half-open sessions at the same moment: the
    second waits for the first's lock, then finds the code's step used, so it is refused
    as a replay (on PostgreSQL both used to read the old step and both got in)."""
    import threading

    from cyberhub.community.models import WebSession
    from cyberhub.errors import InvalidInput
    from tests.factories import PASSWORD, next_code

    user = community.user(community.org(), email="twice-at-once@example.org")
    community.enrol(user)
    tokens = []
    for _ in range(2):
        with database.transaction() as s:
            tokens.append(auth.sign_in(s, user.email, PASSWORD, ip=None,
                                       user_agent=None).session_token)
    code = next_code(user.email)
    first = database.sessionmaker()
    ws = auth.resolve_session(first, tokens[0])
    assert ws is not None and not ws.fully_authenticated
    auth.complete_second_factor(first, ws, code, ip=None)  # holds its locks until commit
    outcome: list[str] = []

    def second_browser() -> None:
        with database.sessionmaker() as s:
            other = auth.resolve_session(s, tokens[1])
            assert other is not None
            try:
                auth.complete_second_factor(s, other, code, ip=None)
                outcome.append("signed in")
            except InvalidInput:
                outcome.append("refused")
            s.commit()

    racer = threading.Thread(target=second_browser)
    racer.start()
    time.sleep(1.0)  # the second sign-in is now waiting for the first's lock
    first.commit()
    first.close()
    racer.join(timeout=60)
    assert outcome == ["refused"]
    with database.transaction() as s:
        full = s.scalars(select(WebSession).where(
            WebSession.user_id == user.id, WebSession.fully_authenticated.is_(True))).all()
        assert len(full) == 1
