"""The evidence and outcomes pages: register an item from the form, hand it over, verify,
record an outcome; refusals re-render the form; non-participants meet 404."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.evidence.conftest import sha, stored_files, upload
from tests.operations.conftest import Ops
from tests.web.helpers import alert, login, post


def _browser(ops: Ops, who: str) -> TestClient:
    browser = TestClient(ops.client.app, base_url="http://testserver")
    login(browser, ops.users[who].email)
    return browser


def test_register_hand_over_and_verify_in_the_pages(ops: Ops, lantern: dict[str, Any]) -> None:
    browser = _browser(ops, "alpha")
    base = f"/operations/{lantern['id']}/evidence"
    page = browser.get(base)
    assert page.status_code == 200 and "Register an item" in page.text
    r = post(browser, base, {"description": "Phishing kit archive", "source": "Seized VPS",
                             "location": "Locker 3"}, token_from=base,
             files={"file": ("kit.zip", b"PK\x03\x04 kit", "application/zip")})
    assert r.status_code == 303, r.text
    item_url = r.headers["location"].split("?")[0]
    shown = browser.get(item_url).text
    assert "E-1" in shown and sha(b"PK\x03\x04 kit") in shown and "Seized VPS" in shown
    assert "Chain of custody" in shown and "Record a hand-over" in shown

    r = post(browser, item_url + "/custody", {"to_org_id": str(ops.orgs["charlie"].id),
                                              "to_name": "Lab officer", "reason": "Imaging"},
             token_from=item_url)
    assert r.status_code == 303, r.text
    shown = browser.get(item_url).text
    assert "Lab officer" in shown and "Imaging" in shown and "Charlie" in shown

    download = browser.get(item_url + "/file")
    assert download.status_code == 200 and download.content == b"PK\x03\x04 kit"

    r = post(browser, base + "/verify", token_from=base)
    assert r.status_code == 200 and "The item matches its registered SHA-256" in r.text
    stored_files()[0].write_bytes(b"changed")
    r = post(browser, base + "/verify", token_from=base)
    assert "Problems found in the register" in r.text and "E-1" in r.text


def test_a_refused_upload_re_renders_the_form_with_the_reason(
        ops: Ops, lantern: dict[str, Any]) -> None:
    browser = _browser(ops, "alpha")
    base = f"/operations/{lantern['id']}/evidence"
    r = post(browser, base, {"description": "Image", "source": "Laptop",
                             "sha256": sha(b"something else")}, token_from=base,
             files={"file": ("disk.img", b"disk image", "application/octet-stream")})
    assert r.status_code == 422
    assert "not the declared" in alert(r.text)
    assert 'value="Laptop"' in r.text  # what was typed is kept
    assert stored_files() == []


def test_outcomes_page_records_and_publishes(ops: Ops, lantern: dict[str, Any]) -> None:
    browser = _browser(ops, "alpha_admin")
    url = f"/operations/{lantern['id']}/outcomes"
    r = post(browser, url, {"kind": "wallets_frozen", "count": "2", "amount": "1,500.25",
                            "currency": "eur", "occurred_on": "2026-11-02"}, token_from=url)
    assert r.status_code == 303, r.text
    shown = browser.get(url).text
    assert "Wallets frozen" in shown and "1,500.25 EUR" in shown
    r = post(browser, url, {"kind": "arrests", "count": "0", "occurred_on": "2026-11-02"},
             token_from=url)
    assert r.status_code == 422 and "count" in alert(r.text)
    r = post(browser, url + "/publication", {"allow": "yes"}, token_from=url)
    assert r.status_code == 303
    assert "Stop publishing aggregates" in browser.get(url).text
    section = browser.get(f"/operations/{lantern['id']}/evidence-section").text
    assert "Outcomes" in section and "Wallets frozen" in section


def test_non_participants_meet_404_on_every_page(ops: Ops, lantern: dict[str, Any]) -> None:
    item = upload(ops, "alpha", lantern["id"], b"data").json()
    browser = _browser(ops, "delta")
    base = f"/operations/{lantern['id']}"
    for path in (f"{base}/evidence", f"{base}/evidence/{item['id']}",
                 f"{base}/evidence/{item['id']}/file", f"{base}/outcomes",
                 f"{base}/evidence-section"):
        assert browser.get(path).status_code == 404, path


def test_the_impact_page_never_names_what_the_viewer_may_not_see(ops: Ops) -> None:
    from tests.evidence.conftest import active_operation

    lantern = active_operation(ops)
    hidden = active_operation(ops, who="delta_admin", name="Operation Nightjar",
                              participant_org_ids=[])
    for who, op, n in (("alpha", lantern, 3), ("delta", hidden, 40)):
        assert ops.post(who, f"/operations/{op['id']}/outcomes",
                        {"kind": "arrests", "count": n}).status_code == 201
    ops.put("delta_admin", f"/operations/{hidden['id']}/outcomes/publication",
            {"allow_aggregates": True})
    browser = _browser(ops, "alpha")
    page = browser.get("/impact")
    assert page.status_code == 200
    assert "Operation Lantern" in page.text and "Nightjar" not in page.text
    assert hidden["id"] not in page.text
    # one other operation is too few to publish: its month is held back, not summed
    assert "No other operation publishes its figures in aggregate." in page.text
    assert "fewer than 3 such operations contributed are held back" in page.text
    assert 'id="impact-dashboard-data"' in page.text
    assert "/static/vendor/echarts.min.js" in page.text
    assert browser.get(f"/operations/{hidden['id']}/outcomes").status_code == 404
