"""Security keys and passkeys (WebAuthn) as a second factor (ASVS 2.3.2), through the real
pages with a software authenticator (tests/soft_key.py): enrolment on the profile,
sign-in with a key, removal with the password, and every kind of bad answer — each
refused with a clear message, with nothing stored and never a 500."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import cbor2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cyberhub.audit import AuditEntry
from cyberhub.community import security, service
from cyberhub.community.models import SecurityKey, SigninFailure, User, WebSession
from cyberhub.config import Settings
from cyberhub.db import Database, utcnow
from cyberhub.deps import SESSION_COOKIE
from cyberhub.notifications.models import Notification
from tests.factories import PASSWORD, Community, bearer, csrf_of, next_code
from tests.soft_key import SoftKey, b64u, unb64u
from tests.test_auth import _actions, _rows
from tests.web.helpers import alert as raw_alert
from tests.web.helpers import login, post

JSON = {"Accept": "application/json"}


def alert(text: str) -> str:
    """The error alert's text, with its entities read."""
    return html.unescape(raw_alert(text))


# ---------------------------------------------------------------- helpers


def _notices(database: Database, user: User) -> list[str]:
    with database.transaction() as s:
        return list(s.scalars(select(Notification.title).where(
            Notification.user_id == user.id, Notification.kind == "account.security")
            .order_by(Notification.created_at)))


def _forget_failures(database: Database) -> None:
    """Clear the sign-in failures, so that a test of many refusals is not throttled."""
    from sqlalchemy import delete

    with database.transaction() as s:
        s.execute(delete(SigninFailure))


def registration_options(client: TestClient, name: str = "Blue key") -> Any:
    return client.post("/profile/2fa/keys/options", headers=JSON, data={
        "name": name, "csrf_token": csrf_of(client, "/profile/2fa")})


def add_key(client: TestClient, key: SoftKey, name: str = "Blue key", **bend: Any) -> Any:
    """Enrol ``key`` on the profile page as the page's script does; the last answer."""
    r = registration_options(client, name)
    assert r.status_code == 200, r.text
    answer = key.create(r.json()["publicKey"], **bend)
    return post(client, "/profile/2fa/keys", {"name": name, "credential": json.dumps(answer)},
                token_from="/profile/2fa")


def password_step(client: TestClient, email: str) -> str:
    """Sign in with the password only: the half-open session's cookie."""
    r = client.post("/signin", data={"email": email, "password": PASSWORD,
                                     "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/2fa"), r.text
    return str(r.cookies[SESSION_COOKIE])


def signin_options(client: TestClient) -> Any:
    return client.post("/signin/2fa/key/options", headers=JSON,
                       data={"csrf_token": csrf_of(client, "/signin/2fa")})


def send_answer(client: TestClient, credential: Any, next: str = "/") -> Any:
    body = credential if isinstance(credential, str) else json.dumps(credential)
    return client.post("/signin/2fa/key", data={
        "credential": body, "next": next, "csrf_token": csrf_of(client, "/signin/2fa")},
        follow_redirects=False)


def sign_in_with_key(client: TestClient, email: str, key: SoftKey, next: str = "/") -> Any:
    password_step(client, email)
    r = signin_options(client)
    assert r.status_code == 200, r.text
    return send_answer(client, key.get(r.json()["publicKey"]), next)


def _me(client: TestClient) -> int:
    return client.get("/api/v1/me").status_code


# Each user's e-mail here is this module's own: the factories remember the authenticator
# apps they enrol by e-mail for the whole run, so a name shared with another module's
# test would hand it the wrong codes.
@pytest.fixture
def alice(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), "analyst", email="alice@keys.example")


# ---------------------------------------------------------------- enrolment and sign-in


