"""Comments through the REST API: they follow the record they are on, for every target
type; mentions reach only those who may see it; text is sanitised and bounded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cyberhub import events
from cyberhub.audit import AuditEntry
from tests.api.conftest import assert_error
from tests.factories import new_uuid
from tests.vetting.world import World


@pytest.fixture
def heard() -> Any:
    got: list[events.Event] = []

    def listener(session, event):  # type: ignore[no-untyped-def]
        got.append(event)

    events.subscribe(listener)
    yield got
    events._listeners.remove(listener)


def comment(world: World, who: str, target_type: str, target_id: str, body: str,
            **extra: Any) -> Any:
    return world.post(who, "/comments", {"target_type": target_type, "target_id": target_id,
                                         "body": body, **extra})


def listing(world: World, who: str, target_type: str, target_id: str) -> Any:
    return world.get(who, "/comments", params={"target_type": target_type,
                                               "target_id": target_id})


def test_comment_reply_edit_delete_on_a_stix_object(world: World, heard: list[Any]) -> None:
    oid = world.indicator("alpha", tlp="GREEN", name="Harbour C2")
    r = comment(world, "bravo", "stix", oid, "We saw **this** too.")
    assert r.status_code == 201, r.text
    top = r.json()
    assert top["body_html"] == "<p>We saw <strong>this</strong> too.</p>\n"
    assert top["author"]["organisation"] == "Bravo" and top["parent_id"] is None
    reply = comment(world, "charlie", "stix", oid, "Since when?", parent_id=top["id"]).json()
    assert reply["parent_id"] == top["id"]
    # A reply to a reply joins the same thread (one level).
    deeper = comment(world, "bravo", "stix", oid, "March.", parent_id=reply["id"]).json()
    assert deeper["parent_id"] == top["id"]

    kinds = [(e.kind, e.watch_keys, e.recipients) for e in heard]
    stix_id = world.get("alpha", f"/objects/{oid}").json()["stix_id"]
    assert ("comment.new", frozenset({f"stix:{stix_id}"}), frozenset()) in kinds
    assert ("comment.reply", frozenset(), frozenset({world.users["bravo"].id})) in kinds
    assert ("comment.reply", frozenset(), frozenset({world.users["charlie"].id})) in kinds
    assert all(e.subject_id is not None and e.url.startswith(f"/objects/{oid}#comment-")
               for e in heard)

    assert_error(world.patch("charlie", f"/comments/{top['id']}", {"body": "mine now"}), 403)
    edited = world.patch("bravo", f"/comments/{top['id']}", {"body": "We saw it in March."})
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    assert world.delete("charlie", f"/comments/{top['id']}").status_code == 403
    assert world.delete("bravo", f"/comments/{top['id']}").status_code == 204
    items = listing(world, "delta", "stix", oid).json()["items"]
    assert len(items) == 3
    gone = next(c for c in items if c["id"] == top["id"])
    assert gone["deleted"] and gone["body_markdown"] == "" and gone["body_html"] == ""
    # Soft delete keeps the thread: the replies still point at it.
    assert {c["parent_id"] for c in items if c["id"] != top["id"]} == {top["id"]}
    assert_error(world.patch("bravo", f"/comments/{top['id']}", {"body": "again"}), 403)


def test_invisible_target_answers_404_for_every_operation(world: World) -> None:
    oid = world.indicator("alpha", tlp="AMBER", audience=("bravo",))
    made = comment(world, "bravo", "stix", oid, "Seen it.").json()
    missing = new_uuid()
    for target in (oid, missing):
        hidden = assert_error(listing(world, "charlie", "stix", target), 404)
        assert hidden == assert_error(comment(world, "charlie", "stix", target, "hi"), 404)
    assert_error(world.get("charlie", f"/comments/{made['id']}"), 404)
    assert_error(world.patch("charlie", f"/comments/{made['id']}", {"body": "x"}), 404)
    assert_error(world.delete("charlie", f"/comments/{made['id']}"), 404)
    assert world.get("bravo", f"/comments/{made['id']}").status_code == 200
    assert_error(listing(world, "alpha", "nonsense", oid), 422, "invalid_input")


def test_mentions_reach_only_those_who_may_see(world: World, heard: list[Any]) -> None:
    oid = world.indicator("alpha", tlp="AMBER", audience=("bravo",))
    text = ("@bravo@vet.example please check; @charlie@vet.example too; "
            "and @nobody@vet.example")
    r = comment(world, "alpha", "stix", oid, text)
    assert r.status_code == 201, r.text
    # Charlie may not see the object; nobody does not exist; the two read the same.
    assert r.json()["not_notified"] == ["charlie@vet.example", "nobody@vet.example"]
    mentions = [e for e in heard if e.kind == "mention"]
    assert len(mentions) == 1 and mentions[0].recipients == {world.users["bravo"].id}
    # An edit tells only the newly mentioned.
    heard.clear()
    r = world.patch("alpha", f"/comments/{r.json()['id']}",
                    {"body": text + " and @delta@vet.example"})
    assert r.json()["not_notified"] == ["delta@vet.example"]
    assert [e for e in heard if e.kind == "mention"] == []


def test_script_is_sanitised_and_oversized_text_refused(world: World) -> None:
    oid = world.indicator("alpha")
    r = comment(world, "bravo", "stix", oid,
                "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>")
    assert r.status_code == 201
    html = r.json()["body_html"]
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html and "&lt;script&gt;" in html
    before = len(listing(world, "bravo", "stix", oid).json()["items"])
    big = assert_error(comment(world, "bravo", "stix", oid, "x" * 10_001), 413,
                       "payload_too_large")
    assert "10000" in big["message"]
    assert_error(comment(world, "bravo", "stix", oid, "   "), 422)
    assert len(listing(world, "bravo", "stix", oid).json()["items"]) == before


def test_comments_on_sensitive_targets_are_audited_reads(world: World) -> None:
    oid = world.indicator("alpha", tlp="AMBER+STRICT", audience=("bravo",))
    comment(world, "bravo", "stix", oid, "noted")
    listing(world, "bravo", "stix", oid)
    with world.database.transaction() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "record.read",
                                                   AuditEntry.target_id == oid)).all()
    assert len(reads) >= 2


def test_readers_may_read_but_not_write(world: World) -> None:
    world.add_user("alpha_reader", "alpha", role="reader")
    oid = world.indicator("alpha")
    assert listing(world, "alpha_reader", "stix", oid).status_code == 200
    assert_error(comment(world, "alpha_reader", "stix", oid, "hi"), 403)


def test_pagination_walks_every_comment(world: World) -> None:
    oid = world.indicator("alpha")
    for i in range(5):
        comment(world, "bravo", "stix", oid, f"comment {i}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"target_type": "stix", "target_id": oid, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = world.get("alpha", "/comments", params=params).json()
        seen += [c["body_markdown"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"comment {i}" for i in reversed(range(5))]


def test_a_watcher_who_is_replied_to_or_mentioned_gets_one_notice(world: World) -> None:
    oid = world.indicator("alpha", tlp="GREEN", name="Harbour C2")
    stix_id = world.get("alpha", f"/objects/{oid}").json()["stix_id"]
    for who in ("bravo", "charlie", "delta"):
        assert world.post(who, "/watches", {"kind": "stix", "target": stix_id}
                          ).status_code == 201
    top = comment(world, "bravo", "stix", oid, "Seen in March.").json()
    email = world.users["delta"].email
    assert comment(world, "charlie", "stix", oid, f"Since when? @{email}",
                   parent_id=top["id"]).status_code == 201

    def kinds(who: str) -> list[str]:
        return sorted(n["kind"] for n in world.get(who, "/notifications").json()["items"])

    # The replied-to and the mentioned hear of the reply once, by its specific kind; the
    # author of the first comment and the replier are not told of their own acts.
    assert kinds("bravo") == ["comment.reply"]
    assert kinds("delta") == ["comment.new", "mention"]  # the first comment, the mention
    assert kinds("charlie") == ["comment.new"]


def test_comments_go_with_a_deleted_note_or_insight(world: World) -> None:
    from cyberhub.comments.models import Comment

    def stored() -> int:
        with world.database.transaction() as s:
            return len(s.scalars(select(Comment.id)).all())

    note = world.post("alpha", "/notes", {"title": "Mule ring", "body": "Seen.",
                                          "tlp": "GREEN"}).json()
    insight = world.post("alpha", "/insights", {"title": "Mule rings", "tlp": "GREEN"}).json()
    world.post("alpha", f"/insights/{insight['id']}/publish")
    for kind, rid in (("note", note["id"]), ("insight", insight["id"])):
        top = comment(world, "bravo", kind, rid, "Same here.").json()
        assert comment(world, "charlie", kind, rid, "And here.", parent_id=top["id"]
                       ).status_code == 201
    assert stored() == 4
    assert world.delete("alpha", f"/notes/{note['id']}").status_code == 204
    assert stored() == 2
    assert world.delete("alpha", f"/insights/{insight['id']}").status_code == 204
    assert stored() == 0
    assert_error(listing(world, "bravo", "note", note["id"]), 404)


def test_hub_admins_moderate_what_they_may_see_and_nothing_else(world: World) -> None:
    world.add_user("operator", "alpha", role="hub-admin")
    green = world.indicator("alpha", tlp="GREEN", name="Open C2")
    strict = world.indicator("bravo", tlp="AMBER+STRICT", audience=("charlie",), name="Closed C2")
    abusive = comment(world, "charlie", "stix", green, "Something abusive.").json()
    hidden = comment(world, "charlie", "stix", strict, "Between us.").json()
    assert world.delete("operator", f"/comments/{abusive['id']}").status_code == 204
    gone = world.get("bravo", f"/comments/{abusive['id']}").json()
    assert gone["deleted"] and gone["body_markdown"] == ""
    # An operator administers the hub but reads no AMBER+STRICT content: 404 as for nothing.
    assert_error(world.delete("operator", f"/comments/{hidden['id']}"), 404)
    assert world.get("charlie", f"/comments/{hidden['id']}").json()["body_markdown"] == (
        "Between us.")
    with world.database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "comment.delete")).one()
        assert entry.details["role"] == "hub-admin" and entry.details["by_author"] is False
