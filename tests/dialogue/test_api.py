"""REST: dialogues, visibility, the Chatham House Rule in every API output, bad input."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from cyberhub.dialogue.models import Attachment, Contribution
from tests.api.conftest import Hub, assert_error
from tests.dialogue.conftest import Room, make_room

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _no_identity(text: str, room: Room, *who: str) -> None:
    for ident in room.identities(*who):
        assert ident not in text, f"{ident!r} leaked"


def _count(hub: Hub, model: Any) -> int:
    with hub.database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _upload(hub: Hub, who: str, room_id: str, name: str, data: bytes,
            ctype: str = "application/octet-stream") -> Any:
    return hub.client.post(f"/api/v1/dialogues/{room_id}/attachments", headers=hub.as_(who),
                           files={"file": (name, data, ctype)})


# ---------------------------------------------------------------- creation and states


def test_create_defaults_to_amber_planned_and_only_the_convenor_org_opens(people: Hub) -> None:
    r = people.post("a_analyst", "/dialogues", {
        "topic": "Open talk", "audience": {"org_ids": [str(people.beta.id)]}})
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["tlp"], d["status"], d["rule"]) == ("AMBER", "planned", "open")
    assert d["convenor"]["is_you"] and d["can_edit"]
    assert d["audience"]["org_ids"] == [str(people.beta.id)]
    assert_error(people.post("b_analyst", f"/dialogues/{d['id']}/open"), 403)
    assert_error(people.post("b_analyst", f"/dialogues/{d['id']}/contributions",
                             {"body": "too early"}), 409)
    # The convening organisation's admin may act for the convenor.
    assert people.post("a_admin", f"/dialogues/{d['id']}/open").json()["status"] == "open"
    err = assert_error(people.post("a_admin", f"/dialogues/{d['id']}/open"), 409)
    assert "this one's status is “Open”" in err["message"]
    assert_error(people.patch("a_admin", f"/dialogues/{d['id']}", {"rule": "chatham_house"}),
                 409)
    closed = people.post("a_analyst", f"/dialogues/{d['id']}/close",
                         {"outcomes": "We agreed on **three** things."})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert "<strong>three</strong>" in closed.json()["outcomes_html"]


def test_schedule_must_be_in_order(people: Hub) -> None:
    err = assert_error(people.post("a_analyst", "/dialogues", {
        "topic": "Backwards", "starts_at": "2026-12-10T11:00:00Z",
        "ends_at": "2026-12-10T09:00:00Z"}), 422)
    assert err["details"]["field"] == "ends_at"


def test_open_dialogue_shows_names(people: Hub, heard: list[Any]) -> None:
    room = make_room(people, heard, rule="open")
    c = room.post("b_analyst", "Hello from the bank").json()
    assert c["author"]["label"] == people.users["b_analyst"].display_name
    assert c["author"]["organisation"] == "Beta Bank" and c["author"]["is_you"]


# ---------------------------------------------------------------- visibility


def test_an_uninvited_organisation_sees_nothing(room: Room) -> None:
    hub = room.hub
    c = room.post("b_analyst", "We see mules recruited on social media.").json()
    a = _upload(hub, "b_analyst", room.id, "note.txt", b"plain words\n").json()
    for path in (f"/dialogues/{room.id}", f"/dialogues/{room.id}/contributions",
                 f"/dialogues/{room.id}/attachments",
                 f"/dialogues/{room.id}/attachments/{a['id']}",
                 f"/dialogues/{room.id}/transcript?format=md",
                 f"/dialogues/{room.id}/transcript?format=json"):
        assert_error(hub.get("d_analyst", path), 404)
    assert_error(room.post("d_analyst", "let me in"), 404)
    assert_error(hub.post("d_analyst", f"/dialogues/{room.id}/contributions/{c['id']}/replies",
                          {"body": "x"}), 404)
    assert hub.get("d_analyst", "/dialogues").json()["items"] == []
    assert hub.get("d_analyst", "/dialogues?q=mules").json()["items"] == []


def test_a_moderating_hub_admin_reads_but_does_not_contribute(room: Room) -> None:
    hub = room.hub
    assert hub.get("admin", f"/dialogues/{room.id}").status_code == 200
    assert_error(room.post("admin", "a moderator's word"), 403)


# ---------------------------------------------------------------- Chatham House in the API


def _converse(room: Room) -> dict[str, Any]:
    hub = room.hub
    first = room.post("b_analyst", "Mules are recruited with fake job offers.").json()
    reply = hub.post("g_analyst", f"/dialogues/{room.id}/contributions/{first['id']}/replies",
                     {"body": "We have seen the same @b_analyst@example.org",
                      "quote_id": first["id"]})
    assert reply.status_code == 201, reply.text
    third = room.post("a_analyst", "Thanks @g_analyst@example.org and "
                                   "@d_analyst@example.org and @nobody@example.org").json()
    _upload(hub, "g_analyst", room.id, "figures.csv", b"month,mules\n2026-11,12\n")
    return {"first": first, "reply": reply.json(), "third": third}


def test_chatham_house_attribution_in_every_api_output(room: Room) -> None:
    hub = room.hub
    posted = _converse(room)
    assert posted["first"]["author"] == {
        "label": "you", "is_you": True, "org_kind": "financial", "user_id": None,
        "organisation": None}
    reply = posted["reply"]
    assert reply["quote"]["author"]["label"] == "a participant from a bank or financial institution"
    assert "@participant" in reply["body_markdown"] and "@participant" in reply["body_html"]
    for who in ("a_admin", "a_analyst", "b_analyst", "g_analyst", "admin"):
        others = [w for w in ("a_admin", "a_analyst", "b_analyst", "g_analyst") if w != who]
        outputs = [hub.get(who, f"/dialogues/{room.id}").text,
                   hub.get(who, f"/dialogues/{room.id}/contributions").text,
                   hub.get(who, f"/dialogues/{room.id}/attachments").text,
                   hub.get(who, f"/dialogues/{room.id}/transcript?format=md").text,
                   hub.get(who, f"/dialogues/{room.id}/transcript?format=json").text,
                   hub.get(who, "/dialogues?q=mules").text,
                   hub.get(who, "/dialogues").text]
        for text in outputs:
            _no_identity(text, room, *others)
            # Nobody's address, not even the viewer's, shows through a mention.
            assert "example.org" not in text
    listing = hub.get("g_analyst", f"/dialogues/{room.id}/contributions").json()["items"]
    labels = {c["author"]["label"] for c in listing}
    assert labels == {"you", "a participant from a bank or financial institution",
                      "a participant from a CERT"}
    for c in listing:
        assert c["author"]["user_id"] is None and c["author"]["organisation"] is None
    # Even the convenor sees only kinds.
    convenor_view = hub.get("a_admin", f"/dialogues/{room.id}/contributions").json()["items"]
    assert {c["author"]["label"] for c in convenor_view} == {
        "a participant from a bank or financial institution",
        "a participant from law enforcement", "a participant from a CERT"}


def test_invitation_list_is_for_the_convening_organisation_only(room: Room) -> None:
    hub = room.hub
    assert hub.get("a_admin", f"/dialogues/{room.id}").json()["audience"] is not None
    seen = hub.get("b_analyst", f"/dialogues/{room.id}").json()
    assert seen["audience"] is None and seen["owner_org_id"] is None
    assert seen["convenor"]["label"] == "a participant from a CERT"


def test_search_finds_topics_and_contributions_with_attribution(room: Room) -> None:
    hub = room.hub
    _converse(room)
    items = hub.get("b_analyst", "/dialogues?q=fake job").json()["items"]
    assert [i["id"] for i in items] == [room.id]
    assert items[0]["matches"][0]["author"]["label"] == "you"
    seen = hub.get("g_analyst", "/dialogues?q=FAKE JOB").json()["items"][0]["matches"][0]
    assert seen["author"] == {"label": "a participant from a bank or financial institution",
                              "is_you": False, "org_kind": "financial", "user_id": None,
                              "organisation": None}
    assert hub.get("b_analyst", "/dialogues?q=instant payments").json()["items"][0][
        "matches"] == []
    # A masked address is not searchable.
    assert hub.get("b_analyst", "/dialogues?q=g_analyst@").json()["items"][0]["matches"] == []


def test_events_are_safe_for_everyone_who_sees_the_dialogue(room: Room) -> None:
    _converse(room)
    kinds = [e.kind for e in room.heard]
    assert kinds.count("dialogue.contribution") == 3 and "dialogue.reply" in kinds
    assert "mention" in kinds and "dialogue.opened" in kinds
    for e in room.heard:
        _no_identity(e.title + e.summary, room)
        assert "example.org" not in e.title + e.summary
        assert e.subject_id is not None and str(e.subject_id) == room.id
    hub = room.hub
    reply = next(e for e in room.heard if e.kind == "dialogue.reply")
    assert reply.recipients == {hub.users["b_analyst"].id}
    assert reply.title.startswith("A participant from law enforcement replied")
    contribution = next(e for e in room.heard if e.kind == "dialogue.contribution")
    assert contribution.watch_keys == {f"dialogue:{room.id}"}
    mentions = [e for e in room.heard if e.kind == "mention"]
    assert [m.recipients for m in mentions] == [{hub.users["b_analyst"].id},
                                                {hub.users["g_analyst"].id}]


def test_mentions_of_people_who_cannot_see_are_not_notified_and_the_author_is_told(
        room: Room) -> None:
    third = _converse(room)["third"]
    # Neither the outsider nor the unknown address is told apart.
    assert third["not_notified"] == ["d_analyst@example.org", "nobody@example.org"]
    mentioned = [e.recipients for e in room.heard if e.kind == "mention"]
    assert {room.hub.users["d_analyst"].id}.isdisjoint(set().union(*mentioned))


def test_the_audit_log_keeps_who_wrote_what(room: Room) -> None:
    from cyberhub.audit import AuditEntry

    c = room.post("b_analyst", "for the record").json()
    with room.hub.database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "dialogue.contribute")).one()
        assert str(entry.target_id) == c["id"]
        assert entry.actor_user_id == room.hub.users["b_analyst"].id


# ---------------------------------------------------------------- reactions and quotes


def test_reactions_toggle_one_per_kind_and_never_say_who(room: Room) -> None:
    hub = room.hub
    c = room.post("b_analyst", "React to me").json()
    path = f"/dialogues/{room.id}/contributions/{c['id']}/reactions"
    assert hub.post("g_analyst", path, {"kind": "+1"}).json() == {
        "reactions": {"+1": 1}, "my_reactions": ["+1"]}
    assert hub.post("a_analyst", path, {"kind": "+1"}).json()["reactions"] == {"+1": 2}
    assert hub.post("g_analyst", path, {"kind": "+1"}).json() == {
        "reactions": {"+1": 1}, "my_reactions": []}
    assert_error(hub.post("g_analyst", path, {"kind": "💩"}), 422)


def test_a_quote_must_come_from_the_same_dialogue(people: Hub, heard: list[Any]) -> None:
    one, two = make_room(people, heard), make_room(people, heard)
    c = one.post("b_analyst", "here").json()
    assert_error(two.post("b_analyst", "quoting across", quote_id=c["id"]), 422)


# ---------------------------------------------------------------- bad input


def test_oversized_post_is_refused_and_nothing_stored(room: Room) -> None:
    before = _count(room.hub, Contribution)
    err = assert_error(room.post("b_analyst", "x" * 20_001), 413)
    assert "20000" in err["message"] and err["details"]["field"] == "body"
    assert _count(room.hub, Contribution) == before


def test_script_and_html_are_sanitised(room: Room) -> None:
    c = room.post("b_analyst", '<script>alert(1)</script> <img src=x onerror=alert(1)> '
                               '[x](javascript:alert(1)) **ok**').json()
    html = c["body_html"]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert "<strong>ok</strong>" in html


def test_contributions_to_a_closed_dialogue_are_refused(room: Room) -> None:
    hub = room.hub
    c = room.post("b_analyst", "before closing").json()
    assert hub.post("a_admin", f"/dialogues/{room.id}/close", {"outcomes": "done"}
                    ).status_code == 200
    err = assert_error(room.post("b_analyst", "too late"), 409)
    # The status is named in the reader's language, not as the API's code.
    assert "status is “Closed”" in err["message"]
    assert_error(hub.post("g_analyst", f"/dialogues/{room.id}/contributions/{c['id']}/reactions",
                          {"kind": "+1"}), 409)
    assert_error(_upload(hub, "b_analyst", room.id, "late.txt", b"late"), 409)


def test_good_attachments_are_stored_and_served_safely(room: Room) -> None:
    hub = room.hub
    for name, data, kind in (("shot.png", PNG, "image/png"), ("doc.pdf", PDF, "application/pdf"),
                             ("list.csv", b"a,b\n1,2\n", "text/csv")):
        r = _upload(hub, "b_analyst", room.id, name, data, kind)
        assert r.status_code == 201, r.text
        a = r.json()
        assert a["media_type"] == kind and a["uploaded_by"]["label"] == "you"
        got = hub.get("g_analyst", f"/dialogues/{room.id}/attachments/{a['id']}")
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"


def test_dangerous_attachments_are_refused_with_clear_messages(room: Room, settings: Any) -> None:
    hub = room.hub
    cases = [("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "Executable"),
             ("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "Executable"),
             ("run.txt", b"#!/bin/sh\nrm -rf /\n", "Executable"),
             ("bundle.zip", b"PK\x03\x04" + b"\x00" * 60, "Archives"),
             ("data.csv", b"\x1f\x8b\x08\x00" + b"\x00" * 60, "Archives"),
             ("photo.png", PDF, "does not match its name"),
             ("photo.png", PNG, "does not match its declared type"),
             ("notes.docx", b"plain text", "Only PDF"),
             ("blob.txt", b"\x00\x01\x02binary", "not PDF, PNG")]
    for name, data, message in cases:
        ctype = "image/jpeg" if message.endswith("declared type") else "application/octet-stream"
        err = assert_error(_upload(hub, "b_analyst", room.id, name, data, ctype), 422,
                           "attachment_refused")
        assert message in err["message"], (name, err)
    assert _count(hub, Attachment) == 0
    folder = settings.var_dir / "dialogue-attachments"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_oversized_attachment_is_refused(room: Room) -> None:
    r = _upload(room.hub, "b_analyst", room.id, "big.txt", b"a" * (10 * 1024 * 1024 + 1))
    assert_error(r, 413)
    assert _count(room.hub, Attachment) == 0


def test_a_member_s_attachments_are_held_to_a_quota(room: Room, settings: Any) -> None:
    """ASVS 12.1.3: one member cannot fill the disk; others are not held by their quota."""
    hub = room.hub
    settings.attachment_quota_files, settings.attachment_quota_bytes = 2, 30
    assert _upload(hub, "b_analyst", room.id, "a.txt", b"x" * 10).status_code == 201
    err = assert_error(_upload(hub, "b_analyst", room.id, "b.txt", b"x" * 25), 413,
                       "quota_exceeded")
    assert "35 B of the 30 B one member may keep" in err["message"]
    assert _upload(hub, "b_analyst", room.id, "b.txt", b"x" * 20).status_code == 201
    err = assert_error(_upload(hub, "b_analyst", room.id, "c.txt", b"x"), 413,
                       "quota_exceeded")
    assert "already uploaded 2 files here" in err["message"]
    assert _count(hub, Attachment) == 2
    folder = settings.var_dir / "dialogue-attachments"
    assert len(list(folder.iterdir())) == 2  # the refused files were not kept
    assert _upload(hub, "g_analyst", room.id, "g.txt", b"x" * 10).status_code == 201
    settings.attachment_quota_files = settings.attachment_quota_bytes = 0  # no limit
    assert _upload(hub, "b_analyst", room.id, "d.txt", b"x" * 100).status_code == 201


def test_transcript_json_and_markdown_carry_the_same_attribution(room: Room) -> None:
    hub = room.hub
    _converse(room)
    md = hub.get("g_analyst", f"/dialogues/{room.id}/transcript?format=md")
    assert md.headers["content-disposition"].startswith("attachment;")
    assert "a participant from a bank or financial institution" in md.text
    assert "Chatham House Rule" in md.text
    data = json.loads(hub.get("g_analyst", f"/dialogues/{room.id}/transcript").text)
    assert len(data["contributions"]) == 3
    assert data["attachments"][0]["uploaded_by"]["label"] == "you"


def test_inbox_notifications_from_the_room_carry_no_identity(room: Room) -> None:
    """Through the notifications inbox (which consumes the events): a watcher, a mentioned
    participant and the replied-to author hear of it by kind only; the outsider nothing."""
    hub = room.hub
    assert hub.post("a_admin", "/watches", {"kind": "dialogue", "target": room.id}
                    ).status_code == 201
    _converse(room)
    for who in ("a_admin", "b_analyst", "g_analyst"):
        inbox = hub.get(who, "/notifications").text
        assert "Mule accounts in instant payments" in inbox, who
        for ident in room.identities():
            assert ident not in inbox, (who, ident)
        assert "example.org" not in inbox
    assert "Mule accounts" not in hub.get("d_analyst", "/notifications").text
    # An outsider cannot even watch it: the same 404 as a dialogue that does not exist.
    assert_error(hub.post("d_analyst", "/watches", {"kind": "dialogue", "target": room.id}),
                 404)


def test_a_watcher_who_is_replied_to_or_mentioned_gets_one_notice(room: Room) -> None:
    hub = room.hub
    for who in ("a_admin", "b_analyst", "g_analyst"):
        assert hub.post(who, "/watches", {"kind": "dialogue", "target": room.id}
                        ).status_code == 201
    first = room.post("b_analyst", "Mules are recruited with fake job offers.").json()
    assert hub.post("g_analyst", f"/dialogues/{room.id}/contributions/{first['id']}/replies",
                    {"body": "Same here, @a_admin@example.org"}).status_code == 201

    def kinds(who: str) -> list[str]:
        # Not the notices of one's own account (an admin's enrolment in 2FA).
        return sorted(n["kind"] for n in hub.get(who, "/notifications").json()["items"]
                      if n["kind"] != "account.security")

    assert kinds("b_analyst") == ["dialogue.reply"]
    assert kinds("a_admin") == ["dialogue.contribution", "mention"]
    assert kinds("g_analyst") == ["dialogue.contribution"]
