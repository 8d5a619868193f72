"""The frame every page shares: security headers, cookies, sign-in gate, navigation."""

from __future__ import annotations

import pytest

from tests.factories import csrf_of, sign_in
from tests.web.helpers import login, post


def test_security_headers_on_pages(client):
    r = client.get("/signin")
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"


def test_pages_have_no_inline_script_or_style(client, community):
    org = community.org()
    user = community.user(org)
    login(client, user.email)
    for path in ("/", "/notes", "/notes/new", "/profile", "/profile/2fa", "/profile/tokens"):
        html = client.get(path).text
        assert "style=" not in html, path
        assert "<style" not in html, path
        assert "<script>" not in html and "javascript:" not in html, path
        assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html


def test_cookies_are_httponly_and_samesite(client, community):
    org = community.org()
    user = community.user(org)
    pre = client.get("/signin").headers["set-cookie"].lower()
    assert "httponly" in pre and "samesite=strict" in pre
    r = sign_in(client, user.email)
    cookie = r.headers["set-cookie"].lower()
    assert "cyberhub_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for path in ("/", "/notes", "/profile", "/org", "/admin", "/admin/audit"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/signin?next=" + path


def test_sign_in_wrong_password_shows_message(client, community):
    org = community.org()
    user = community.user(org)
    r = sign_in(client, user.email, password="not the password at all")
    assert r.status_code == 401
    assert "Wrong e-mail or password." in r.text
    assert 'value="' + user.email + '"' in r.text


def test_sign_in_keeps_next_and_refuses_other_hosts(client, community):
    org = community.org()
    user = community.user(org)
    from tests.factories import PASSWORD, csrf_of

    token = csrf_of(client)
    r = client.post("/signin", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": token, "next": "//evil.example/x"},
                    follow_redirects=False)
    assert r.headers["location"] == "/"


