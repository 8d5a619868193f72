"""The victim's journey of the issue, in a real browser: paste a ransom note on "What hit
us?" and find the right family on top, with its decryptor offered; then open the
family's page. Screenshots in light and dark, desktop and phone, under tests/artifacts/."""

from __future__ import annotations

import pytest

from cyberhub.ransomware import service
from cyberhub.refdata import service as refdata
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.cache import open_warning_index
from tests.ransomware.conftest import SMALL_GALAXY, WANNACRY

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NOTE = """Ooops, your important files are encrypted.

What Happened to My Computer?
Your important files are encrypted. Many of your documents, photos, videos,
databases and other files are no longer accessible because they have been
encrypted. <b>Can I Recover My Files?</b> Sure. Send $300 worth of bitcoin to this
address: 12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw"""


def test_paste_a_note_and_find_the_family_with_its_decryptor(hub, new_page, console):
    refdata.load(hub.database, ["ransomware"], files=[SMALL_GALAXY])
    # Contact points are checked against the MISP warning lists, compiled on first use
    # (~20 s; `cyberhub refdata load` does it on a real hub): before the page's clock.
    open_warning_index()
    org = hub.community.org("Victim Hospital")
    user = hub.community.user(org, email="it@victim-hospital.example")
    with hub.database.transaction() as s:
        service.create_decryptor(s, hub.community.viewer(user), family_ref=WANNACRY,
                                 name="WanaKiwi", provider="Example CERT",
                                 url="https://example.org/wanakiwi")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for device, options in (("desktop", {"viewport": {"width": 1280, "height": 900}}),
                            ("phone", {"viewport": {"width": 390, "height": 844},
                                       "is_mobile": True, "device_scale_factor": 2})):
        page = new_page(**options)
        sign_in(page, hub, user.email)
        if device == "desktop":
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Ransomware").click()
            # The section opens on its dashboard; identification is one click away.
            page.get_by_role("heading", name="Ransomware", exact=True).wait_for()
            page.locator("#chart-leaks[data-drawn=true]").wait_for()  # ECharts drew
            page.get_by_role("main").get_by_role("link", name="What hit us?").first.click()
        else:
            page.goto(hub.url + "/ransomware/identify")
        page.get_by_label("The ransom note's text").fill(NOTE)
        page.get_by_role("button", name="Identify").click()
        page.wait_for_load_state()
        first = page.locator(".rw-candidate").first
        assert first.locator(".rw-candidate-name").inner_text() == "WannaCry"
        offer = first.locator(".rw-decryptor-link")
        assert offer.inner_text() == "WanaKiwi"
        assert offer.get_attribute("rel") == "noopener noreferrer"
        assert "distinctive phrases" in first.locator(".rw-evidence").inner_text()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(ARTIFACTS / f"ransomware-identify-{device}-{scheme}.png"),
                            full_page=True)
        first.locator(".rw-candidate-name").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "WannaCry"
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(ARTIFACTS / f"ransomware-family-{device}-{scheme}.png"),
                            full_page=True)
    no_console_errors(console)
