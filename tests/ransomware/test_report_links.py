"""One-time report links: issued by a member, used once by a victim without an account,
stored as a hash, expiring, CSRF-protected, throttled and audited; on both engines."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cyberhub.audit import AuditEntry
from cyberhub.db import Database, utcnow
from cyberhub.ransomware.models import Incident, IncidentVictim, ReportLink
from tests.factories import Community, bearer, csrf_of

FORM = {"discovered": "2026-05-02", "family": "LockBit", "access_vector": "phishing",
        "sector": "Health", "country": "BE", "demand_amount": "250000",
        "demand_currency": "USD", "paid": "no", "data_stolen": "yes",
        "notes": "<img src=x onerror=alert(1)> they called us",
        "victim_name": "St. Example Hospital", "victim_contact": "it@hospital.example"}


class Setup:
    def __init__(self, client: TestClient, database: Database, community: Community) -> None:
        self.client, self.database = client, database
        self.issuer_org = community.org("Issuer")
        self.issuer = community.user(self.issuer_org, email="issuer@x.example")
        self.token = community.token(self.issuer, scope="write")
        self.other = community.org("Other")
        self.other_token = community.token(community.user(self.other, email="o@x.example"),
                                           scope="write")

    def issue(self, **body: Any) -> str:
        r = self.client.post("/api/v1/ransomware/report-links", json=body,
                             headers=bearer(self.token))
        assert r.status_code == 201, r.text
        url: str = r.json()["url"]
        assert url.startswith("http://testserver/report/")
        return url.removeprefix("http://testserver")

    def submit(self, path: str, **over: str) -> Any:
        victim = TestClient(self.client.app, base_url="http://testserver")  # no account
        form = victim.get(path)
        assert form.status_code == 200, form.text
        token = csrf_of(victim, path)
        return victim.post(path, data={**FORM, **over, "csrf_token": token})


@pytest.fixture
def setup(client, families, community) -> Setup:  # type: ignore[no-untyped-def]
    return Setup(client, families, community)


def test_a_victim_reports_once_and_the_issuer_owns_the_incident(setup: Setup) -> None:
    path = setup.issue()
    token = path.rsplit("/", 1)[1]
    r = setup.submit(path)
    assert r.status_code == 200 and "your report is received" in r.text
    with setup.database.transaction() as s:
        link = s.scalar(select(ReportLink))
        assert link is not None and link.used_at is not None
        assert token not in link.token_hash and len(link.token_hash) == 64
        incident = s.scalar(select(Incident))
        assert incident is not None and incident.via_link
        assert incident.owner_org_id == setup.issuer_org.id
        assert incident.tlp.value == "AMBER+STRICT"
        assert link.incident_id == incident.id
        victim = s.get(IncidentVictim, incident.id)
        assert victim is not None and victim.name == "St. Example Hospital"
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert {"report_link.issue", "incident.create", "report_link.use"} <= set(actions)
    # The issuer sees it (and the victim); another organisation does not.
    got = setup.client.get(f"/api/v1/ransomware/incidents/{incident.id}",
                           headers=bearer(setup.token)).json()
    assert got["via_link"] and got["victim"]["name"] == "St. Example Hospital"
    assert setup.client.get(f"/api/v1/ransomware/incidents/{incident.id}",
                            headers=bearer(setup.other_token)).status_code == 404
    # Used up: the form and a second submission answer 404.
    victim = TestClient(setup.client.app, base_url="http://testserver")
    assert victim.get(path).status_code == 404
    again = victim.post(path, data={**FORM, "csrf_token": csrf_of(victim, "/signin")})
    assert again.status_code == 404


def test_amber_link_shares_with_the_named_organisation(setup: Setup) -> None:
    path = setup.issue(tlp="AMBER", audience_org_ids=[str(setup.other.id)], days=3)
    assert setup.submit(path).status_code == 200
    items = setup.client.get("/api/v1/ransomware/incidents",
                             headers=bearer(setup.other_token)).json()["items"]
    assert len(items) == 1 and items[0]["tlp"] == "AMBER"
    bad = setup.client.post("/api/v1/ransomware/report-links", json={"tlp": "GREEN"},
                            headers=bearer(setup.token))
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "tlp"


def test_bad_input_keeps_the_link_and_stores_nothing(setup: Setup) -> None:
    path = setup.issue()
    r = setup.submit(path, discovered="2999-01-01")
    assert r.status_code == 422 and "future" in r.text
    assert 'value="St. Example Hospital"' in r.text  # the form comes back filled in
    assert "<img src=x" not in r.text  # hostile text comes back escaped
    r = setup.submit(path, wallets="btc:notawallet")
    assert r.status_code == 422 and "not a valid wallet" in r.text
    with setup.database.transaction() as s:
        assert s.scalar(select(Incident)) is None
        link = s.scalar(select(ReportLink))
        assert link is not None and link.used_at is None
    assert setup.submit(path).status_code == 200


def test_csrf_expired_and_unknown_links(setup: Setup) -> None:
    path = setup.issue()
    victim = TestClient(setup.client.app, base_url="http://testserver")
    assert victim.get(path).status_code == 200
    assert victim.post(path, data=FORM).status_code == 403  # no CSRF token
    assert victim.get("/report/not-a-real-token").status_code == 404
    with setup.database.transaction() as s:
        s.execute(update(ReportLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert victim.get(path).status_code == 404
    with setup.database.transaction() as s:
        assert s.scalar(select(Incident)) is None


def test_guessing_links_is_throttled(setup: Setup) -> None:
    victim = TestClient(setup.client.app, base_url="http://testserver")
    codes = [victim.get(f"/report/guess-{i}").status_code for i in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429
    path = setup.issue()
    assert victim.get(path).status_code == 429  # even a good link, from that address


def test_the_links_page_shows_a_new_link_once(setup: Setup, community: Community) -> None:
    from tests.factories import sign_in

    assert sign_in(setup.client, "issuer@x.example").status_code == 303
    token = csrf_of(setup.client, "/ransomware/report-links")
    r = setup.client.post("/ransomware/report-links",
                          data={"csrf_token": token, "tlp": "AMBER+STRICT", "days": "14"})
    assert r.status_code == 201
    url = re.search(r'id="new-link">([^<]+)<', r.text)
    assert url and "/report/" in url.group(1)
    page = setup.client.get("/ransomware/report-links")
    assert url.group(1) not in page.text and "Waiting" in page.text
