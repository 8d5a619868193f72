"""REST: joint operations — sharing with participants only, the workflow, tasks, targets,
the timeline and the after-action review, and every bad input of the issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cyberhub import events
from cyberhub.audit import AuditEntry
from cyberhub.lessons.models import Lesson
from tests.api.conftest import assert_error
from tests.factories import new_uuid
from tests.operations.conftest import Ops

REVIEW = {"planned": "Take the kit's panels offline.", "happened": "Two of three went down.",
          "worked": "One **shared** task list.", "improve": "Name a hoster contact earlier."}


def _org(ops: Ops, name: str) -> str:
    return str(ops.orgs[name].id)


def _uid(ops: Ops, who: str) -> str:
    return str(ops.users[who].id)


def _task(ops: Ops, op: dict[str, Any], org: str, who: str = "alpha", **fields: Any) -> Any:
    return ops.post(who, f"/operations/{op['id']}/tasks",
                    {"title": "Preserve the panel logs", "assignee_org_id": _org(ops, org),
                     "due": "2026-12-20"} | fields)


def test_proposal_is_shared_with_the_participating_organisations(ops: Ops) -> None:
    op = ops.propose()
    assert op["status"] == "proposed" and op["next_status"] == "approved"
    assert op["tlp"] == "AMBER+STRICT" and op["lead_org_id"] == _org(ops, "alpha")
    assert [p["name"] for p in op["participants"]] == ["Alpha", "Bravo", "Charlie"]
    assert op["participants"][0]["is_lead"] is True
    assert op["lead_user_id"] == _uid(ops, "alpha_admin")
    assert "<strong>phishing kit</strong>" in op["objectives_html"]
    assert [e["kind"] for e in op["timeline"]] == ["status"]
    for who in ("alpha", "bravo", "charlie", "bravo_two"):
        assert ops.get(who, f"/operations/{op['id']}").status_code == 200
        assert [o["id"] for o in ops.get(who, "/operations").json()["items"]] == [op["id"]]
    # Outsiders, their admins and the hub's own administrator meet a 404, like nothing.
    for who in ("delta", "delta_admin", "echo", "echo_hub"):
        assert_error(ops.get(who, f"/operations/{op['id']}"), 404)
        assert ops.get(who, "/operations").json()["items"] == []
    assert_error(ops.get("delta", f"/operations/{new_uuid()}"), 404)
    # Reading it is a sensitive read, written to the audit log.
    assert any(a.action == "record.read" and a.target_type == "operations"
               for a in ops.audits("record."))


def test_the_workflow_one_step_at_a_time(ops: Ops, heard: list[events.Event]) -> None:
    op = ops.propose()
    path = f"/operations/{op['id']}/status"
    ops.move(op, "approved", "active")
    got = ops.move(op, "concluded").json()
    assert got["status"] == "concluded" and got["next_status"] == "reviewed"
    # Reviewed needs the after-action review: a clear error, nothing changed.
    before = ops.state()
    err = assert_error(ops.post("alpha_admin", path, {"status": "reviewed"}), 409, "conflict")
    assert err["details"]["field"] == "review" and "after-action review" in err["message"]
    assert ops.state() == before
    r = ops.put("alpha_admin", f"/operations/{op['id']}/review", REVIEW)
    assert r.status_code == 200, r.text
    assert r.json()["complete"] is True and "<strong>shared</strong>" in r.json()["worked_html"]
    got = ops.move(op, "reviewed").json()
    assert got["status"] == "reviewed" and got["next_status"] is None
    kinds = [e["kind"] for e in got["timeline"]]
    assert kinds.count("status") == 5 and "review" in kinds
    # Participants heard of each step; nobody outside did, and the actor is not told.
    status_events = [e for e in heard if e.kind == "operation.status"]
    assert len(status_events) == 4
    assert ops.users["bravo"].id in status_events[0].recipients
    assert ops.users["delta"].id not in status_events[0].recipients
    assert status_events[0].watch_keys == frozenset({f"operation:{op['id']}"})
    inbox = ops.get("bravo", "/notifications").json()["items"]
    assert any(n["kind"] == "operation.status" for n in inbox)
    assert ops.get("delta", "/notifications").json()["items"] == []


def test_out_of_order_status_changes_are_refused_and_change_nothing(ops: Ops) -> None:
    op = ops.propose()
    path = f"/operations/{op['id']}/status"
    before = ops.state()
    for status in ("active", "concluded", "reviewed", "proposed"):
        err = assert_error(ops.post("alpha_admin", path, {"status": status}), 409, "conflict")
        assert err["details"] == {"field": "status", "status": "proposed",
                                  "allowed": ["approved"]}
        assert "status is “Proposed”, so it can move only to “Approved”" in err["message"]
    err = assert_error(ops.post("alpha_admin", path, {"status": "finished"}), 422)
    assert err["details"]["field"] == "status" and "finished" in err["message"]
    assert ops.state() == before
    ops.move(op, "approved", "active")
    err = assert_error(ops.post("alpha_admin", path, {"status": "approved"}), 409)
    assert err["details"]["allowed"] == ["concluded"]
    assert ops.get("alpha", f"/operations/{op['id']}").json()["status"] == "active"


def test_only_the_lead_moves_the_operation(ops: Ops) -> None:
    op = ops.propose()
    path = f"/operations/{op['id']}/status"
    before = ops.state()
    # A participant's admin, an analyst of the lead organisation who is not the lead,
    # and a reader: refused. An outsider: 404.
    for who in ("bravo_admin", "alpha", "alpha_reader"):
        assert_error(ops.post(who, path, {"status": "approved"}), 403, "permission_denied")
    assert_error(ops.post("delta_admin", path, {"status": "approved"}), 404)
    assert ops.state() == before
    # The lead may be one of the lead organisation's users; then they move it too.
    r = ops.patch("alpha_admin", f"/operations/{op['id']}", {"lead_user_id": _uid(ops, "alpha")})
    assert r.status_code == 200, r.text
    assert ops.post("alpha", path, {"status": "approved"}).status_code == 200
    err = assert_error(ops.patch("alpha_admin", f"/operations/{op['id']}",
                                 {"lead_user_id": _uid(ops, "bravo")}), 422)
    assert err["details"]["field"] == "lead_user_id"


def test_tasks_go_to_participating_organisations_only(ops: Ops, heard: list[events.Event]
                                                      ) -> None:
    op = ops.propose()
    before = ops.state()
    err = assert_error(_task(ops, op, "delta"), 422, "invalid_input")
    assert err["details"]["field"] == "assignee_org_id"
    assert "does not take part in this operation" in err["message"]
    err = assert_error(ops.post("alpha", f"/operations/{op['id']}/tasks",
                                {"title": "x", "assignee_org_id": new_uuid()}), 422)
    assert err["details"]["field"] == "assignee_org_id"
    # A user who is not of the assigned organisation.
    err = assert_error(_task(ops, op, "bravo", assignee_user_id=_uid(ops, "charlie")), 422)
    assert err["details"]["field"] == "assignee_user_id"
    err = assert_error(_task(ops, op, "bravo", title="  "), 422)
    assert err["details"]["field"] == "title"
    assert_error(_task(ops, op, "bravo", who="alpha_reader"), 403)
    assert_error(_task(ops, op, "bravo", who="delta"), 404)
    assert ops.state() == before

    r = _task(ops, op, "bravo", assignee_user_id=_uid(ops, "bravo_two"))
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["status"] == "open" and task["due_at"].startswith("2026-12-20T23:59:59")
    assigned = [e for e in heard if e.kind == "operation.task"]
    assert assigned and assigned[-1].recipients == frozenset({ops.users["bravo_two"].id})
    assert any(n["kind"] == "operation.task"
               for n in ops.get("bravo_two", "/notifications").json()["items"])
    # Assigned to the organisation alone: its users are told.
    org_task = _task(ops, op, "charlie").json()
    assert ops.users["charlie"].id in [e for e in heard if e.kind == "operation.task"][-1].recipients

    tpath = f"/operations/{op['id']}/tasks/{task['id']}"
    r = ops.patch("bravo", tpath, {"status": "in_progress"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    err = assert_error(ops.patch("bravo", tpath, {"status": "half-done"}), 422)
    assert err["details"]["field"] == "status"
    # Charlie holds no part of this task.
    assert_error(ops.patch("charlie", tpath, {"status": "done"}), 403)
    # Reassigning outside the operation is the same clear error; nothing changes.
    err = assert_error(ops.patch("alpha_admin", tpath, {"assignee_org_id": _org(ops, "echo")}),
                       422)
    assert err["details"]["field"] == "assignee_org_id"
    assert ops.get("bravo", tpath).json()["assignee_org_id"] == _org(ops, "bravo")
    assert ops.patch("bravo", tpath, {"status": "done"}).json()["completed_at"]
    # A task is reached through its own operation only, and never by outsiders.
    other = ops.propose(name="Operation Other")
    assert_error(ops.get("bravo", f"/operations/{other['id']}/tasks/{task['id']}"), 404)
    assert_error(ops.get("delta", tpath), 404)
    timeline = [e["text"] for e in ops.get("alpha", f"/operations/{op['id']}/timeline").json()]
    assert any("Preserve the panel logs" in t and "“Done”" in t for t in timeline)
    # An organisation with open tasks cannot be dropped from the operation.
    err = assert_error(ops.patch("alpha_admin", f"/operations/{op['id']}",
                                 {"participant_org_ids": [_org(ops, "bravo")]}), 422)
    assert err["details"]["field"] == "participant_org_ids" and "Charlie" in err["message"]
    assert org_task["assignee_org_id"] == _org(ops, "charlie")


def test_targets_link_objects_the_user_may_see(ops: Ops) -> None:
    op = ops.propose()
    seen = ops.indicator("alpha", tlp="GREEN", name="Kit panel")
    hidden = ops.indicator("delta", tlp="AMBER", audience=("delta",), name="Delta's secret")
    alpha_only = ops.indicator("alpha", tlp="AMBER", audience=("alpha",), name="Alpha lead")
    path = f"/operations/{op['id']}/targets"
    before = ops.state()
    refused = [assert_error(ops.post("alpha", path, {"object_id": ref}), 422)
               for ref in (hidden, new_uuid(), "not-an-id")]
    assert {e["details"]["field"] for e in refused} == {"object_id"}
    assert all("that you may see" in e["message"] for e in refused)
    assert ops.state() == before

    r = ops.post("alpha", path, {"object_id": seen, "note": "The kit's panel"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Kit panel" and r.json()["type"] == "indicator"
    # By STIX id too.
    stix_id = ops.get("alpha", f"/objects/{alpha_only}").json()["stix_id"]
    assert ops.post("alpha", path, {"object_id": stix_id}).status_code == 201
    assert_error(ops.post("bravo", path, {"object_id": seen}), 409)
    # Bravo takes part but may not see Alpha's AMBER object: the link shows, unnamed.
    rows = {t["object_id"]: t for t in ops.get("bravo", path).json()}
    assert rows[seen]["name"] == "Kit panel"
    assert rows[alpha_only]["name"] is None and rows[alpha_only]["stix_id"] is None
    timeline = ops.get("bravo", f"/operations/{op['id']}/timeline").json()
    assert alpha_only not in {e["object_id"] for e in timeline}
    assert seen in {e["object_id"] for e in timeline}
    assert "Alpha lead" not in str(ops.get("bravo", f"/operations/{op['id']}").json())
    # Who linked it, or the lead, may remove it; others may not.
    target = rows[seen]["id"]
    assert_error(ops.delete("bravo", f"{path}/{target}"), 403)
    assert ops.delete("alpha", f"{path}/{target}").status_code == 204
    assert_error(ops.get("delta", path), 404)


def test_red_operation_is_seen_by_its_named_members_only(ops: Ops) -> None:
    err = assert_error(ops.post("alpha_admin", "/operations", {
        "name": "Operation Quiet", "legal_basis": "Court order 12/2026", "tlp": "RED",
        "participant_org_ids": [_org(ops, "bravo")], "member_ids": [_uid(ops, "delta")]}), 422)
    assert err["details"]["field"] == "member_ids"
    err = assert_error(ops.post("alpha_admin", "/operations", {
        "name": "Operation Loud", "legal_basis": "x", "tlp": "GREEN"}), 422)
    assert err["details"]["field"] == "tlp"
    err = assert_error(ops.post("alpha_admin", "/operations", {
        "name": "Operation Loud", "legal_basis": " "}), 422)
    assert err["details"]["field"] == "legal_basis"
    op = ops.propose(name="Operation Quiet", tlp="RED", member_ids=[_uid(ops, "bravo")])
    assert sorted(op["member_ids"]) == sorted([_uid(ops, "alpha_admin"), _uid(ops, "bravo")])
    assert ops.get("bravo", f"/operations/{op['id']}").status_code == 200
    for who in ("bravo_two", "bravo_admin", "alpha", "charlie", "echo_hub"):
        assert_error(ops.get(who, f"/operations/{op['id']}"), 404)
    # A task for a user who cannot see the operation is refused.
    err = assert_error(_task(ops, op, "bravo", who="bravo",
                             assignee_user_id=_uid(ops, "bravo_two")), 422)
    assert err["details"]["field"] == "assignee_user_id"


def test_review_is_published_as_a_lesson_with_the_chosen_marking(ops: Ops) -> None:
    op = ops.propose()
    rpath = f"/operations/{op['id']}/review"
    err = assert_error(ops.put("alpha_admin", rpath, REVIEW), 409)
    assert err["details"]["field"] == "status"
    publish = {"tlp": "AMBER", "audience": {"org_ids": [_org(ops, "bravo"), _org(ops, "delta")]},
               "tags": ["phishing", "takedown"]}
    assert_error(ops.post("alpha_admin", f"{rpath}/publish", publish), 409)
    ops.move(op, "approved", "active", "concluded")
    assert ops.put("alpha_admin", rpath, {"planned": "Only this"}).json()["complete"] is False
    err = assert_error(ops.post("alpha_admin", f"{rpath}/publish", publish), 409)
    assert err["details"]["field"] == "review"
    assert_error(ops.put("bravo", rpath, REVIEW), 403)
    ops.put("alpha_admin", rpath, REVIEW)
    r = ops.post("alpha_admin", f"{rpath}/publish", publish)
    assert r.status_code == 201, r.text
    lesson_id = r.json()["lesson_id"]
    assert r.json()["tlp"] == "AMBER"
    # Delta does not take part, but the participants chose to share the lesson with it.
    lesson = ops.get("delta", f"/lessons/{lesson_id}").json()
    assert lesson["title"] == "Lessons from operation Operation Lantern"
    assert lesson["source"]["type"] == "operation" and lesson["source"]["url"] is None
    assert "Two of three went down." in lesson["what_happened_markdown"]
    assert ops.get("bravo", f"/lessons/{lesson_id}").json()["source"]["url"] == \
        f"/operations/{op['id']}"
    assert_error(ops.get("echo", f"/lessons/{lesson_id}"), 404)
    assert_error(ops.post("alpha_admin", f"{rpath}/publish", publish), 409)
    with ops.database.transaction() as s:
        stored = s.scalar(select(Lesson).where(Lesson.source_type == "operation"))
        assert stored is not None and str(stored.source_id) == op["id"]
    assert ops.get("bravo", rpath).json()["lesson_id"] == lesson_id
    ops.move(op, "reviewed")
    # A reviewed operation is closed: no more notes, tasks or changes.
    assert_error(ops.post("alpha", f"/operations/{op['id']}/timeline", {"text": "late"}), 409)
    assert_error(_task(ops, op, "bravo"), 409)
    assert_error(ops.patch("alpha_admin", f"/operations/{op['id']}", {"name": "x"}), 409)


def test_timeline_notes_comments_and_watches_follow_the_operation(ops: Ops) -> None:
    op = ops.propose()
    r = ops.post("charlie", f"/operations/{op['id']}/timeline",
                 {"text": "Hoster acknowledged the preservation request.",
                  "at": "2026-12-01T09:30:00Z"})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "note" and r.json()["at"].startswith("2026-12-01T09:30")
    assert_error(ops.post("charlie", f"/operations/{op['id']}/timeline", {"text": ""}), 422)
    assert_error(ops.post("delta", f"/operations/{op['id']}/timeline", {"text": "x"}), 404)
    entries = ops.get("bravo", f"/operations/{op['id']}/timeline").json()
    assert entries[0]["kind"] == "note"  # in order of when things happened

    c = ops.post("bravo", "/comments", {"target_type": "operation", "target_id": op["id"],
                                        "body": "We can freeze the accounts on Monday."})
    assert c.status_code == 201, c.text
    listing = ops.get("charlie", "/comments", params={"target_type": "operation",
                                                      "target_id": op["id"]})
    assert [x["id"] for x in listing.json()["items"]] == [c.json()["id"]]
    for who in ("delta", "echo_hub"):
        assert_error(ops.get(who, "/comments", params={"target_type": "operation",
                                                       "target_id": op["id"]}), 404)
        assert_error(ops.get(who, f"/comments/{c.json()['id']}"), 404)
        assert_error(ops.post(who, "/comments", {"target_type": "operation",
                                                 "target_id": op["id"], "body": "hi"}), 404)
        assert_error(ops.post(who, "/watches", {"kind": "operation", "target": op["id"]}), 404)
    w = ops.post("bravo_two", "/watches", {"kind": "operation", "target": op["id"]})
    assert w.status_code == 201, w.text
    ops.post("charlie", "/comments", {"target_type": "operation", "target_id": op["id"],
                                      "body": "Agreed."})
    inbox = ops.get("bravo_two", "/notifications").json()["items"]
    assert any(n["url"].startswith(f"/operations/{op['id']}") for n in inbox)


def test_sensitive_listing_is_audited(ops: Ops) -> None:
    op = ops.propose()
    ops.get("bravo", "/operations")
    with ops.database.transaction() as s:
        listed = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "record.list",
                                                         AuditEntry.target_type == "operations")))
    assert any(op["id"] in str(a.details) for a in listed)


def test_withdrawing_a_proposal(ops: Ops) -> None:
    op = ops.propose()
    assert_error(ops.delete("bravo_admin", f"/operations/{op['id']}"), 403)
    assert ops.delete("alpha_admin", f"/operations/{op['id']}").status_code == 204
    assert_error(ops.get("alpha_admin", f"/operations/{op['id']}"), 404)
    other = ops.propose()
    ops.move(other, "approved")
    err = assert_error(ops.delete("alpha_admin", f"/operations/{other['id']}"), 409)
    assert err["details"]["field"] == "status"


def test_the_lead_changes_the_marking_and_the_audience_follows(ops: Ops) -> None:
    op = ops.propose(name="Operation Shifting Sands")  # AMBER+STRICT by default
    path = f"/operations/{op['id']}"
    assert ops.get("bravo_two", path).status_code == 200  # a participant organisation
    # Tightened to RED with one named member of bravo: the rest of bravo loses sight.
    got = ops.patch("alpha_admin", path, {"tlp": "RED", "member_ids": [_uid(ops, "bravo")]})
    assert got.status_code == 200, got.text
    assert got.json()["tlp"] == "RED"
    assert ops.get("bravo", path).status_code == 200
    for who in ("bravo_two", "bravo_admin", "charlie"):
        assert_error(ops.get(who, path), 404)
    timeline = ops.get("alpha_admin", f"{path}/timeline").json()
    assert any("AMBER+STRICT to TLP:RED" in e["text"] for e in timeline)
    # Only the lead may change it; GREEN is never allowed; nothing changes on refusal.
    before = ops.state()
    assert_error(ops.patch("bravo", path, {"tlp": "AMBER+STRICT"}), 403)
    err = assert_error(ops.patch("alpha_admin", path, {"tlp": "GREEN"}), 422)
    assert err["details"]["field"] == "tlp"
    assert ops.state() == before
    # Relaxed back to AMBER+STRICT: every participating organisation sees it again.
    got = ops.patch("alpha_admin", path, {"tlp": "AMBER+STRICT"})
    assert got.status_code == 200, got.text
    for who in ("bravo_two", "bravo_admin", "charlie"):
        assert ops.get(who, path).status_code == 200
    assert_error(ops.get("delta", path), 404)


def test_finding_operations_by_words(ops: Ops) -> None:
    ops.propose(name="Operation Kestrel", objectives="Seize the **mule** accounts.")
    ops.propose(name="Operation Heron", objectives="Take down 100% of the panels.")
    names = lambda q: sorted(o["name"] for o in ops.get(  # noqa: E731
        "bravo", "/operations", params={"q": q}).json()["items"])
    assert names("kestrel") == ["Operation Kestrel"]
    assert names("MULE accounts") == ["Operation Kestrel"]
    assert names("operation") == ["Operation Heron", "Operation Kestrel"]
    assert names("100%") == ["Operation Heron"] and names("_") == []  # no wildcards
    assert ops.get("delta", "/operations", params={"q": "kestrel"}).json()["items"] == []


def test_nul_character_is_refused_by_name_on_every_engine(ops: Ops) -> None:
    """Found by the API fuzzer: a NUL in the legal basis answered 500 on PostgreSQL."""
    op = ops.propose()
    before = ops.state()
    for r in (ops.post("alpha_admin", "/operations", {"name": "Nul", "legal_basis": "\x00þ"}),
              ops.patch("alpha_admin", f"/operations/{op['id']}",
                        {"objectives": "Find\x00them"})):
        error = assert_error(r, 422)
        assert "NUL" in error["message"] and error["details"]["field"] in {
            "legal_basis", "objectives"}
    assert ops.state() == before
