"""Reporting through a one-time link, in a real browser: a member issues a link, a victim
without an account reports once, the member finds the incident and the trends page
draws its charts under the strict CSP. Screenshots under tests/artifacts/."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from cyberhub.ransomware.incidents import IncidentInput, create_incident
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_victim_reports_through_a_one_time_link(hub, new_page, console):
    tag = uuid.uuid4().hex[:6]
    issuer_org = hub.community.org(f"Issuing CERT {tag}")
    issuer = hub.community.user(issuer_org, email=f"cert-{tag}@issuer.example")
    # Three other organisations reported a Health incident each (GREEN): enough for k=3.
    for i in range(3):
        org = hub.community.org(f"Reporter {i} {tag}")
        user = hub.community.user(org, email=f"r{i}-{tag}@reporter.example")
        with hub.database.transaction() as s:
            create_incident(s, hub.community.viewer(user), IncidentInput(
                discovered=date(2026, 6, 1), sector="Health", country="NL",
                access_vector="phishing"), tlp="GREEN")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    member = new_page(viewport={"width": 1280, "height": 900})
    sign_in(member, hub, issuer.email)
    member.goto(hub.url + "/ransomware/report-links")
    member.get_by_role("button", name="Issue link").click()
    member.wait_for_load_state()
    link = member.locator("#new-link").inner_text().strip()
    assert "/report/" in link

    victim = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    victim.goto(link)
    assert victim.get_by_role("heading", level=1).inner_text() == \
        "Report a ransomware incident"
    victim.get_by_label("Date discovered").fill("2026-06-03")
    victim.get_by_label("Sector").select_option("Health")
    victim.get_by_label("Name", exact=True).fill("Example Clinic <b>")
    victim.get_by_role("button", name="Send the report").click()
    victim.wait_for_load_state()
    assert "your report is received" in victim.get_by_role("heading", level=1).inner_text()
    victim.screenshot(path=str(ARTIFACTS / "ransomware-report-link-phone.png"), full_page=True)
    again = victim.goto(link)
    assert again is not None and again.status == 404

    member.goto(hub.url + "/ransomware/incidents")
    member.locator("tr", has_text="via report link").get_by_role("link").first.click()
    member.wait_for_load_state()
    assert "Example Clinic <b>" in member.locator("aside").inner_text()
    member.goto(hub.url + "/ransomware/trends")
    member.locator("#chart-sector canvas").first.wait_for()
    assert "Health" in member.locator("#dim-sector").locator("..").locator("..").inner_text()
    for scheme in ("light", "dark"):
        member.emulate_media(color_scheme=scheme)
        member.screenshot(path=str(ARTIFACTS / f"ransomware-trends-desktop-{scheme}.png"),
                          full_page=True)
    no_console_errors(console)
