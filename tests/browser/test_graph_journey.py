"""The interactive graph in a real browser: an analyst searches the generated ecosystem,
expands a hoster whose addresses are too many to draw one by one, opens the group a
page at a time, and downloads the picture and the STIX bundle of what is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from stix2validator import ValidationOptions, validate_string

from cyberhub.atlas.synthetic import Ecosystem
from cyberhub.intel.synthetic import bundle_bytes
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.intel.test_import import run_import

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOSTER = "Demo bulletproof hoster 01"


def click_node(page: Any, node_id: str) -> None:
    """A real mouse click on a node where cytoscape drew it."""
    point = page.evaluate(
        """id => { const cy = window.cyberhubGraph; const n = cy.getElementById(id);
                   const box = cy.container().getBoundingClientRect();
                   const p = n.renderedPosition();
                   return {x: box.left + p.x, y: box.top + p.y}; }""", node_id)
    page.mouse.click(point["x"], point["y"])


def graph_nodes(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.cyberhubGraph.nodes().map(n => n.data())"))


def settled(page: Any) -> None:
    page.wait_for_function("() => !document.getElementById('graph').hasAttribute('aria-busy')")
    page.wait_for_timeout(600)  # the layout animates for 350 ms


def test_search_expand_open_a_group_and_download(hub, new_page, console, tmp_path: Path):
    org = hub.community.org("Graph Police")
    analyst = hub.community.user(org, email="analyst@graph-police.example")
    objects = list(Ecosystem(seed=5).objects(30))
    job = run_import(hub.database, hub.community, analyst, bundle_bytes(objects), tmp_path,
                     tlp="GREEN")
    assert job.objects_stored > 1000 and not job.errors  # a repeated address is stored once

    page = new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    sign_in(page, hub, analyst.email)
    page.goto(hub.url + "/atlas/chokepoints")
    page.get_by_role("link", name="Graph", exact=True).click()
    page.wait_for_url("**/atlas/graph")
    page.get_by_label("Search", exact=True).fill(HOSTER)
    page.get_by_role("button", name="Draw").click()
    settled(page)
    found = graph_nodes(page)
    assert [n["name"] for n in found] == [HOSTER]
    assert "Nodes: 1 · links: 0" in page.locator("#graph-status").inner_text()

    # The hoster has more addresses than one expansion draws: they come as one group.
    click_node(page, found[0]["id"])
    settled(page)
    nodes = graph_nodes(page)
    groups = [n for n in nodes if n.get("aggregate")]
    assert len(groups) == 1, nodes
    group = groups[0]
    assert group["type"] == "ipv4-addr" and group["count"] > 50
    assert group["name"] == f"{group['count']} IPv4 addresses"
    assert page.locator("#graph-details .graph-panel-name").inner_text() == HOSTER
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#graph-canvas").screenshot(path=str(ARTIFACTS / "graph-aggregate.png"))

    # Opening the group draws its first page and says how many are left.
    click_node(page, group["id"])
    settled(page)
    addresses = [n for n in graph_nodes(page) if n["type"] == "ipv4-addr" and not n["aggregate"]]
    assert len(addresses) == 50, (page.locator("#graph-status").inner_text(), console.errors,
                                  page.locator("#graph-details").inner_text())
    left = group["count"] - 50
    label = page.evaluate(f"window.cyberhubGraph.getElementById({group['id']!r}).data('label')")
    assert label == f"{group['name']} · {left} not shown yet"
    assert page.locator("#graph-details .graph-panel-name").inner_text() == label
    page.get_by_role("button", name=f"Show {min(50, left)} more").click()
    settled(page)
    drawn = [n for n in graph_nodes(page) if n["type"] == "ipv4-addr" and not n["aggregate"]]
    assert len(drawn) == min(group["count"], 100)

    # An address leads on to the domain that resolves to it, and the panel links its page.
    click_node(page, drawn[0]["id"])
    settled(page)
    assert any(n["type"] == "domain-name" for n in graph_nodes(page))
    assert page.locator("#graph-details a", has_text="Open the object page").get_attribute(
        "href") == f"/objects/{drawn[0]['record']}"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graph-light.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "graph-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")

    with page.expect_download() as png:
        page.get_by_role("button", name="Export PNG").click()
    picture = Path(png.value.path()).read_bytes()
    assert png.value.suggested_filename == "cyberhub-graph.png"
    assert picture[:8] == b"\x89PNG\r\n\x1a\n" and len(picture) > 10_000

    with page.expect_download() as stix:
        page.get_by_role("button", name="Export STIX bundle").click()
    text = Path(stix.value.path()).read_text()
    assert validate_string(text, ValidationOptions(version="2.1")).is_valid
    exported = {o["id"] for o in orjson.loads(text)["objects"]}
    drawn_ids = {n["id"] for n in graph_nodes(page) if not n["aggregate"]}
    assert drawn_ids <= exported
    assert any(i.startswith("relationship--") for i in exported)
    no_console_errors(console)


def test_show_in_graph_from_an_object_page_on_a_phone(hub, new_page, console, tmp_path: Path):
    org = hub.community.org("Graph Bank")
    analyst = hub.community.user(org, email="analyst@graph-bank.example")
    objects = list(Ecosystem(seed=6).objects(8))
    run_import(hub.database, hub.community, analyst, bundle_bytes(objects), tmp_path)
    group = next(o for o in objects if o["type"] == "intrusion-set")
    for scheme in ("light", "dark"):
        page = new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        sign_in(page, hub, analyst.email)
        page.goto(hub.url + f"/objects/{group['id']}")
        page.get_by_role("link", name="Show in graph").click()
        page.wait_for_url("**/atlas/graph?start=*")
        settled(page)
        nodes = graph_nodes(page)
        assert nodes[0]["id"] == group["id"] and nodes[0]["expanded"] is True
        assert len(nodes) > 3 and not any(n["aggregate"] for n in nodes)
        wallet = next(n for n in nodes if n["style"] == "money")
        assert wallet["name"].startswith("bc1q")  # named by its address, not its id
        page.screenshot(path=str(ARTIFACTS / f"graph-phone-{scheme}.png"), full_page=True)
        page.locator("#graph-canvas").screenshot(
            path=str(ARTIFACTS / f"graph-phone-canvas-{scheme}.png"))
    no_console_errors(console)
