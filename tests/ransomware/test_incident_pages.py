"""Web pages: the incident form, list and detail; hostile text shown as text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Community, csrf_of, sign_in

HOSTILE = "<script>alert('owned')</script> [click](javascript:alert(1))"


@pytest.fixture
def analyst(client: TestClient, families: Any, community: Community) -> TestClient:
    org = community.org("Delta")
    user = community.user(org, email="delta@x.example")
    assert sign_in(client, user.email).status_code == 303
    return client


def test_report_an_incident_through_the_form(analyst: TestClient,
                                             community: Community) -> None:
    bravo = str(community.org("Bravo").id)
    form = analyst.get("/ransomware/incidents/new")
    assert form.status_code == 200 and 'name="victim_name"' in form.text
    token = csrf_of(analyst, "/ransomware/incidents/new")
    data = {"csrf_token": token, "discovered": "2026-02-01", "family": "lockbit",
            "access_vector": "stolen-credentials", "sector": "Bank", "country": "FR",
            "demand_amount": "1,000,000", "demand_currency": "USD", "paid": "yes",
            "paid_amount": "400000", "wallets": "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "negotiation_contact": HOSTILE, "notes": HOSTILE, "victim_name": "Acme <b>SA</b>",
            "tlp": "AMBER", "org_ids": [bravo]}
    r = analyst.post("/ransomware/incidents/new", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = analyst.get(r.headers["location"])
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert 'href="javascript' not in page.text
    assert "Acme &lt;b&gt;SA&lt;/b&gt;" in page.text  # the victim, to its own organisation
    assert "$1,000,000" in page.text and "LockBit" in page.text
    assert "TLP:AMBER<" in page.text and "TLP:AMBER+STRICT<" not in page.text
    listing = analyst.get("/ransomware/incidents")
    assert listing.status_code == 200
    incident_id = r.headers["location"].rsplit("/", 1)[1].split("?")[0]
    assert f'href="/ransomware/incidents/{incident_id}"' in listing.text


def test_a_wrong_field_re_renders_the_form_with_the_message(analyst: TestClient) -> None:
    token = csrf_of(analyst, "/ransomware/incidents/new")
    r = analyst.post("/ransomware/incidents/new", data={
        "csrf_token": token, "discovered": "2026-02-01", "demand_amount": "-3",
        "demand_currency": "EUR", "notes": HOSTILE, "tlp": "AMBER+STRICT"})
    assert r.status_code == 422
    assert "must not be negative" in r.text
    assert re.search(r'id="demand_amount"[^>]*aria-invalid="true"', r.text)
    assert "<script>alert" not in r.text
    assert "No incident you may see yet" in analyst.get("/ransomware/incidents").text
