"""CSV import in Chromium: upload a spreadsheet, see the preview, change what a column
holds (htmx updates the preview in place), import, and find the objects. Screenshots of
the preview (light, dark, phone) go to tests/artifacts/ for a human to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.cache import open_warning_index

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_upload_preview_map_import_and_find(hub, new_page, console):

    open_warning_index()  # built once per hub (~20 s): before the page's clock starts
    org = hub.community.org("Sheet Police")
    user = hub.community.user(org, email="analyst@sheet-police.example")
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/import")
    page.get_by_role("link", name=re.compile("CSV spreadsheet")).click()
    page.wait_for_url(re.compile(r"/import/csv$"))
    page.get_by_label("CSV file").set_input_files(str(FIXTURES / "csv" / "indicators.csv"))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/import/csv/[0-9a-f]{32}"))
    assert "Encoding found: UTF-8 · delimiter: comma" in page.locator("#detected").inner_text()
    totals = page.locator("#preview-totals")
    assert "4 objects" in totals.inner_text() and "2 rows skipped" in totals.inner_text()

    # Column C holds names, not descriptions: the preview follows without a page load.
    page.evaluate("window.__same_page = true")
    page.get_by_label("Column C holds").select_option("name")
    # Wait for that preview to come back (the text is also among the column's first
    # values, so it alone does not say the request is done).
    page.wait_for_function("() => !document.querySelector('.htmx-request') && "
                           "document.querySelector('#csv-preview .csv-rows') && "
                           "document.querySelector('#csv-preview').innerText"
                           ".includes('Shadow Loader C2')")
    page.get_by_label("Column B holds").select_option("ignore")
    page.locator("#preview-totals", has_text="2 objects").wait_for()
    assert page.evaluate("window.__same_page") is True
    assert page.get_by_label("Column C holds").input_value() == "name"
    page.get_by_label("Column B holds").select_option("value:domain")
    page.locator("#preview-totals", has_text="4 objects").wait_for()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "csv-preview-light.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "csv-preview-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "csv-preview-phone.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "csv-preview-phone-top.png"))
    page.locator("table.csv-rows").screenshot(path=str(ARTIFACTS / "csv-preview-phone-rows.png"))
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Save the mapping as").fill("Sheet C2 list")
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}$"))
    page.wait_for_function(
        "document.querySelector('#import-status').dataset.status === 'succeeded'")
    status = page.locator("#import-status").inner_text()
    assert "4 objects stored." in status and "Notices from the conversion" in status
    page.screenshot(path=str(ARTIFACTS / "csv-import-status.png"), full_page=True)

    page.goto(hub.url + "/objects?value=c2.shadow-loader.example")
    assert page.get_by_role("link", name="Shadow Loader C2 seen in phishing wave").first.is_visible()
    page.goto(hub.url + "/import/csv")
    assert "Sheet C2 list" in page.locator("#mapping").inner_text()
    no_console_errors(console)


def test_text_candidates_page_renders(hub, new_page, console):

    open_warning_index()  # built once per hub (~20 s): before the page's clock starts
    org = hub.community.org("Text Police")
    user = hub.community.user(org, email="analyst@text-police.example")
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/import/text")
    page.get_by_label("Text of the report").fill(
        (FIXTURES / "text" / "report.txt").read_text())
    page.get_by_role("button", name="Find the values").click()
    page.wait_for_url(re.compile(r"/import/text/[0-9a-f]{32}"))
    assert "45.142.212.61" in page.locator("table.candidates").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "text-candidates-light.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "text-candidates-phone-dark.png"), full_page=True)
    page.get_by_role("button", name="Import the ticked values").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}$"))
    page.wait_for_function(
        "document.querySelector('#import-status').dataset.status === 'succeeded'")
    no_console_errors(console)
