"""Community vetting through the REST API: the quorum rule against a plain reference,
who may vote and see verdicts, bad input, changes and withdrawals, the audit trail, the
owner's own setting, copies of one STIX id, and the search filter."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cyberhub.config import Settings
from tests.vetting.world import World

VOTERS = ("bravo", "charlie", "delta", "echo")


def reference_state(standing: dict[str, str], quorum: int) -> str:
    """The rule of issue 5, written out plainly."""
    verdicts = list(standing.values())
    if not verdicts:
        return "unverified"
    if "dispute" in verdicts:
        return "disputed"
    return "vetted" if verdicts.count("confirm") >= quorum else "corroborated"


def test_the_state_follows_the_quorum_rule_for_any_sequence_of_votes(
        world: World, settings: Settings) -> None:
    record = world.indicator("alpha")

    @hsettings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(quorum=st.integers(1, 4),
           steps=st.lists(st.tuples(st.sampled_from(VOTERS),
                                    st.sampled_from(("confirm", "dispute", "withdraw"))),
                          max_size=10))
    def run(quorum: int, steps: list[tuple[str, str]]) -> None:
        settings.vetting_quorum = quorum
        for who in VOTERS:  # a clean slate for each example
            world.delete(who, f"/objects/{record}/vetting")
        standing: dict[str, str] = {}
        for who, action in steps:
            if action == "withdraw":
                r = world.delete(who, f"/objects/{record}/vetting")
                assert r.status_code == (200 if who in standing else 404), r.text
                standing.pop(who, None)
            else:
                r = world.vote(who, record, action, f"{who} says {action}")
                assert r.status_code == 200, r.text
                standing[who] = action
            body = r.json() if r.status_code == 200 else world.get(
                who, f"/objects/{record}/vetting").json()
            assert body["state"] == reference_state(standing, quorum), (steps, standing)
            assert body["quorum"] == quorum
            assert body["confirmations"] == list(standing.values()).count("confirm")
            assert world.get("alpha", f"/objects/{record}").json()["vetting"] == body["state"]

    run()


def test_verdicts_are_seen_by_exactly_those_who_see_the_object(world: World) -> None:
    record = world.indicator("alpha", tlp="AMBER", audience=("bravo", "charlie"))
    r = world.vote("bravo", record, "confirm", "Same C2 in our **fraud** cases.")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "corroborated"

    for who in ("alpha", "bravo", "charlie"):
        body = world.get(who, f"/objects/{record}/vetting").json()
        [v] = body["verdicts"]
        assert (v["org_name"], v["user_name"], v["verdict"]) == ("Bravo", "bravo",
                                                                  "confirm")
        assert v["reason"] == "Same C2 in our **fraud** cases."
        assert "<strong>fraud</strong>" in v["reason_html"]
        assert v["created_at"]

    # Delta was not named: the verdicts, and voting, answer like a missing object.
    missing = str(uuid.uuid4())
    for method, call in (("GET", lambda p: world.get("delta", p)),
                         ("POST", lambda p: world.post("delta", p, {"verdict": "dispute",
                                                                     "reason": "no"})),
                         ("DELETE", lambda p: world.delete("delta", p))):
        hidden = call(f"/objects/{record}/vetting")
        absent = call(f"/objects/{missing}/vetting")
        assert hidden.status_code == absent.status_code == 404, method
        assert hidden.json() == absent.json()
    assert world.get("alpha", f"/objects/{record}/vetting").json()["disputes"] == 0


def test_only_other_organisations_analysts_vote(world: World) -> None:
    record = world.indicator("alpha")
    world.add_user("alpha2", "alpha")
    world.add_user("reader", "bravo", role="reader")
    for who in ("alpha", "alpha2"):
        r = world.vote(who, record)
        assert r.status_code == 403 and "other organisations" in r.json()["error"]["message"]
    r = world.vote("reader", record)
    assert r.status_code == 403
    assert world.get("reader", f"/objects/{record}/vetting").json()["verdicts"] == []


def test_bad_input_is_refused_with_the_field_named(world: World) -> None:
    record = world.indicator("alpha")
    cases = [({"verdict": "confirm", "reason": "   "}, "reason"),
             ({"verdict": "confirm", "reason": "x" * 2001}, "reason"),
             ({"verdict": "maybe", "reason": "Looks odd."}, "verdict")]
    for body, field in cases:
        r = world.post("bravo", f"/objects/{record}/vetting", body)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"]["field"] == field
    r = world.post("bravo", f"/objects/{record}/vetting", {"verdict": "confirm"})
    assert r.status_code == 422
    assert world.get("alpha", f"/objects/{record}/vetting").json()["state"] == "unverified"
    # Exactly 2,000 characters is fine; HTML in the reason is neutralised.
    r = world.vote("bravo", record, "confirm", "<script>alert(1)</script>" + "y" * 1975)
    assert r.status_code == 200, r.text
    html = r.json()["verdicts"][0]["reason_html"]
    assert "<script" not in html


def test_a_verdict_is_changed_and_withdrawn_and_everything_is_audited(world: World) -> None:
    record = world.indicator("alpha")
    assert world.vote("bravo", record, "confirm").json()["state"] == "corroborated"
    assert world.vote("charlie", record, "confirm").json()["state"] == "vetted"
    # Another Bravo analyst replaces Bravo's verdict: still one verdict per organisation.
    world.add_user("bravo2", "bravo")
    r = world.vote("bravo2", record, "dispute", "The IP was reassigned last week.")
    body = r.json()
    assert body["state"] == "disputed" and len(body["verdicts"]) == 2
    assert {v["user_name"] for v in body["verdicts"]} == {"bravo2",
                                                          "charlie"}
    r = world.delete("bravo", f"/objects/{record}/vetting")
    assert r.status_code == 200 and r.json()["state"] == "corroborated"
    assert world.delete("bravo", f"/objects/{record}/vetting").status_code == 404

    casts = world.audits("vetting.cast")
    assert [(e.details["verdict"], e.details["previous"], e.details["state"]) for e in casts] == [
        ("confirm", None, "corroborated"), ("confirm", None, "vetted"),
        ("dispute", "confirm", "disputed")]
    assert all(e.target_id == record for e in casts)
    [withdrawn] = world.audits("vetting.withdraw")
    assert withdrawn.details["withdrawn"] == "dispute"
    assert withdrawn.details["state"] == "corroborated"
    assert withdrawn.actor_user_id == world.users["bravo"].id


def test_the_owner_sets_the_state_only_while_no_verdict_stands(world: World) -> None:
    record = world.indicator("alpha")
    assert world.patch("alpha", f"/objects/{record}", {"vetting": "vetted"}).status_code == 200
    assert world.vote("bravo", record, "dispute", "Sinkholed.").json()["state"] == "disputed"
    r = world.patch("alpha", f"/objects/{record}", {"vetting": "vetted"})
    assert r.status_code == 409 and r.json()["error"]["details"]["field"] == "vetting"
    # Other changes of the owner still go through.
    assert world.patch("alpha", f"/objects/{record}", {"pap": "GREEN"}).status_code == 200
    r = world.delete("bravo", f"/objects/{record}/vetting")
    assert r.json()["state"] == "unverified"
    assert world.patch("alpha", f"/objects/{record}", {"vetting": "corroborated"}
                       ).status_code == 200


def test_verdicts_count_for_the_record_not_for_other_copies(world: World) -> None:
    obj = world.gen.indicator("ipv4") | {"name": "Shared feed entry"}
    world.import_("alpha", [obj])
    world.import_("bravo", [obj])
    alpha_copy, bravo_copy = world.record("alpha", obj["id"]), world.record("bravo", obj["id"])
    assert alpha_copy != bravo_copy
    world.vote("charlie", alpha_copy)
    world.vote("delta", alpha_copy)
    # By STIX id the voter reaches a copy too (its own first, else the newest visible).
    assert world.get("alpha", f"/objects/{alpha_copy}").json()["vetting"] == "vetted"
    assert world.get("bravo", f"/objects/{bravo_copy}").json()["vetting"] == "unverified"
    assert world.get("bravo", f"/objects/{bravo_copy}/vetting").json()["verdicts"] == []


def test_the_search_filter_finds_objects_by_vetting_state(world: World) -> None:
    vetted = world.indicator("alpha", name="Vetted C2")
    disputed = world.indicator("alpha", name="Disputed C2")
    world.indicator("alpha", name="Untouched C2")
    world.vote("bravo", vetted)
    world.vote("charlie", vetted)
    world.vote("bravo", disputed, "dispute", "Benign CDN.")

    def names(state: str) -> set[str]:
        r = world.get("delta", "/objects", params={"vetting": state, "type": "indicator"})
        return {o["name"] for o in r.json()["items"]}

    assert names("vetted") == {"Vetted C2"}
    assert names("disputed") == {"Disputed C2"}
    assert names("unverified") == {"Untouched C2"}