def test_csrf_missing_or_forged_is_refused(client, community):
    org = community.org()
    user = community.user(org)
    r = client.post("/signin", data={"email": user.email, "password": "x"})
    assert r.status_code == 403
    login(client, user.email)
    r = client.post("/profile/name", data={"display_name": "Mallory"})
    assert r.status_code == 403
    r = client.post("/profile/name", data={"display_name": "Mallory", "csrf_token": "0" * 64})
    assert r.status_code == 403
    r = client.post("/profile/name", data={"display_name": "Mallory"},
                    headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert "Mallory" not in client.get("/profile").text
    # The token of the session itself works, as a form field and as the htmx header.
    from tests.factories import csrf_of

    token = csrf_of(client, "/profile")
    r = client.post("/profile/name", data={"display_name": "Alice"},
                    headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303


def test_navigation_shows_only_what_the_role_may_use(client, community):
    org = community.org("Bank")
    analyst = community.user(org, role="analyst")
    login(client, analyst.email)
    html = client.get("/").text
    assert 'href="/notes"' in html and 'href="/profile"' in html
    assert 'href="/org"' not in html and 'href="/admin"' not in html
    assert 'action="/signout"' in html and "Bank" in html


def test_navigation_for_admins(client, community):
    org = community.org("Police")
    admin = community.user(org, role="org-admin")
    login(client, admin.email)
    html = client.get("/").text
    assert 'href="/org"' in html and 'href="/admin"' not in html
    client.cookies.clear()
    hub = community.user(org, role="hub-admin")
    login(client, hub.email)
    html = client.get("/").text
    assert 'href="/org"' in html and 'href="/admin"' in html


def test_demo_organisation_is_flagged(client, community):
    org = community.org("Demo Bank (demo)", is_demo=True)
    user = community.user(org)
    login(client, user.email)
    html = client.get("/").text
    assert "DEMO DATA" in html and "demo-banner" in html
    client.cookies.clear()
    real = community.user(community.org("Real Bank"))
    login(client, real.email)
    assert "demo-banner" not in client.get("/").text


def test_sign_out(client, community):
    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/signout")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert client.get("/profile", follow_redirects=False).status_code == 303


def test_unknown_page_is_404_page(client):
    r = client.get("/no/such/page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "Not found" in r.text


def test_answers_are_not_cached_but_static_files_are(client, community):
    """ASVS V8.2.1: what a user may see stays out of shared and browser caches."""
    from tests.factories import bearer

    token = community.token(community.user(community.org()))
    for path in ("/signin", "/healthz", "/api/v1/openapi.json", "/no-such-page",
                 "/taxii2/"):
        assert client.get(path).headers.get("cache-control") == "no-store", path
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    r = client.get("/static/favicon.svg")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")


def test_hsts_and_secure_cookies_when_served_over_https(settings, database, community):
    """ASVS V14.4.5 and V3.4.1: behind TLS (CYBERHUB_SECURE_COOKIES) every answer carries
    Strict-Transport-Security, refusals included, and every cookie is Secure."""
    from fastapi.testclient import TestClient

    from cyberhub.app import create_app

    with TestClient(create_app(settings, database), base_url="https://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/signin").headers
    settings.secure_cookies = True
    user = community.user(community.org())
    with TestClient(create_app(settings, database), base_url="https://testserver") as tls:
        first = tls.get("/signin")
        assert "secure" in first.headers["set-cookie"].lower()
        for r in (first, tls.get("/api/v1/me"), tls.get("/no-such-page"),
                  tls.post("/api/v1/notes", content=b"x" * (settings.max_body_bytes + 1))):
            assert r.headers["strict-transport-security"].startswith("max-age="), r.status_code
        r = sign_in(tls, user.email)
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


def test_host_prefixed_cookies_behind_tls(settings, database, community):
    """ASVS V3.4.4: behind TLS the session and pre-session cookies are named ``__Host-…``
    (Secure, Path=/, no Domain); plain-HTTP development keeps the bare names."""
    from fastapi.testclient import TestClient

    from cyberhub.app import create_app

    user = community.user(community.org())
    with TestClient(create_app(settings, database)) as plain:
        assert plain.get("/signin").headers["set-cookie"].startswith("cyberhub_presession=")
        assert sign_in(plain, user.email).headers["set-cookie"].startswith("cyberhub_session=")
    settings.secure_cookies = True
    with TestClient(create_app(settings, database), base_url="https://testserver") as tls:
        pre = tls.get("/signin").headers["set-cookie"]
        assert pre.startswith("__Host-cyberhub_presession=")
        r = sign_in(tls, user.email)
        assert r.status_code == 303, r.text
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-cyberhub_session=")
        attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert "secure" in attributes and "path=/" in attributes
        assert not any(a.startswith("domain") for a in attributes)
        assert tls.get("/api/v1/me").json()["email"] == user.email
        # A bare-named cookie (planted over plain HTTP, say) is not a session.
        value = tls.cookies["__Host-cyberhub_session"]
        with TestClient(tls.app, base_url="https://testserver") as planted:
            planted.cookies.set("cyberhub_session", value)
            assert planted.get("/api/v1/me").status_code == 401
        # Signing out removes the prefixed cookie.
        r = tls.post("/signout", data={"csrf_token": csrf_of(tls, "/profile")},
                     follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["set-cookie"].startswith('__Host-cyberhub_session=""')
        assert "secure" in r.headers["set-cookie"].lower()
        assert tls.get("/api/v1/me").status_code == 401


def test_an_unexpected_failure_tells_nothing_of_the_internals(app):
    """ASVS V7.4.1: a bug answers a bare 500, without the exception, path or trace."""
    from fastapi.testclient import TestClient

    def broken() -> None:
        raise RuntimeError("secret internals at /srv/cyberhub/var/secret_key")

    app.add_api_route("/test-broken", broken)
    app.add_api_route("/api/v1/test-broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        for path, accept in (("/test-broken", "text/html"), ("/test-broken", "application/json"),
                             ("/api/v1/test-broken", "*/*")):
            r = c.get(path, headers={"accept": accept, "x-request-id": "req-1234abcd"})
            assert r.status_code == 500
            assert "secret" not in r.text and "Traceback" not in r.text
            assert "RuntimeError" not in r.text and "/srv/" not in r.text
            # ASVS V7.4.1, V7.4.3: the hub's own answer, with its headers and request id.
            assert r.headers["x-request-id"] == "req-1234abcd"
            assert "default-src" in r.headers["content-security-policy"]
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["cache-control"] == "no-store"
            if path.startswith("/api/"):
                assert r.json()["error"]["code"] == "internal_error"
                assert "request id" in r.json()["error"]["message"]
            elif accept == "text/html":
                assert "text/html" in r.headers["content-type"]
                assert "request id" in r.text
        french = c.get("/api/v1/test-broken", headers={"accept-language": "fr"})
        assert french.status_code == 500 and "request id" not in french.json()["error"]["message"]
    with TestClient(app) as c, pytest.raises(RuntimeError):  # tests still see the bug
        c.get("/api/v1/test-broken")


def test_no_directory_listing_hidden_files_or_versions(client):
    """ASVS V4.3.2, V12.5.1, V14.3.3: the static folder lists nothing, serves no dotfiles or
    backups, and no answer names the framework or the server's version."""
    for path in ("/static/", "/static/vendor/", "/.git/config", "/static/.built",
                 "/static/vendor/.built", "/var/secret_key", "/static/../config.py",
                 "/static/%2e%2e/config.py", "/docs", "/redoc", "/api/v1/docs"):
        r = client.get(path)
        assert r.status_code == 404, path
    assert client.get("/signin").headers["content-type"] == "text/html; charset=utf-8"
    for path in ("/signin", "/api/v1/me", "/taxii2/", "/no-such-page"):
        headers = client.get(path).headers
        assert "server" not in headers and "x-powered-by" not in headers, path
        assert not any(word in v.lower() for v in headers.values()
                       for word in ("uvicorn", "starlette", "fastapi", "python")), path


def test_password_fields_welcome_password_managers_and_paste(client, community):
    """ASVS V2.1.11: paste and password managers work; nothing blocks them."""
    signin = client.get("/signin").text
    assert 'type="password" autocomplete="current-password"' in signin
    login(client, community.user(community.org()).email)
    profile = client.get("/profile").text
    assert 'autocomplete="new-password"' in profile
    for html in (signin, profile):
        assert "onpaste" not in html and "oncopy" not in html


def test_every_password_field_has_a_show_toggle(client, community):
    """ASVS V2.1.12: each password input is followed by its own "Show" button (made to
    work by static/js/app.js, hidden until then), which says whether it is pressed."""
    import re

    pages = {"/signin": client.get("/signin").text}
    # Enrolled, as admins are: the form that turns two-factor sign-in off asks for a password.
    admin = community.user(community.org(), role="org-admin")
    login(client, admin.email)
    pages.update({path: client.get(path).text for path in (
        "/profile", "/profile/2fa", "/org", "/profile/tokens", "/inbox/settings")})
    # /profile: the password change (3) and signing out everywhere (1).
    expected = {"/signin": 1, "/profile": 4, "/profile/2fa": 1, "/org": 1,
                "/profile/tokens": 1, "/inbox/settings": 1}
    for path, html in pages.items():
        inputs = re.findall(r'<input id="([\w-]+)"[^>]*type="password"', html)
        toggles = re.findall(r'<button type="button" class="password-toggle" '
                             r'data-password-toggle="([\w-]+)" aria-controls="\1" '
                             r'aria-pressed="false"[^>]* hidden>', html)
        assert len(inputs) == expected[path] and toggles == inputs, (path, inputs, toggles)
        assert '<span data-toggle-label>Show</span>' in html, path


def test_json_answers_are_attachments_pages_are_not(client, community):
    """ASVS 14.4.2: a browser led to a JSON answer saves it instead of rendering it."""
    page = client.get("/signin")
    assert "content-disposition" not in page.headers
    api = client.get("/api/v1/organisations")  # no token: a problem-details answer
    assert api.status_code == 401
    taxii = client.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.1"})
    openapi = client.get("/api/v1/openapi.json")
    for r in (api, taxii, openapi):
        assert "json" in r.headers["content-type"], r.url
        assert r.headers["content-disposition"] == 'attachment; filename="api.json"', r.url
