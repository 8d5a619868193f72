"""REST: meetings, decisions and action items under the sharing rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import Hub, assert_error
from tests.factories import new_uuid


def _meeting(hub: Hub, who: str = "a_analyst", **fields: Any) -> dict[str, Any]:
    body = {"title": "Monthly fraud call", "starts_at": "2026-12-10T14:00:00Z"} | fields
    r = hub.post(who, "/meetings", body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _uid(hub: Hub, who: str) -> str:
    return str(hub.users[who].id)


def _item(hub: Hub, meeting: dict[str, Any], owner: str, who: str = "a_analyst",
          due: str = "2026-12-20", text: str = "Send the indicators") -> Any:
    return hub.post(who, f"/meetings/{meeting['id']}/action-items",
                    {"text": text, "owner_id": _uid(hub, owner), "due": due})


def test_default_is_amber_to_the_attending_organisations(hub: Hub) -> None:
    m = _meeting(hub, attendee_ids=[_uid(hub, "a_analyst"), _uid(hub, "b_analyst")],
                 agenda="1. **Round** of news", location="Video call",
                 link="https://meet.example/abc")
    assert m["tlp"] == "AMBER"
    assert sorted(m["audience"]["org_ids"]) == sorted([str(hub.alpha.id), str(hub.beta.id)])
    assert "<strong>Round</strong>" in m["agenda_html"]
    assert m["decisions"] == [] and m["action_items"] == []
    got = hub.get("b_analyst", f"/meetings/{m['id']}").json()
    assert got["title"] == "Monthly fraud call"
    assert sorted(got["attendee_ids"]) == sorted([_uid(hub, "a_analyst"), _uid(hub, "b_analyst")])


def test_crud_decisions_and_action_items(hub: Hub) -> None:
    m = _meeting(hub, attendee_ids=[_uid(hub, "b_analyst")])
    r = hub.post("b_analyst", f"/meetings/{m['id']}/decisions",
                 {"text": "Share the mule list weekly"})
    assert r.status_code == 201, r.text
    r = _item(hub, m, "b_analyst", who="b_analyst")
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["status"] == "open" and item["due_at"].startswith("2026-12-20T23:59:59")
    full = hub.get("a_analyst", f"/meetings/{m['id']}").json()
    assert [d["text"] for d in full["decisions"]] == ["Share the mule list weekly"]
    assert [i["id"] for i in full["action_items"]] == [item["id"]]

    r = hub.post("b_analyst", f"/action-items/{item['id']}/complete")
    assert r.status_code == 200 and r.json()["status"] == "done"
    r = hub.patch("b_analyst", f"/action-items/{item['id']}", {"status": "open",
                                                              "text": "Send them all"})
    assert r.json()["status"] == "open" and r.json()["text"] == "Send them all"

    r = hub.patch("a_analyst", f"/meetings/{m['id']}", {"minutes": "We *met*.",
                                                        "title": "Fraud call"})
    assert r.status_code == 200 and "<em>met</em>" in r.json()["minutes_html"]
    # Someone who sees the meeting but neither attends nor wrote it may not edit it.
    assert_error(hub.patch("b_admin", f"/meetings/{m['id']}", {"title": "x"}), 403)
    assert_error(hub.post("b_admin", f"/meetings/{m['id']}/decisions", {"text": "x"}), 403)
    assert hub.delete("a_analyst", f"/meetings/{m['id']}").status_code == 204
    assert_error(hub.get("a_analyst", f"/meetings/{m['id']}"), 404)
    assert_error(hub.get("b_analyst", f"/action-items/{item['id']}"), 404)


def test_owner_must_see_the_meeting(hub: Hub) -> None:
    m = _meeting(hub, tlp="AMBER", audience={"org_ids": [str(hub.alpha.id)]})
    err = assert_error(_item(hub, m, "b_analyst"), 422, "invalid_input")
    assert "cannot see this meeting" in err["message"]
    assert err["details"]["field"] == "owner_id"
    assert hub.get("a_analyst", f"/meetings/{m['id']}").json()["action_items"] == []
    ok = _item(hub, m, "a_reader")
    assert ok.status_code == 201, ok.text
    # Moving the item to someone who cannot see it is refused the same way.
    err = assert_error(hub.patch("a_analyst", f"/action-items/{ok.json()['id']}",
                                 {"owner_id": _uid(hub, "b_analyst")}), 422)
    assert err["details"]["field"] == "owner_id"
    # Narrowing the meeting away from an open item's owner is refused, nothing changes.
    err = assert_error(hub.patch("a_analyst", f"/meetings/{m['id']}",
                                 {"tlp": "RED", "audience": {"user_ids": []}}), 422)
    assert hub.get("a_analyst", f"/meetings/{m['id']}").json()["tlp"] == "AMBER"


def test_attendees_must_see_the_meeting(hub: Hub) -> None:
    r = hub.post("a_analyst", "/meetings", {
        "title": "Closed", "starts_at": "2026-12-10T14:00:00Z", "tlp": "AMBER+STRICT",
        "audience": {"org_ids": [str(hub.alpha.id)]},
        "attendee_ids": [_uid(hub, "b_analyst")]})
    err = assert_error(r, 422, "invalid_input")
    assert "could not see this meeting" in err["message"]
    assert hub.get("a_analyst", "/meetings").json()["items"] == []


def test_invisible_meeting_is_404_everywhere(hub: Hub) -> None:
    m = _meeting(hub, tlp="AMBER+STRICT", audience={"org_ids": [str(hub.alpha.id)]})
    item = _item(hub, m, "a_analyst").json()
    before = hub.state()
    bodies = []
    for who in ("b_analyst", "b_admin", "admin"):
        for path in (f"/meetings/{m['id']}", f"/meetings/{new_uuid()}", "/meetings/nope"):
            for method, kw in (("get", {}), ("patch", {"json": {"title": "x"}}),
                               ("delete", {})):
                bodies.append(assert_error(getattr(hub, method)(who, path, **kw), 404))
            bodies.append(assert_error(hub.post(who, path + "/decisions", {"text": "x"}), 404))
            bodies.append(assert_error(hub.post(
                who, path + "/action-items",
                {"text": "x", "owner_id": _uid(hub, who), "due": "2027-01-01"}), 404))
        for path in (f"/action-items/{item['id']}", f"/action-items/{new_uuid()}"):
            bodies.append(assert_error(hub.get(who, path), 404))
            bodies.append(assert_error(hub.post(who, path + "/complete"), 404))
            bodies.append(assert_error(hub.patch(who, path, {"status": "done"}), 404))
        assert hub.get(who, "/meetings").json()["items"] == []
        assert hub.get(who, "/action-items").json() == []
    assert len({str(b) for b in bodies}) == 1
    assert hub.state() == before


def test_my_action_items_never_list_an_invisible_meeting(hub: Hub) -> None:
    shared = _meeting(hub, attendee_ids=[_uid(hub, "b_analyst")])
    mine = _item(hub, shared, "b_analyst", due="2026-12-01").json()
    hidden = _meeting(hub, tlp="AMBER", audience={"org_ids": [str(hub.alpha.id)]})
    _item(hub, hidden, "a_analyst")
    got = hub.get("b_analyst", "/action-items?mine=1").json()
    assert [i["id"] for i in got] == [mine["id"]]
    assert got[0]["overdue"] is True and got[0]["meeting_title"] == "Monthly fraud call"
    assert [i["id"] for i in hub.get("b_analyst", "/action-items").json()] == [mine["id"]]
    assert hub.get("a_analyst", "/action-items?mine=1").json()[0]["meeting_id"] == hidden["id"]
    hub.post("b_analyst", f"/action-items/{mine['id']}/complete")
    assert hub.get("b_analyst", "/action-items?mine=1").json() == []
    done = hub.get("b_analyst", "/action-items?mine=1&status=done").json()
    assert [i["id"] for i in done] == [mine["id"]]


def test_owner_losing_sight_never_sees_the_item_in_mine(hub: Hub, database: Any) -> None:
    """Even if a user's organisation leaves the audience by a path the service cannot
    check (an audience group losing a member), their items vanish with the meeting."""
    group = hub.community.group(orgs=[hub.beta])
    m = _meeting(hub, tlp="AMBER", audience={"group_ids": [str(group.id)]})
    item = _item(hub, m, "b_analyst")
    assert item.status_code == 201, item.text
    assert len(hub.get("b_analyst", "/action-items?mine=1").json()) == 1
    from sqlalchemy import delete

    from cyberhub.community.models import GroupMember

    with database.transaction() as s:
        s.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    assert hub.get("b_analyst", "/action-items?mine=1").json() == []
    assert_error(hub.get("b_analyst", f"/action-items/{item.json()['id']}"), 404)


def test_markdown_is_sanitised(hub: Hub) -> None:
    m = _meeting(hub, agenda="<script>alert(1)</script> [x](javascript:alert(2)) <img src=x>",
                 minutes="<iframe src=//evil></iframe>**ok**")
    for field in ("agenda_html", "minutes_html"):
        assert "<script" not in m[field] and "<iframe" not in m[field]
        assert 'href="javascript' not in m[field] and "<img" not in m[field]
    assert "<strong>ok</strong>" in m["minutes_html"]


def test_bad_input_is_refused_clearly(hub: Hub) -> None:
    before = hub.state()
    big = "x" * 100_001
    for fields in ({"agenda": big}, {"minutes": big}, {"title": "t" * 201},
                   {"link": "javascript:alert(1)"}, {"link": "ftp://x.example/"},
                   {"tlp": "PURPLE"}, {"source_type": "dialogue"},
                   {"attendee_ids": [new_uuid()]}):
        r = hub.post("a_analyst", "/meetings",
                     {"title": "t", "starts_at": "2026-12-10T14:00:00Z"} | fields)
        assert_error(r, 422)
    m = _meeting(hub)
    after_create = hub.state()
    r = hub.post("a_analyst", f"/meetings/{m['id']}/decisions", {"text": "d" * 5001})
    assert_error(r, 422)
    r = hub.post("a_analyst", f"/meetings/{m['id']}/decisions", {"text": "   "})
    assert "required" in assert_error(r, 422)["message"]
    assert_error(_item(hub, m, "a_analyst", text="i" * 2001), 422)
    assert_error(_item(hub, m, "a_analyst", due="tomorrow"), 422)
    assert_error(hub.get("a_analyst", "/action-items?status=maybe"), 422)
    assert_error(hub.post("a_reader", "/meetings", {"title": "t",
                                                    "starts_at": "2026-12-10T14:00:00Z"}), 403)
    assert hub.state() == after_create
    assert before != after_create


def test_source_link_is_shown_only_to_those_who_see_the_source(hub: Hub) -> None:
    m = _meeting(hub, source_type="dialogue", source_id=new_uuid(), tlp="GREEN")
    # The dialogue does not exist (or its package is not installed): a pointer, no link.
    assert m["source"]["type"] == "dialogue" and m["source"]["url"] is None
    own = _meeting(hub, tlp="GREEN")
    d = hub.patch("a_analyst", f"/meetings/{own['id']}",
                  {"source_type": "incident", "source_id": new_uuid()}).json()
    assert d["source"]["url"] is None
    cleared = hub.patch("a_analyst", f"/meetings/{own['id']}",
                        {"source_type": None, "source_id": None}).json()
    assert cleared["source"] is None


def test_times_without_zone_are_utc(hub: Hub) -> None:
    m = _meeting(hub, starts_at="2026-12-10T14:00:00")
    assert m["starts_at"].startswith("2026-12-10T14:00:00")
    assert m["starts_at"].endswith(("Z", "+00:00"))
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = _item(hub, m, "a_analyst", due=soon)
    assert r.status_code == 201 and r.json()["overdue"] is False


def test_attendees_who_are_not_users_are_refused(hub: Hub) -> None:
    """Found by the API fuzzer: outside the AMBER default an unknown attendee id reached
    the database and answered 500."""
    m = _meeting(hub, tlp="GREEN", attendee_ids=[_uid(hub, "b_analyst")])
    before = hub.state()
    nobody = new_uuid()
    for r in (hub.post("a_analyst", "/meetings", {"title": "t", "tlp": "GREEN",
                                                  "starts_at": "2026-12-10T14:00:00Z",
                                                  "attendee_ids": [nobody]}),
              hub.patch("a_analyst", f"/meetings/{m['id']}", {"attendee_ids": [nobody]}),
              hub.patch("a_analyst", f"/meetings/{m['id']}",
                        {"agenda": "x", "attendee_ids": [_uid(hub, "a_analyst"), nobody]})):
        error = assert_error(r, 422)
        assert error["details"] == {"field": "attendee_ids"} and nobody in error["message"]
    assert hub.state() == before
