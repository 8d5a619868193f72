"""Profile, password, sessions, second-factor enrolment and API tokens in the browser."""

from __future__ import annotations

import re

import pyotp

from tests.factories import PASSWORD, bearer, csrf_of, sign_in
from tests.web.helpers import alert, login, post

NEW_PASSWORD = "violet ferry crosses the silent northern fjord"


def test_profile_shows_user_and_sessions(client, community):
    user = community.user(community.org("CERT-X"), role="analyst")
    login(client, user.email)
    html = client.get("/profile").text
    assert user.email in html and "CERT-X" in html and "Analyst" in html
    assert "This device" in html


def test_change_display_name_escapes_markup(client, community):
    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/profile/name", {"display_name": "<b>Eve</b>"})
    assert r.status_code == 303
    html = client.get("/profile").text
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve</b>" not in html


def test_empty_display_name_is_refused(client, community):
    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/profile/name", {"display_name": "   "})
    assert r.status_code == 422
    assert "display_name is required" in alert(r.text)
    assert 'aria-invalid="true"' in r.text


def test_change_password(client, community):
    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/profile/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD})
    assert r.status_code == 303 and "password-changed" in r.headers["location"]
    assert client.get("/profile", follow_redirects=False).status_code == 200  # still signed in
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 401
    assert sign_in(client, user.email, password=NEW_PASSWORD).status_code == 303


