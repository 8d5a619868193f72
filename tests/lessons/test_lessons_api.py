"""REST: the lessons library — CRUD, tags, search and its visibility, source links."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Hub, assert_error
from tests.factories import new_uuid


def _lesson(hub: Hub, who: str = "a_analyst", **fields: Any) -> dict[str, Any]:
    body = {"title": "Mule accounts close faster with a named contact",
            "what_happened": "Banks waited days for a **freeze** order.",
            "what_worked": "A named contact at each bank.",
            "what_to_change": "Agree the contacts before the operation.",
            "tags": ["Money Mules", "banking"]} | fields
    r = hub.post(who, "/lessons", body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_create_read_update_delete(hub: Hub) -> None:
    lesson = _lesson(hub)
    assert lesson["tlp"] == "GREEN" and lesson["tags"] == ["banking", "money-mules"]
    assert "<strong>freeze</strong>" in lesson["what_happened_html"]
    assert hub.get("b_analyst", f"/lessons/{lesson['id']}").json()["title"].startswith("Mule")
    r = hub.patch("a_analyst", f"/lessons/{lesson['id']}",
                  {"tags": ["takedown"], "what_worked": "Calling *early*."})
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["takedown"] and "<em>early</em>" in r.json()["what_worked_html"]
    assert_error(hub.patch("b_analyst", f"/lessons/{lesson['id']}", {"title": "x"}), 403)
    assert hub.delete("a_analyst", f"/lessons/{lesson['id']}").status_code == 204
    assert_error(hub.get("a_analyst", f"/lessons/{lesson['id']}"), 404)
    assert hub.get("a_analyst", "/lessons?q=mule").json()["items"] == []


def test_invisible_lesson_is_404_everywhere(hub: Hub) -> None:
    secret = _lesson(hub, tlp="AMBER+STRICT", audience={"org_ids": [str(hub.alpha.id)]},
                     title="Secret lesson about ransomware negotiation", tags=["secret"])
    before = hub.state()
    bodies = []
    for who in ("b_analyst", "b_admin", "admin"):
        for path in (f"/lessons/{secret['id']}", f"/lessons/{new_uuid()}", "/lessons/x"):
            for method, kw in (("get", {}), ("patch", {"json": {"title": "x"}}),
                               ("delete", {})):
                bodies.append(assert_error(getattr(hub, method)(who, path, **kw), 404))
        for query in ("", "?q=secret", "?q=negotiation", "?tag=secret"):
            assert hub.get(who, "/lessons" + query).json()["items"] == []
        assert hub.get(who, "/lessons/tags").json() == []
    assert len({str(b) for b in bodies}) == 1
    assert hub.state() == before
    assert [x["id"] for x in hub.get("a_reader", "/lessons?q=negotiat").json()["items"]] == \
        [secret["id"]]


def test_search_words_and_tags(hub: Hub) -> None:
    mules = _lesson(hub)
    phish = _lesson(hub, title="Phishing kits reuse their panels",
                    what_happened="The same panel.php on 40 domains", what_worked="",
                    what_to_change="Pivot on the panel hash", tags=["phishing", "banking"])
    ids = lambda r: sorted(x["id"] for x in r.json()["items"])  # noqa: E731
    assert ids(hub.get("b_analyst", "/lessons?q=panel")) == [phish["id"]]
    assert ids(hub.get("b_analyst", "/lessons?q=PANEL+pivot")) == [phish["id"]]
    assert ids(hub.get("b_analyst", "/lessons?q=pan")) == [phish["id"]]
    assert ids(hub.get("b_analyst", "/lessons?q=freeze")) == [mules["id"]]
    assert ids(hub.get("b_analyst", "/lessons?tag=banking")) == sorted([mules["id"],
                                                                        phish["id"]])
    assert ids(hub.get("b_analyst", "/lessons?tag=banking&tag=phishing")) == [phish["id"]]
    assert ids(hub.get("b_analyst", "/lessons?tag=Money Mules")) == [mules["id"]]
    assert ids(hub.get("b_analyst", "/lessons?q=panel&tag=money-mules")) == []
    # Search syntax in the query is never interpreted.
    for q in ('"', "panel OR freeze", "NEAR(a b)", "*", "a:b", "-x", "'", "(", "::"):
        assert hub.get("b_analyst", "/lessons", params={"q": q}).status_code == 200
    cloud = hub.get("b_analyst", "/lessons/tags").json()
    assert cloud[0] == {"tag": "banking", "count": 2}
    # A changed lesson is found by its new words, not its old ones.
    hub.patch("a_analyst", f"/lessons/{phish['id']}", {"what_happened": "Kits on bulletproof "
                                                                        "hosting"})
    assert ids(hub.get("b_analyst", "/lessons?q=bulletproof")) == [phish["id"]]
    assert ids(hub.get("b_analyst", "/lessons?q=panel")) == [phish["id"]]  # title, to change
    assert ids(hub.get("b_analyst", "/lessons?q=domains")) == []


def test_paginated(hub: Hub) -> None:
    made = [_lesson(hub, title=f"Lesson {i}", tags=["paging"])["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"tag": "paging", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = hub.get("b_analyst", "/lessons", params=params).json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))


def test_tag_validation(hub: Hub) -> None:
    before = hub.state()
    cases = [(["x" * 41], "longer than 40"), ([f"t{i}" for i in range(21)], "at most 20"),
             (["bad<tag>"], "letters, digits"), (["semi;colon"], "letters, digits")]
    for tags, words in cases:
        err = assert_error(hub.post("a_analyst", "/lessons", {"title": "t", "tags": tags}), 422)
        assert words in err["message"] and err["details"]["field"] == "tags"
    assert_error(hub.post("a_analyst", "/lessons", {"title": "t", "tags": ["a"] * 101}), 422)
    assert hub.state() == before
    lesson = _lesson(hub, tags=["  Ransomware  ", "ransomware", "Initial Access", ""])
    assert lesson["tags"] == ["initial-access", "ransomware"]
    after = hub.state()
    err = assert_error(hub.patch("a_analyst", f"/lessons/{lesson['id']}",
                                 {"tags": ["ok", "x" * 41], "title": "changed"}), 422)
    assert err["details"]["field"] == "tags"
    assert hub.state() == after  # nothing half-written


def test_markdown_sanitised_and_oversized_refused(hub: Hub) -> None:
    lesson = _lesson(hub, what_happened="<script>alert(1)</script>",
                     what_worked='<a href="javascript:x">y</a> [z](javascript:alert(1))',
                     what_to_change="<img src=x onerror=alert(1)>")
    for key in ("what_happened_html", "what_worked_html", "what_to_change_html"):
        assert "<script" not in lesson[key] and "<img" not in lesson[key]
        assert '<a href="javascript' not in lesson[key]
    before = hub.state()
    for field in ("what_happened", "what_worked", "what_to_change"):
        assert_error(hub.post("a_analyst", "/lessons", {"title": "t", field: "x" * 100_001}),
                     422)
    assert_error(hub.post("a_analyst", "/lessons", {"title": "t" * 201}), 422)
    assert_error(hub.post("a_analyst", "/lessons", {"title": "t", "source_type": "meeting"}),
                 422)
    assert_error(hub.post("a_reader", "/lessons", {"title": "t"}), 403)
    assert_error(hub.get("a_analyst", "/lessons", params={"q": "x" * 501}), 422)
    assert hub.state() == before


def test_source_link_only_for_those_who_see_the_source(hub: Hub) -> None:
    meeting = hub.post("a_analyst", "/meetings", {
        "title": "Debrief", "starts_at": "2026-11-30T10:00:00Z", "tlp": "AMBER",
        "audience": {"org_ids": [str(hub.alpha.id)]}}).json()
    lesson = _lesson(hub, source_type="meeting", source_id=meeting["id"])
    seen = hub.get("a_reader", f"/lessons/{lesson['id']}").json()["source"]
    assert seen == {"type": "meeting", "id": meeting["id"], "url": f"/meetings/{meeting['id']}"}
    unseen = hub.get("b_analyst", f"/lessons/{lesson['id']}").json()["source"]
    assert unseen["url"] is None
