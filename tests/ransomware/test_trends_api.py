"""Trends over HTTP: k-anonymous cells in the API, the CSV and the page, computed over
what the asker may see, never reading the victims' table; on both engines."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from cyberhub.db import Database
from tests.factories import Community, bearer, sign_in
from tests.ransomware.conftest import LOCKBIT, WANNACRY

AKIRA_LIKE = WANNACRY


class Hub:
    def __init__(self, client: TestClient, database: Database, community: Community) -> None:
        self.client, self.database = client, database
        self.tokens: dict[str, str] = {}
        self.org_ids: dict[str, str] = {}
        for name in ("a", "b", "c", "d", "e"):
            org = community.org(f"Org {name.upper()}")
            self.org_ids[name] = str(org.id)
            user = community.user(org, email=f"{name}@x.example")
            self.tokens[name] = community.token(user, scope="write")

    def report(self, who: str, **over: Any) -> None:
        body = {"discovered": "2026-01-15", "tlp": "GREEN", "sector": "Bank",
                "country": "NL", "access_vector": "phishing",
                "victim": {"name": f"SECRET-VICTIM-{who}"}, **over}
        r = self.client.post("/api/v1/ransomware/incidents", json=body,
                             headers=bearer(self.tokens[who]))
        assert r.status_code == 201, r.text

    def trends(self, who: str, **params: str) -> Any:
        r = self.client.get("/api/v1/ransomware/trends", params=params,
                            headers=bearer(self.tokens[who]))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def hub(client, families, community) -> Hub:  # type: ignore[no-untyped-def]
    h = Hub(client, families, community)
    # LockBit: four organisations. WannaCry: three. Unknown family: one (d).
    for who in ("a", "b", "c", "d"):
        h.report(who, family=LOCKBIT, demand_amount=100_000 * (ord(who) - 96),
                 demand_currency="EUR", paid=who == "a", recovery_days=10)
    for who in ("a", "b", "c"):
        h.report(who, family=AKIRA_LIKE, sector="Health")
    h.report("d", sector="Retail", country="LU")
    return h


def cells(t: dict[str, Any], name: str) -> dict[str, int]:
    dim = next(d for d in t["dimensions"] if d["name"] == name)
    return {c["label"]: c["count"] for c in dim["cells"]}


def test_cells_under_k_are_withheld_with_a_complement(hub: Hub) -> None:
    t = hub.trends("e")
    assert t["k"] == 3 and t["total"] == 8
    # Unknown (one organisation) is withheld, and WannaCry with it: otherwise
    # 8 − 4 − 3 would give the unknown family's single organisation away.
    assert cells(t, "family") == {"LockBit": 4}
    assert next(d for d in t["dimensions"] if d["name"] == "family")["withheld"]
    assert cells(t, "sector") == {"Bank": 4}  # Health (3 orgs) goes with Retail (1)
    assert "LU" not in cells(t, "country")
    assert cells(t, "month") == {"2026-01": 8}
    assert t["demands"]["EUR"]["median"] == 250_000
    assert t["recovery_days"]["median"] == 10
    assert t["payment_rate"] is None  # "paid: yes" rests on one organisation


def test_the_askers_own_reports_do_not_count(hub: Hub) -> None:
    # For d, LockBit rests on a, b and c; WannaCry on a, b, c; d's own are not counted.
    t = hub.trends("d")
    assert cells(t, "family") == {"LockBit": 4, "WannaCry": 3}
    # For a, WannaCry rests on b and c only.
    assert cells(hub.trends("a"), "family") == {"LockBit": 4}


def test_a_filter_never_differs_from_the_whole_by_a_small_group(hub: Hub) -> None:
    t = hub.trends("e", dimension="family", value=LOCKBIT)
    assert t["total"] == 4 and cells(t, "sector") == {"Bank": 4}
    # Filtering on the sector "Retail" (one organisation) publishes nothing.
    t = hub.trends("e", dimension="sector", value="Retail")
    assert t["total"] is None and all(not d["cells"] for d in t["dimensions"])
    r = hub.client.get("/api/v1/ransomware/trends", params={"dimension": "victim"},
                       headers=bearer(hub.tokens["e"]))
    assert r.status_code == 422


def test_only_visible_incidents_count(hub: Hub) -> None:
    for who in ("a", "b", "c"):
        hub.report(who, family=LOCKBIT, tlp="AMBER+STRICT", sector="Energy")
    assert hub.trends("e")["total"] == 8
    assert "Energy" not in cells(hub.trends("e"), "sector")


def test_csv_publishes_what_the_api_publishes(hub: Hub) -> None:
    r = hub.client.get("/api/v1/ransomware/trends.csv", headers=bearer(hub.tokens["e"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    counts = {(x["dimension"], x["label"]): x["count"] for x in rows if x["figure"] == "count"}
    assert counts[("family", "LockBit")] == "4"
    assert ("family", "WannaCry") not in counts and ("country", "LU") not in counts
    assert ("family", "withheld") not in counts
    assert any(x["figure"] == "withheld" and x["dimension"] == "family" for x in rows)
    assert "SECRET-VICTIM" not in r.text


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_trends_never_read_the_victims_table(hub: Hub) -> None:
    with statements(hub.database) as seen:
        hub.trends("e")  # from the running tallies
        hub.trends("e", dimension="sector", value="Bank")  # from the incidents
        hub.client.get("/api/v1/ransomware/trends.csv", headers=bearer(hub.tokens["e"]))
    assert seen, "the trends ran no SQL?"
    assert [s for s in seen if "ransomware_incident_tallies" in s]
    incident_reads = [s for s in seen if "ransomware_incidents" in s]
    assert incident_reads
    assert not [s for s in seen if "ransomware_incident_victims" in s]
    assert not [s for s in incident_reads if "notes" in s or "negotiation" in s]


def test_trends_page_draws_only_published_cells(hub: Hub) -> None:
    client = hub.client
    assert sign_in(client, "e@x.example").status_code == 303
    page = client.get("/ransomware/trends")
    assert page.status_code == 200
    assert "LockBit" in page.text and "WannaCry" not in page.text
    assert 'id="trends-data"' in page.text and "/static/js/trends.js" in page.text
    assert "<script>" not in page.text.split('id="trends-data"')[0].rsplit("</head>", 1)[-1]
    assert "SECRET-VICTIM" not in page.text
    assert "Some values are withheld" in page.text
    assert ">Phishing<" in page.text  # values shown by their translated labels
