"""The main pages in English, French, Spanish and Arabic, in a real browser.

One signed-in browser walks the pages of a hub with the demo community in each language,
chosen with the switcher on the pages themselves: each page says its language and
direction (Arabic right to left), shows the interface in that language where a catalogue
exists, and answers without a server error. Screenshots go to var/screenshots/i18n/ to
be looked at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cyberhub import demo, i18n
from cyberhub.config import set_settings
from tests.browser.test_journeys import no_console_errors

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "i18n"
PAGES = [("home", "/"), ("objects", "/objects"), ("object", None), ("threat-map", "/atlas"),
         ("ransomware", "/ransomware"), ("operations", "/operations"), ("inbox", "/inbox"),
         ("profile", "/profile")]
# Pages drawn by ECharts or cytoscape.js, looked at in the right-to-left language only.
CHARTED = [("chokepoints", "/atlas/chokepoints"), ("trends", "/ransomware/trends"),
           ("graph", "/atlas/graph?q=Demo")]
OBJECT_LINK = re.compile(r"^/objects/[0-9a-f-]{36}$")


def translated(locale: str, message: str) -> str:
    with i18n.use_locale(locale):
        return i18n.gettext(message)


def switch_to(page: Any, locale: str) -> None:
    """Choose the language with the switcher at the foot of the page."""
    button = page.locator(f'form.language-switcher button[value="{locale}"]')
    if button.is_disabled():  # already the page's language
        return
    with page.expect_navigation():
        button.click()


def check_page(page: Any, locale: str, name: str, response: Any = None) -> None:
    if response is not None:
        assert response.status == 200, (locale, name, response.status)
    html = page.locator("html")
    assert html.get_attribute("lang") == locale, (locale, name)
    assert html.get_attribute("dir") == ("rtl" if locale == "ar" else "ltr"), (locale, name)
    # Nothing pokes out sideways: a right-to-left layout that broke scrolls horizontally.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, (locale, name, overflow)
    page.screenshot(path=str(SHOTS / f"{locale}-{name}.png"))


def test_main_pages_in_every_language(demo_hub, new_page, console):
    set_settings(demo_hub.settings)
    base, email = demo_hub.url, demo_hub.member("National CERT", "analyst")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": 1280, "height": 900})

    # Signed out: the sign-in page, its language chosen by the switcher (a cookie).
    page.goto(base + "/signin")
    for locale in i18n.SUPPORTED_LOCALES:
        switch_to(page, locale)
        assert page.url.endswith("/signin")
        check_page(page, locale, "signin")
        if i18n.has_catalogue(locale):
            assert page.locator("h1").inner_text() == translated(locale, "Sign in")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator('main button[type="submit"]').click()

    object_path = None
    for locale in i18n.SUPPORTED_LOCALES:
        switch_to(page, locale)  # signed in: saved to the profile
        pages = PAGES + (CHARTED if locale == "ar" else [])
        for name, path in pages:
            if path is None:
                if object_path is None:
                    hrefs = page.eval_on_selector_all(
                        "main a[href^='/objects/']", "els => els.map(e => e.getAttribute('href'))")
                    object_path = next(h for h in hrefs if OBJECT_LINK.match(h))
                path = object_path
            response = page.goto(base + path)
            page.wait_for_load_state("networkidle")
            check_page(page, locale, name, response)
            if name == "ransomware":
                # The charts write figures the way the server does for this language.
                with i18n.use_locale(locale):
                    expected = i18n.format_number(12345.5)
                assert page.evaluate("window.cyberhubCharts.number(12345.5)") == expected
            if i18n.has_catalogue(locale):
                nav = page.get_by_role("navigation", name=translated(locale, "Main"))
                assert nav.locator('a[href="/objects"]').inner_text() == \
                    translated(locale, "Knowledge base")
        # The profile's chooser shows the language saved by the switcher.
        page.goto(base + "/profile")
        assert page.locator("#locale").input_value() == locale
    no_console_errors(console)
