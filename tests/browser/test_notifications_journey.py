"""Notifications in a real browser: the header counter, the inbox, reading, settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_journeys import no_console_errors, sign_in
from tests.notifications.conftest import publish

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SHOTS = Path(__file__).resolve().parent.parent / "artifacts"


def test_inbox_counter_and_page(hub, new_page, console):
    org = hub.community.org("Inbox Bank")
    reader = hub.community.user(org, email="reader@inbox.example")
    author = hub.community.user(org, email="author@inbox.example")
    note = hub.community.note(author, tlp="GREEN", title="Affiliate panel")
    for title in ("A new comment on a note you follow", "You were mentioned"):
        publish(hub.database, subject=note, title=title, url=f"/notes/{note.id}",
                summary="A participant from a bank wrote.", recipients={reader.id},
                actor=author.id)
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, hub, reader.email)
    counter = page.locator("#inbox-counter")
    assert counter.locator(".inbox-count").inner_text() == "2"
    counter.click()
    page.wait_for_url(re.compile(r"/inbox$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Inbox"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "notifications-inbox-1280.png"), full_page=True)
    page.get_by_role("button", name="You were mentioned").click()
    page.wait_for_url(re.compile(rf"/notes/{note.id}$"))
    assert page.locator("#inbox-counter .inbox-count").inner_text() == "1"
    page.goto(hub.url + "/inbox")
    page.get_by_role("button", name="Mark all read").click()
    page.wait_for_url(re.compile(r"/inbox"))
    assert page.locator("#inbox-counter .inbox-count").count() == 0
    assert page.get_by_role("button", name="Mark all read").count() == 0
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("A daily digest at 06:00 UTC").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/inbox/settings"))
    assert page.get_by_label("A daily digest at 06:00 UTC").is_checked()
    page.screenshot(path=str(SHOTS / "notifications-settings-1280.png"), full_page=True)
    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, hub, reader.email)
    phone.goto(hub.url + "/inbox")
    phone.screenshot(path=str(SHOTS / "notifications-inbox-390.png"), full_page=True)
    no_console_errors(console)
