"""Vetting and intelligence packages in a real browser: two analysts of other
organisations confirm an object, which then reads as vetted; its owner's analyst builds
a package from the object page, a colleague approves it, it is released to a
law-enforcement unit whose investigator acknowledges receipt. Screenshots (light and
dark, desktop and phone) of the vetting section and the package page go to
tests/artifacts/."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from cyberhub.audience import Audience
from cyberhub.intel import imports
from cyberhub.intel.models import StixObject
from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in, sign_out
from tests.cache import open_warning_index

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def shoot(page, name: str, locator: str | None = None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for device, size in (("desktop", {"width": 1280, "height": 900}),
                             ("phone", {"width": 390, "height": 844})):
            page.set_viewport_size(size)
            target = page.locator(locator) if locator else page
            kw = {} if locator else {"full_page": True}
            target.screenshot(path=str(ARTIFACTS / f"{name}-{scheme}-{device}.png"), **kw)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_vet_an_object_then_package_review_release_and_acknowledge(hub, new_page, console,
                                                                   tmp_path):
    community = hub.community
    cert = community.org("Vetting CERT")
    bank = community.org("Vetting Bank", kind="financial")
    telco = community.org("Vetting Telecom", kind="telecom")
    police = community.org("Vetting Police", kind="law-enforcement")
    author = community.user(cert, email="author@vetting-cert.example")
    colleague = community.user(cert, email="reviewer@vetting-cert.example")
    banker = community.user(bank, email="analyst@vetting-bank.example")
    telco_analyst = community.user(telco, email="analyst@vetting-telecom.example")
    officer = community.user(police, email="officer@vetting-police.example")

    obj = Generator(seed=505).indicator("ipv4") | {
        "name": "Vetting Kitten C2", "pattern": "[ipv4-addr:value = '203.0.113.55']"}
    path = tmp_path / f"{uuid.uuid4()}.json"
    path.write_bytes(bundle_bytes([obj]))
    viewer = community.viewer(author)
    with hub.database.transaction() as s:
        job = imports.new_import(s, viewer, filename=path.name, tlp="GREEN", audience=Audience())
        imports.stage_file(job, path)
        job_id = job.id
    imports.run(hub.database, job_id, keep_source=True)
    with hub.database.transaction() as s:
        record = str(s.scalar(select(StixObject.id).where(StixObject.stix_id == obj["id"])))

    # The first value lookup of a hub compiles the MISP warning lists (~20 s): do it
    # before the clock of the pages starts.
    open_warning_index()

    # Two analysts of other organisations confirm it.
    for analyst, reason in ((banker, "Seen in **card fraud** cases since March."),
                            (telco_analyst, "Our netflow shows the same C2 beacons.")):
        page = new_page()
        sign_in(page, hub, analyst.email)
        page.goto(f"{hub.url}/objects/{record}")
        section = page.locator("#vetting")
        section.get_by_label("Confirm: we hold or checked the same").check()
        section.get_by_label("Reason").fill(reason)
        section.get_by_role("button", name="Record verdict").click()
        page.wait_for_url(re.compile(r"flash=verdict-saved"))
        assert "Your organisation's verdict is recorded." in page.content()
        sign_out(page)
    page = new_page()
    sign_in(page, hub, telco_analyst.email)
    page.goto(f"{hub.url}/objects/{record}")
    section = page.locator("#vetting")
    assert section.locator(".vet-summary").inner_text().strip() == "Vetted"
    assert section.locator(".verdict").count() == 2
    assert section.locator(".verdict-reason strong").inner_text() == "card fraud"
    shoot(page, "vetting-section", "#vetting")
    sign_out(page)

    # The author starts a package from the object page.
    page = new_page()
    sign_in(page, hub, author.email)
    page.goto(f"{hub.url}/objects/{record}")
    page.get_by_role("link", name="Start a package with it").click()
    page.get_by_label("Title").fill("Vetting Kitten: command and control")
    page.get_by_label("Target").fill("Vetting Kitten")
    page.get_by_label("Narrative").fill("## What we know\n\nThe **C2** at 203.0.113.55 "
                                        "serves the *Vetting Kitten* loader.\n\n- beacons "
                                        "every 60 s\n- seen by two members")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/packages/[0-9a-f-]{36}\?flash=package-created"))
    package_url = page.url.split("?")[0]
    assert page.locator("#objects").get_by_text("Vetting Kitten C2").is_visible()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"flash=submitted"))
    sign_out(page)

    # A colleague approves and releases it to the police.
    page = new_page()
    sign_in(page, hub, colleague.email)
    page.goto(hub.url + "/packages")
    page.locator("#box-review").get_by_role("link",
                                            name="Vetting Kitten: command and control").click()
    page.get_by_role("textbox", name="Comment (optional)").fill("Both sources checked.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r"flash=approved"))
    page.get_by_label("Law-enforcement organisations").select_option(label="Vetting Police")
    page.get_by_role("button", name="Release package").click()
    page.wait_for_url(re.compile(r"flash=released"))
    assert "Vetting Police" in page.locator("aside").inner_text()
    sign_out(page)

    # The investigator acknowledges receipt.
    page = new_page()
    sign_in(page, hub, officer.email)
    page.goto(hub.url + "/packages")
    page.locator("#box-received").get_by_role(
        "link", name="Vetting Kitten: command and control").click()
    page.get_by_role("button", name="Acknowledge receipt").click()
    page.wait_for_url(re.compile(r"flash=acknowledged"))
    assert page.get_by_text("Receipt acknowledged").is_visible()
    assert page.url.split("?")[0] == package_url
    shoot(page, "package-page")
    page.get_by_role("link", name="Printable report").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Vetting Kitten: command and control"
    shoot(page, "package-print")
    no_console_errors(console)
