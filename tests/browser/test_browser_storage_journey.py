"""ASVS 8.2.2, in a real browser: after signing in and moving through the pages (a list
filtered in place by htmx included), the browser keeps nothing sensitive — no session
token, no CSRF token, no record's content — in localStorage, sessionStorage or IndexedDB,
and every cookie the hub sets is HttpOnly, SameSite, and Secure as configured."""

from __future__ import annotations

import pytest

from cyberhub.deps import SESSION_COOKIE
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

STORAGE = """async () => {
  const dump = (s) => Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k)]));
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  return {local: dump(localStorage), session: dump(sessionStorage),
          indexeddb: databases.map((d) => d.name), cookie: document.cookie};
}"""


def test_nothing_sensitive_is_kept_in_browser_storage(hub, new_page, console):
    org = hub.community.org("Storage Police")
    user = hub.community.user(org, email="storage@browser.example")
    marker = "Wallet of the storage-test actor"
    hub.community.note(user, tlp="RED", title=marker, users=[user])
    page = new_page()
    sign_in(page, hub, user.email)
    csrf = page.locator('input[name="csrf_token"]').first.input_value()
    page.goto(hub.url + "/notes")
    assert marker in page.content()
    # Filtering in place: htmx swaps the list and pushes the new address into the history.
    with page.expect_response(lambda r: "/notes?tlp=RED" in r.url):
        page.locator('form.filters input[value="RED"]').check()
    page.wait_for_url("**/notes?tlp=RED")
    page.goto(hub.url + "/profile")
    page.go_back()
    page.wait_for_load_state()
    assert marker in page.content()

    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies[SESSION_COOKIE]
    stored = page.evaluate(STORAGE)
    kept = "\n".join([*stored["local"], *stored["local"].values(), *stored["session"],
                      *stored["session"].values()])
    for secret in (session["value"], csrf, marker, PASSWORD):
        assert secret not in kept, (secret, stored)
    assert "htmx-history-cache" not in stored["session"]  # no snapshot of a page
    assert stored["indexeddb"] == []
    assert stored["cookie"] == ""  # script reads no cookie of the hub
    assert cookies and all(c["httpOnly"] for c in cookies.values()), cookies
    assert session["sameSite"] == "Lax"
    assert all(c["sameSite"] in ("Lax", "Strict") for c in cookies.values()), cookies
    assert all(c["secure"] is hub.settings.secure_cookies for c in cookies.values()), cookies
    no_console_errors(console)
