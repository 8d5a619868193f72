"""Web pages of dialogues: the index, convening, the room, htmx posts and reactions,
downloads — and the Chatham House Rule in the HTML."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from cyberhub.dialogue.models import Attachment, Dialogue
from tests.api.conftest import Hub
from tests.dialogue.conftest import Room

HX = {"HX-Request": "true"}


def _main(html: str) -> str:
    """The page's content, without the account area (which names the signed-in user)."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _converse(room: Room) -> dict[str, Any]:
    first = room.post("b_analyst", "Mules answer fake job offers.").json()
    reply = room.hub.post("g_analyst", f"/dialogues/{room.id}/contributions/{first['id']}/replies",
                          {"body": "Same here, thanks @b_analyst@example.org",
                           "quote_id": first["id"]}).json()
    return {"first": first, "reply": reply}


def test_index_lists_visible_dialogues_with_the_community_chips(room: Room) -> None:
    browser, _h = room.hub.browser("b_analyst")
    html = browser.get("/dialogues").text
    assert 'href="/insights"' in html and 'href="/lessons"' in html
    assert "Mule accounts in instant payments" in html and "Chatham House Rule" in html
    assert "Mule accounts" not in browser.get("/dialogues?status=closed").text
    assert "Mule accounts" in browser.get("/dialogues?status=open&q=mule").text
    outsider, _h = room.hub.browser("d_analyst")
    assert "Mule accounts" not in outsider.get("/dialogues").text


def test_convening_through_the_form(people: Hub) -> None:
    browser, headers = people.browser("a_analyst")
    assert browser.get("/dialogues/new").status_code == 200
    r = browser.post("/dialogues/new", headers=headers, follow_redirects=False, data={
        "topic": "Fraud call centres", "description": "- one\n- two",
        "starts_at": "2026-12-12T10:00", "ends_at": "2026-12-12T12:00",
        "rule": "chatham_house", "tlp": "AMBER", "org_ids": [str(people.beta.id)]})
    assert r.status_code == 303, r.text
    page = browser.get(r.headers["location"]).text
    assert "Fraud call centres" in page and "Open the dialogue" in page
    with people.database.transaction() as s:
        d = s.scalars(select(Dialogue)).one()
        assert d.chatham_house and d.starts_at is not None and d.starts_at.hour == 10
    bad = browser.post("/dialogues/new", headers=headers, data={
        "topic": "Backwards", "starts_at": "2026-12-12T10:00", "ends_at": "2026-12-12T09:00"})
    assert bad.status_code == 422 and "cannot end before it starts" in bad.text


def test_the_room_never_names_a_contributor_under_the_rule(room: Room) -> None:
    _converse(room)
    for who in ("a_admin", "a_analyst", "b_analyst", "g_analyst"):
        browser, _h = room.hub.browser(who)
        html = _main(browser.get(f"/dialogues/{room.id}").text)
        assert "held under the Chatham House Rule" in html
        for ident in room.identities():
            assert ident not in html, (who, ident)
        assert "@participant" in html and "b_analyst@example.org" not in html
        md = browser.get(f"/dialogues/{room.id}/transcript?format=md")
        assert md.headers["content-disposition"].startswith("attachment")
        for ident in room.identities():
            assert ident not in md.text
    browser, _h = room.hub.browser("g_analyst")
    html = browser.get(f"/dialogues/{room.id}").text
    assert "a participant from a bank or financial institution" in html
    assert re.search(r'class="author is-you">you<', html)


def test_htmx_post_returns_the_contribution_and_who_was_not_told(room: Room) -> None:
    browser, headers = room.hub.browser("b_analyst")
    r = browser.post(f"/dialogues/{room.id}/contributions", headers={**headers, **HX},
                     data={"body": "Ping @d_analyst@example.org and @g_analyst@example.org"})
    assert r.status_code == 200, r.text
    assert 'class="contribution"' in r.text and 'hx-swap-oob="true"' in r.text
    assert "d_analyst@example.org" in r.text.split('id="post-notice"')[1]
    assert "g_analyst@example.org" not in r.text.split('id="post-notice"')[1]
    # Without htmx the page itself says so (no URL carries the text).
    plain = browser.post(f"/dialogues/{room.id}/contributions", headers=headers,
                         data={"body": "Again @nobody@example.org"}, follow_redirects=False)
    assert plain.status_code == 200 and "nobody@example.org" in plain.text
    ok = browser.post(f"/dialogues/{room.id}/contributions", headers=headers,
                      data={"body": "No mentions"}, follow_redirects=False)
    assert ok.status_code == 303


def test_htmx_errors_and_reactions(room: Room) -> None:
    browser, headers = room.hub.browser("b_analyst")
    big = browser.post(f"/dialogues/{room.id}/contributions", headers={**headers, **HX},
                       data={"body": "x" * 20_001})
    assert big.status_code == 413 and "at most 20000" in big.text
    c = room.post("g_analyst", "react to this").json()
    r = browser.post(f"/dialogues/{room.id}/contributions/{c['id']}/reactions",
                     headers={**headers, **HX}, data={"kind": "insightful"})
    assert r.status_code == 200 and 'aria-pressed="true"' in r.text


def test_outsiders_get_404_everywhere(room: Room) -> None:
    a = room.hub.client.post(f"/api/v1/dialogues/{room.id}/attachments",
                             headers=room.hub.as_("b_analyst"),
                             files={"file": ("a.txt", b"hello", "text/plain")}).json()
    browser, headers = room.hub.browser("d_analyst")
    for path in (f"/dialogues/{room.id}", f"/dialogues/{room.id}/transcript?format=json",
                 f"/dialogues/{room.id}/attachments/{a['id']}"):
        assert browser.get(path).status_code == 404
    assert browser.post(f"/dialogues/{room.id}/contributions", headers=headers,
                        data={"body": "hi"}).status_code == 404


def test_page_attachment_refusal_stores_nothing(room: Room) -> None:
    browser, headers = room.hub.browser("b_analyst")
    r = browser.post(f"/dialogues/{room.id}/attachments", headers=headers,
                     files={"file": ("evil.zip", b"PK\x03\x04" + b"\x00" * 40,
                                     "application/zip")})
    assert r.status_code == 422 and "Archives" in r.text
    ok = browser.post(f"/dialogues/{room.id}/attachments", headers=headers,
                      files={"file": ("fine.txt", b"fine", "text/plain")},
                      follow_redirects=False)
    assert ok.status_code == 303
    with room.hub.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 1
    got = browser.get(ok.headers["location"].split("#")[0])
    assert "fine.txt" in got.text


def test_convenor_opens_and_closes_with_outcomes(people: Hub) -> None:
    browser, headers = people.browser("a_admin")
    d = people.post("a_analyst", "/dialogues", {"topic": "To close"}).json()
    assert browser.post(f"/dialogues/{d['id']}/open", headers=headers,
                        follow_redirects=False).status_code == 303
    r = browser.post(f"/dialogues/{d['id']}/close", headers=headers,
                     data={"outcomes": "Agreed: *share more*"}, follow_redirects=False)
    assert r.status_code == 303
    html = browser.get(f"/dialogues/{d['id']}").text
    assert "<em>share more</em>" in html and "no more contributions" in html
    assert f'href="/insights/new?source=dialogue:{d["id"]}"' in html
