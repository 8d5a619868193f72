"""REST: the inbox is filled by the event bus, gated by visibility; watches; settings."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Hub, assert_error
from tests.factories import new_uuid
from tests.notifications.conftest import import_objects, publish, sdo


def _inbox(hub: Hub, who: str, **params: Any) -> dict[str, Any]:
    r = hub.get(who, "/notifications", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _titles(hub: Hub, who: str) -> list[str]:
    """What the inbox says of the hub's records (not the notices of one's own account,
    such as the admins' enrolment in two-factor sign-in)."""
    return [n["title"] for n in _inbox(hub, who)["items"] if n["kind"] != "account.security"]


def _watch(hub: Hub, who: str, kind: str, target: str) -> Any:
    return hub.post(who, "/watches", {"kind": kind, "target": target})


def test_watchers_hear_only_of_what_they_may_see(hub: Hub) -> None:
    c, u = hub.community, hub.users
    for who in ("a_analyst", "a_reader", "b_analyst"):
        assert _watch(hub, who, "sector", "Finance").status_code == 201
    green = c.note(u["a_admin"], tlp="GREEN")
    amber = c.note(u["a_admin"], tlp="AMBER+STRICT", orgs=[hub.alpha])
    red = c.note(u["a_admin"], tlp="RED", users=[u["a_reader"]])
    key = hub.get("a_analyst", "/watches").json()[0]["key"]
    assert key.startswith("sector:")
    for note, title in ((green, "green news"), (amber, "amber news"), (red, "red news")):
        publish(hub.database, subject=note, title=title, watch_keys={key},
                actor=u["a_admin"].id)
    assert sorted(_titles(hub, "a_analyst")) == ["amber news", "green news"]
    assert sorted(_titles(hub, "a_reader")) == ["amber news", "green news", "red news"]
    assert _titles(hub, "b_analyst") == ["green news"]
    # The actor is never told of their own act; non-watchers hear nothing.
    assert _titles(hub, "a_admin") == [] and _titles(hub, "b_admin") == []


def test_named_recipients_are_checked_too(hub: Hub) -> None:
    u = hub.users
    red = hub.community.note(u["a_admin"], tlp="RED")
    publish(hub.database, kind="mention", subject=red, title="You were mentioned",
            recipients={u["b_analyst"].id, u["a_analyst"].id})
    assert _titles(hub, "b_analyst") == [] and _titles(hub, "a_analyst") == []
    # Without a subject the publisher checked its named recipients: they hear of it, and
    # watchers never do.
    assert _watch(hub, "a_reader", "sector", "Finance").status_code == 201
    publish(hub.database, kind="mention", title="Mentioned in your organisation",
            recipients={u["a_analyst"].id}, watch_keys={"sector:finance", "sector:Finance"})
    assert _titles(hub, "a_analyst") == ["Mentioned in your organisation"]
    assert _titles(hub, "a_reader") == []


def test_nothing_but_the_events_own_words(hub: Hub) -> None:
    u = hub.users
    note = hub.community.note(u["a_admin"], tlp="GREEN", title="Secret title of the note")
    publish(hub.database, kind="comment.new", subject=note, title="A new comment",
            summary="A participant from a CERT commented.", url=f"/notes/{note.id}",
            recipients={u["b_analyst"].id}, actor=u["a_admin"].id)
    [n] = _inbox(hub, "b_analyst")["items"]
    assert set(n) == {"id", "kind", "title", "summary", "url", "created_at", "read_at", "unread"}
    assert (n["kind"], n["title"], n["summary"], n["url"]) == (
        "comment.new", "A new comment", "A participant from a CERT commented.",
        f"/notes/{note.id}")
    text = str(n)
    for leak in ("Secret title", "a_admin", "Alpha CERT"):
        assert leak not in text


def test_a_subject_gone_out_of_sight_leaves_the_inbox(hub: Hub) -> None:
    u = hub.users
    note = hub.community.note(u["a_analyst"], tlp="GREEN")
    publish(hub.database, subject=note, recipients={u["b_analyst"].id})
    [n] = _inbox(hub, "b_analyst")["items"]
    r = hub.patch("a_analyst", f"/notes/{note.id}", {"tlp": "RED"})
    assert r.status_code == 200, r.text
    assert _inbox(hub, "b_analyst")["items"] == []
    assert_error(hub.post("b_analyst", f"/notifications/{n['id']}/read"), 404)


