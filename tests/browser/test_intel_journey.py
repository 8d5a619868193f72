"""The knowledge base's journey of the issue, in a real browser: an analyst uploads a
real-format STIX bundle on the import page and watches it finish; another organisation's
analyst finds the shared value with its correlations and exports a bundle the OASIS
validator accepts; a third organisation finds nothing."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from stix2validator import ValidationOptions, validate_string

from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.browser.test_journeys import no_console_errors, sign_in, sign_out
from tests.cache import open_warning_index

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SHARED_IP = "198.51.100.77"


def _bundle(path: Path) -> dict[str, str]:
    """Two indicators of one C2 server (a shared value), a malware family and the
    relationships between them: the kind of bundle a unit exchanges."""
    gen = Generator(seed=77)
    family = gen.malware() | {"name": "Journey Loader",
                              "description": "Loader sold to <b>ransomware</b> affiliates."}
    first, second = gen.indicator("ipv4"), gen.indicator("ipv4")
    for ind, name in ((first, "Journey C2, first wave"), (second, "Journey C2, second wave")):
        ind["pattern"] = f"[ipv4-addr:value = '{SHARED_IP}']"
        ind["name"] = name
    objects = [family, first, second, gen.relationship(first["id"], family["id"]),
               gen.relationship(second["id"], family["id"])]
    path.write_bytes(bundle_bytes(objects))
    return {"family": family["id"], "first": first["id"], "second": second["id"]}


def test_import_find_correlate_and_export(hub, new_page, console, tmp_path):
    alpha, bravo, charlie = (hub.community.org(n) for n in
                             ("Journey Police", "Journey Bank", "Journey Telecom"))
    analyst_a = hub.community.user(alpha, email="analyst@journey-police.example")
    analyst_b = hub.community.user(bravo, email="analyst@journey-bank.example")
    analyst_c = hub.community.user(charlie, email="analyst@journey-telecom.example")
    bundle = tmp_path / "journey-bundle.json"
    ids = _bundle(bundle)
    # The first value lookup of a hub compiles the MISP warning lists (~20 s): do it
    # before the clock of the page starts.
    open_warning_index()

    # Org A uploads the bundle under AMBER for org B and watches it finish.
    page = new_page()
    sign_in(page, hub, analyst_a.email)
    page.get_by_role("navigation", name="Main").get_by_role("link",
                                                            name="Knowledge base").click()
    page.get_by_role("link", name="Import").first.click()
    page.locator("input#file").set_input_files(str(bundle))
    page.get_by_label("TLP for unmarked objects").select_option("AMBER")
    page.get_by_label("Recipient organisations").select_option(label="Journey Bank")
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}$"))
    status = page.locator("#import-status")
    page.wait_for_function(
        "document.querySelector('#import-status').dataset.status === 'succeeded'")
    text = status.inner_text()
    assert "succeeded" in text and "5 objects stored." in text
    stats = dict(zip(status.locator(".stats dt").all_inner_texts(),
                     status.locator(".stats dd").all_inner_texts(), strict=True))
    assert stats == {"Seen": "5", "Stored": "5", "Unchanged": "0", "New versions": "0",
                     "Invalid": "0"}
    assert page.locator("progress").get_attribute("value") == "100"
    sign_out(page)

    # Org B looks up the shared value: A's objects, and who else carries it.
    page = new_page()
    sign_in(page, hub, analyst_b.email)
    page.goto(hub.url + "/objects")
    page.get_by_label("Look up a value").fill(f"  {SHARED_IP} ")
    page.get_by_role("button", name="Search").click()
    lookup = page.locator("section.lookup")
    lookup.wait_for()
    assert "2 objects you may see carry this value" in lookup.inner_text()
    assert "Journey Police" in lookup.inner_text()
    lookup.get_by_role("link", name="Journey C2, first wave").click()
    page.wait_for_url(re.compile(r"/objects/[0-9a-f-]{36}$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Journey C2, first wave"
    correlations = page.locator("#correlations")
    assert SHARED_IP in correlations.inner_text()
    assert correlations.get_by_role("link", name="Journey C2, second wave").is_visible()
    relationships = page.locator("#relationships")
    assert relationships.get_by_role("link", name="Journey Loader").is_visible()
    assert "TLP:AMBER" in page.locator(".kb-header").inner_text()
    assert ids["first"] in page.locator("#stix pre").inner_text()

    # B exports a STIX bundle from the export page; the OASIS validator accepts it.
    page.goto(hub.url + "/export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    download = info.value
    content = Path(download.path()).read_text(encoding="utf-8")
    result = validate_string(content, ValidationOptions(version="2.1"))
    errors = [str(e) for e in result.errors]
    assert result.is_valid and not errors, errors[:10]
    exported = {o["id"] for o in orjson.loads(content)["objects"]}
    assert {ids["family"], ids["first"], ids["second"]} <= exported
    no_console_errors(console)
    sign_out(page)

    # Org C was not named: the value finds nothing it may see.
    page = new_page()
    sign_in(page, hub, analyst_c.email)
    page.goto(hub.url + f"/objects?value={SHARED_IP}")
    assert "No object you may see carries this value." in page.locator("#kb-results").inner_text()
    assert "Journey C2" not in page.content()
    page.goto(hub.url + "/objects?q=journey")
    assert "Journey" not in page.locator("#kb-results").inner_text()
    no_console_errors(console)


def test_search_filters_update_results_in_place(hub, new_page, console, tmp_path):
    org = hub.community.org("Filter Unit")
    user = hub.community.user(org, email="analyst@filter-unit.example")
    gen = Generator(seed=78)
    objects = [gen.malware() | {"name": "Filterable family"}, gen.indicator("domain")]
    path = tmp_path / "filters.json"
    path.write_bytes(bundle_bytes(objects))
    page = new_page()
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/import")
    page.locator("input#file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/imports/"))
    page.goto(hub.url + "/objects?q=filterable")
    assert page.get_by_role("link", name="Filterable family").is_visible()
    # htmx: changing a filter swaps the results and the address, without a page load.
    page.evaluate("window.__same_page = true")
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Type").select_option("indicator")
    page.wait_for_url(re.compile(r"type=indicator"))
    page.get_by_text("Nothing you may see matches.").wait_for()
    assert page.evaluate("window.__same_page") is True
    no_console_errors(console)
