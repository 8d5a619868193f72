"""The impact dashboard in a real browser: a police analyst sees the outcomes of the
operation their unit takes part in, by name and in the charts, and another agency's
operation only as an unnamed sum (it allowed aggregate publication); a third operation
that did not allow it leaves no trace. An evidence item is registered and handed over
from the pages. Screenshots (light and dark, desktop and phone) go to tests/artifacts/."""

from __future__ import annotations

import re
from datetime import date

import pytest

from cyberhub.operations import service as operations
from cyberhub.operations.impact import service as impact
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.browser.test_vetting_journey import shoot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _operation(hub, lead, name, partners, outcomes, *, publish=False):
    viewer = hub.community.viewer(lead)
    with hub.database.transaction() as s:
        op = operations.create_operation(s, viewer, name=name, legal_basis="JIT agreement",
                                         participant_org_ids=[p.id for p in partners])
        for status in ("approved", "active"):
            operations.change_status(s, viewer, op.id, status)
        for kind, count, day, *money in outcomes:
            impact.add_outcome(s, viewer, op.id, kind=kind, count=count, occurred_on=day,
                               amount=money[0] if money else None,
                               currency=money[1] if money else None)
        if publish:
            impact.set_publication(s, viewer, op.id, True)
        return op.id


def test_impact_dashboard_and_evidence_custody(hub, new_page, console, tmp_path):
    community = hub.community
    police = community.org("Impact Police", kind="law-enforcement")
    bank = community.org("Impact Bank", kind="financial")
    other = community.org("Impact Gendarmerie", kind="law-enforcement")
    lead = community.user(police, role="org-admin", email="lead@impact-police.example")
    community.user(bank, email="analyst@impact-bank.example")
    gendarme = community.user(other, role="org-admin", email="lead@impact-gendarmerie.example")

    mine = _operation(hub, lead, "Operation Harbour Light", [bank], [
        ("arrests", 3, date(2026, 9, 14)), ("servers_taken_down", 12, date(2026, 10, 2)),
        ("wallets_frozen", 4, date(2026, 10, 20), "182000", "EUR"),
        ("victims_notified", 230, date(2026, 11, 5))])
    _operation(hub, gendarme, "Operation Silent Reed", [], [
        ("domains_taken_down", 40, date(2026, 10, 11)), ("arrests", 2, date(2026, 11, 1))],
        publish=True)
    # Aggregates stand for three operations at least, month by month.
    _operation(hub, gendarme, "Operation Dry Creek", [], [
        ("domains_taken_down", 5, date(2026, 10, 12)), ("arrests", 1, date(2026, 11, 2))],
        publish=True)
    _operation(hub, gendarme, "Operation Stone Bridge", [], [
        ("domains_taken_down", 1, date(2026, 10, 14)), ("arrests", 1, date(2026, 11, 4))],
        publish=True)
    _operation(hub, gendarme, "Operation Closed Door", [], [
        ("arrests", 99, date(2026, 11, 3))])

    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, hub, lead.email)
    # Impact is a section of the operations pillar (a chip on its pages).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Operations").click()
    page.wait_for_url(re.compile(r"/operations$"))
    page.get_by_role("navigation", name="Operations sections").get_by_role(
        "link", name="Impact").click()
    page.wait_for_url(re.compile(r"/impact$"))
    page.locator("#chart-impact-months[data-drawn='true']").wait_for()
    page.locator("#chart-impact-split[data-drawn='true']").wait_for()
    body = page.inner_text("main")
    assert "Operation Harbour Light" in body
    assert "Silent Reed" not in body and "Closed Door" not in body and "Dry Creek" not in body
    assert page.inner_text("#total-arrests .stat-value") == "7"  # 3 own + 4 summed, not 99
    assert page.inner_text("#total-domains_taken_down .stat-value") == "46"
    assert "the sum over 3 operations whose" in page.inner_text("#others-hint")
    assert "182,000 EUR" not in body and "182,000" in body
    shoot(page, "impact-dashboard")
    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, hub, lead.email)
    phone.goto(hub.url + "/impact")
    phone.locator("#chart-impact-split[data-drawn='true']").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "impact-dashboard-phone-loaded.png"), full_page=True)

    # The evidence register of the operation: register an item and hand it to the bank.
    evidence = tmp_path / "mule-ledger.csv"
    evidence.write_bytes(b"account;amount\nmule-7;9500\n")
    page.goto(f"{hub.url}/operations/{mine}/evidence")
    page.get_by_label("File").set_input_files(str(evidence))
    page.get_by_label("Description").fill("Ledger of the mule accounts")
    page.get_by_label("Source", exact=True).fill("Seized server, rack 4")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/evidence/[0-9a-f-]+\?flash=created"))
    assert "E-1" in page.inner_text("h1")
    page.get_by_label("To organisation").select_option(label="Impact Bank")
    page.get_by_label("To person").fill("Fraud desk lead")
    page.get_by_label("Reason").fill("Tracing the frozen funds")
    page.get_by_role("button", name="Record hand-over").click()
    page.wait_for_url(re.compile(r"#custody$|flash=saved"))
    custody = page.locator("table.custody")
    custody.get_by_text("Fraud desk lead").wait_for()
    assert "Tracing the frozen funds" in custody.inner_text()
    shoot(page, "evidence-item")
    page.goto(f"{hub.url}/operations/{mine}/evidence")
    page.get_by_role("button", name="Verify all hashes").click()
    page.locator("#verify-report").wait_for()
    assert "The item matches its registered SHA-256" in page.inner_text("#verify-report")

    # The operation's page loads the evidence and the outcomes into itself.
    page.goto(f"{hub.url}/operations/{mine}")
    section = page.locator("#evidence-and-outcomes")
    section.locator("table.evidence-items").wait_for()
    assert "E-1" in section.inner_text() and "Fraud desk lead" in section.inner_text()
    totals = section.locator("dl.outcome-totals")
    assert "230" in totals.inner_text() and "Victims notified" in totals.inner_text()
    section.screenshot(path=str(ARTIFACTS / "operation-evidence-and-outcomes.png"))
    no_console_errors(console)
