"""REST: notes under the sharing rules — CRUD, cursors, the TLP filter, 404 for the unseen."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from cyberhub.audit import AuditEntry
from tests.api.conftest import Hub, assert_error
from tests.factories import new_uuid


def _note(hub: Hub, who: str = "a_analyst", **fields: Any) -> dict[str, Any]:
    body = {"title": "A note", "body": "text", "tlp": "GREEN"} | fields
    r = hub.post(who, "/notes", body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_create_read_update_delete(hub: Hub) -> None:
    note = _note(hub, title="Phishing wave", body="**bold** and a [link](https://x.example)",
                 tlp="tlp:amber", pap="PAP:GREEN",
                 audience={"org_ids": [str(hub.beta.id)]})
    assert note["tlp"] == "AMBER" and note["pap"] == "GREEN"
    assert note["owner_org_id"] == str(hub.alpha.id)
    assert note["created_by_id"] == str(hub.users["a_analyst"].id)
    assert note["audience"] == {"org_ids": [str(hub.beta.id)], "group_ids": [], "user_ids": []}
    assert "<strong>bold</strong>" in note["body_html"]
    assert 'rel="noopener noreferrer nofollow"' in note["body_html"]
    assert hub.get("b_analyst", f"/notes/{note['id']}").json()["title"] == "Phishing wave"

    r = hub.patch("a_analyst", f"/notes/{note['id']}", {"title": "Phishing wave (update)",
                                                        "tlp": "RED",
                                                        "audience": {"user_ids": []}})
    assert r.status_code == 200, r.text
    assert r.json()["tlp"] == "RED" and r.json()["audience"]["org_ids"] == []
    # Now only the author sees it; not even the author's org admin.
    assert_error(hub.get("b_analyst", f"/notes/{note['id']}"), 404)
    assert_error(hub.get("a_admin", f"/notes/{note['id']}"), 404)
    assert hub.delete("a_analyst", f"/notes/{note['id']}").status_code == 204
    assert_error(hub.get("a_analyst", f"/notes/{note['id']}"), 404)
    assert_error(hub.delete("a_analyst", f"/notes/{note['id']}"), 404)


def test_invisible_is_indistinguishable_from_missing(hub: Hub) -> None:
    secret = _note(hub, tlp="AMBER+STRICT", audience={"org_ids": [str(hub.alpha.id)]})
    red = _note(hub, tlp="RED", audience={"user_ids": [str(hub.users["a_reader"].id)]})
    before = hub.state()
    bodies = []
    for who in ("b_analyst", "b_admin", "admin"):
        for path in (f"/notes/{secret['id']}", f"/notes/{red['id']}", f"/notes/{new_uuid()}",
                     "/notes/not-a-uuid"):
            for method in ("get", "patch", "delete"):
                kw = {"json": {"title": "mine now"}} if method == "patch" else {}
                r = getattr(hub, method)(who, path, **kw)
                bodies.append(assert_error(r, 404, "not_found"))
    assert all(b == bodies[0] for b in bodies)
    assert hub.state() == before
    # The named reader sees the RED note; the owner org's admin does not.
    assert hub.get("a_reader", f"/notes/{red['id']}").status_code == 200
    assert_error(hub.get("a_admin", f"/notes/{red['id']}"), 404)


def test_who_may_edit(hub: Hub) -> None:
    note = _note(hub, tlp="AMBER", audience={"org_ids": [str(hub.beta.id)]})
    before = hub.state()
    # Seen but not theirs: 403 (it is no secret that it exists).
    for who in ("b_analyst", "b_admin", "a_reader"):
        assert_error(hub.patch(who, f"/notes/{note['id']}", {"title": "x"}), 403)
        assert_error(hub.delete(who, f"/notes/{note['id']}"), 403)
    assert_error(hub.post("a_reader", "/notes", {"title": "x", "tlp": "GREEN"}), 403)
    assert hub.state() == before
    # The owning org's admin may change it.
    r = hub.patch("a_admin", f"/notes/{note['id']}", {"body": "edited by the admin"})
    assert r.status_code == 200 and r.json()["body_markdown"] == "edited by the admin"


def test_hub_admin_reads_amber_but_not_strict_or_red(hub: Hub) -> None:
    amber = _note(hub, tlp="AMBER", audience={"org_ids": [str(hub.beta.id)]})
    strict = _note(hub, tlp="AMBER+STRICT", audience={"org_ids": [str(hub.beta.id)]})
    red = _note(hub, tlp="RED", audience={"user_ids": [str(hub.users["b_analyst"].id)]})
    assert hub.get("admin", f"/notes/{amber['id']}").status_code == 200
    assert_error(hub.get("admin", f"/notes/{strict['id']}"), 404)
    assert_error(hub.get("admin", f"/notes/{red['id']}"), 404)
    listed = {n["id"] for n in hub.get("admin", "/notes").json()["items"]}
    assert listed == {amber["id"]}
    assert {n["id"] for n in hub.get("b_analyst", "/notes").json()["items"]} == {
        amber["id"], strict["id"], red["id"]}


def test_sensitive_reads_are_audited(hub: Hub) -> None:
    red = _note(hub, tlp="RED", audience={"user_ids": [str(hub.users["b_analyst"].id)]})

    def reads() -> int:
        with hub.database.transaction() as s:
            return s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action.in_(["record.read", "record.list"]),
                AuditEntry.actor_user_id == hub.users["b_analyst"].id)) or 0

    assert reads() == 0
    hub.get("b_analyst", f"/notes/{red['id']}")
    assert reads() == 1
    hub.get("b_analyst", "/notes")
    assert reads() == 2


def test_cursor_pagination_is_complete_and_newest_first(hub: Hub) -> None:
    made = [_note(hub, title=f"n{i}", tlp=("GREEN", "AMBER", "CLEAR")[i % 3])["id"]
            for i in range(8)]
    hidden = _note(hub, who="b_analyst", tlp="AMBER+STRICT",
                   audience={"org_ids": [str(hub.beta.id)]})["id"]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = hub.get("a_reader", "/notes", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))
    assert hidden not in seen


def test_tlp_filter(hub: Hub) -> None:
    green = _note(hub, tlp="GREEN")["id"]
    clear = _note(hub, tlp="CLEAR")["id"]
    amber = _note(hub, tlp="AMBER")["id"]
    r = hub.get("a_reader", "/notes", params={"tlp": ["GREEN", "tlp:clear"]})
    assert {n["id"] for n in r.json()["items"]} == {green, clear}
    r = hub.get("a_reader", "/notes", params={"tlp": "AMBER"})
    assert [n["id"] for n in r.json()["items"]] == [amber]
    assert_error(hub.get("a_reader", "/notes", params={"tlp": "PURPLE"}), 422, "invalid_input")


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


BAD_LIST_PARAMETERS: list[dict[str, Any]] = [
    {"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"cursor": "not-a-cursor"},
    {"cursor": "x" * 501}, {"cursor": "%%%"}, {"cursor": _cursor([1, 2])},
    {"cursor": _cursor({"a": 1})}, {"cursor": _cursor(None)},
    {"cursor": _cursor(["2020-01-01T00:00:00+00:00", "not-a-uuid"])},
    # Hand-made, without a time zone: refused, not a server error.
    {"cursor": _cursor(["2020-01-01T00:00:00", new_uuid()])},
]


@pytest.mark.parametrize("path", ["/notes", "/organisations", "/users", "/groups"])
def test_bad_list_parameters(hub: Hub, path: str) -> None:
    _note(hub)
    assert hub.post("admin", "/groups", {"name": "WG"}).status_code == 201
    for params in BAD_LIST_PARAMETERS:
        assert_error(hub.get("a_reader", path, params=params), 422, "invalid_input")
    # Any aware time is a fine place to start from.
    r = hub.get("a_reader", path, params={"cursor": _cursor(["2999-01-01T05:00:00+05:00",
                                                             new_uuid()])})
    assert r.status_code == 200 and r.json()["items"], r.text


BAD_NOTES: list[dict[str, Any]] = [
    {"title": "x", "tlp": "GREEN", "audience": {"org_ids": ["{alpha}"]}},
    {"title": "x", "tlp": "AMBER+STRICT", "audience": {"user_ids": ["{reader}"]}},
    {"title": "x", "tlp": "RED", "audience": {"org_ids": ["{alpha}"]}},
    {"title": "x", "tlp": "AMBER", "audience": {"org_ids": ["{missing}"]}},
    {"title": "x", "tlp": "AMBER", "audience": {"group_ids": ["{missing}"]}},
    {"title": "x", "tlp": "RED", "audience": {"user_ids": ["{missing}"]}},
    {"title": "x", "tlp": "AMBER", "audience": {"org_ids": ["not-a-uuid"]}},
    {"title": "x", "tlp": "AMBER", "audience": {"teams": []}},
    {"title": "x", "tlp": "WHITE"},
    {"title": "x", "tlp": "GREEN", "pap": "PURPLE"},
    {"title": "", "tlp": "GREEN"},
    {"title": "   ", "tlp": "GREEN"},
    {"title": "x" * 201, "tlp": "GREEN"},
    {"title": "tab\tin title", "tlp": "GREEN"},
    {"title": "x", "tlp": "GREEN", "body": "b" * 100_001},
    {"title": "x"},
    {"tlp": "GREEN"},
    {"title": "x", "tlp": "GREEN", "owner_org_id": "{alpha}"},
    {"title": 5, "tlp": "GREEN"},
    {"title": ["x"], "tlp": "GREEN"},
]


def test_bad_notes_are_refused_and_change_nothing(hub: Hub) -> None:
    import json

    before = hub.state()
    for body in BAD_NOTES:
        text = json.dumps(body).replace("{alpha}", str(hub.alpha.id)).replace(
            "{reader}", str(hub.users["a_reader"].id)).replace("{missing}", new_uuid())
        r = hub.client.post("/api/v1/notes", content=text, headers={
            **hub.as_("a_analyst"), "content-type": "application/json"})
        assert_error(r, 422, "invalid_input")
        assert hub.state() == before, body


def test_bad_update_changes_nothing(hub: Hub) -> None:
    note = _note(hub, tlp="AMBER", audience={"org_ids": [str(hub.beta.id)]})
    before = hub.state()
    for patch in ({"tlp": "GREEN"},  # the audience would no longer fit
                  {"tlp": "RED"},  # organisations cannot receive RED
                  {"title": "ok", "tlp": "NOPE"},
                  {"title": "fine", "audience": {"org_ids": [new_uuid()]}},
                  {"id": new_uuid()}):
        assert_error(hub.patch("a_analyst", f"/notes/{note['id']}", patch), 422)
    assert hub.state() == before
    assert hub.get("b_analyst", f"/notes/{note['id']}").json()["title"] == "A note"


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_markup_and_sql_are_stored_literally_and_rendered_safely(hub: Hub) -> None:
    title = "<script>alert('x')</script> '; DROP TABLE notes; --"
    body = ("<img src=x onerror=alert(1)> [click](javascript:alert(1)) "
            "<a href='https://evil.example'>raw</a>\n\n"
            "Robert'); DROP TABLE notes;--")
    note = _note(hub, title=title, body=body)
    got = hub.get("b_analyst", f"/notes/{note['id']}").json()
    assert got["title"] == title
    assert got["body_markdown"] == body
    tags = _tags(got["body_html"])
    assert {t for t, _a in tags} <= {"p", "a", "strong", "em"}, tags
    for _tag, attrs in tags:
        assert not any(name.startswith("on") for name, _v in attrs), attrs
        assert all((v or "").startswith(("http:", "https:", "mailto:"))
                   for name, v in attrs if name == "href"), attrs
    assert "&lt;img src=x onerror=alert(1)&gt;" in got["body_html"], "shown as text"
    # Nothing else happened: the table is there with exactly this note.
    assert [n["id"] for n in hub.get("b_analyst", "/notes").json()["items"]] == [note["id"]]
