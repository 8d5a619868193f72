"""Deconfliction pages without JavaScript: the nav link for law enforcement only, the
register form (errors shown, nothing stored), my registrations, renew, withdraw, hits."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.deconfliction.conftest import WALLET
from tests.factories import Community
from tests.web.helpers import alert, login, post


def test_register_renew_withdraw_and_hits(client: TestClient, community: Community) -> None:
    one = community.org("Page Police One", kind="law-enforcement")
    two = community.org("Page Police Two", kind="law-enforcement")
    bank = community.org("Page Bank", kind="financial")
    a, b, banker = community.user(one), community.user(two), community.user(bank)

    login(client, banker.email)
    assert 'href="/deconfliction"' not in client.get("/operations").text
    assert client.get("/deconfliction").status_code == 403

    login(client, a.email)
    html = client.get("/operations").text
    assert 'href="/deconfliction"' in html
    form = {"kind": "wallet", "value": f"btc:{WALLET}", "case_reference": "P1-CASE",
            "contact": "Desk One, +31 70 000 0001"}
    r = post(client, "/deconfliction/register", form | {"value": "btc:nonsense"},
             token_from="/deconfliction")
    assert r.status_code == 422
    assert "not valid for the kind wallet" in alert(r.text)
    assert "No registrations yet" in r.text
    r = post(client, "/deconfliction/register", form, token_from="/deconfliction")
    assert r.status_code == 303 and r.headers["location"].startswith("/deconfliction?")
    html = client.get("/deconfliction").text
    assert "P1-CASE" in html and WALLET not in html
    reg_id = re.search(r'id="reg-([0-9a-f-]+)"', html).group(1)  # type: ignore[union-attr]

    login(client, b.email)
    r = post(client, "/deconfliction/register",
             form | {"value": WALLET.upper(), "chain": "btc", "case_reference": "P2-CASE",
                     "contact": "Desk Two, two@police.example"}, token_from="/deconfliction")
    assert r.status_code == 303 and r.headers["location"].startswith("/deconfliction/hits")
    html = client.get("/deconfliction/hits").text
    assert "Page Police One" in html and "Desk One, +31 70 000 0001" in html
    assert "P2-CASE" in html and "P1-CASE" not in html
    # Someone else's registration: 404.
    assert post(client, f"/deconfliction/registrations/{reg_id}/renew",
                token_from="/deconfliction").status_code == 404

    login(client, a.email)
    html = client.get("/deconfliction/hits").text
    assert "Page Police Two" in html and "Desk Two, two@police.example" in html
    assert "P2-CASE" not in html
    r = post(client, f"/deconfliction/registrations/{reg_id}/renew", token_from="/deconfliction")
    assert r.status_code == 303
    r = post(client, f"/deconfliction/registrations/{reg_id}/withdraw",
             token_from="/deconfliction")
    assert r.status_code == 303
    assert "No registrations yet" in client.get("/deconfliction").text
