"""The MISP feeds page: list, add, pause and resume, poll now, delete — with the CSRF
token, under the organisation's rules."""

from __future__ import annotations

import re

from sqlalchemy import select

from cyberhub.federation.models import FeedStatus, MispFeed
from tests.web.helpers import alert, login, post

from .conftest import BASE_TIME


def only_feed(database) -> MispFeed:
    with database.transaction() as s:
        rows = list(s.scalars(select(MispFeed)))
    assert len(rows) == 1
    return rows[0]


def test_add_poll_pause_resume_delete(client, database, analyst, feed, server):
    feed.add(BASE_TIME, "a.example")
    login(client, analyst.email)
    page = client.get("/misp-feeds")
    assert page.status_code == 200
    assert "No MISP feeds yet" in page.text and 'href="/misp-feeds"' in page.text
    assert 'href="/misp-feeds"' in client.get("/import").text, "linked from the import page"

    r = post(client, "/misp-feeds", {"name": "OSINT", "url": server.url("feed/"),
                                     "tlp": "GREEN", "every": "30"}, token_from="/misp-feeds")
    assert r.status_code == 303 and r.headers["location"] == "/misp-feeds?flash=feed-added"
    row = only_feed(database)
    assert (row.name, row.tlp.value, row.interval_minutes) == ("OSINT", "GREEN", 30)
    page = client.get(r.headers["location"]).text
    assert "OSINT" in page and "not polled yet" in page and "every 30 minutes" in page

    r = post(client, f"/misp-feeds/{row.id}/poll", token_from="/misp-feeds")
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    row = only_feed(database)
    assert row.last_status is FeedStatus.OK and row.events_imported == 1, row.last_error
    assert f'href="/imports/{row.last_import_id}"' in page
    assert client.get(f"/imports/{row.last_import_id}").status_code == 200
    assert 'hx-trigger="every 2s"' not in page, "nothing polling: no refresh"

    r = post(client, f"/misp-feeds/{row.id}/pause", token_from="/misp-feeds")
    assert r.status_code == 303 and only_feed(database).enabled is False
    assert "Paused" in client.get("/misp-feeds").text
    r = post(client, f"/misp-feeds/{row.id}/resume", token_from="/misp-feeds")
    assert r.status_code == 303 and only_feed(database).enabled is True
    r = post(client, f"/misp-feeds/{row.id}/delete", token_from="/misp-feeds")
    assert r.status_code == 303
    assert "No MISP feeds yet" in client.get(r.headers["location"]).text


def test_a_failed_poll_shows_its_error_and_a_running_one_refreshes(client, database, analyst,
                                                                    feed, server):
    from cyberhub.federation import service

    login(client, analyst.email)
    post(client, "/misp-feeds", {"name": "Gone", "url": server.url("nowhere/")},
         token_from="/misp-feeds")
    row = only_feed(database)
    post(client, f"/misp-feeds/{row.id}/poll", token_from="/misp-feeds")
    page = client.get("/misp-feeds").text
    assert "failed" in page and "HTTP 404" in page
    assert service.claim(database, row.id)
    page = client.get("/misp-feeds").text
    assert 'hx-get="/misp-feeds/table" hx-trigger="every 2s"' in page
    fragment = client.get("/misp-feeds/table", headers={"HX-Request": "true"}).text
    assert fragment.startswith("<div id=\"feeds-table\"") or 'id="feeds-table"' in fragment
    r = post(client, f"/misp-feeds/{row.id}/poll", token_from="/misp-feeds")
    assert r.status_code == 409 and "being polled now" in alert(r.text)


def test_bad_input_rerenders_the_form(client, database, analyst):
    login(client, analyst.email)
    r = post(client, "/misp-feeds", {"name": "X", "url": "ftp://feeds.example/"},
             token_from="/misp-feeds")
    assert r.status_code == 422 and "http and https" in alert(r.text)
    assert 'value="X"' in r.text, "what was typed is kept"
    assert re.search(r'id="url"[^>]*aria-invalid="true"', r.text)
    with database.transaction() as s:
        assert s.scalar(select(MispFeed.id)) is None


def test_csrf_readers_and_other_organisations(client, database, analyst, reader, outsider,
                                              community):
    login(client, analyst.email)
    r = client.post("/misp-feeds", data={"name": "X", "url": "https://feeds.example/x/"},
                    follow_redirects=False)
    assert r.status_code == 403
    post(client, "/misp-feeds", {"name": "Mine", "url": "https://feeds.example/m/"},
         token_from="/misp-feeds")
    row = only_feed(database)
    client.cookies.clear()
    login(client, reader.email)
    assert client.get("/misp-feeds").status_code == 403
    client.cookies.clear()
    login(client, outsider.email)
    page = client.get("/misp-feeds").text
    assert "Mine" not in page
    for action in ("poll", "pause", "delete"):
        r = post(client, f"/misp-feeds/{row.id}/{action}", token_from="/misp-feeds")
        assert r.status_code == 404
    assert only_feed(database).enabled is True