def test_enrol_a_key_then_sign_in_with_it(client: TestClient, database: Database,
                                          alice: User) -> None:
    login(client, alice.email)
    page = client.get("/profile/2fa").text
    assert "Add a security key or passkey" in page
    assert '<script src="/static/js/webauthn.js" defer></script>' in page

    r = registration_options(client)
    assert r.status_code == 200
    options = r.json()["publicKey"]
    assert options["rp"] == {"id": "testserver", "name": "cyberhub"}
    assert options["user"]["name"] == "alice@keys.example"
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["excludeCredentials"] == []
    # A 256-bit random challenge (ASVS 2.9.2), a new one each time.
    assert len(unb64u(options["challenge"])) == 32
    again = registration_options(client).json()["publicKey"]
    assert again["challenge"] != options["challenge"]
    options = again  # the one pending now
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-8, -7, -257]

    key = SoftKey()
    answer = key.create(options)
    r = post(client, "/profile/2fa/keys", {"name": "  Blue YubiKey ",
                                           "credential": json.dumps(answer)},
             token_from="/profile/2fa")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/profile/2fa?flash=key-added"
    (stored,) = _rows(database, SecurityKey)
    assert stored.user_id == alice.id and stored.name == "Blue YubiKey"
    assert stored.credential_id == key.credential_id
    assert stored.public_key == key.cose_public_key()
    assert stored.sign_count == 0 and stored.last_used_at is None
    assert stored.transports == ["nfc", "usb"]  # known transports only
    page = client.get("/profile/2fa?flash=key-added").text
    assert "The security key is added." in page
    assert 'data-testid="security-key"' in page and "Blue YubiKey" in page
    assert f'href="/profile/2fa/keys/{stored.id}/remove"' in page
    assert "security_key.add" in _actions(database)
    assert _notices(database, alice) == [
        "A security key was added to your account: Blue YubiKey"]
    # The key is excluded when the next one is added (a key is registered once).
    options = registration_options(client).json()["publicKey"]
    assert options["excludeCredentials"] == [
        {"id": key.id, "type": "public-key", "transports": ["nfc", "usb"]}]

    # Signing in now takes the password, then the key.
    client.cookies.clear()
    half = password_step(client, alice.email)
    assert _me(client) == 401
    page = client.get("/signin/2fa").text
    assert "Use your security key" in page
    assert 'name="code"' not in page  # no authenticator app: no code field
    r = signin_options(client)
    assert r.status_code == 200
    options = r.json()["publicKey"]
    assert options["rpId"] == "testserver"
    assert len(unb64u(options["challenge"])) == 32
    assert options["userVerification"] == "preferred"
    assert options["allowCredentials"] == [
        {"id": key.id, "type": "public-key", "transports": ["nfc", "usb"]}]
    r = send_answer(client, key.get(options), next="/notes")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/notes"
    full = r.cookies[SESSION_COOKIE]
    assert full != half, "the session rotates when the second factor is given"
    assert _me(client) == 200
    with TestClient(client.app, base_url="http://testserver") as other:
        other.cookies.set(SESSION_COOKIE, half)
        assert _me(other) == 401
    (stored,) = _rows(database, SecurityKey)
    assert stored.sign_count == 1 and stored.last_used_at is not None
    actions = _actions(database)
    assert actions[-1] == "signin.security_key"
    with database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "signin.security_key")).one()
        assert entry.target_id == str(stored.id)
        ws = s.scalars(select(WebSession).where(
            WebSession.token_hash == security.sha256_hex(half))).one()
        assert ws.revoked_at is not None and ws.webauthn_challenge is None


def test_a_key_and_an_authenticator_app_are_both_offered(client: TestClient,
                                                         database: Database,
                                                         community: Community,
                                                         alice: User) -> None:
    community.enrol(alice)  # the authenticator app
    with TestClient(client.app, base_url="http://testserver") as setup:
        login(setup, alice.email)
        assert add_key(setup, SoftKey()).status_code == 303
    password_step(client, alice.email)
    page = client.get("/signin/2fa").text
    assert "Use your security key" in page and 'name="code"' in page
    r = client.post("/signin/2fa", data={"code": next_code(alice.email),
                                         "csrf_token": csrf_of(client, "/signin/2fa")},
                    follow_redirects=False)
    assert r.status_code == 303 and _me(client) == 200


