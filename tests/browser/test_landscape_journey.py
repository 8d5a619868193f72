"""The landscape in a real browser: the analyst opens the threat map, sees the world map
and the charts drawn (canvases, no console error — the CSP would show there), changes
the period, and drills into the most active actor's profile. Screenshots light and
dark, desktop and phone, go to tests/artifacts/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from cyberhub.atlas.synthetic import Ecosystem
from cyberhub.intel.synthetic import bundle_bytes
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.intel.test_import import run_import

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_landscape_map_charts_and_an_actor_profile(hub, new_page, console, tmp_path):
    org = hub.community.org("Landscape Police")
    analyst = hub.community.user(org, email="analyst@landscape-police.example")
    eco = Ecosystem(seed=5, until=datetime.now(UTC) - timedelta(hours=1))
    objects = list(eco.objects(15, extras=True, reference_objects=True))
    objects += [s for _n, s in eco.sightings(observers=1, ratio=0.3)]
    assert run_import(hub.database, hub.community, analyst, bundle_bytes(objects), tmp_path,
                      tlp="GREEN").objects_stored

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        for device, viewport in (("desktop", {"width": 1280, "height": 900}),
                                 ("phone", {"width": 390, "height": 844})):
            page = new_page(viewport=viewport, color_scheme=scheme)
            sign_in(page, hub, analyst.email)
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Threat map").click()
            page.wait_for_url(re.compile(r"/atlas$"))
            assert page.get_by_role("heading", level=1).inner_text() == "Threat landscape"
            page.wait_for_selector("#chart-map[data-drawn='true'] canvas")
            for chart in ("trend", "activity", "sectors", "map"):
                assert page.locator(f"#chart-{chart} canvas").count() >= 1, chart
            box = page.locator("#chart-map canvas").first.bounding_box()
            assert box is not None and box["width"] > 300
            page.screenshot(path=str(ARTIFACTS / f"landscape-{scheme}-{device}.png"),
                            full_page=True)
            if scheme == "light" and device == "desktop":
                page.get_by_role("link", name="2 years").click()
                page.wait_for_url(re.compile(r"period=2y"))
                page.wait_for_selector("#chart-map[data-drawn='true'] canvas")
                top = page.locator("section[aria-labelledby='top-actors'] ol a").first
                name = top.inner_text()
                top.click()
                page.wait_for_url(re.compile(r"/atlas/actors/intrusion-set--"))
                assert page.get_by_role("heading", level=1).inner_text() == name
                for section in ("Artefacts", "ATT&CK techniques", "Timeline", "Sources"):
                    assert page.get_by_role("heading", name=section).count() == 1, section
                assert page.get_by_role("link", name="Techniques on the ATT&CK heatmap")
                page.screenshot(path=str(ARTIFACTS / "actor-light-desktop.png"),
                                full_page=True)
    no_console_errors(console)


def test_heatmap_narrowed_to_an_actor_picked_from_the_suggestions(hub, new_page, console,
                                                                 tmp_path):
    org = hub.community.org("Heatmap CERT")
    analyst = hub.community.user(org, email="analyst@heatmap-cert.example")
    eco = Ecosystem(seed=9, until=datetime.now(UTC) - timedelta(hours=1))
    objects = list(eco.objects(12, extras=True, reference_objects=True))
    techniques = [o["id"] for o in objects if o["type"] == "attack-pattern"][:2]
    crew = {"type": "intrusion-set", "spec_version": "2.1", "name": "Heatmap Journey Crew",
            "id": "intrusion-set--5b0f6a64-3c1e-4f0e-9d7a-0c2f1e8d9a11",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z"}
    objects += [crew] + [{
        "type": "relationship", "spec_version": "2.1", "relationship_type": "uses",
        "id": f"relationship--5b0f6a64-3c1e-4f0e-9d7a-0c2f1e8d9a{20 + i}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "source_ref": crew["id"], "target_ref": t} for i, t in enumerate(techniques)]
    assert run_import(hub.database, hub.community, analyst, bundle_bytes(objects), tmp_path,
                      tlp="GREEN").objects_stored
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, hub, analyst.email)
    page.goto(f"{hub.url}/atlas/attack")
    every = page.locator(".heatmap a.heat").count()
    assert every > 2
    field = page.get_by_label("Actor")
    field.press_sequentially("journey cr", delay=20)  # as typed: htmx asks for suggestions
    options = page.locator("#actor-options option")
    options.first.wait_for(state="attached")
    assert options.count() == 1 and options.first.inner_text() == crew["name"]
    field.fill(options.first.get_attribute("value") or "")  # what picking it puts there
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"actor=intrusion-set--"))
    assert page.get_by_role("link", name="Profile of Heatmap Journey Crew").count() == 1
    assert field.input_value() == crew["name"]  # its name, which names it alone
    assert page.locator(".heatmap a.heat").count() == 2
    page.screenshot(path=str(ARTIFACTS / "attack-heatmap-actor.png"), full_page=True)
    # Typed by its name (any case), the same actor.
    field.fill("heatmap journey crew")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "actor=heatmap+journey+crew" in page.url, page.url
    assert page.locator(".heatmap a.heat").count() == 2
    no_console_errors(console)