def test_read_one_read_all_unread_first_and_pages(hub: Hub) -> None:
    u = hub.users
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    for i in range(5):
        publish(hub.database, subject=note, title=f"n{i}", recipients={u["b_analyst"].id})
    inbox = _inbox(hub, "b_analyst")
    assert inbox["unread"] == 5 and [n["title"] for n in inbox["items"]] == [
        "n4", "n3", "n2", "n1", "n0"]
    oldest = inbox["items"][-1]["id"]
    r = hub.post("b_analyst", f"/notifications/{inbox['items'][0]['id']}/read")
    assert r.status_code == 200 and r.json()["unread"] is False
    assert hub.get("b_analyst", "/notifications/unread-count").json() == {"unread": 4}
    # Unread first: the one just read goes to the end.
    assert _titles(hub, "b_analyst") == ["n3", "n2", "n1", "n0", "n4"]
    first = _inbox(hub, "b_analyst", limit=2)
    assert [n["title"] for n in first["items"]] == ["n3", "n2"] and first["next_offset"] == 2
    last = _inbox(hub, "b_analyst", limit=2, offset=4)
    assert [n["title"] for n in last["items"]] == ["n4"] and last["next_offset"] is None
    assert [n["title"] for n in _inbox(hub, "b_analyst", unread=True)["items"]] == [
        "n3", "n2", "n1", "n0"]
    # Someone else's notification is not there at all.
    assert_error(hub.post("a_analyst", f"/notifications/{oldest}/read"), 404)
    assert_error(hub.post("b_analyst", f"/notifications/{new_uuid()}/read"), 404)
    assert_error(hub.post("b_analyst", "/notifications/nonsense/read"), 404)
    r = hub.post("b_analyst", "/notifications/read-all")
    assert r.status_code == 200 and r.json() == {"marked": 4}
    assert _inbox(hub, "b_analyst")["unread"] == 0
    # A read token reads, never marks.
    assert_error(hub.post("b_analyst:read", "/notifications/read-all"), 403)
    assert_error(hub.client.get("/api/v1/notifications"), 401)


def test_watches_need_sight_of_the_target(hub: Hub) -> None:
    actor = sdo("intrusion-set", "Grey Heron")
    import_objects(hub, "a_analyst", [actor], tlp="AMBER+STRICT", audience=[str(hub.alpha.id)])
    ok = _watch(hub, "a_reader", "actor", actor["id"])
    assert ok.status_code == 201, ok.text
    assert ok.json()["key"] == f"actor:{actor['id']}"
    assert _watch(hub, "a_reader", "stix", actor["id"]).status_code == 201
    # Again: the same watch, not a second one.
    assert _watch(hub, "a_reader", "actor", actor["id"]).json()["id"] == ok.json()["id"]
    for kind, target in (("actor", actor["id"]), ("stix", actor["id"]),
                         ("stix", "indicator--" + new_uuid()), ("nonsense", "x"),
                         ("sector", "Not a sector at all"), ("stix", "")):
        assert_error(_watch(hub, "b_analyst", kind, target), 404)
    # An intrusion set is not a ransomware family.
    assert_error(_watch(hub, "a_reader", "family", actor["id"]), 404)
    watches = hub.get("a_reader", "/watches").json()
    assert sorted(w["kind"] for w in watches) == ["actor", "stix"]
    assert hub.delete("b_analyst", f"/watches/{watches[0]['id']}").status_code == 404
    assert hub.delete("a_reader", f"/watches/{watches[0]['id']}").status_code == 204
    assert len(hub.get("a_reader", "/watches").json()) == 1


def test_settings_mute_and_validate(hub: Hub) -> None:
    u = hub.users
    r = hub.get("b_analyst", "/notifications/settings")
    assert r.status_code == 200
    assert r.json()["email_mode"] == "immediate" and r.json()["in_app"] is True
    assert "mention" in r.json()["event_kinds"] and r.json()["email_available"] is False
    r = hub.patch("b_analyst", "/notifications/settings",
                  {"email_mode": "digest", "muted_kinds": ["comment.new"],
                   "webhook_enabled": False})
    assert r.status_code == 200, r.text
    assert (r.json()["email_mode"], r.json()["muted_kinds"], r.json()["webhook_enabled"]) == (
        "digest", ["comment.new"], False)
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    publish(hub.database, kind="comment.new", subject=note, title="muted",
            recipients={u["b_analyst"].id})
    publish(hub.database, kind="comment.reply", subject=note, title="heard",
            recipients={u["b_analyst"].id})
    assert _titles(hub, "b_analyst") == ["heard"]
    assert_error(hub.patch("b_analyst", "/notifications/settings", {"email_mode": "hourly"}),
                 422)
    assert_error(hub.patch("b_analyst", "/notifications/settings",
                           {"muted_kinds": ["no.such.kind"]}), 422)
    assert hub.get("b_analyst", "/notifications/settings").json()["email_mode"] == "digest"
