"""REST: incident reports under the sharing rules, the victim kept apart, bad input
refused whole; on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cyberhub.audit import AuditEntry
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.ransomware.models import Incident, IncidentVictim
from tests.factories import Community, bearer, new_uuid
from tests.ransomware.conftest import LOCKBIT

BTC = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"


class Members:
    def __init__(self, client: TestClient, database: Database, community: Community) -> None:
        self.client, self.database = client, database
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        for name in ("alpha", "bravo", "charlie"):
            self.orgs[name] = community.org(name.title())
            self.users[name] = community.user(self.orgs[name], email=f"{name}@x.example")
            self.tokens[name] = community.token(self.users[name], scope="write")
        admin = community.user(self.orgs["charlie"], role="hub-admin", email="op@x.example")
        self.tokens["admin"] = community.token(admin, scope="write")

    def post(self, who: str, path: str, json: Any) -> Any:
        return self.client.post("/api/v1" + path, json=json, headers=bearer(self.tokens[who]))

    def get(self, who: str, path: str) -> Any:
        return self.client.get("/api/v1" + path, headers=bearer(self.tokens[who]))

    def count(self, model: Any) -> int:
        with self.database.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def members(client, families, community) -> Members:  # type: ignore[no-untyped-def]
    return Members(client, families, community)


def report(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "discovered": "2026-03-14", "family": LOCKBIT, "access_vector": "exploited-vulnerability",
        "cve": "cve-2023-4966", "sector": "bank", "country": "nl", "size_band": "250-999",
        "systems_affected": 120, "data_stolen": True, "leak_listed": False,
        "demand_amount": 500000, "demand_currency": "eur", "paid": False,
        "wallets": [BTC, f"eth:{ETH}"], "negotiation_contact": "support@lockbit.example",
        "recovery_days": 21, "loss_band": "1m-10m", "reported_to": "National Police",
        "notes": "<script>alert(1)</script> **not markdown**",
        "victim": {"name": "Acme Widgets B.V.", "contact": "ciso@acme.example"}}
    body.update(over)
    return body


def test_report_and_read_back_with_the_victim(members: Members) -> None:
    r = members.post("alpha", "/ransomware/incidents", report())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["tlp"] == "AMBER+STRICT"  # the default
    assert body["family_name"] == "LockBit" and body["family_ref"] == LOCKBIT
    assert body["sector"] == "Bank" and body["country"] == "NL"
    assert body["demand_currency"] == "EUR" and body["cve"] == "CVE-2023-4966"
    assert body["wallets"][0] == f"btc:{BTC}" and body["wallets"][1] == f"eth:{ETH.lower()}"
    assert body["notes"].startswith("<script>")  # stored as given, shown as text
    assert body["victim"] == {"name": "Acme Widgets B.V.", "contact": "ciso@acme.example"}
    again = members.get("alpha", f"/ransomware/incidents/{body['id']}").json()
    assert again["victim"]["name"] == "Acme Widgets B.V."
    listed = members.get("alpha", "/ransomware/incidents").json()["items"]
    assert [i["id"] for i in listed] == [body["id"]]


def test_another_orgs_strict_incident_is_not_found_and_reads_are_audited(
        members: Members) -> None:
    iid = members.post("alpha", "/ransomware/incidents", report()).json()["id"]
    hidden = members.get("bravo", f"/ransomware/incidents/{iid}")
    missing = members.get("bravo", f"/ransomware/incidents/{new_uuid()}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert members.get("admin", f"/ransomware/incidents/{iid}").status_code == 404
    assert members.get("bravo", "/ransomware/incidents").json()["items"] == []
    assert members.get("alpha", f"/ransomware/incidents/{iid}").status_code == 200
    assert len(members.get("alpha", "/ransomware/incidents").json()["items"]) == 1
    with members.database.transaction() as s:
        actions = [(a.action, a.target_id) for a in s.scalars(select(AuditEntry))]
    assert ("incident.create", iid) in [(a, str(t)) for a, t in actions]
    assert ("record.read", iid) in [(a, str(t)) for a, t in actions]
    assert "record.list" in [a for a, _t in actions]


def test_the_victim_is_for_the_reporter_and_its_audience_only(members: Members) -> None:
    bravo = str(members.orgs["bravo"].id)
    amber = members.post("alpha", "/ransomware/incidents",
                         report(tlp="AMBER", audience={"org_ids": [bravo]})).json()
    seen = members.get("bravo", f"/ransomware/incidents/{amber['id']}").json()
    assert seen["victim"]["name"] == "Acme Widgets B.V."
    # A hub admin moderating AMBER sees the incident, not who the victim is.
    moderated = members.get("admin", f"/ransomware/incidents/{amber['id']}").json()
    assert moderated["victim"] is None
    green = members.post("alpha", "/ransomware/incidents", report(tlp="GREEN")).json()
    community_view = members.get("charlie", f"/ransomware/incidents/{green['id']}").json()
    assert community_view["sector"] == "Bank" and community_view["victim"] is None
    assert members.get("alpha", f"/ransomware/incidents/{green['id']}").json()["victim"]


@pytest.mark.parametrize(("over", "field"), [
    ({"discovered": "2999-01-01"}, "discovered"),
    ({"discovered": "1988-12-31"}, "discovered"),
    ({"discovered": "2026-02-30"}, "discovered"),
    ({"demand_amount": -5}, "demand_amount"),
    ({"demand_amount": 1e15}, "demand_amount"),
    ({"paid_amount": -1, "paid": None}, "paid_amount"),
    ({"demand_currency": "XYZ"}, "demand_currency"),
    ({"demand_currency": ""}, "demand_currency"),
    ({"wallets": ["btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyU"]}, "wallets"),
    ({"wallets": ["eth:0x1234"]}, "wallets"),
    ({"wallets": ["not a wallet"]}, "wallets"),
    ({"cve": "CVE-23-1"}, "cve"),
    ({"access_vector": "phishing"}, "cve"),
    ({"access_vector": "telepathy"}, "access_vector"),
    ({"sector": "Underwater basket weaving"}, "sector"),
    ({"country": "XX"}, "country"),
    ({"family": "NoSuchLocker"}, "family"),
    ({"notes": "x" * 5001}, "notes"),
    ({"negotiation_contact": "a\x00b"}, "negotiation_contact"),
    ({"recovery_days": 99999}, "recovery_days"),
    ({"paid": False, "paid_amount": 10}, "paid_amount"),
    ({"victim": {"name": "", "contact": "x@y.example"}}, "victim_name"),
    ({"tlp": "AMBER", "audience": {"org_ids": [new_uuid()]}}, "audience"),
])
def test_bad_input_is_refused_whole(members: Members, over: dict[str, Any], field: str) -> None:
    r = members.post("alpha", "/ransomware/incidents", report(**over))
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    fields = [d["field"] for d in details] if isinstance(details, list) else [details["field"]]
    assert any(field in f for f in fields), (field, details)
    assert members.count(Incident) == 0 and members.count(IncidentVictim) == 0


def test_unknown_family_and_minimal_report(members: Members) -> None:
    r = members.post("alpha", "/ransomware/incidents", {"discovered": "2025-01-02"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["family_ref"] is None and body["access_vector"] == "unknown"
    assert body["victim"] is None and body["wallets"] == []


def test_readers_may_not_report_and_owners_delete(members: Members,
                                                  community: Community) -> None:
    reader = community.user(members.orgs["alpha"], role="reader", email="r@x.example")
    token = community.token(reader, scope="write")
    r = members.client.post("/api/v1/ransomware/incidents", json=report(),
                            headers=bearer(token))
    assert r.status_code == 403
    iid = members.post("alpha", "/ransomware/incidents", report()).json()["id"]
    assert members.client.delete(f"/api/v1/ransomware/incidents/{iid}",
                                 headers=bearer(members.tokens["bravo"])).status_code == 404
    assert members.client.delete(f"/api/v1/ransomware/incidents/{iid}",
                                 headers=bearer(members.tokens["alpha"])).status_code == 204
    assert members.count(Incident) == 0 and members.count(IncidentVictim) == 0
