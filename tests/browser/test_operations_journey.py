"""A joint operation in a real browser, from proposal to after-action review: a police
unit's admin proposes it with a bank, links an actor from the knowledge base as a
target, assigns a task to the bank's analyst (a task for an organisation outside the
operation is refused), moves it along the workflow; the banker marks the task done
with htmx and adds to the timeline; the lead concludes it, writes the review, publishes
it as a lesson and marks it reviewed. An outsider meets a 404. The header keeps to one
line at 1280 px. Screenshots (desktop and phone, light and dark) go to tests/artifacts/."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from cyberhub.audience import Audience
from cyberhub.intel import imports
from cyberhub.intel.models import StixObject
from cyberhub.intel.synthetic import bundle_bytes
from tests.browser.test_journeys import no_console_errors, sign_in, sign_out
from tests.browser.test_vetting_journey import ARTIFACTS, shoot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _actor(hub, author, tmp_path) -> str:  # type: ignore[no-untyped-def]
    sid = f"intrusion-set--{uuid.uuid4()}"
    obj = {"type": "intrusion-set", "spec_version": "2.1", "id": sid,
           "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
           "name": "Operation Journey Kit Crew"}
    path = tmp_path / f"{uuid.uuid4()}.json"
    path.write_bytes(bundle_bytes([obj]))
    with hub.database.transaction() as s:
        job = imports.new_import(s, hub.community.viewer(author), filename=path.name,
                                 tlp="GREEN", audience=Audience())
        imports.stage_file(job, path)
        job_id = job.id
    imports.run(hub.database, job_id, keep_source=True)
    with hub.database.transaction() as s:
        return str(s.scalar(select(StixObject.id).where(StixObject.stix_id == sid)))


def test_operation_from_proposal_to_after_action_review(hub, new_page, console, tmp_path):
    community = hub.community
    police = community.org("Operation Police", kind="law-enforcement")
    bank = community.org("Operation Bank", kind="financial")
    outsider_org = community.org("Operation Outsider", kind="telecom")
    lead = community.user(police, "org-admin", email="lead@op-police.example")
    banker = community.user(bank, email="analyst@op-bank.example")
    outsider = community.user(outsider_org, "org-admin", email="admin@op-outsider.example")
    operator = community.user(police, "hub-admin", email="operator@op-police.example")
    actor = _actor(hub, lead, tmp_path)

    # The header, with the operations link and both admin links, keeps to one line.
    page = new_page(viewport={"width": 1280, "height": 900})
    # A long journey on a busy machine: wait longer than the default for each step.
    page.context.set_default_timeout(30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for who in (operator, lead):
        sign_in(page, hub, who.email)
        nav = page.locator("nav.mainnav")
        link = nav.get_by_role("link", name="Operations", exact=True)
        link.wait_for()
        heights = {round(a.bounding_box()["y"]) for a in nav.get_by_role("link").all()}
        assert len(heights) == 1, heights
        page.locator("header.topbar").screenshot(
            path=str(ARTIFACTS / f"operations-header-1280-{who.role.value}.png"))
        if who is operator:
            sign_out(page)
    link.click()
    page.wait_for_url(re.compile(r"/operations$"))
    page.get_by_role("link", name="Propose an operation").click()
    page.get_by_label("Name", exact=True).fill("Operation Journey Lantern")
    page.get_by_label("Legal basis").fill("Joint investigation team agreement 4/2026")
    page.get_by_label("Objectives").fill("Take the **kit crew's** panels offline.")
    page.get_by_label("Participating organisations").select_option(value=str(bank.id))
    page.get_by_role("button", name="Propose").click()
    page.wait_for_url(re.compile(r"/operations/[0-9a-f-]+\?flash=created"))
    op_url = page.url.split("?")[0]
    assert page.locator(".prose strong").first.inner_text() == "kit crew's"
    aside = page.locator("aside")
    assert "Operation Bank" in aside.inner_text() and "TLP:AMBER+STRICT" in aside.inner_text()
    assert page.locator('.op-steps [aria-current="step"]').inner_text() == "Proposed"

    # A target from the knowledge base, by its id.
    page.get_by_label("Knowledge-base object").fill(actor)
    page.get_by_label("Why it is a target").fill("Runs the phishing kit")
    page.get_by_role("button", name="Link target").click()
    page.locator("#targets a", has_text="Operation Journey Kit Crew").wait_for()

    # A task for an organisation outside the operation cannot even be chosen; the one
    # for the bank's analyst goes through.
    options = page.locator("#task-assignee option").all_inner_texts()
    assert not any("Operation Outsider" in o for o in options)
    page.get_by_label("New task").fill("Freeze the mule accounts")
    page.get_by_label("Assign to").select_option(label=f"{banker.display_name} (Operation Bank)")
    page.get_by_role("button", name="Add task").click()
    page.locator("#tasks tr", has_text="Freeze the mule accounts").wait_for()

    for button, step in (("Approve", "Approved"), ("Start", "Active")):
        # Let the page's own htmx load (the evidence section) finish before the next post.
        page.locator("#evidence-and-outcomes #evidence").wait_for()
        page.get_by_role("button", name=button, exact=True).click()
        page.locator('.op-steps [aria-current="step"]', has_text=step).wait_for()
    shoot(page, "operation-active")
    sign_out(page)

    # The banker sees the task, marks it done in place (htmx), and adds to the timeline.
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, hub, banker.email)
    page.goto(op_url)
    # htmx must have processed the page (its own load of the evidence section has come
    # back) before the change event can be caught; under load it can lag the page.
    page.locator("#evidence-and-outcomes #evidence").wait_for()
    row = page.locator("#tasks tr", has_text="Freeze the mule accounts")
    url = page.url
    row.get_by_label("Status of Freeze the mule accounts").select_option(label="Done")
    page.locator("#tasks tr", has_text="Freeze the mule accounts").locator(
        "option[selected]", has_text="Done").wait_for(state="attached")
    assert page.url == url  # no page load
    page.get_by_label("Add to the timeline").fill("Accounts frozen at 10:00 UTC.")
    page.get_by_role("button", name="Add entry").click()
    page.locator("#timeline li", has_text="Accounts frozen at 10:00 UTC.").wait_for()
    assert page.get_by_role("button", name="Conclude").count() == 0  # not the lead
    sign_out(page)

    sign_in(page, hub, lead.email)
    page.goto(op_url)
    page.get_by_role("button", name="Conclude", exact=True).click()
    page.locator('.op-steps [aria-current="step"]', has_text="Concluded").wait_for()
    assert page.get_by_role("button", name="Mark reviewed").is_disabled()
    review = page.locator("#review")
    review.get_by_label("What was planned").fill("Take three panels offline.")
    review.get_by_label("What happened").fill("Two went down; the third moved hoster.")
    review.get_by_label("What worked").fill("One shared task list for police and bank.")
    review.get_by_label("What to improve").fill("Reach the hosters earlier.")
    review.get_by_role("button", name="Save review").click()
    page.locator("#review").get_by_role("button", name="Publish lesson").wait_for()
    shoot(page, "operation-review")
    page.get_by_label("Marking agreed by the participants").select_option("GREEN")
    page.get_by_label("Tags").fill("phishing, takedown")
    page.get_by_role("button", name="Publish lesson").click()
    page.wait_for_url(re.compile(r"/lessons/[0-9a-f-]+\?flash=created"))
    assert "Reach the hosters earlier." in page.inner_text("main")
    page.get_by_role("link", name=re.compile("^Learned from")).click()
    page.wait_for_url(op_url)
    page.get_by_role("button", name="Mark reviewed").click()
    page.locator('.op-steps [aria-current="step"]', has_text="Reviewed").wait_for()
    timeline = page.inner_text("#timeline")
    for text in ("Operation proposed.", "Operation approved.", "Operation concluded.",
                 "After-action review published", "Accounts frozen at 10:00 UTC."):
        assert text in timeline, text
    shoot(page, "operation-reviewed")
    sign_out(page)

    # Someone outside the operation learns nothing: no listing, and a 404.
    sign_in(page, hub, outsider.email)
    page.goto(hub.url + "/operations")
    assert "Operation Journey Lantern" not in page.inner_text("main")
    assert page.goto(op_url).status == 404
    no_console_errors(console)