def test_a_key_alone_satisfies_an_organisation_that_requires_2fa(
        client: TestClient, database: Database, community: Community) -> None:
    org = community.org("Strict Police", kind="law-enforcement", require_2fa=True)
    user = community.user(org, "analyst", email="strict@keys.example")
    token = community.token(user)
    r = client.post("/signin", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa"
    assert client.get("/notes", follow_redirects=False).headers["location"] == "/profile/2fa"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 403
    page = client.get("/profile/2fa").text
    assert "Set up an authenticator app or a security key to continue" in page

    key = SoftKey()
    assert add_key(client, key, "Desk key").status_code == 303
    # Enrolled with a key, no app: the hub and the API are open.
    assert client.get("/notes", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    # The next sign-in asks for the key, and the key alone completes it.
    client.cookies.clear()
    r = sign_in_with_key(client, user.email, key)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/notes", follow_redirects=False).status_code == 200

    # The last second factor of a member who must have one stays.
    (stored,) = _rows(database, SecurityKey)
    page = client.get(f"/profile/2fa/keys/{stored.id}/remove").text
    assert "this is your last second factor" in page
    r = post(client, f"/profile/2fa/keys/{stored.id}/remove", {"password": PASSWORD},
             token_from="/profile/2fa")
    assert r.status_code == 422
    assert ("Your organisation requires two-factor sign-in, and this is your last second "
            "factor. Add another security key or an authenticator app before removing it."
            in alert(r.text))
    assert len(_rows(database, SecurityKey)) == 1
    # With a second key, the first may go.
    assert add_key(client, SoftKey(), "Spare key").status_code == 303
    r = post(client, f"/profile/2fa/keys/{stored.id}/remove", {"password": PASSWORD},
             token_from="/profile/2fa")
    assert r.status_code == 303
    assert [k.name for k in _rows(database, SecurityKey)] == ["Spare key"]


def test_the_app_may_go_where_2fa_is_required_while_a_key_stays(
        client: TestClient, database: Database, community: Community) -> None:
    org = community.org("Strict Bank", kind="financial", require_2fa=True)
    user = community.user(org, "analyst", email="bank@keys.example")
    community.enrol(user)
    login(client, user.email)
    page = client.get("/profile/2fa").text
    assert "so it cannot be turned off" in page
    assert add_key(client, SoftKey()).status_code == 303
    page = client.get("/profile/2fa").text
    assert "Remove the authenticator app" in page
    r = post(client, "/profile/2fa/disable", {"password": PASSWORD}, token_from="/profile/2fa")
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa?flash=app-off"
    with database.transaction() as s:
        assert s.get(User, user.id).totp_enabled is False  # type: ignore[union-attr]
    assert _notices(database, user)[-1] == (
        "The authenticator app was removed from your account's two-factor sign-in")


# ---------------------------------------------------------------- removal


def test_removing_a_key_asks_for_the_password(client: TestClient, database: Database,
                                              community: Community, alice: User) -> None:
    login(client, alice.email)
    assert add_key(client, SoftKey(), "Old key").status_code == 303
    (stored,) = _rows(database, SecurityKey)
    page = client.get(f"/profile/2fa/keys/{stored.id}/remove").text
    assert "Old key" in page
    assert re.search(r'name="password" type="password" required autocomplete="current-password"',
                     page)
    assert 'data-password-toggle="password"' in page
    path = f"/profile/2fa/keys/{stored.id}/remove"
    for password, says in [("", "Enter your password to confirm this change."),
                           ("not my password at all", "Wrong password.")]:
        r = post(client, path, {"password": password}, token_from=path)
        assert r.status_code == 422, password
        assert says in alert(r.text)
        assert len(_rows(database, SecurityKey)) == 1
    # The wrong password counted as a failed sign-in, as for every re-authentication.
    failures = _rows(database, SigninFailure)
    assert [f.email for f in failures] == [alice.email]
    r = post(client, path, {"password": PASSWORD}, token_from=path)
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa?flash=key-removed"
    assert _rows(database, SecurityKey) == []
    assert "security_key.remove" in _actions(database)
    with database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "security_key.remove")).one()
        assert entry.target_id == str(stored.id) and entry.details == {"name": "Old key"}
    assert _notices(database, alice)[-1] == (
        "A security key was removed from your account: Old key")
    # Without a key, the sign-in asks for nothing more than the password again.
    client.cookies.clear()
    r = client.post("/signin", data={"email": alice.email, "password": PASSWORD,
                                     "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_another_member_s_key_is_not_found(client: TestClient, database: Database,
                                           community: Community, alice: User) -> None:
    bob = community.user(community.org("Bravo Bank"), "analyst", email="bob@keys.example")
    with TestClient(client.app, base_url="http://testserver") as bobs:
        login(bobs, bob.email)
        assert add_key(bobs, SoftKey(), "Bob's key").status_code == 303
    (bobs_key,) = _rows(database, SecurityKey)
    login(client, alice.email)
    path = f"/profile/2fa/keys/{bobs_key.id}/remove"
    assert client.get(path).status_code == 404
    r = post(client, path, {"password": PASSWORD}, token_from="/profile/2fa")
    assert r.status_code == 404
    assert client.get("/profile/2fa/keys/not-a-uuid/remove").status_code == 404
    assert len(_rows(database, SecurityKey)) == 1


def test_an_administrator_s_reset_removes_the_keys(client: TestClient, database: Database,
                                                   community: Community, alice: User) -> None:
    admin = community.user(community.org("Hub operators"), "hub-admin")
    login(client, alice.email)
    assert add_key(client, SoftKey()).status_code == 303
    with TestClient(client.app, base_url="http://testserver") as boss:
        login(boss, admin.email)
        # The users' table says who signs in with a second factor: a key counts.
        row = re.search(r"alice@keys\.example.*?</tr>", boss.get("/admin/users").text, re.S)
        assert row and '<span class="badge badge-ok">on</span>' in row.group(0)
    with database.transaction() as s:
        service.reset_second_factor(s, community.system, alice.id)
    assert _rows(database, SecurityKey) == []
    assert client.get("/profile", follow_redirects=False).status_code == 303  # signed out
    with database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.reset_2fa")).one()
        assert entry.details == {"security_keys": 1}


def test_the_data_export_lists_the_keys_and_erasure_removes_them(
        client: TestClient, database: Database, community: Community, alice: User) -> None:
    from cyberhub.community import privacy

    login(client, alice.email)
    assert add_key(client, SoftKey(), "Travel key").status_code == 303
    export = client.get("/api/v1/me/export").json()
    (entry,) = export["security_keys"]
    assert entry["name"] == "Travel key" and entry["transports"] == ["nfc", "usb"]
    assert "public_key" not in entry and "credential_id" not in entry
    # The privacy notice says what is kept of them.
    assert "Your security keys and passkeys: their names, public keys" in client.get(
        "/privacy").text
    with database.transaction() as s:
        service.update_user(s, community.system, alice.id, is_active=False)
    with database.transaction() as s:
        privacy.erase_user(s, community.system, alice.id, confirm=alice.email)
    assert _rows(database, SecurityKey) == []


# ---------------------------------------------------------------- bad answers at sign-in


@pytest.fixture
def keyholder(client: TestClient, alice: User) -> SoftKey:
    """Alice with one registered key, signed out again."""
    key = SoftKey()
    with TestClient(client.app, base_url="http://testserver") as setup:
        login(setup, alice.email)
        assert add_key(setup, key).status_code == 303
    return key


NOT_VERIFIED = ("Your security key could not be verified. Try again with a key registered to "
                "your account, or use another way to sign in.")
EXPIRED = ("The security key request has expired or was already answered. Try again: each "
           "request is good for one answer within 5 minutes.")


def _refused(r: Any, says: str) -> None:
    assert r.status_code == 422, r.text
    assert says in alert(r.text)
    assert "Use your security key" in r.text  # the same step, to try again


def test_every_bad_answer_is_refused_counted_and_stores_nothing(
        client: TestClient, database: Database, community: Community, alice: User,
        keyholder: SoftKey) -> None:
    bob = community.user(community.org("Bravo Bank"), "analyst", email="bob@keys.example")
    bobs_key = SoftKey()
    with TestClient(client.app, base_url="http://testserver") as bobs:
        login(bobs, bob.email)
        assert add_key(bobs, bobs_key).status_code == 303

    password_step(client, alice.email)

    def fresh() -> dict[str, Any]:
        r = signin_options(client)
        assert r.status_code == 200, r.text
        return r.json()["publicKey"]  # type: ignore[no-any-return]

    def tamper(answer: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
        copy = json.loads(json.dumps(answer))
        copy["response"][where] = value
        return copy

    good = keyholder.get(fresh())  # sent last: its challenge is long gone by then
    malformed: list[tuple[str, str, str]] = [
        ("malformed JSON", "{not json", "The security key's answer is not valid JSON."),
        ("not an object", "[1, 2]", "The security key's answer is not valid JSON."),
        ("empty", "", "Your browser sent no answer from a security key."),
        ("oversized", json.dumps({"id": "A" * 40_000}), "The security key's answer is too large"),
        ("nested thousands deep", "[" * 15_000 + "]" * 15_000,
         "The security key's answer is not valid JSON."),
    ]
    # Each answers a challenge issued just before (``opts``).
    answers: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
        ("fields missing", lambda opts: {"id": keyholder.id}, NOT_VERIFIED),
        ("not base64", lambda opts: {**keyholder.get(opts), "id": "***", "rawId": "***"},
         NOT_VERIFIED),
        ("unknown credential", lambda opts: SoftKey().get(opts), NOT_VERIFIED),
        ("another member's key", lambda opts: bobs_key.get(opts), NOT_VERIFIED),
        ("wrong challenge", lambda opts: keyholder.get(opts, challenge=b64u(b"x" * 32)),
         NOT_VERIFIED),
        ("wrong origin", lambda opts: keyholder.get(opts, origin="http://evil.example"),
         NOT_VERIFIED),
        ("wrong relying party", lambda opts: keyholder.get(opts, rp_id="evil.example"),
         NOT_VERIFIED),
        ("bad signature", lambda opts: tamper(keyholder.get(opts), "signature",
                                              b64u(b"\x30\x06" + b"\x00" * 6)), NOT_VERIFIED),
        ("garbage authenticator data", lambda opts: tamper(
            keyholder.get(opts), "authenticatorData", b64u(b"\x01\x02")), NOT_VERIFIED),
        ("garbage client data", lambda opts: tamper(
            keyholder.get(opts), "clientDataJSON", b64u(b"\xff\xfe")), NOT_VERIFIED),
        ("client data nested thousands deep", lambda opts: tamper(
            keyholder.get(opts), "clientDataJSON", b64u(b"[" * 10_000 + b"]" * 10_000)),
         NOT_VERIFIED),
    ]
    for label, text, says in malformed:
        _forget_failures(database)
        fresh()  # a challenge is pending, and the answer uses it up
        _refused(send_answer(client, text), says)
        assert _me(client) == 401, label
        assert [f.email for f in _rows(database, SigninFailure)] == [alice.email], label
    for label, make, says in answers:
        _forget_failures(database)
        _refused(send_answer(client, make(fresh())), says)
        assert _me(client) == 401, label
        assert [f.email for f in _rows(database, SigninFailure)] == [alice.email], label
    # No challenge pending (the last one was used up by the last answer).
    _forget_failures(database)
    _refused(send_answer(client, keyholder.get({"challenge": b64u(b"y" * 32),
                                                "rpId": "testserver"})), EXPIRED)
    keys = _rows(database, SecurityKey, SecurityKey.user_id == alice.id)
    assert [(k.sign_count, k.last_used_at) for k in keys] == [(0, None)]
    reasons = [e.details["reason"] for e in _rows(database, AuditEntry,
                                                  AuditEntry.action == "signin.failure")]
    assert {"key-malformed", "key-unknown", "key", "key-challenge"} <= set(reasons)
    # The good answer's challenge was replaced by those issued since: it is refused too.
    _forget_failures(database)
    fresh()
    _refused(send_answer(client, good), NOT_VERIFIED)
    assert _me(client) == 401


def test_a_challenge_is_single_use_and_expires(client: TestClient, database: Database,
                                               alice: User, keyholder: SoftKey) -> None:
    password_step(client, alice.email)
    # Used once (even by a wrong answer), it is gone.
    options = signin_options(client).json()["publicKey"]
    _refused(send_answer(client, keyholder.get(options, origin="http://evil.example")),
             NOT_VERIFIED)
    _refused(send_answer(client, keyholder.get(options)), EXPIRED)
    # Older than five minutes, it is refused.
    options = signin_options(client).json()["publicKey"]
    with database.transaction() as s:
        s.execute(update(WebSession).values(
            webauthn_issued_at=utcnow() - timedelta(minutes=5, seconds=1)))
    _forget_failures(database)
    _refused(send_answer(client, keyholder.get(options)), EXPIRED)
    # A fresh one, answered in time, signs in.
    _forget_failures(database)
    r = send_answer(client, keyholder.get(signin_options(client).json()["publicKey"]))
    assert r.status_code == 303 and _me(client) == 200


def test_an_earlier_answer_replayed_is_refused(client: TestClient, database: Database,
                                               alice: User, keyholder: SoftKey) -> None:
    password_step(client, alice.email)
    answer = keyholder.get(signin_options(client).json()["publicKey"])
    r = send_answer(client, answer)
    assert r.status_code == 303
    # Someone who saw that answer (and knows the password) replays it.
    with TestClient(client.app, base_url="http://testserver") as thief:
        password_step(thief, alice.email)
        signin_options(thief)  # a new challenge for the thief's session
        _refused(send_answer(thief, answer), NOT_VERIFIED)
        assert _me(thief) == 401
    # Sent again on the session it completed: that session is gone.
    with TestClient(client.app, base_url="http://testserver") as late:
        r = send_answer(late, answer)
        assert r.status_code in (303, 403)
        assert _me(late) == 401


def test_a_counter_that_goes_back_is_refused_as_a_cloned_key(
        client: TestClient, database: Database, alice: User, keyholder: SoftKey) -> None:
    assert sign_in_with_key(client, alice.email, keyholder).status_code == 303  # count 1
    assert sign_in_with_key(client, alice.email, keyholder).status_code == 303  # count 2
    client.cookies.clear()
    password_step(client, alice.email)
    options = signin_options(client).json()["publicKey"]
    # A genuine signature from the key's private key, with a counter that did not move on.
    r = send_answer(client, keyholder.get(options, count=2))
    _refused(r, "signature counter went backwards")
    assert _me(client) == 401
    (stored,) = _rows(database, SecurityKey)
    assert stored.sign_count == 2
    (warning,) = _rows(database, AuditEntry, AuditEntry.action == "security_key.clone_warning")
    assert warning.target_id == str(stored.id)
    assert warning.details == {"name": "Blue key", "stored_count": 2, "reported_count": 2}
    assert _notices(database, alice)[-1] == "Your security key Blue key may have been copied"


def test_a_key_without_a_counter_signs_in_each_time(client: TestClient, database: Database,
                                                    alice: User) -> None:
    key = SoftKey(counts=False)  # many passkeys report 0 every time
    with TestClient(client.app, base_url="http://testserver") as setup:
        login(setup, alice.email)
        assert add_key(setup, key).status_code == 303
    for _ in range(2):
        client.cookies.clear()
        assert sign_in_with_key(client, alice.email, key).status_code == 303
    (stored,) = _rows(database, SecurityKey)
    assert stored.sign_count == 0 and stored.last_used_at is not None


def test_bad_answers_are_throttled_like_wrong_passwords(client: TestClient, database: Database,
                                                        settings: Settings, alice: User,
                                                        keyholder: SoftKey) -> None:
    password_step(client, alice.email)
    for _ in range(settings.signin_max_failures):
        options = signin_options(client).json()["publicKey"]
        _refused(send_answer(client, SoftKey().get(options)), NOT_VERIFIED)
    # The right key is not even asked any more.
    r = signin_options(client)
    assert r.status_code == 429 and "Too many failed sign-ins" in r.json()["error"]["message"]
    r = send_answer(client, keyholder.get({"challenge": b64u(b"z" * 32), "rpId": "testserver"}))
    assert r.status_code == 429
    assert _me(client) == 401


def test_the_options_answer_in_json(client: TestClient, database: Database,
                                    alice: User) -> None:
    # No session at all.
    r = client.post("/signin/2fa/key/options", headers=JSON,
                    data={"csrf_token": csrf_of(client)})
    assert r.status_code == 401
    assert r.json()["error"]["message"] == ("Your sign-in has expired. Sign in again with "
                                            "your password.")
    # A full session has no second step to take.
    with TestClient(client.app, base_url="http://testserver") as other:
        r = other.post("/signin", data={"email": alice.email, "password": PASSWORD,
                                        "csrf_token": csrf_of(other)}, follow_redirects=False)
        assert r.headers["location"] == "/"  # no second factor at all: fully signed in
        r = other.post("/signin/2fa/key/options", headers=JSON,
                       data={"csrf_token": csrf_of(other, "/profile")})
        assert r.status_code == 422
        assert r.json()["error"]["message"] == "You are already signed in."
    # Enrolment: a name is needed before the key is touched.
    login(client, alice.email)
    for name, says in [("", "name is required"), ("x" * 101, "at most 100 characters")]:
        r = registration_options(client, name)
        assert r.status_code == 422, name
        assert says in r.json()["error"]["message"]
    with database.transaction() as s:
        assert all(ws.webauthn_challenge is None for ws in s.scalars(select(WebSession)))


# ---------------------------------------------------------------- bad answers at enrolment


def test_every_bad_enrolment_is_refused_and_stores_nothing(client: TestClient,
                                                           database: Database,
                                                           alice: User) -> None:
    login(client, alice.email)
    key = SoftKey()

    def fresh() -> dict[str, Any]:
        r = registration_options(client)
        assert r.status_code == 200, r.text
        return r.json()["publicKey"]  # type: ignore[no-any-return]

    could_not = "The security key's answer could not be verified, so no key was added."
    malformed: list[tuple[str, str, str]] = [
        ("malformed JSON", "{", "The security key's answer is not valid JSON."),
        ("empty", "", "Your browser sent no answer from a security key."),
        ("oversized", "[" + "1," * 20_000 + "1]", "The security key's answer is too large"),
        ("nested thousands deep", "[" * 15_000 + "]" * 15_000,
         "The security key's answer is not valid JSON."),
        ("fields missing", json.dumps({"id": "abc"}), could_not),
    ]
    # Each answers a challenge issued just before (``opts``).
    answers: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
        ("wrong challenge", lambda opts: key.create(opts, challenge=b64u(b"c" * 32)), could_not),
        ("wrong origin", lambda opts: key.create(opts, origin="https://evil.example"),
         could_not),
        ("wrong relying party", lambda opts: key.create(opts, rp_id="evil.example"), could_not),
        ("an authentication answer", lambda opts: key.get({"challenge": opts["challenge"],
                                                           "rpId": "testserver"}), could_not),
        # Attestations of other formats, with statements that mean nothing.
        ("a packed attestation", lambda opts: key.create(
            opts, fmt="packed", att_stmt={"alg": -7, "sig": b"junk"}), could_not),
        ("a TPM attestation", lambda opts: key.create(
            opts, fmt="tpm", att_stmt={"ver": "2.0", "alg": -7, "x5c": [b"junk"],
                                       "sig": b"", "certInfo": b"", "pubArea": b""}),
         could_not),
        ("a U2F attestation", lambda opts: key.create(
            opts, fmt="fido-u2f", att_stmt={"x5c": [b"not a certificate"], "sig": b"x"}),
         could_not),
        ("a public key off its curve", lambda opts: key.create(
            opts, public_key=cbor2.dumps({1: 2, 3: -7, -1: 1, -2: b"\x01" * 32,
                                          -3: b"\x01" * 32})), could_not),
        ("a public key that is no key", lambda opts: key.create(
            opts, public_key=cbor2.dumps({1: 99, 3: -7})), could_not),
    ]
    cases = [(label, text, says) for label, text, says in malformed] + [
        (label, make, says) for label, make, says in answers]
    for label, answer, says in cases:
        options = fresh()
        credential = answer if isinstance(answer, str) else json.dumps(answer(options))
        r = post(client, "/profile/2fa/keys", {"name": "My key", "credential": credential},
                 token_from="/profile/2fa")
        assert r.status_code == 422, label
        assert says in alert(r.text), label
        assert 'value="My key"' in r.text, label  # what was typed stays
        assert _rows(database, SecurityKey) == [], label
    # Answered twice: the second time the challenge is gone.
    options = fresh()
    post(client, "/profile/2fa/keys", {"name": "My key", "credential": "{"},
         token_from="/profile/2fa")
    r = post(client, "/profile/2fa/keys", {"name": "My key",
                                           "credential": json.dumps(key.create(options))},
             token_from="/profile/2fa")
    assert r.status_code == 422 and EXPIRED in alert(r.text)
    # Expired.
    options = fresh()
    with database.transaction() as s:
        s.execute(update(WebSession).values(
            webauthn_issued_at=utcnow() - timedelta(minutes=6)))
    r = post(client, "/profile/2fa/keys", {"name": "My key",
                                           "credential": json.dumps(key.create(options))},
             token_from="/profile/2fa")
    assert r.status_code == 422 and EXPIRED in alert(r.text)
    # A name too long is said before anything else.
    r = post(client, "/profile/2fa/keys", {"name": "n" * 101,
                                           "credential": json.dumps(key.create(fresh()))},
             token_from="/profile/2fa")
    assert r.status_code == 422 and "at most 100 characters" in alert(r.text)
    assert _rows(database, SecurityKey) == []
    assert "security_key.add" not in _actions(database)
    # The same authenticator's credential registered twice (a forged answer; browsers
    # refuse it from excludeCredentials) is refused.
    assert add_key(client, key).status_code == 303
    r = add_key(client, key, "Again")
    assert r.status_code == 422 and "This security key is already registered." in alert(r.text)
    assert len(_rows(database, SecurityKey)) == 1


