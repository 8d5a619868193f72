"""ASVS 6.2.1: the cryptographic helpers fail closed. A ciphertext that was tampered with,
cut short, made under another hub's key or not a ciphertext at all opens to nothing (no
plaintext, no exception other than the documented one); signed tokens (CSRF, TAXII
``next``, job messages) that were altered or signed with another key are refused; and
over HTTP such input is a refusal (4xx), never a success and never a 500."""

from __future__ import annotations

import pickle
import time
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.community import security
from cyberhub.community.models import SigninFailure, User, WebSession
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database, EncryptedText, UnreadableValue
from cyberhub.deps import SESSION_COOKIE
from cyberhub.errors import HubError
from cyberhub.jobs import SignedPickle
from cyberhub.taxii import paging
from cyberhub.web import csrf
from tests.factories import PASSWORD, Community, csrf_of

PLAIN = "AATTR66C5QYK4NLL4WA22EO4IYQJ2ZAC"  # an authenticator seed: what each ciphertext holds


def _under_another_key(settings: Settings, make):  # type: ignore[no-untyped-def]
    """What ``make()`` gives under another hub's secret key."""
    set_settings(Settings(database_url=settings.database_url, var_dir=settings.var_dir,
                          secret_key="another-hub-s-secret-key"))
    try:
        return make()
    finally:
        set_settings(settings)


def _flip(token: str, at: int) -> str:
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1:]


def _spoilt(settings: Settings) -> dict[str, str]:
    good = security.encrypt_secret(PLAIN)
    assert security.decrypt_secret(good) == PLAIN
    return {
        "another key": _under_another_key(settings, lambda: security.encrypt_secret(PLAIN)),
        "a byte of the ciphertext changed": _flip(good, len(good) // 2),
        "the HMAC changed": _flip(good, len(good) - 5),
        "cut short": good[:-10],
        "empty": "",
        "not base64": "not a ciphertext ü",
        "plaintext": PLAIN,
    }


def test_spoilt_ciphertexts_open_to_nothing(settings: Settings) -> None:
    for what, token in _spoilt(settings).items():
        assert security.decrypt_secret(token) is None, what
        assert security.reencrypt_secret(token) is None, what
        # The encrypted column refuses to give a value rather than a wrong or empty one.
        with pytest.raises(UnreadableValue, match="CYBERHUB_PREVIOUS_SECRET_KEYS"):
            EncryptedText().process_result_value(token, None)


def test_password_checks_fail_closed_on_broken_hashes() -> None:
    good = security.hash_password(PASSWORD)
    assert security.verify_password(good, PASSWORD)
    for broken in (None, "", "$argon2id$v=19$garbage", good[:-8], "$pepper1$" + good[:-8],
                   "plain " + PASSWORD):
        assert security.verify_password(broken, PASSWORD) is False, broken


def test_altered_or_foreign_signatures_are_refused(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # HMACs (CSRF tokens, webhook and report-link signatures use hmac_hex/hmac_matches).
    mac = security.hmac_hex(settings.resolved_secret_key(), "csrf:session:abc")
    assert security.hmac_matches("csrf:session:abc", mac)
    foreign = _under_another_key(settings, lambda: security.hmac_hex(
        "another-hub-s-secret-key", "csrf:session:abc"))
    for given in (_flip(mac, 3), mac[:-1], foreign, "", mac.upper()):
        assert not security.hmac_matches("csrf:session:abc", given), given
    assert not security.hmac_matches("csrf:session:abd", mac)

    # TAXII next tokens.
    position = paging.Position(datetime.now(UTC), uuid.uuid4(), 0)
    token = paging.make_token(position, "fp")
    assert paging.read_token(token, "fp") == position
    foreign = _under_another_key(settings, lambda: paging.make_token(position, "fp"))
    for given in (_flip(token, 5), _flip(token, len(token) - 2), foreign, token + "0"):
        with pytest.raises(HubError) as refused:
            paging.read_token(given, "fp")
        assert refused.value.status_code == 400

    # Job messages: another key's signature, or a signed payload changed, is refused
    # before anything is unpickled.
    serializer = SignedPickle()
    message = serializer.serialize({"job": "import"})
    assert serializer.deserialize(message) == {"job": "import"}
    planted = tmp_path / "planted"
    evil = pickle.dumps(_Planted(str(planted)))
    foreign = _under_another_key(settings, lambda: SignedPickle().serialize({"job": "x"}))
    payload, sep, mac_bytes = message.rpartition(SignedPickle.SEPARATOR)
    for given in (foreign, evil + sep + mac_bytes, payload.replace(b"import", b"export") + sep + mac_bytes):
        with pytest.raises(ValueError, match="without a valid signature"):
            serializer.deserialize(given)
    assert not planted.exists()


class _Planted:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def test_over_http_spoilt_secrets_are_refusals(client: TestClient, database: Database,
                                               community: Community,
                                               settings: Settings) -> None:
    user = community.user(community.org("Crypto CERT"), email="crypto@example.org")
    totp = pyotp.TOTP(PLAIN)
    # Enrolled with an authenticator seed that no key of this hub opens (written under
    # another key, then altered): the code that seed makes must not open a session.
    for spoilt in (_under_another_key(settings, lambda: security.encrypt_secret(PLAIN)),
                   _flip(security.encrypt_secret(PLAIN), 40)):
        with database.transaction() as s:
            u = s.get(User, user.id)
            assert u is not None
            u.totp_secret_enc, u.totp_enabled, u.totp_last_step = spoilt, True, None
        with TestClient(client.app, base_url="http://testserver") as browser:
            r = browser.post("/signin", data={"email": user.email, "password": PASSWORD,
                                              "csrf_token": csrf_of(browser)},
                             follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/signin/2fa")
            half = r.cookies[SESSION_COOKIE]
            r = browser.post("/signin/2fa", data={"code": totp.at(time.time()),
                                                  "csrf_token": csrf.token_for(half, None)},
                             follow_redirects=False)
            assert r.status_code == 422, r.text
            assert "code is not right" in r.text
            assert browser.get("/api/v1/me").status_code == 401
        with database.snapshot() as s:  # counted as a failed sign-in
            assert s.scalars(select(SigninFailure.email)).all() == [user.email]
    with database.snapshot() as s:
        assert not s.scalars(select(WebSession).where(
            WebSession.user_id == user.id, WebSession.fully_authenticated.is_(True))).all()

    # A signed-in browser whose CSRF token was altered or made under another key.
    with database.transaction() as s:
        u = s.get(User, user.id)
        assert u is not None
        u.totp_secret_enc, u.totp_enabled = None, False
    r = client.post("/signin", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": csrf_of(client)}, follow_redirects=False)
    cookie = r.cookies[SESSION_COOKIE]
    good = csrf.token_for(cookie, None)
    foreign = _under_another_key(settings, lambda: csrf.token_for(cookie, None))
    for given in (_flip(good, 7), foreign):
        r = client.post("/api/v1/notes", json={"title": "t", "tlp": "GREEN"},
                        headers={"X-CSRF-Token": given})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    assert client.post("/api/v1/notes", json={"title": "t", "tlp": "GREEN"},
                       headers={"X-CSRF-Token": good}).status_code == 201
