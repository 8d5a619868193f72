"""ASVS 2.3.2 in a real browser: a member adds a security key on the profile and signs
in with the password and the key, with Chromium's virtual authenticator (DevTools'
WebAuthn domain) standing in for the key.

Browsers refuse an IP address as a WebAuthn relying party, so these journeys open the
live hub as http://localhost:PORT (a secure context, like https://)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


def _by_name(hub: Any) -> str:
    return str(hub.url).replace("://127.0.0.1:", "://localhost:")


def _virtual_key(page: Any) -> tuple[Any, str]:
    """A USB security key with a PIN, plugged in: it answers every request at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    return cdp, added["authenticatorId"]


def _shoot(page: Any, name: str) -> None:
    """The page at desktop width, then at a phone's (390 px), light theme."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    # Nothing sticks out sideways at phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(size)


def _password_step(page: Any, base: str, email: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_add_a_security_key_then_sign_in_with_it(hub, new_page, console):
    user = hub.community.user(hub.community.org("Key Police", kind="law-enforcement"),
                              email="keys@browser.example")
    base = _by_name(hub)
    page = new_page(color_scheme="light")
    cdp, authenticator = _virtual_key(page)

    _password_step(page, base, user.email)
    page.wait_for_url(base + "/")
    page.goto(base + "/profile/2fa")
    page.get_by_label("Name of the key").fill("Desk YubiKey")
    page.get_by_role("button", name="Add a security key or passkey").click()
    page.wait_for_url(re.compile(r"/profile/2fa\?flash=key-added$"))
    assert "The security key is added." in page.locator(".flash").inner_text()
    keys = page.get_by_test_id("security-key")
    assert keys.count() == 1
    assert "Desk YubiKey" in keys.first.inner_text()
    assert "Last used never" in re.sub(r"\s+", " ", keys.first.inner_text())
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    _shoot(page, "security-keys-profile")

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/signin"))

    _password_step(page, base, user.email)
    page.wait_for_url(re.compile(r"/signin/2fa"))
    assert page.get_by_role("button", name="Use your security key").is_visible()
    assert page.get_by_label("Code from your authenticator app").count() == 0
    _shoot(page, "security-key-signin")
    page.get_by_role("button", name="Use your security key").click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    # The key was used: the profile says when.
    page.goto(base + "/profile/2fa")
    assert "Last used never" not in re.sub(r"\s+", " ",
                                           page.get_by_test_id("security-key").inner_text())
    # Removing it asks for the password again.
    page.get_by_role("link", name="Remove Desk YubiKey").click()
    page.wait_for_url(re.compile(r"/profile/2fa/keys/.+/remove$"))
    page.get_by_label("Your password, to remove the key").fill("not the password at all")
    page.get_by_role("button", name="Remove the key", exact=True).click()
    assert "Wrong password." in page.get_by_role("alert").inner_text()
    _shoot(page, "security-key-remove")
    page.get_by_label("Your password, to remove the key").fill(PASSWORD)
    page.get_by_role("button", name="Remove the key", exact=True).click()
    page.wait_for_url(re.compile(r"/profile/2fa\?flash=key-removed$"))
    assert page.get_by_test_id("security-key").count() == 0
    no_console_errors(console)


def test_both_ways_are_offered_when_an_app_is_set_up_too(hub, new_page, console):
    user = hub.community.user(hub.community.org("Key Bank", kind="financial"),
                              email="both@browser.example")
    hub.community.enrol(user)  # the authenticator app
    base = _by_name(hub)
    page = new_page(color_scheme="light")
    _virtual_key(page)
    from tests.factories import next_code

    _password_step(page, base, user.email)
    page.get_by_label("Code from your authenticator app").fill(next_code(user.email))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/profile/2fa")
    page.get_by_label("Name of the key").fill("Laptop passkey")
    page.get_by_role("button", name="Add a security key or passkey").click()
    page.wait_for_url(re.compile(r"flash=key-added$"))
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/signin"))
    _password_step(page, base, user.email)
    assert page.get_by_role("button", name="Use your security key").is_visible()
    assert page.get_by_label("Code from your authenticator app").is_visible()
    _shoot(page, "security-key-signin-or-code")
    # Right to left, in Arabic: the same step, and the key still answers.
    with page.expect_navigation():
        page.locator('form.language-switcher button[value="ar"]').click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    _shoot(page, "security-key-signin-ar")
    page.get_by_role("button", name="استخدم مفتاح الأمان").click()
    page.wait_for_url(base + "/")
    no_console_errors(console)


def test_a_browser_without_webauthn_is_told_so(hub, new_page, console):
    user = hub.community.user(hub.community.org("Old Browser CERT"),
                              email="old@browser.example")
    base = _by_name(hub)
    page = new_page(color_scheme="light")
    page.add_init_script("delete window.PublicKeyCredential;")
    _password_step(page, base, user.email)
    page.goto(base + "/profile/2fa")
    message = page.locator(".key-add [data-webauthn-error]")
    assert message.is_visible()
    assert "This browser cannot use security keys or passkeys" in message.inner_text()
    assert page.get_by_role("button", name="Add a security key or passkey").is_disabled()
    no_console_errors(console)