def test_change_password_signs_out_other_sessions(client, app, community):
    from fastapi.testclient import TestClient

    user = community.user(community.org())
    with TestClient(app) as other:
        login(other, user.email)
        login(client, user.email)
        post(client, "/profile/password", {"current_password": PASSWORD,
                                           "password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD})
        assert other.get("/profile", follow_redirects=False).status_code == 303
        assert client.get("/profile", follow_redirects=False).status_code == 200


def test_change_password_refuses_bad_input_and_changes_nothing(client, community):
    user = community.user(community.org())
    login(client, user.email)
    cases = [
        ({"current_password": "wrong wrong wrong", "password": NEW_PASSWORD,
          "password_confirm": NEW_PASSWORD}, "current password is wrong"),
        ({"current_password": PASSWORD, "password": "short",
          "password_confirm": "short"}, "at least 12 characters"),
        ({"current_password": PASSWORD, "password": "password1234",
          "password_confirm": "password1234"}, "too easy to guess"),
        ({"current_password": PASSWORD, "password": NEW_PASSWORD,
          "password_confirm": NEW_PASSWORD + "x"}, "not the same"),
    ]
    for data, message in cases:
        r = post(client, "/profile/password", data)
        assert r.status_code == 422, data
        assert message in alert(r.text)
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303


def test_sign_out_everywhere(client, app, community):
    from fastapi.testclient import TestClient

    user = community.user(community.org())
    with TestClient(app) as other:
        login(other, user.email)
        login(client, user.email)
        html = client.get("/profile").text
        assert re.search(r'action="/profile/signout-everywhere"[^>]*>.*?name="password" '
                         r'type="password" required autocomplete="current-password"', html,
                         re.S)
        r = post(client, "/profile/signout-everywhere", {"password": PASSWORD})
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
        assert other.get("/profile", follow_redirects=False).status_code == 303
        assert client.get("/profile", follow_redirects=False).status_code == 303


def test_sign_out_everywhere_needs_the_password(client, app, community, database):
    """ASVS 3.7.1: a stolen session cannot sign its owner out of every other device; a
    wrong password counts as a failed sign-in, and nothing is signed out."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from cyberhub.audit import AuditEntry

    user = community.user(community.org())
    with TestClient(app) as other:
        login(other, user.email)
        login(client, user.email)
        for password, says in [("", "Enter your password to confirm this change."),
                               ("not my password at all", "Wrong password.")]:
            r = post(client, "/profile/signout-everywhere", {"password": password})
            assert r.status_code == 422, password
            assert says in alert(r.text)
            # The sign-out field is marked, not the new-password field above it.
            assert re.search(r'id="signout-password"[^>]*aria-invalid="true"', r.text)
            assert not re.search(r'id="password"[^>]*aria-invalid', r.text)
            assert "not my password at all" not in r.text
            assert other.get("/profile", follow_redirects=False).status_code == 200
            assert client.get("/profile", follow_redirects=False).status_code == 200
        with database.transaction() as s:
            failure = s.scalars(select(AuditEntry).where(
                AuditEntry.action == "signin.failure")).one()
            assert failure.details["reason"] == "signout-everywhere"
            assert s.scalars(select(AuditEntry).where(
                AuditEntry.action == "signout.everywhere")).all() == []
        r = post(client, "/profile/signout-everywhere", {"password": PASSWORD})
        assert r.status_code == 303
        assert other.get("/profile", follow_redirects=False).status_code == 303


# ---------------------------------------------------------------- second factor


def _secret(html: str) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "no secret on the enrolment page"
    return match.group(1).replace(" ", "")


def _enrol(client) -> str:
    post(client, "/profile/2fa/start", token_from="/profile/2fa")
    html = client.get("/profile/2fa").text
    assert 'src="data:image/svg+xml;base64,' in html
    secret = _secret(html)
    r = post(client, "/profile/2fa/confirm", {"code": pyotp.TOTP(secret).now()},
             token_from="/profile/2fa")
    assert r.status_code == 303, r.text
    return secret


def test_enrol_second_factor_and_sign_in_with_it(client, community):
    user = community.user(community.org())
    login(client, user.email)
    assert "Two-factor sign-in is off" in client.get("/profile/2fa").text
    secret = _enrol(client)
    assert "Two-factor sign-in is on" in client.get("/profile/2fa").text
    client.cookies.clear()
    r = sign_in(client, user.email)
    assert r.headers["location"].startswith("/signin/2fa")
    assert client.get("/notes", follow_redirects=False).status_code == 303  # half signed in
    token = csrf_of(client, "/signin/2fa")
    r = client.post("/signin/2fa", data={"code": "000000", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 422 and "That code is not right" in r.text
    totp = pyotp.TOTP(secret)
    # The enrolment used the current step; a code is never accepted twice, so use the next.
    import time

    code = totp.at(time.time() + totp.interval)
    token = csrf_of(client, "/signin/2fa")
    r = client.post("/signin/2fa", data={"code": code, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.get("/notes").status_code == 200


def test_wrong_enrolment_code_is_refused(client, community):
    user = community.user(community.org())
    login(client, user.email)
    post(client, "/profile/2fa/start", token_from="/profile/2fa")
    r = post(client, "/profile/2fa/confirm", {"code": "123"}, token_from="/profile/2fa")
    assert r.status_code == 422 and "That code is not right" in alert(r.text)
    # The secret is still pending: the page shows it again for another try.
    assert 'data-testid="totp-secret"' in r.text
    assert "Two-factor sign-in is off" not in client.get("/profile/2fa").text


def test_disable_second_factor_needs_password(client, community):
    user = community.user(community.org())
    login(client, user.email)
    _enrol(client)
    r = post(client, "/profile/2fa/disable", {"password": "wrong password here"},
             token_from="/profile/2fa")
    assert r.status_code == 422 and "Wrong password" in alert(r.text)
    r = post(client, "/profile/2fa/disable", {"password": ""}, token_from="/profile/2fa")
    assert r.status_code == 422
    assert "Enter your password to confirm this change." in alert(r.text)
    assert "Two-factor sign-in is on" in client.get("/profile/2fa").text
    r = post(client, "/profile/2fa/disable", {"password": PASSWORD}, token_from="/profile/2fa")
    assert r.status_code == 303
    assert "Two-factor sign-in is off" in client.get("/profile/2fa").text


def test_required_second_factor_redirects_until_enrolled(client, community):
    org = community.org("Strict Police", require_2fa=True)
    user = community.user(org)
    r = sign_in(client, user.email)
    assert r.headers["location"] == "/profile/2fa"
    for path in ("/", "/notes", "/profile", "/profile/tokens", "/notes/new"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/profile/2fa", path
    html = client.get("/profile/2fa").text
    assert "Required by your organisation" in html
    assert 'href="/notes"' not in html  # no navigation until enrolled
    # Writes are refused the same way.
    r = post(client, "/notes/new", {"title": "x", "tlp": "GREEN"}, token_from="/profile/2fa")
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa"
    # htmx requests are told to load the enrolment page.
    r = client.get("/notes", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["hx-redirect"] == "/profile/2fa"
    _enrol(client)
    assert client.get("/notes", follow_redirects=False).status_code == 200
    html = client.get("/profile/2fa").text
    assert "cannot be turned off" in html


# ---------------------------------------------------------------- API tokens


def test_create_use_and_revoke_token(client, community):
    user = community.user(community.org())
    login(client, user.email)
    assert "No tokens yet" in client.get("/profile/tokens").text
    r = post(client, "/profile/tokens", {"name": "SIEM <export>", "scope": "read",
                                         "expires_days": "30"}, token_from="/profile/tokens")
    assert r.status_code == 201
    secret = re.search(r'data-testid="token-secret">([^<]+)<', r.text).group(1)
    assert secret.startswith("chub_") and "only time" in r.text
    assert "SIEM &lt;export&gt;" in r.text
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    listing = client.get("/profile/tokens").text
    assert secret[:12] in listing and secret not in listing
    token_id = re.search(r'/profile/tokens/([0-9a-f-]+)/revoke', listing).group(1)
    r = post(client, f"/profile/tokens/{token_id}/revoke", token_from="/profile/tokens")
    assert r.status_code == 303
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert "No tokens yet" in client.get("/profile/tokens").text


def test_tokens_that_expire_within_a_week_are_flagged(client, database, community):
    """ASVS 2.3.3: the tokens page says which tokens expire soon, in days, and how to
    renew them; an expired one (kept until revoked) says so."""
    from datetime import timedelta

    from sqlalchemy import update

    from cyberhub.community.models import ApiToken
    from cyberhub.db import utcnow

    user = community.user(community.org())
    login(client, user.email)
    for name, days in (("Weekly feed", "7"), ("Monthly export", "30")):
        r = post(client, "/profile/tokens", {"name": name, "scope": "read",
                                             "expires_days": days}, token_from="/profile/tokens")
        assert r.status_code == 201, r.text
    listing = client.get("/profile/tokens").text
    assert re.findall(r'data-testid="token-expiring">([^<]+)<', listing) == [
        "expires in 7 days"]
    assert "token-expired" not in listing
    assert "create a new token, put it in place of the old one" in listing

    with database.transaction() as s:  # the service makes no token that expired already
        s.execute(update(ApiToken).where(ApiToken.name == "Weekly feed")
                  .values(expires_at=utcnow() - timedelta(hours=1)))
        s.execute(update(ApiToken).where(ApiToken.name == "Monthly export")
                  .values(expires_at=utcnow() + timedelta(hours=20)))
    listing = client.get("/profile/tokens").text
    assert re.findall(r'data-testid="token-expiring">([^<]+)<', listing) == ["expires in 1 day"]
    assert re.findall(r'data-testid="token-expired">([^<]+)<', listing) == ["expired"]


def test_token_form_refuses_bad_input(client, community):
    user = community.user(community.org())
    login(client, user.email)
    for data, message in [
        ({"name": "", "scope": "read", "expires_days": "30"}, "name is required"),
        ({"name": "x", "scope": "admin", "expires_days": "30"}, "Unknown scope"),
        ({"name": "x", "scope": "read", "expires_days": "999"}, "1 to 366 days"),
        ({"name": "x", "scope": "read", "expires_days": "soon"}, "1 to 366 days"),
    ]:
        r = post(client, "/profile/tokens", data, token_from="/profile/tokens")
        assert r.status_code == 422, data
        assert message in alert(r.text)
    assert "No tokens yet" in client.get("/profile/tokens").text


def test_write_token_needs_the_password(client, community):
    """ASVS 3.7.1: a session alone does not mint a token that may write as the user."""
    user = community.user(community.org())
    login(client, user.email)
    form = {"name": "SIEM push", "scope": "write", "expires_days": "30"}
    html = client.get("/profile/tokens").text
    assert 'name="password" type="password" autocomplete="current-password"' in html
    for password, message in [("", "Enter your password to confirm this change."),
                              ("not my password at all", "Wrong password.")]:
        r = post(client, "/profile/tokens", {**form, "password": password},
                 token_from="/profile/tokens")
        assert r.status_code == 422, password
        assert message in alert(r.text)
        assert re.search(r'name="password"[^>]*aria-invalid="true"', r.text)
        # What was typed is kept, the password is not.
        assert 'value="SIEM push"' in r.text and 'value="write" checked' in r.text
        assert "not my password at all" not in r.text
        assert "No tokens yet" in client.get("/profile/tokens").text
    r = post(client, "/profile/tokens", {**form, "password": PASSWORD},
             token_from="/profile/tokens")
    assert r.status_code == 201, r.text
    secret = re.search(r'data-testid="token-secret">([^<]+)<', r.text).group(1)
    assert client.post("/api/v1/notes", json={"title": "x", "tlp": "GREEN"},
                       headers=bearer(secret)).status_code == 201
    # A read-only token needs no password.
    r = post(client, "/profile/tokens", {**form, "scope": "read"}, token_from="/profile/tokens")
    assert r.status_code == 201, r.text


def test_wrong_passwords_for_sensitive_changes_count_as_failed_sign_ins(
        client, settings, community):
    """Re-authentication is throttled like the sign-in: a stolen session cannot use it
    to guess the password, and the limit then holds even for the right one."""
    user = community.user(community.org())
    login(client, user.email)
    wrong = {"name": "x", "scope": "write", "expires_days": "30",
             "password": "not my password at all"}
    for _ in range(settings.signin_max_failures):
        assert post(client, "/profile/tokens", wrong, token_from="/profile/tokens"
                    ).status_code == 422
    r = post(client, "/profile/tokens", {**wrong, "password": PASSWORD},
             token_from="/profile/tokens")
    assert r.status_code == 429 and r.headers["retry-after"]
    assert "No tokens yet" in client.get("/profile/tokens").text
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 429


def test_cannot_revoke_someone_elses_token(client, community):
    org = community.org()
    owner, other = community.user(org), community.user(org)
    secret = community.token(owner)
    login(client, owner.email)
    token_id = re.search(r'/profile/tokens/([0-9a-f-]+)/revoke',
                         client.get("/profile/tokens").text).group(1)
    client.cookies.clear()
    login(client, other.email)
    r = post(client, f"/profile/tokens/{token_id}/revoke", token_from="/profile/tokens")
    assert r.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_guessing_the_current_password_is_throttled(client, settings, community):
    """A stolen session must not become a password oracle: wrong current passwords
    count as failed sign-ins, and the limit then holds even for the right one."""
    user = community.user(community.org())
    login(client, user.email)
    wrong = {"current_password": "not my password at all", "password": NEW_PASSWORD,
             "password_confirm": NEW_PASSWORD}
    for _ in range(settings.signin_max_failures):
        assert post(client, "/profile/password", wrong).status_code == 422
    right = {**wrong, "current_password": PASSWORD}
    r = post(client, "/profile/password", right)
    assert r.status_code == 429
    assert r.headers["retry-after"]
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 429


def test_passphrases_up_to_128_characters_longer_refused(client, community):
    """ASVS V2.1.2: 64 characters and more are welcome, more than 128 are refused."""
    user = community.user(community.org())
    login(client, user.email)
    too_long = ("lantern " * 17)[:129]
    r = post(client, "/profile/password", {"current_password": PASSWORD, "password": too_long,
                                           "password_confirm": too_long})
    assert r.status_code == 422 and "at most 128 characters" in alert(r.text)
    long = (NEW_PASSWORD + " beneath a copper sky, where gulls argue over the last "
            "herring boats of the evening tide")[:128]
    assert len(long) == 128
    r = post(client, "/profile/password", {"current_password": PASSWORD, "password": long,
                                           "password_confirm": long})
    assert r.status_code == 303
    client.cookies.clear()
    assert sign_in(client, user.email, password=long).status_code == 303
    # V2.1.3: nothing is cut off; the first 72 characters (what zxcvbn judges) are not it.
    assert sign_in(client, user.email, password=long[:72]).status_code == 401
    assert sign_in(client, user.email, password=long[:127]).status_code == 401
    # V2.1.4: any printable Unicode, spaces and emoji included.
    login(client, user.email, password=long)
    unicode = "مرحبا بالعالم · ночной паром 🚢 über die Förde"
    r = post(client, "/profile/password", {"current_password": long, "password": unicode,
                                           "password_confirm": unicode})
    assert r.status_code == 303
    client.cookies.clear()
    assert sign_in(client, user.email, password=unicode).status_code == 303


# ---------------------------------------------------------------- strength meter (ASVS V2.1.8)


def _strength(client, data, **kw):
    r = post(client, "/profile/password/strength", data, headers={"HX-Request": "true"}, **kw)
    assert r.status_code == 200, r.text
    assert "no-store" in r.headers["cache-control"]
    return r.text


def test_the_strength_meter_judges_as_the_submit_check(client, community, caplog):
    user = community.user(community.org("Meter CERT"), email="mallory.meter@example.org")
    login(client, user.email)
    html = client.get("/profile").text
    assert 'hx-post="/profile/password/strength"' in html
    assert 'hx-params="csrf_token,password"' in html  # never the current password
    with caplog.at_level("DEBUG"):
        weak = "aaaaaaaaaaaa"
        fragment = _strength(client, {"password": weak})
        assert "Too weak" in fragment and 'value="0"' in fragment
        assert "too easy to guess" in fragment
        assert "Repeats like &#34;aaa&#34; are easy to guess." in fragment
        assert weak not in fragment
        common = _strength(client, {"password": "password1234"})
        assert ">Weak<" in common and "This is a very common password." in common
        short = _strength(client, {"password": "Tr0ub4dor&3"})
        assert "Too weak" in short and "at least 12 characters" in short
        strong = _strength(client, {"password": NEW_PASSWORD})
        assert "Strong" in strong and "Strong enough." in strong and 'value="4"' in strong
        assert NEW_PASSWORD not in strong
        # The user's own e-mail counts as guessable, as on submit (4 for zxcvbn alone).
        own = _strength(client, {"password": user.email})
        assert "Strong enough." not in own and "Too weak" in own
        too_long = "w" * 129
        fragment = _strength(client, {"password": too_long})
        assert "at most 128 characters" in fragment and too_long not in fragment
        assert _strength(client, {"password": ""}).strip() == ""
    for secret in (weak, NEW_PASSWORD, too_long):
        assert secret not in caplog.text
    # The same verdict on submit: refused while the meter says so, accepted after.
    r = post(client, "/profile/password", {"current_password": PASSWORD, "password": user.email,
                                           "password_confirm": user.email})
    assert r.status_code == 422 and "too easy to guess" in alert(r.text)


def test_the_strength_meter_of_an_admin_s_new_user_form(client, community):
    org = community.org("Meter Bank")
    admin = community.user(org, role="org-admin")
    login(client, admin.email)
    html = client.get("/org").text
    assert 'hx-params="csrf_token,password,email,display_name"' in html
    assert "Strong enough." in _strength(client, {"password": NEW_PASSWORD,
                                                  "email": "n@example.org", "display_name": ""},
                                         token_from="/org")
    # The new user's e-mail counts as guessable, as when the user is created.
    fragment = _strength(client, {"password": "quentin.quarrel@x.org",
                                  "email": "quentin.quarrel@x.org", "display_name": "Quentin"},
                         token_from="/org")
    assert "Too weak" in fragment and "quentin.quarrel" not in fragment


def test_the_strength_meter_needs_a_signed_in_session(client, community):
    assert csrf_of(client, "/signin")
    for headers in ({}, {"HX-Request": "true"}):
        r = client.post("/profile/password/strength",
                        data={"csrf_token": csrf_of(client, "/signin"), "password": NEW_PASSWORD},
                        headers=headers, follow_redirects=False)
        assert r.status_code in (204, 303), r.text
        assert "/signin" in r.headers.get("location", r.headers.get("hx-redirect", ""))
        assert NEW_PASSWORD not in r.text and "Strong" not in r.text
