"""Meetings, action items and lessons in the browser (without JavaScript): forms, the
toggle, "My action items", search, and 404 for what may not be seen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.factories import Community
from tests.web.helpers import alert, login, post


def _id(response, kind: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return re.match(rf"/{kind}/([0-9a-f-]+)", response.headers["location"]).group(1)  # type: ignore[union-attr]


def _meeting(client: TestClient, **data: object) -> str:
    form = {"title": "Mule coordination", "starts_at": "2026-12-10T14:00", "tlp": "AMBER",
            "agenda": "1. **News**\n2. <script>alert(1)</script>"} | data
    return _id(post(client, "/meetings/new", form, token_from="/meetings/new"), "meetings")


def test_meeting_journey_without_javascript(client: TestClient, community: Community) -> None:
    police, bank = community.org("Police A"), community.org("Bank B")
    author, banker = community.user(police), community.user(bank)
    stranger = community.user(community.org("Stranger C"))
    login(client, author.email)
    mid = _meeting(client, attendee_ids=[str(author.id), str(banker.id)])
    html = client.get(f"/meetings/{mid}").text
    assert "<strong>News</strong>" in html and "<script>alert" not in html
    assert "Police A" in html and "Bank B" in html  # the default audience
    # The owner picker offers those who can see the meeting, never the stranger.
    assert str(banker.id) in html and str(stranger.id) not in html

    r = post(client, f"/meetings/{mid}/decisions", {"text": "Freeze first, ask later"},
             token_from=f"/meetings/{mid}")
    assert r.status_code == 303
    r = post(client, f"/meetings/{mid}/action-items",
             {"text": "Call the banks", "owner_id": str(banker.id), "due": "2026-12-01"},
             token_from=f"/meetings/{mid}")
    assert r.status_code == 303
    r = post(client, f"/meetings/{mid}/action-items",
             {"text": "Tell the stranger", "owner_id": str(stranger.id), "due": "2026-12-01"},
             token_from=f"/meetings/{mid}")
    assert r.status_code == 422
    assert "cannot see this meeting" in alert(r.text)
    html = client.get(f"/meetings/{mid}").text
    assert "Freeze first, ask later" in html and "Call the banks" in html
    assert "Tell the stranger" not in html and "is-overdue" in html

    listing = client.get("/meetings").text
    assert f'href="/meetings/{mid}"' in listing and 'href="/lessons"' in listing

    client.cookies.clear()
    login(client, banker.email)
    mine = client.get("/action-items").text
    assert "Call the banks" in mine and "is-overdue" in mine and "Mule coordination" in mine
    item = re.search(r'id="action-([0-9a-f-]+)"', mine).group(1)  # type: ignore[union-attr]
    r = post(client, f"/action-items/{item}/toggle", {"back": "mine"}, token_from="/action-items")
    assert r.status_code == 303 and r.headers["location"].startswith("/action-items")
    assert "Call the banks" not in client.get("/action-items").text
    # htmx swaps one row: the toggle answers with it.
    r = post(client, f"/action-items/{item}/toggle", {"back": "meeting"},
             token_from="/action-items", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<tr id="action-{item}"')
    assert "Mark done" in r.text

    client.cookies.clear()
    login(client, stranger.email)
    for path in (f"/meetings/{mid}", f"/meetings/{mid}/edit", f"/meetings/{mid}/delete"):
        assert client.get(path).status_code == 404
    assert client.get("/meetings/not-an-id").status_code == 404
    assert f"/meetings/{mid}" not in client.get("/meetings").text
    assert "Call the banks" not in client.get("/action-items").text
    r = post(client, f"/action-items/{item}/toggle", token_from="/action-items")
    assert r.status_code == 404


def test_meeting_form_errors_keep_the_input(client: TestClient, community: Community) -> None:
    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/meetings/new", {"title": "Keep me", "starts_at": "soon", "tlp": "AMBER"},
             token_from="/meetings/new")
    assert r.status_code == 422 and "Keep me" in r.text
    r = post(client, "/meetings/new", {"title": "Keep me", "starts_at": "2026-12-10T10:00",
                                       "agenda": "x" * 100_001}, token_from="/meetings/new")
    assert r.status_code in (413, 422)
    mid = _meeting(client)
    r = post(client, f"/meetings/{mid}/edit", {"title": "Renamed", "starts_at": "2026-12-11T09:30",
                                               "tlp": "GREEN", "minutes": "Done *well*"},
             token_from=f"/meetings/{mid}/edit")
    assert r.status_code == 303
    html = client.get(f"/meetings/{mid}").text
    assert "Renamed" in html and "<em>well</em>" in html and "TLP:GREEN" in html
    r = post(client, f"/meetings/{mid}/delete", token_from=f"/meetings/{mid}/delete")
    assert r.status_code == 303 and client.get(f"/meetings/{mid}").status_code == 404


def test_lessons_pages(client: TestClient, community: Community) -> None:
    org, other = community.org("Police A"), community.org("Bank B")
    author, outsider = community.user(org), community.user(other)
    login(client, author.email)
    form = {"title": "Seize the panel before the domain", "tlp": "GREEN",
            "what_happened": "The **panel** moved.", "what_worked": "<img src=x onerror=1>ok",
            "what_to_change": "Coordinate", "tags": "Takedown, Phishing Kits"}
    lid = _id(post(client, "/lessons/new", form, token_from="/lessons/new"), "lessons")
    secret = _id(post(client, "/lessons/new", form | {
        "title": "Hidden operation detail", "tlp": "AMBER+STRICT", "tags": "takedown"},
        token_from="/lessons/new"), "lessons")
    html = client.get(f"/lessons/{lid}").text
    assert "<strong>panel</strong>" in html and "<img" not in html
    assert "#phishing-kits" in html and "#takedown" in html
    r = post(client, "/lessons/new", form | {"tags": "x" * 41}, token_from="/lessons/new")
    assert r.status_code == 422 and "longer than 40" in alert(r.text)
    assert "Seize the panel" in r.text  # the input is kept

    client.cookies.clear()
    login(client, outsider.email)
    found = client.get("/lessons?q=panel").text
    assert f'href="/lessons/{lid}"' in found
    assert f"/lessons/{secret}" not in client.get("/lessons?tag=takedown").text
    assert f"/lessons/{secret}" not in client.get("/lessons?q=hidden").text
    cloud = client.get("/lessons").text
    assert "#phishing-kits" in cloud and 'href="/meetings"' in cloud
    assert client.get(f"/lessons/{secret}").status_code == 404
    assert client.get(f"/lessons/{lid}/edit").status_code == 403
    assert client.get("/lessons?tag=" + "y" * 41).status_code == 422


def test_an_item_due_later_is_not_overdue(client: TestClient,
                                            community: Community) -> None:
    """An item due tomorrow is open and not overdue on "My action items"."""
    user = community.user(community.org())
    login(client, user.email)
    mid = _meeting(client)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    post(client, f"/meetings/{mid}/action-items",
         {"text": "Write it up", "owner_id": str(user.id), "due": tomorrow},
         token_from=f"/meetings/{mid}")
    mine = client.get("/action-items").text
    assert "Write it up" in mine and "is-overdue" not in mine
