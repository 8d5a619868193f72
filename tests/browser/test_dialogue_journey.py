"""A Chatham House dialogue in a real browser, from invitation to outcomes: a police
unit convenes a bank and a telecom operator; they contribute, mention, reply and react
through htmx; the convenor closes it and publishes an insight. No page, download or
inbox notice names a contributor.
Screenshots (light and dark, desktop and phone) go to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_journeys import no_console_errors, sign_in
from tests.browser.test_vetting_journey import shoot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _main(page) -> str:
    return page.locator("main").inner_html()


def test_a_chatham_house_dialogue_from_invitation_to_published_insight(hub, new_page, console):
    c = hub.community
    police = c.org("Journey Police Unit", kind="law-enforcement")
    bank = c.org("Journey Savings Bank", kind="financial")
    telco = c.org("Dialogue Telecom", kind="telecom")
    outsider_org = c.org("Journey Outsider Hosting", kind="hosting")
    convenor = c.user(police, "org-admin", email="lead.kowal@journey-police.example")
    banker = c.user(bank, email="mila.brandt@journey-bank.example")
    telco_analyst = c.user(telco, email="tom.okafor@journey-telecom.example")
    outsider = c.user(outsider_org, email="xavi.roth@journey-hosting.example")
    identities = [convenor.email, banker.email, telco_analyst.email, outsider.email,
                  "Journey Police Unit", "Journey Savings Bank", "Dialogue Telecom",
                  convenor.display_name, banker.display_name, telco_analyst.display_name]

    # The convenor plans the dialogue under the rule and invites two organisations.
    boss = new_page()
    sign_in(boss, hub, convenor.email)
    boss.goto(hub.url + "/dialogues")
    boss.get_by_role("link", name="Convene a dialogue").click()
    boss.fill("#topic", "Journey: SIM-swap fraud")
    boss.fill("#description", "1. What we see\n2. What we do")
    boss.fill("#starts_at", "2026-12-20T10:00")
    boss.get_by_label("Chatham House Rule").check()
    boss.select_option("#org_ids", label=["Journey Savings Bank", "Dialogue Telecom"])
    boss.get_by_role("button", name="Plan the dialogue").click()
    boss.wait_for_url(re.compile(r"/dialogues/[0-9a-f-]{36}"))
    room = boss.url.split("?")[0]
    assert "held under the Chatham House Rule" in _main(boss)
    boss.get_by_role("button", name="Open the dialogue").click()
    boss.wait_for_load_state()

    # The bank posts; one mention reaches nobody who can see the dialogue.
    b = new_page()
    sign_in(b, hub, banker.email)
    b.goto(room)
    b.locator("#body").fill(
        f"SIM swaps precede 80% of our account takeovers. @{telco_analyst.email} "
        f"@{outsider.email}")
    b.get_by_role("button", name="Post", exact=True).click()
    notice = b.locator("#post-notice")
    notice.get_by_text(outsider.email).wait_for()
    assert telco_analyst.email not in notice.inner_text()
    b.locator(".thread .contribution").first.wait_for()
    assert b.locator(".thread .author").first.inner_text() == "you"

    # The telecom operator sees a kind, replies with a quote and reacts.
    t = new_page()
    sign_in(t, hub, telco_analyst.email)
    t.goto(room)
    first = t.locator(".thread > .contribution").first
    assert first.locator(".author").first.inner_text() == (
        "a participant from a bank or financial institution")
    assert "@participant" in first.inner_text()
    first.get_by_text("Reply").first.click()
    first.get_by_label("Your reply").fill("Port-out requests spike the day before.")
    first.get_by_label("Quote this contribution").check()
    first.get_by_role("button", name="Post reply").click()
    reply = first.locator(".replies .contribution").first
    reply.wait_for()
    assert "wrote:" in reply.inner_text()
    first.locator(".reactions").first.get_by_role("button", name="insightful").click()
    t.wait_for_selector(".thread > .contribution .reaction.is-mine")
    shoot(t, "dialogue-room")
    for ident in identities:
        assert ident not in _main(t), ident

    # Even the convenor sees only kinds; the convenor closes with outcomes.
    boss.goto(room)
    html = _main(boss)
    assert "a participant from a telecom operator" in html
    for ident in identities:
        assert ident not in html, ident
    boss.locator("#outcomes").fill("Banks and operators exchange **port-out signals**.")
    boss.get_by_role("button", name="Close with these outcomes").click()
    boss.wait_for_load_state()
    assert "port-out signals" in boss.locator(".outcomes").inner_text()
    with boss.expect_download() as got:
        boss.get_by_role("link", name="Markdown").click()
    text = Path(got.value.path()).read_text(encoding="utf-8")
    assert "a participant from a bank or financial institution" in text
    for ident in identities:
        assert ident not in text, ident
    # What was learned becomes an insight that links back to the dialogue.
    boss.get_by_role("link", name="Publish an insight").click()
    boss.wait_for_url(re.compile(r"/insights/new\?source=dialogue"))
    assert boss.locator('input[name="source"]').get_attribute("value").startswith("dialogue:")
    boss.get_by_label("Title").fill("Port-out signals precede SIM-swap fraud")
    boss.get_by_label("Summary").fill("What the SIM-swap dialogue concluded.")
    boss.get_by_label("Text").fill("Operators share **port-out signals** with banks.")
    boss.get_by_label("TLP marking").select_option("GREEN")
    boss.get_by_role("button", name="Save draft").click()
    boss.wait_for_url(re.compile(r"/insights/[0-9a-f-]+\?flash=insight-created"))
    insight_url = boss.url.split("?")[0]
    boss.get_by_role("button", name="Publish").click()
    boss.wait_for_url(re.compile(r"\?flash=insight-published"))
    boss.goto(hub.url + "/dialogues")
    shoot(boss, "dialogue-index")

    # The telecom analyst watched nothing, yet hears of the mention; the bank analyst hears
    # of the reply; both read the insight, which links back to the room. No names anywhere.
    for page, kind_text in ((t, "mentioned you"), (b, "replied")):
        page.goto(hub.url + "/inbox")
        items = page.locator("main")
        items.get_by_text(re.compile(kind_text)).first.wait_for()
        for ident in identities:
            assert ident not in _main(page), ident
    shoot(b, "dialogue-inbox")
    t.goto(insight_url)
    t.get_by_role("link", name="the dialogue").click()
    t.wait_for_url(room)

    # The uninvited organisation finds nothing.
    o = new_page()
    sign_in(o, hub, outsider.email)
    r = o.goto(room)
    assert r is not None and r.status == 404
    no_console_errors(console)