def test_keys_need_the_hub_by_name_not_by_ip_address(app: Any, alice: User) -> None:
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        login(client, alice.email)
        r = registration_options(client)
        assert r.status_code == 422
        assert "not by an IP address" in r.json()["error"]["message"]


def test_the_public_address_is_the_origin_when_set(client: TestClient, settings: Settings,
                                                   database: Database, alice: User) -> None:
    settings.public_url = "https://hub.example.org/"
    login(client, alice.email)
    options = registration_options(client).json()["publicKey"]
    assert options["rp"]["id"] == "hub.example.org"
    # An answer made for the address the request came to is refused …
    here = SoftKey(origin="http://testserver", rp_id="testserver")
    r = post(client, "/profile/2fa/keys", {"name": "K", "credential": json.dumps(
        here.create(options, rp_id="testserver"))}, token_from="/profile/2fa")
    assert r.status_code == 422
    # … one made at the hub's public address is taken.
    there = SoftKey(origin="https://hub.example.org", rp_id="hub.example.org")
    assert add_key(client, there).status_code == 303
    client.cookies.clear()
    assert sign_in_with_key(client, alice.email, there).status_code == 303


@pytest.mark.parametrize(("public_url", "request_origin", "expected"), [
    ("", "http://testserver", ("testserver", "http://testserver")),
    ("", "http://localhost:8123", ("localhost", "http://localhost:8123")),
    ("https://Hub.Example.org:443/path", "http://testserver", ("hub.example.org",
                                                               "https://hub.example.org")),
    ("https://hub.example.org:8443", "http://testserver", ("hub.example.org",
                                                           "https://hub.example.org:8443")),
])
def test_the_relying_party_is_the_hub_s_address(settings: Settings, public_url: str,
                                                 request_origin: str,
                                                 expected: tuple[str, str]) -> None:
    from cyberhub.community import keys

    settings.public_url = public_url
    rp = keys.relying_party(request_origin)
    assert (rp.id, rp.origin) == expected


@pytest.mark.parametrize("request_origin", [
    "http://127.0.0.1:8000", "http://[::1]:8000", "http://testserver:port", "ftp://testserver",
    "http://", "http://[::1:8000"])
def test_an_address_keys_cannot_use_is_refused_not_a_500(settings: Settings,
                                                          request_origin: str) -> None:
    from cyberhub.community import keys
    from cyberhub.errors import InvalidInput

    with pytest.raises(InvalidInput):
        keys.relying_party(request_origin)

