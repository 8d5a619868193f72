"""The threat map's whole story in the demo hub, as `make run` serves it: an analyst opens
the landscape, drills into the most active actor, walks the graph from it through a
domain and its address to the bulletproof hoster behind them, finds that hoster ranked
as a choke point, and packages a vetted finding; a colleague reviews and releases it to
the cybercrime unit, whose analyst acknowledges it. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from cyberhub import demo
from cyberhub.community.models import Organisation
from cyberhub.config import set_settings
from cyberhub.intel.models import StixObject, Vetting
from tests.browser.conftest import ARTIFACTS, DemoHub
from tests.browser.test_graph_journey import click_node, graph_nodes, settled
from tests.browser.test_journeys import no_console_errors, sign_out
from tests.cache import open_warning_index

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _sign_in(page: Any, hub: DemoHub, email: str) -> None:
    page.goto(hub.url + "/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def _shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-{name}.png"), full_page=True)


def _node(page: Any, kind: str, name: re.Pattern[str] | None = None) -> dict[str, Any]:
    found = [n for n in graph_nodes(page) if n["type"] == kind and not n.get("aggregate")
             and (name is None or name.search(str(n["name"])))]
    assert found, (kind, [(n["type"], n["name"]) for n in graph_nodes(page)])
    return found[0]


def test_from_the_landscape_to_an_acknowledged_package(demo_hub, new_page, console):
    set_settings(demo_hub.settings)  # the secret key signs CSRF tokens
    # The first value lookup of a hub compiles the MISP warning lists: not on the clock
    # of the pages.
    open_warning_index()
    analyst = demo_hub.member("National CERT", "analyst")
    page = new_page(viewport={"width": 1280, "height": 900})
    page.context.set_default_timeout(30_000)  # a long journey on a busy machine
    _sign_in(page, demo_hub, analyst)

    # The landscape, and the most active actor's profile.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Threat map").click()
    page.wait_for_url(re.compile(r"/atlas$"))
    page.wait_for_selector("#chart-map[data-drawn='true'] canvas")
    _shoot(page, "landscape")
    top = page.locator("section[aria-labelledby='top-actors'] ol a").first
    actor = top.inner_text()
    assert actor.startswith("Demo group ")
    top.click()
    page.wait_for_url(re.compile(r"/atlas/actors/intrusion-set--"))
    assert page.get_by_role("heading", level=1).inner_text() == actor
    _shoot(page, "actor")

    # The graph from the actor: one of its domains, the address it resolves to, and the
    # hoster that address sits with.
    page.get_by_role("link", name="Open in the knowledge base").click()
    page.get_by_role("link", name="Show in graph").click()
    page.wait_for_url("**/atlas/graph?start=*")
    settled(page)
    assert graph_nodes(page)[0]["name"] == actor
    click_node(page, _node(page, "domain-name")["id"])
    settled(page)
    address = _node(page, "ipv4-addr")
    click_node(page, address["id"])
    settled(page)
    assert page.locator("#graph-details .graph-panel-name").inner_text() == address["name"]
    hoster = _node(page, "x-cyberhub-criminal-service", re.compile(r"bulletproof hoster"))
    assert page.evaluate(
        """([a, b]) => window.cyberhubGraph.getElementById(a)
                         .edgesWith(window.cyberhubGraph.getElementById(b)).length""",
        [address["id"], hoster["id"]]) >= 1
    _shoot(page, "graph")

    # The hoster is among the choke points, with the actors it would cut off.
    page.goto(demo_hub.url + "/atlas/chokepoints")
    ranked = page.locator("a.chokepoint-name", has_text=hoster["name"])
    assert ranked.count() == 1, page.locator("main").inner_text()
    row = page.locator("li, tr").filter(has=ranked).last
    assert re.search(r"\d+ actors", row.inner_text()), row.inner_text()
    _shoot(page, "chokepoints")

    # A finding two other members have vetted goes into a package.
    with demo_hub.database.snapshot() as s:
        vetted = s.scalars(select(StixObject.id).join(
            Organisation, Organisation.id == StixObject.owner_org_id).where(
            Organisation.name == "National CERT (demo)", StixObject.type == "indicator",
            StixObject.vetting == Vetting.VETTED).order_by(StixObject.created_at)).first()
    assert vetted is not None
    page.goto(f"{demo_hub.url}/objects/{vetted}")
    assert page.locator("#vetting .vet-summary").inner_text().strip() == "Vetted"
    page.get_by_role("link", name="Start a package with it").click()
    page.get_by_label("Title").fill("Walk-through: phishing infrastructure behind the hoster")
    page.get_by_label("Target").fill(hoster["name"])
    page.get_by_label("Narrative").fill(f"**{actor}** runs its domains on {hoster['name']}.")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/packages/[0-9a-f-]{36}\?flash=package-created"))
    package_url = page.url.split("?")[0]
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"flash=submitted"))
    sign_out(page)

    # A colleague reviews it and releases it to the cybercrime unit.
    _sign_in(page, demo_hub, demo_hub.member("National CERT", "org-admin"))
    page.goto(package_url)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r"flash=approved"))
    page.get_by_label("Law-enforcement organisations").select_option(
        label="National Cybercrime Unit (demo)")
    page.get_by_role("button", name="Release package").click()
    page.wait_for_url(re.compile(r"flash=released"))
    sign_out(page)

    # The unit's analyst finds it among the packages received and acknowledges it.
    _sign_in(page, demo_hub, demo_hub.member("National Cybercrime Unit", "analyst"))
    page.goto(demo_hub.url + "/packages")
    page.locator("#box-received").get_by_role(
        "link", name="Walk-through: phishing infrastructure behind the hoster").click()
    page.get_by_role("button", name="Acknowledge receipt").click()
    page.wait_for_url(re.compile(r"flash=acknowledged"))
    assert page.get_by_text("Receipt acknowledged").is_visible()
    assert page.url.split("?")[0] == package_url
    _shoot(page, "package")
    no_console_errors(console)
