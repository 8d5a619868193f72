"""Meetings and lessons in a real browser: an analyst creates a meeting with a colleague
from a bank, records a decision and an action item for the banker; the banker finds it
under "My action items" and marks it done with the htmx toggle (no page load); an
analyst searches the lessons library by word and tag. Screenshots (desktop and phone)
go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import no_console_errors, sign_in, sign_out
from tests.browser.test_vetting_journey import shoot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_create_meeting_add_action_item_complete_it(hub, new_page, console):
    community = hub.community
    police = community.org("Meeting Police", kind="law-enforcement")
    bank = community.org("Meeting Bank", kind="financial")
    officer = community.user(police, email="officer@meeting-police.example")
    banker = community.user(bank, email="analyst@meeting-bank.example")
    page = new_page()
    sign_in(page, hub, officer.email)
    page.goto(hub.url + "/meetings")
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Title").fill("Mule freeze coordination")
    page.get_by_label("Starts (UTC)").fill("2026-12-10T14:00")
    page.get_by_label("Location").fill("Video call")
    page.get_by_label("Attendees").select_option(value=str(banker.id))
    page.get_by_label("Agenda").fill("1. **Freeze** requests\n2. <script>alert(1)</script>")
    page.get_by_role("button", name="Create meeting").click()
    page.wait_for_url(re.compile(r"/meetings/[0-9a-f-]+\?flash=created"))
    assert page.locator(".prose strong").first.inner_text() == "Freeze"
    assert "Meeting Bank" in page.inner_text("aside")  # AMBER to the attending organisations

    page.get_by_label("Record a decision").fill("Banks name one urgent contact")
    page.get_by_role("button", name="Add decision").click()
    page.wait_for_load_state()
    page.get_by_label("New action item").fill("Send the contact list")
    page.get_by_label("Owner").select_option(value=str(banker.id))
    page.get_by_label("Due").fill("2026-12-01")
    page.get_by_role("button", name="Add action item").click()
    page.wait_for_load_state()
    assert "Banks name one urgent contact" in page.inner_text("#decisions")
    row = page.locator("tr.action-item", has_text="Send the contact list")
    assert "is-overdue" in (row.get_attribute("class") or "")
    shoot(page, "meeting-show")
    sign_out(page)

    sign_in(page, hub, banker.email)
    page.goto(hub.url + "/action-items")
    row = page.locator("tr.action-item", has_text="Send the contact list")
    assert "Overdue" in row.inner_text()
    shoot(page, "my-action-items")
    url = page.url
    row.get_by_role("button", name="Mark done").click()
    done = page.locator("tr.action-item.is-done", has_text="Send the contact list")
    done.wait_for()
    assert page.url == url  # swapped in place by htmx, no page load
    assert "Done" in done.inner_text()
    page.reload()
    assert page.locator("tr.action-item", has_text="Send the contact list").count() == 0
    no_console_errors(console)


def test_search_lessons_by_word_and_tag(hub, new_page, console):
    community = hub.community
    cert = community.org("Lessons CERT")
    analyst = community.user(cert, email="analyst@lessons-cert.example")
    page = new_page()
    sign_in(page, hub, analyst.email)
    page.goto(hub.url + "/lessons/new")
    page.get_by_label("Title").fill("Take the panel down before the domains")
    page.get_by_label("What happened").fill("The kit moved to new domains within hours.")
    page.get_by_label("What worked").fill("Seizing the **panel** first.")
    page.get_by_label("Tags").fill("Phishing, Takedown")
    page.get_by_role("button", name="Share lesson").click()
    page.wait_for_url(re.compile(r"/lessons/[0-9a-f-]+"))
    assert "#phishing" in page.inner_text("main")
    page.goto(hub.url + "/lessons/new")
    page.get_by_label("Title").fill("Name bank contacts early")
    page.get_by_label("Tags").fill("money-mules")
    page.get_by_role("button", name="Share lesson").click()
    page.wait_for_url(re.compile(r"/lessons/[0-9a-f-]+"))

    page.goto(hub.url + "/lessons")
    page.get_by_placeholder("Search lessons").fill("seiz")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=seiz"))
    results = page.locator(".note-list .note-title")
    assert results.all_inner_texts() == ["Take the panel down before the domains"]
    page.goto(hub.url + "/lessons")
    page.locator(".tag-cloud a", has_text="#money-mules").click()
    page.wait_for_url(re.compile(r"tag=money-mules"))
    assert results.all_inner_texts() == ["Name bank contacts early"]
    shoot(page, "lessons-list")
    no_console_errors(console)
