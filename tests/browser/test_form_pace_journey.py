"""ASVS 11.1.2, in a real browser: a sign-in sent back faster than a person fills the form
in is refused and the form comes back with the e-mail address kept; at a person's pace
it signs in. The hub runs in this process, so the test moves the stamps' clock."""

from __future__ import annotations

import pytest

from cyberhub.web import pace
from tests.browser.test_journeys import no_console_errors
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_sign_in_too_fast_is_refused_then_taken_at_a_person_s_pace(
        hub, new_page, console, monkeypatch: pytest.MonkeyPatch) -> None:
    user = hub.community.user(hub.community.org("Paced Police"), email="paced@browser.example")
    clock = Clock()
    monkeypatch.setattr(pace, "clock", clock)
    monkeypatch.setattr(hub.settings, "min_form_seconds", 2.0)
    page = new_page()
    page.goto(hub.url + "/signin")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "faster than a person fills it in" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("E-mail").input_value() == user.email
    assert page.get_by_label("Password").input_value() == ""

    clock.now += 5
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    # The refusal's 429 is the page's own answer, not a script's error.
    console.errors = [e for e in console.errors if "status of 429" not in e]
    no_console_errors(console)
