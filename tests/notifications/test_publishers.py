"""Events the existing domains publish: new intelligence on watched objects and actors,
correlations with my organisation's records, new ransomware incidents."""

from __future__ import annotations

from typing import Any

import pytest

from cyberhub.intel import import_events
from tests.api.conftest import Hub
from tests.notifications.conftest import import_objects, sdo
from tests.ransomware.conftest import LOCKBIT, families  # noqa: F401 - the fixture


def _items(hub: Hub, who: str) -> list[dict[str, Any]]:
    r = hub.get(who, "/notifications")
    assert r.status_code == 200, r.text
    # Security notices about the user's own account (a hub admin's 2FA enrolment) aside.
    return [n for n in r.json()["items"] if n["kind"] != "account.security"]


def _rel(source: str, target: str, kind: str = "uses") -> dict[str, Any]:
    rel = sdo("relationship", "", relationship_type=kind, source_ref=source, target_ref=target)
    del rel["name"]
    return rel


def test_a_new_relationship_to_a_watched_actor(hub: Hub) -> None:
    actor = sdo("intrusion-set", "Grey Heron")
    import_objects(hub, "a_analyst", [actor])
    for who in ("b_analyst", "a_reader"):
        r = hub.post(who, "/watches", {"kind": "actor", "target": actor["id"]})
        assert r.status_code == 201, r.text
    tool = sdo("tool", "Quiet Lantern")
    # Shared with Alpha only: the Beta watcher must not hear of it.
    import_objects(hub, "a_admin", [tool, _rel(actor["id"], tool["id"])],
                   tlp="AMBER+STRICT", audience=[str(hub.alpha.id)])
    [n] = _items(hub, "a_reader")
    assert n["kind"] == "object.related" and n["summary"] == "relationship"
    assert n["url"].startswith("/objects/")
    assert hub.client.get(n["url"], headers=hub.as_("a_reader")).status_code in (200, 303)
    assert _items(hub, "b_analyst") == []
    # A GREEN relationship reaches both; the importer is never told of their own import.
    import_objects(hub, "a_analyst", [_rel(tool["id"], actor["id"], "related-to")])
    assert [n["kind"] for n in _items(hub, "b_analyst")] == ["object.related"]
    assert len(_items(hub, "a_reader")) == 2
    assert _items(hub, "a_analyst") == []


def test_events_per_import_are_capped(hub: Hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(import_events, "MAX_EVENTS", 3)
    actor = sdo("intrusion-set", "Grey Heron")
    import_objects(hub, "a_analyst", [actor])
    assert hub.post("b_analyst", "/watches", {"kind": "stix", "target": actor["id"]}
                    ).status_code == 201
    tools = [sdo("tool", f"Tool {i}") for i in range(8)]
    import_objects(hub, "a_analyst", tools + [_rel(actor["id"], t["id"]) for t in tools])
    assert len(_items(hub, "b_analyst")) == 3


def test_correlation_tells_the_other_organisation(hub: Hub) -> None:
    pattern = "[ipv4-addr:value = '203.0.113.7']"
    mine = sdo("indicator", "C2 server", pattern=pattern, pattern_type="stix",
               valid_from="2026-01-01T00:00:00Z")
    import_objects(hub, "b_analyst", [mine], tlp="AMBER+STRICT", audience=[str(hub.beta.id)])
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--" + _uuid(),
          "value": "203.0.113.7"}
    import_objects(hub, "a_analyst", [ip])
    got = _items(hub, "b_admin")
    assert [n["kind"] for n in got] == ["correlation"], got
    assert "203.0.113.7" in got[0]["summary"] or got[0]["summary"] == "ipv4 addr"
    # The importer's own organisation is not told of its own values; nor is anyone else.
    assert _items(hub, "a_admin") == [] and _items(hub, "admin") == []
    # A value the other organisation may not see reaches nobody there.
    secret = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--" + _uuid(),
              "value": "203.0.113.7"}
    import_objects(hub, "a_admin", [secret], tlp="AMBER+STRICT", audience=[str(hub.alpha.id)])
    assert len(_items(hub, "b_admin")) == 1


def test_a_value_repeated_many_times_makes_one_correlation_per_value(hub: Hub) -> None:
    # Alpha holds one address many times over, and imports it many times again: the
    # import's own repetitions tell nobody; once Beta holds the address, Alpha's next
    # import tells Beta once (one event per shared value, whatever the repetitions).
    def ips(value: str, n: int) -> list[dict[str, Any]]:
        return [{"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--" + _uuid(),
                 "value": value} for _ in range(n)]

    import_objects(hub, "a_analyst", ips("198.51.100.9", 300))
    import_objects(hub, "a_analyst", ips("198.51.100.9", 300))
    assert _items(hub, "b_admin") == [] and _items(hub, "a_admin") == []
    import_objects(hub, "b_analyst", ips("198.51.100.9", 1))
    assert [n["kind"] for n in _items(hub, "a_admin")] == ["correlation"]
    import_objects(hub, "a_analyst", ips("198.51.100.9", 300) + ips("198.51.100.10", 5))
    got = _items(hub, "b_admin")
    assert [n["kind"] for n in got] == ["correlation"], got
    # Alpha is not told of its own import: still only Beta's.
    assert len(_items(hub, "a_admin")) == 1


def test_only_the_import_s_own_values_raise_correlations(hub: Hub) -> None:
    # Alpha's earlier address is shared with Beta; Alpha's next import holds other
    # values only, so nobody is told anything new (earlier rows are not this import's).
    def ip(value: str) -> dict[str, Any]:
        return {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--" + _uuid(),
                "value": value}

    import_objects(hub, "a_analyst", [ip("192.0.2.77")])
    import_objects(hub, "b_analyst", [ip("192.0.2.77")])
    assert [n["kind"] for n in _items(hub, "a_admin")] == ["correlation"]
    assert _items(hub, "b_admin") == []
    import_objects(hub, "a_analyst", [ip("192.0.2.78"), ip("192.0.2.79")])
    assert _items(hub, "b_admin") == [] and len(_items(hub, "a_admin")) == 1
    import_objects(hub, "a_analyst", [ip("192.0.2.80"), ip("192.0.2.77")])
    assert [n["kind"] for n in _items(hub, "b_admin")] == ["correlation"]


@pytest.mark.usefixtures("families")
def test_a_new_incident_reaches_family_and_sector_watchers(hub: Hub) -> None:
    assert hub.post("b_analyst", "/watches", {"kind": "family", "target": LOCKBIT}
                    ).status_code == 201
    assert hub.post("a_reader", "/watches", {"kind": "sector", "target": "bank"}
                    ).status_code == 201
    report = {"discovered": "2026-03-14", "family": LOCKBIT,
              "access_vector": "exploited-vulnerability", "sector": "bank",
              "victim": {"name": "Acme Widgets B.V.", "contact": "ciso@acme.example"}}
    r = hub.post("a_analyst", "/ransomware/incidents", report | {"tlp": "GREEN"})
    assert r.status_code == 201, r.text
    for who in ("b_analyst", "a_reader"):
        [n] = _items(hub, who)
        assert n["kind"] == "incident.new" and "LockBit" in n["title"]
        assert n["url"] == f"/ransomware/incidents/{r.json()['id']}"
        assert "Acme" not in str(n) and "Alpha" not in str(n)
    # The default marking (AMBER+STRICT) keeps Beta's watcher out.
    r = hub.post("a_analyst", "/ransomware/incidents", report)
    assert r.status_code == 201, r.text
    assert len(_items(hub, "b_analyst")) == 1 and len(_items(hub, "a_reader")) == 2


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())
