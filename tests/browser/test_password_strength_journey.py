"""ASVS 2.1.8, in a real browser: a live strength meter under every new password, judged
by the same rule as the check on submit, updated as the password is typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

STRONG = "violet ferry crosses the silent northern fjord"


def _wait_for(page, selector, text):
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
        arg=[selector, text], timeout=10_000)


def test_the_meter_follows_what_is_typed(hub, new_page, console):
    user = hub.community.user(hub.community.org("Meter Police"), email="meter@browser.example")
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/profile")
    meter = page.locator("#pw-strength")
    assert meter.inner_text().strip() == "" and not meter.is_visible()  # nothing typed yet
    field = page.get_by_label("New password", exact=True)

    field.press_sequentially("aaaaaaaaaaaa", delay=20)
    _wait_for(page, "#pw-strength", "Too weak")
    assert meter.locator("meter").get_attribute("value") == "0"
    assert 'Repeats like "aaa" are easy to guess.' in meter.inner_text()

    field.fill("")
    field.press_sequentially(STRONG, delay=5)
    _wait_for(page, "#pw-strength", "Strong enough.")
    assert meter.locator("meter").get_attribute("value") == "4"
    assert "Strong" in meter.locator(".strength-label").inner_text()
    assert STRONG not in page.locator("#pw-strength").inner_html()

    shots = Path(os.environ.get("CYBERHUB_SHOTS", ARTIFACTS))
    shots.mkdir(parents=True, exist_ok=True)
    form = page.locator('form[action="/profile/password"]')
    form.scroll_into_view_if_needed()
    form.screenshot(path=str(shots / "password-strength-strong.png"))
    field.fill("")
    field.press_sequentially("password1234", delay=5)
    _wait_for(page, "#pw-strength", "too easy to guess")
    form.screenshot(path=str(shots / "password-strength-weak.png"))
    no_console_errors(console)


def test_the_admin_s_new_user_form_has_the_meter(hub, new_page, console):
    org = hub.community.org("Meter Bank")
    admin = hub.community.user(org, role="org-admin", email="meter-admin@bank.example")
    page = new_page()
    sign_in(page, hub, admin.email)
    page.goto(hub.url + "/org")
    page.get_by_label("E-mail", exact=True).fill("new.person@bank.example")
    field = page.get_by_label("Initial password", exact=True)
    field.press_sequentially("new.person@bank.example", delay=5)
    _wait_for(page, "#nu-strength", "Too weak")  # the new user's own address
    field.fill("")
    field.press_sequentially(STRONG, delay=5)
    _wait_for(page, "#nu-strength", "Strong enough.")
    no_console_errors(console)
