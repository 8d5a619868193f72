"""Leak-site posts in a real browser: import a monitor's file through the form, filter
the list, and see the family's section with its chart drawn (no inline script, no CSP
complaint). Screenshots under tests/artifacts/."""

from __future__ import annotations

import orjson
import pytest

from cyberhub.ransomware import demo_leakposts
from cyberhub.refdata import service as refdata
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.ransomware.conftest import LOCKBIT, SMALL_GALAXY

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_import_filter_and_see_the_family_section(hub, new_page, console):
    refdata.load(hub.database, ["ransomware"], files=[SMALL_GALAXY])
    org = hub.community.org("Leak Watch CERT")
    user = hub.community.user(org, email="analyst@leak-watch.example")
    body = b"".join(orjson.dumps(p) + b"\n" for p in demo_leakposts.posts(120))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/ransomware/leak-posts")
    page.get_by_role("link", name="Import leak-site posts").click()
    page.set_input_files("#file", files=[{"name": "posts.jsonl",
                                          "mimeType": "application/x-ndjson",
                                          "buffer": body}])
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    assert "posts stored" in page.locator("#result-title").locator("..").inner_text()
    page.screenshot(path=str(ARTIFACTS / "leakposts-import.png"), full_page=True)
    page.goto(hub.url + "/ransomware/leak-posts")
    page.get_by_label("Family").select_option(label="LockBit")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    rows = page.locator("table.rw-leak-posts tbody tr")
    assert rows.count() > 0
    assert page.locator("table.rw-leak-posts a[href^='http']").count() == 0
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(ARTIFACTS / f"leakposts-list-{scheme}.png"), full_page=True)
    page.goto(hub.url + f"/ransomware/families/{LOCKBIT}")
    section = page.locator("section[aria-labelledby='leak-title']")
    section.scroll_into_view_if_needed()
    section.locator("#leak-chart canvas").wait_for()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(ARTIFACTS / f"leakposts-family-{scheme}.png"), full_page=True)
    no_console_errors(console)
