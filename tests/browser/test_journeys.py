"""The journeys of the issue, in a real browser: sign in, enrol 2FA and use it, create
an API token, share a note under AMBER and fail to see it from another organisation."""

from __future__ import annotations

import re
import time

import httpx2
import pyotp
import pytest

from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def sign_in(page, hub, email, password=PASSWORD):
    page.goto(hub.url + "/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/signin/2fa" in page.url and factories.enrolled(email):
        # A hub administrator made by the factories: enter the next code of their app.
        page.get_by_label("Code from your authenticator app").fill(factories.next_code(email))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/signin"))


def no_console_errors(console):
    # A blocked inline script or style (CSP) or a failed asset would show up here; the
    # 4xx answers the journeys provoke on purpose (a wrong password, a hidden note) not.
    expected = re.compile(r"Failed to load resource: the server responded with a status of "
                          r"(401|404|422)")
    assert [e for e in console.errors if not expected.match(e)] == []


def test_sign_in_and_out(hub, new_page, console):
    org = hub.community.org("Browser Police")
    user = hub.community.user(org, email="officer@browser.example")
    page = new_page()
    sign_in(page, hub, user.email, password="wrong password, certainly")
    assert page.get_by_role("alert").inner_text().find("Wrong e-mail or password.") >= 0
    sign_in(page, hub, user.email)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Knowledge base").is_visible()
    assert nav.get_by_role("link", name="Hub admin").count() == 0
    assert "Browser Police" in page.locator(".account").inner_text()
    sign_out(page)
    assert "You are signed out." in page.content()
    page.goto(hub.url + "/notes")
    assert "/signin" in page.url
    no_console_errors(console)


def test_a_password_an_admin_chose_is_replaced_at_first_sign_in(hub, new_page, console):
    from cyberhub.community import service

    org = hub.community.org("Browser Customs")
    boss = hub.community.user(org, role="org-admin", email="boss@browser-customs.example")
    initial = "seven amber harbours guard the quiet bay"
    with hub.database.transaction() as s:
        service.create_user(s, hub.community.viewer(boss), email="new@browser-customs.example",
                            org_id=org.id, role="analyst", password=initial)
    page = new_page()
    sign_in(page, hub, "new@browser-customs.example", password=initial)
    assert page.url.endswith("/profile/password")
    page.goto(hub.url + "/notes")  # nothing else opens first
    assert page.url.endswith("/profile/password")
    assert page.get_by_role("heading", level=1).inner_text() == "Choose your password"
    page.screenshot(path=str(ARTIFACTS / "initial-password.png"), full_page=True)
    own = "a lantern of copper above the northern gate"
    page.get_by_label("Current password").fill(initial)
    page.get_by_label("New password", exact=True).fill(own)
    page.get_by_label("New password again").fill(own)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(re.compile(r"/\?flash=password-changed"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    no_console_errors(console)


def test_enrol_second_factor_and_sign_in_with_it(hub, new_page, console):
    org = hub.community.org("Browser Bank", require_2fa=True)
    user = hub.community.user(org, email="teller@browser.example")
    page = new_page()
    sign_in(page, hub, user.email)
    # The organisation requires 2FA: every page leads to the enrolment page.
    assert page.url.endswith("/profile/2fa")
    page.goto(hub.url + "/notes")
    assert page.url.endswith("/profile/2fa")
    assert page.get_by_text("Required by your organisation").is_visible()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    qr = page.get_by_role("img", name="QR code holding your authenticator secret")
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: URI loads under the CSP
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Enter the 6-digit code the app shows").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url(re.compile(r"flash=totp-on"))
    page.get_by_text("Two-factor sign-in is on.").first.wait_for(state="visible")
    sign_out(page)

    sign_in(page, hub, user.email)
    assert "/signin/2fa" in page.url
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    assert "That code is not right" in page.get_by_role("alert").inner_text()
    # The enrolment used the current step and a code is never accepted twice: use the next.
    page.get_by_label("Code from your authenticator app").fill(
        totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    no_console_errors(console)


def test_create_token_and_use_it(hub, new_page, console):
    org = hub.community.org("Browser CERT")
    user = hub.community.user(org, email="handler@browser.example")
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/profile/tokens")
    page.get_by_label("Name").fill("SIEM export")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires after").select_option("30")
    # A token that may write asks for the password again (ASVS 3.7.1).
    page.get_by_role("button", name="Create token").click()
    assert "Enter your password to confirm this change." in page.get_by_role(
        "alert").inner_text()
    assert page.get_by_label("Read and write").is_checked()
    page.get_by_label("Your password, for a read-and-write token").fill(PASSWORD)
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("chub_")
    assert page.get_by_role("button", name="Copy").is_visible()  # JS enhanced the page
    r = httpx2.get(hub.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and r.json()["email"] == user.email
    page.get_by_role("link", name="Done").click()
    row = page.get_by_role("row").filter(has_text="SIEM export")
    assert secret[:12] in row.inner_text() and "read and write" in row.inner_text()
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_url(re.compile(r"token-revoked"))
    assert "The token is revoked." in page.content()
    r = httpx2.get(hub.url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
    no_console_errors(console)


def test_sign_out_everywhere_asks_for_the_password(hub, new_page, console):
    org = hub.community.org("Travelling CERT")
    user = hub.community.user(org, email="traveller@browser.example")
    laptop, phone = new_page(), new_page(viewport={"width": 390, "height": 844})
    sign_in(laptop, hub, user.email)
    sign_in(phone, hub, user.email)
    laptop.goto(hub.url + "/profile")
    field = laptop.get_by_label("Your password, to sign out everywhere")
    assert field.get_attribute("autocomplete") == "current-password"
    laptop.once("dialog", lambda dialog: dialog.accept())
    field.fill("not my password at all")
    laptop.get_by_role("button", name="Sign out everywhere", exact=True).click()
    laptop.wait_for_load_state()
    assert "Wrong password." in laptop.get_by_role("alert").inner_text()
    assert laptop.get_by_label("Your password, to sign out everywhere").get_attribute(
        "aria-invalid") == "true"
    phone.goto(hub.url + "/profile")
    assert phone.url.endswith("/profile")  # still signed in there
    laptop.once("dialog", lambda dialog: dialog.accept())
    laptop.get_by_label("Your password, to sign out everywhere").fill(PASSWORD)
    laptop.get_by_role("button", name="Sign out everywhere", exact=True).click()
    laptop.wait_for_url(re.compile(r"/signin"))
    phone.goto(hub.url + "/profile")
    assert "/signin" in phone.url
    no_console_errors(console)


def test_amber_note_reaches_its_audience_only(hub, new_page, console):
    c = hub.community
    police, bank, stranger_org = c.org("Amber Police"), c.org("Amber Bank"), c.org("Outsiders")
    author = c.user(police, email="author@amber.example")
    recipient = c.user(bank, email="recipient@amber.example")
    stranger = c.user(stranger_org, email="stranger@amber.example")

    page = new_page()
    sign_in(page, hub, author.email)
    page.get_by_role("link", name="New note").first.click()
    page.get_by_label("Title").fill("Affiliate panel <b>found</b>")
    page.get_by_label("Text").fill("Seen on **two** staging servers.\n\n<script>alert(1)</script>")
    tlp = page.get_by_label("TLP marking")
    # The form explains each marking and shows only the recipients it allows.
    tlp.select_option("GREEN")
    assert page.locator("#org_ids").is_hidden()
    assert page.locator('[data-tlp-rule="GREEN"]').get_attribute("class") == "is-current"
    tlp.select_option("RED")
    assert page.locator("#org_ids").is_hidden() and page.locator("#user_ids").is_visible()
    tlp.select_option("AMBER")
    assert page.locator("#org_ids").is_visible()
    page.get_by_placeholder("Type to filter").first.fill("amber b")
    page.locator("#org_ids").select_option(label="Amber Bank")
    page.get_by_role("button", name="Share note").click()
    page.wait_for_url(re.compile(r"/notes/[0-9a-f-]+\?flash=note-created"))
    note_url = page.url.split("?")[0]
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Affiliate panel <b>found</b>"  # shown as text, not markup
    assert page.locator(".prose strong").inner_text() == "two"
    assert page.locator(".prose script").count() == 0
    assert page.locator(".tlp").first.inner_text() == "TLP:AMBER"
    assert "Amber Bank" in page.locator("aside").inner_text()
    no_console_errors(console)

    page = new_page()
    sign_in(page, hub, recipient.email)
    page.goto(note_url)
    assert page.get_by_role("heading", level=1).inner_text() == "Affiliate panel <b>found</b>"

    page = new_page()
    sign_in(page, hub, stranger.email)
    response = page.goto(note_url)
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    hidden = page.content()
    missing = page.goto(hub.url + "/notes/6f1c1a52-0000-4000-8000-000000000000")
    assert missing.status == 404 and page.content() == hidden
    page.goto(hub.url + "/notes")
    assert "Affiliate panel" not in page.content()


def test_notes_filter_updates_in_place_with_htmx(hub, new_page, console):
    c = hub.community
    org = c.org("Filter Org")
    user = c.user(org, email="filter@browser.example")
    c.note(user, tlp="CLEAR", title="Filter clear note")
    c.note(user, tlp="GREEN", title="Filter green note")
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/notes")
    page.evaluate("window.__same_document = true")
    page.locator("label.chip", has_text="TLP:CLEAR").click()
    page.wait_for_url(re.compile(r"tlp=CLEAR"))
    results = page.locator("#note-results")
    results.get_by_text("Filter clear note").wait_for()
    assert results.get_by_text("Filter green note").count() == 0
    assert page.evaluate("window.__same_document") is True  # swapped, not reloaded
    no_console_errors(console)
