"""Outcomes over REST, and the impact dashboard's visibility: participants see their
operations in full; others see aggregates only of operations that allow it, never named."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.api.conftest import assert_error
from tests.evidence.conftest import active_operation
from tests.operations.conftest import Ops


def _outcome(ops: Ops, who: str, op: dict[str, Any], **body: Any) -> Any:
    return ops.post(who, f"/operations/{op['id']}/outcomes",
                    {"kind": "arrests", "count": 1, "occurred_on": "2026-10-02"} | body)


def test_participants_record_outcomes(ops: Ops, lantern: dict[str, Any]) -> None:
    r = _outcome(ops, "bravo", lantern, kind="wallets_seized", count=3, amount="12.5",
                 currency="btc", note="Exchange cooperation")
    assert r.status_code == 201, r.text
    seized = r.json()
    assert Decimal(seized["amount"]) == Decimal("12.5")
    assert seized["currency"] == "BTC" and seized["org_id"] == str(ops.orgs["bravo"].id)
    assert _outcome(ops, "charlie", lantern, count=4).status_code == 201
    listed = ops.get("alpha", f"/operations/{lantern['id']}/outcomes").json()
    assert listed["allow_aggregates"] is False
    assert [(o["kind"], o["count"]) for o in listed["items"]] == [("wallets_seized", 3),
                                                                  ("arrests", 4)]
    # The recording organisation or the lead may take one back; others may not.
    url = f"/operations/{lantern['id']}/outcomes/{seized['id']}"
    assert_error(ops.delete("charlie", url), 403)
    assert ops.delete("alpha_admin", url).status_code == 204
    assert len(ops.get("alpha", f"/operations/{lantern['id']}/outcomes").json()["items"]) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "kidnappings"}, "kind"), ({"count": 0}, "count"), ({"count": -2}, "count"),
    ({"amount": "5", "currency": "EUR"}, "amount"),  # arrests carry no amount
    ({"kind": "wallets_frozen", "amount": "5"}, "currency"),
    ({"kind": "wallets_frozen", "currency": "EUR"}, "amount"),
    ({"kind": "wallets_frozen", "amount": "-1", "currency": "EUR"}, "amount"),
    ({"kind": "wallets_frozen", "amount": "1.123456789", "currency": "BTC"}, "amount"),
    ({"kind": "wallets_frozen", "amount": "1", "currency": "€"}, "currency"),
    ({"occurred_on": "2999-01-01"}, "occurred_on")])
def test_bad_outcomes_are_refused_naming_the_field(
        ops: Ops, lantern: dict[str, Any], body: dict[str, Any], field: str) -> None:
    before = ops.state()
    r = _outcome(ops, "alpha", lantern, **body)
    assert r.status_code == 422, r.text
    assert field in str(r.json()["error"]["details"])
    assert ops.state() == before


def test_outcomes_need_an_approved_operation_a_contributor_and_a_participant(
        ops: Ops) -> None:
    op = ops.propose()
    assert_error(_outcome(ops, "alpha", op), 409)
    ops.move(op, "approved")
    assert_error(_outcome(ops, "alpha_reader", op), 403)
    before = ops.state()
    for who in ("delta", "echo_hub"):
        assert_error(_outcome(ops, who, op), 404)
        assert_error(ops.get(who, f"/operations/{op['id']}/outcomes"), 404)
        assert_error(ops.put(who, f"/operations/{op['id']}/outcomes/publication",
                             {"allow_aggregates": True}), 404)
    assert ops.state() == before
    # Only the lead decides on publication.
    assert_error(ops.put("bravo", f"/operations/{op['id']}/outcomes/publication",
                         {"allow_aggregates": True}), 403)
    r = ops.put("alpha_admin", f"/operations/{op['id']}/outcomes/publication",
                {"allow_aggregates": True})
    assert r.status_code == 200 and r.json() == {"allow_aggregates": True}


def test_the_dashboard_shows_own_operations_in_full_and_others_only_summed_where_allowed(
        ops: Ops) -> None:
    lantern = active_operation(ops)                       # alpha, bravo, charlie
    hidden = active_operation(ops, who="delta_admin", name="Operation Nightjar",
                              participant_org_ids=[str(ops.orgs["echo"].id)])
    shared = active_operation(ops, who="delta_admin", name="Operation Kestrel",
                              participant_org_ids=[str(ops.orgs["echo"].id)])
    assert _outcome(ops, "alpha", lantern, count=2, occurred_on="2026-09-15").status_code == 201
    assert _outcome(ops, "bravo", lantern, kind="wallets_frozen", count=1, amount="1000",
                    currency="EUR", occurred_on="2026-10-01").status_code == 201
    assert _outcome(ops, "delta", hidden, count=40, occurred_on="2026-10-03").status_code == 201
    assert _outcome(ops, "delta", hidden, kind="wallets_seized", count=7, amount="99",
                    currency="BTC").status_code == 201
    assert _outcome(ops, "echo", shared, kind="servers_taken_down", count=5,
                    occurred_on="2026-10-20").status_code == 201
    assert _outcome(ops, "echo", shared, kind="wallets_frozen", count=2, amount="250",
                    currency="EUR", occurred_on="2026-10-20").status_code == 201
    # Alone in August: an aggregate of one operation would be that operation, so it is
    # held back.
    assert _outcome(ops, "echo", shared, count=4, occurred_on="2026-08-02").status_code == 201
    assert ops.put("delta_admin", f"/operations/{shared['id']}/outcomes/publication",
                   {"allow_aggregates": True}).status_code == 200
    # Two more operations publish in October: three in all, enough for an aggregate.
    for name in ("Operation Osprey", "Operation Heron"):
        more = active_operation(ops, who="delta_admin", name=name,
                                participant_org_ids=[str(ops.orgs["echo"].id)])
        assert _outcome(ops, "echo", more, kind="servers_taken_down", count=1,
                        occurred_on="2026-10-11").status_code == 201
        assert ops.put("delta_admin", f"/operations/{more['id']}/outcomes/publication",
                       {"allow_aggregates": True}).status_code == 200

    r = ops.get("bravo", "/impact")
    assert r.status_code == 200, r.text
    board = r.json()
    assert [o["name"] for o in board["own"]] == ["Operation Lantern"]
    assert board["own"][0]["figures"]["counts"]["arrests"] == 2
    assert board["others"]["counts"]["servers_taken_down"] == 7
    assert board["others"]["counts"]["arrests"] == 0  # Nightjar's 40 never; Kestrel's 4 held back
    assert board["others_withheld"] is True
    assert [(m["kind"], m["currency"], Decimal(m["amount"]))
            for m in board["others"]["money"]] == [("wallets_frozen", "EUR", Decimal(250))]
    assert board["other_operations"] == 3
    assert board["totals"]["counts"]["arrests"] == 2
    assert board["totals"]["counts"]["servers_taken_down"] == 7
    assert [m["month"] for m in board["months"]] == ["2026-09", "2026-10"]
    text = r.text
    for secret in ("Nightjar", "Kestrel", "Osprey", "Heron", hidden["id"], shared["id"],
                   str(ops.orgs["delta"].id), str(ops.orgs["echo"].id), "BTC"):
        assert secret not in text

    # Delta leads both of its operations and sees both in full; Lantern does not allow
    # aggregates, so delta sees nothing of it.
    theirs = ops.get("delta", "/impact").json()
    assert [o["name"] for o in theirs["own"]] == ["Operation Heron", "Operation Kestrel",
                                                  "Operation Nightjar", "Operation Osprey"]
    assert theirs["other_operations"] == 0
    assert sum(theirs["others"]["counts"].values()) == 0
    assert "Lantern" not in ops.get("delta", "/impact").text

    # A member of no operation sees the allowed aggregate only, unnamed.
    ops.orgs["foxtrot"] = ops.community.org("Foxtrot", kind="cert")
    ops.add_user("foxtrot", "foxtrot")
    board = ops.get("foxtrot", "/impact").json()
    assert board["own"] == [] and board["other_operations"] == 3
    assert board["totals"]["counts"]["servers_taken_down"] == 7
    assert board["totals"]["counts"]["arrests"] == 0
