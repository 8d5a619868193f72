"""ASVS 2.1.12, in a real browser: every password field has a "Show"/"Hide" button that
unmasks what was typed and masks it again, says its state (aria-pressed) in the page's
language, and does not get in the way of signing in."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_sign_in_password_can_be_shown_and_hidden_again(hub, new_page, console):
    user = hub.community.user(hub.community.org("Toggle Police"), email="toggle@browser.example")
    page = new_page()
    page.goto(hub.url + "/signin")
    password = page.get_by_label("Password")
    toggle = page.locator('button[aria-controls="password"]')
    assert page.get_by_role("button", name="Show Password").is_visible()  # app.js showed it
    page.get_by_label("E-mail").fill(user.email)
    password.fill(PASSWORD)
    assert password.get_attribute("type") == "password"
    assert toggle.get_attribute("aria-pressed") == "false"

    toggle.click()
    assert password.get_attribute("type") == "text"
    assert password.input_value() == PASSWORD  # what was typed stays
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="Hide Password").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "password-shown.png"))

    toggle.click()
    assert password.get_attribute("type") == "password"
    assert toggle.get_attribute("aria-pressed") == "false"
    assert page.get_by_role("button", name="Show Password").is_visible()
    page.screenshot(path=str(ARTIFACTS / "password-hidden.png"))

    # Shown when the form is sent: it is masked first, and the sign-in works.
    toggle.click()
    password.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    no_console_errors(console)


def test_each_password_of_a_form_has_its_own_toggle(hub, new_page, console):
    user = hub.community.user(hub.community.org("Toggle Bank"), email="toggle@bank.example")
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/profile")
    fields = {name: page.get_by_label(name, exact=True)
              for name in ("Current password", "New password", "New password again")}
    for field in fields.values():
        field.fill("typed but not sent")
    page.get_by_role("button", name="Show New password", exact=True).click()
    assert {name: f.get_attribute("type") for name, f in fields.items()} == {
        "Current password": "password", "New password": "text",
        "New password again": "password"}
    no_console_errors(console)


def test_the_toggle_speaks_the_pages_language_right_to_left(hub, new_page, console):
    page = new_page()
    page.goto(hub.url + "/signin")
    with page.expect_navigation():
        page.locator('form.language-switcher button[value="ar"]').click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    toggle = page.locator("[data-password-toggle]")
    label = toggle.locator("[data-toggle-label]")
    assert label.inner_text() == "إظهار"
    page.locator("#password").fill("كلمة مرور طويلة")
    toggle.click()
    assert label.inner_text() == "إخفاء"
    assert page.locator("#password").get_attribute("type") == "text"
    # The button sits at the end of the field: on the left, right to left.
    field, button = (page.locator(s).bounding_box() for s in ("#password", "[data-password-toggle]"))
    assert button["x"] + button["width"] <= field["x"] + 1
    page.screenshot(path=str(ARTIFACTS / "password-toggle-ar.png"))
    no_console_errors(console)
