"""The readiness journey of the issue, in a real browser, on a demo hub of its own
(``demo_hub``): a demo
bank analyst answers the questionnaire area by area (saving a draft on the way), reviews,
completes, sees the scores, the action plan and the peer benchmark, and downloads the PDF
report. Screenshots of the questionnaire and the result under tests/artifacts/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cyberhub import demo
from cyberhub.config import set_settings
from cyberhub.ransomware.readiness_bank import bank
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ANALYST = "lea.nsb@demo.cyberhub.example"  # Northern Savings Bank (demo), analyst


def test_answer_complete_and_download_the_report(demo_hub, new_page, console):
    set_settings(demo_hub.settings)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    sign_in(page, demo_hub, ANALYST, password=demo.DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ransomware").click()
    page.get_by_role("navigation", name="Ransomware sections").get_by_role(
        "link", name="Readiness").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Latest results").is_visible()  # demo history
    page.get_by_role("link", name="Start a new assessment").click()
    page.wait_for_load_state()
    assert "Area 1 of 10" in page.locator(".rd-progress-label").inner_text()

    # The first area: answer, add a note, save the draft; the page keeps it all.
    page.get_by_label("BK-B-1: Partly").check()
    page.locator("#q-BK-B-1 .rd-note summary").click()
    page.get_by_label("Note for BK-B-1").fill("Weekly copies; the offline one is monthly.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_label("BK-B-1: Partly").is_checked()
    assert "1 of 80 questions answered" in page.locator(".rd-progress-label").inner_text()

    slugs = [a.slug for a in bank().areas]
    for i, area in enumerate(bank().areas):
        assert f"Area {i + 1} of 10" in page.locator(".rd-progress-label").inner_text()
        for q in bank().of_area(area.code):
            if q.id == "BK-B-1":
                continue
            answer = "No" if q.id in ("PM-B-2", "AL-A-1") else "Yes"
            page.get_by_label(f"{q.id}: {answer}", exact=True).check()
        if i == 0:
            page.locator("#q-BK-B-1 .rd-guidance summary").click()
            assert page.locator("#q-BK-B-1 .rd-guidance p").is_visible()
            page.screenshot(path=str(ARTIFACTS / "readiness-questionnaire.png"), full_page=False)
        last = i + 1 == len(slugs)
        page.get_by_role("button", name="Save and review" if last else "Save and continue").click()
        page.wait_for_load_state()

    assert page.get_by_role("heading", name="80 of 80 questions answered").is_visible()
    page.get_by_role("button", name="Complete the assessment").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Readiness results").is_visible()
    overall = int(page.locator("#overall-score").inner_text())
    assert 80 < overall < 100
    plan = page.locator(".rd-action")
    assert plan.count() == 3
    # The heaviest basic question first, its guidance with it.
    assert "PM-B-2" in plan.nth(0).inner_text() and "BK-B-1" in plan.nth(1).inner_text()
    assert "AL-A-1" in plan.nth(2).inner_text()
    assert "Exposed remote desktops" in plan.nth(0).inner_text()
    bench = page.locator("section[aria-labelledby='bench-title']")
    assert "percentile in Bank" in bench.inner_text()
    page.wait_for_function(
        "document.querySelector('#readiness-chart canvas') !== null")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(ARTIFACTS / f"readiness-result-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF report").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Northern Savings Bank (demo)" in text and "Action plan" in text
    assert "[PM-B-2]" in text and f"Overall score: {overall} / 100" in text
    # The overview: the new assessment on top of the demo history, with the change.
    page.get_by_role("link", name="Ransomware readiness").click()
    page.wait_for_load_state()
    assert page.locator("table.data tbody tr").count() >= 2
    page.wait_for_function("document.querySelector('#readiness-chart canvas') !== null")
    page.screenshot(path=str(ARTIFACTS / "readiness-overview.png"), full_page=True)
    no_console_errors(console)
