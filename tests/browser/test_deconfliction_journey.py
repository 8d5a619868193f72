"""Deconfliction in a real browser: two agencies register the same wallet (in different
spellings); each sees the hit with only the other's point of contact, in the hits page
and as a notice in the inbox. Members of other organisations see no link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_journeys import no_console_errors, sign_in
from tests.deconfliction.conftest import WALLET

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SHOTS = Path(__file__).resolve().parent.parent / "artifacts"
NORTH_CONTACT = "DI Nora North, +31 70 555 0101"
SOUTH_CONTACT = "KHK Sven South, sven@deconf-south.example"


def _register(page, hub, value: str, case: str, contact: str, chain: str = "") -> None:  # type: ignore[no-untyped-def]
    # Deconfliction is a section of the operations pillar (a chip on its pages).
    page.locator("nav.mainnav").get_by_role("link", name="Operations", exact=True).click()
    page.wait_for_url(re.compile(r"/operations$"))
    page.get_by_role("link", name="Deconfliction", exact=True).click()
    page.wait_for_url(re.compile(r"/deconfliction$"))
    page.get_by_label("Kind").select_option("wallet")
    page.get_by_label("Value", exact=True).fill(value)
    if chain:
        page.get_by_label("Chain").fill(chain)
    page.get_by_label("Your case reference").fill(case)
    page.get_by_label("Point of contact").fill(contact)
    page.get_by_role("button", name="Register").click()


def test_two_agencies_register_the_same_wallet(hub, new_page, console):  # type: ignore[no-untyped-def]
    north_org = hub.community.org("Deconfliction Police North", kind="law-enforcement")
    south_org = hub.community.org("Deconfliction Police South", kind="law-enforcement")
    bank = hub.community.org("Deconfliction Bank", kind="financial")
    north = hub.community.user(north_org, email="north@deconf-police.example")
    south = hub.community.user(south_org, email="south@deconf-police.example")
    banker = hub.community.user(bank, email="banker@deconf-bank.example")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, hub, banker.email)
    page.locator("nav.mainnav").get_by_role("link", name="Operations", exact=True).click()
    page.wait_for_url(re.compile(r"/operations$"))
    page.get_by_role("link", name="Impact", exact=True).wait_for()
    assert page.get_by_role("link", name="Deconfliction", exact=True).count() == 0

    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, hub, north.email)
    _register(page, hub, "btc:nonsense", "NORTH-17", NORTH_CONTACT)
    page.locator("#form-error").wait_for()
    assert "not valid for the kind wallet" in page.locator("#form-error").inner_text()
    page.get_by_label("Value", exact=True).fill(f"btc:{WALLET}")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/deconfliction\?flash=created"))
    row = page.locator("tr[id^=reg-]")
    row.wait_for()
    assert "NORTH-17" in row.inner_text() and WALLET not in page.content()
    page.screenshot(path=str(SHOTS / "deconfliction-register-1280.png"), full_page=True)

    other = new_page(viewport={"width": 1280, "height": 900})
    sign_in(other, hub, south.email)
    _register(other, hub, WALLET.upper(), "SOUTH-0815", SOUTH_CONTACT, chain="btc")
    other.wait_for_url(re.compile(r"/deconfliction/hits"))
    hit = other.locator("tr[id^=hit-]")
    hit.wait_for()
    text = hit.inner_text()
    assert "Deconfliction Police North" in text and NORTH_CONTACT in text
    assert "SOUTH-0815" in text and "NORTH-17" not in other.content()
    other.screenshot(path=str(SHOTS / "deconfliction-hits-1280.png"), full_page=True)
    other.goto(hub.url + "/inbox")
    notice = other.get_by_text(NORTH_CONTACT)
    notice.wait_for()
    assert "NORTH-17" not in other.content()
    other.screenshot(path=str(SHOTS / "deconfliction-inbox-south-1280.png"), full_page=True)

    # North, who registered first, hears of it too: the counter and the inbox.
    page.goto(hub.url + "/")
    page.locator("#inbox-counter .inbox-count").wait_for()
    assert page.locator("#inbox-counter .inbox-count").inner_text() == "1"
    page.locator("#inbox-counter").click()
    page.wait_for_url(re.compile(r"/inbox$"))
    page.get_by_text(SOUTH_CONTACT).wait_for()
    content = page.content()
    assert "Deconfliction Police South" in content and "SOUTH-0815" not in content
    assert WALLET.lower() not in content.lower()
    page.screenshot(path=str(SHOTS / "deconfliction-inbox-north-1280.png"), full_page=True)
    page.get_by_role("button", name=re.compile("another organisation has registered")).click()
    page.wait_for_url(re.compile(r"/deconfliction/hits"))
    page.locator("tr[id^=hit-]").wait_for()
    assert SOUTH_CONTACT in page.locator("tr[id^=hit-]").inner_text()

    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, hub, north.email)
    phone.goto(hub.url + "/deconfliction")
    phone.locator("tr[id^=reg-]").wait_for()
    phone.screenshot(path=str(SHOTS / "deconfliction-register-390.png"), full_page=True)
    no_console_errors(console)
