"""Insights and comments in a real browser: an officer writes an insight (a draft only
her organisation sees), publishes it; a banker finds it on /insights, comments with a
mention through the htmx section (no page load), and the officer replies. Screenshots
(desktop and phone) go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import no_console_errors, sign_in, sign_out
from tests.browser.test_vetting_journey import shoot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_write_publish_and_comment_on_an_insight(hub, new_page, console):
    community = hub.community
    police = community.org("Insight Police", kind="law-enforcement")
    bank = community.org("Insight Bank", kind="financial")
    officer = community.user(police, email="officer@insight-police.example")
    banker = community.user(bank, email="analyst@insight-bank.example")
    page = new_page()
    sign_in(page, hub, officer.email)
    page.goto(hub.url + "/insights")
    assert page.get_by_role("navigation", name="Community sections").is_visible()
    page.get_by_role("link", name="New insight").click()
    page.get_by_label("Title").fill("Money mules recruited through fake job boards")
    page.get_by_label("Summary").fill("Three recruitment patterns the banks can spot.")
    page.get_by_label("Text").fill("## Patterns\n\n1. **Too good** to be true\n\n<script>alert(1)</script>")
    page.get_by_label("TLP marking").select_option("GREEN")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/insights/[0-9a-f-]+\?flash=insight-created"))
    insight_url = page.url.split("?")[0]
    assert page.locator(".prose strong").first.inner_text() == "Too good"
    assert "Draft" in page.inner_text(".marks")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"\?flash=insight-published"))
    assert "Draft" not in page.inner_text(".marks")
    shoot(page, "insight-show")
    sign_out(page)

    sign_in(page, hub, banker.email)
    page.goto(hub.url + "/insights")
    page.get_by_label("Search the title, summary and text").fill("mules")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Money mules recruited through fake job boards").wait_for()
    shoot(page, "insights-index")
    page.get_by_role("link", name="Money mules recruited through fake job boards").click()
    page.wait_for_url(insight_url)
    section = page.locator("section#comments")
    section.get_by_label("Add a comment").fill(
        "We see the same. @officer@insight-police.example and @nobody@insight-bank.example")
    page.evaluate("window.__marker = 1")  # survives only if htmx swaps without a page load
    section.get_by_role("button", name="Post comment").click()
    page.locator(".comment-body", has_text="We see the same.").wait_for()
    assert page.evaluate("window.__marker") == 1
    told = page.locator("#comments .alert-info").inner_text()
    assert "nobody@insight-bank.example" in told and "officer@" not in told
    shoot(page, "insight-comments")
    sign_out(page)

    sign_in(page, hub, officer.email)
    page.goto(insight_url)
    thread = page.locator("#comments .comment-threads > li").first
    thread.locator("summary", has_text="Reply").click()
    thread.get_by_label("Your reply").fill("Thanks, *noted*.")
    thread.get_by_role("button", name="Post reply").click()
    page.locator(".comment-replies .comment-body em", has_text="noted").wait_for()
    no_console_errors(console)
