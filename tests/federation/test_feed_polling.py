"""Polling a MISP feed subscription: from a directory and over HTTP, the cursor, one
import job per poll, failures that store nothing, and the periodic task."""

from __future__ import annotations

import time
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler
from typing import Any

import pytest
from sqlalchemy import func, select

from cyberhub import jobs
from cyberhub.community.models import User
from cyberhub.db import Database, utcnow
from cyberhub.federation import service
from cyberhub.federation.models import FeedStatus, MispFeed
from cyberhub.intel.models import Import, ImportStatus, StixObject
from tests.factories import Community

from .conftest import BASE_TIME


def add_feed(database: Database, community: Community, user: User, url: str, **kw: Any) -> MispFeed:
    with database.transaction() as s:
        return service.create_feed(s, community.viewer(user), name=kw.pop("name", "OSINT"),
                                   url=url, any_directory=True, **kw)


def poll(database: Database, feed: MispFeed) -> service.PollResult:
    result = service.poll_now(database, feed.id)
    assert result is not None
    return result


def state(database: Database, feed: MispFeed) -> MispFeed:
    with database.transaction() as s:
        found = s.get(MispFeed, feed.id)
        assert found is not None
        return found


def count(database: Database, model: Any = StixObject) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def reports(database: Database) -> set[str]:
    with database.transaction() as s:
        return set(s.scalars(select(StixObject.stix_id).where(StixObject.type == "report")))


@pytest.mark.parametrize("where", ["directory", "http"])
def test_first_poll_takes_everything_then_only_what_is_new(
        database, community, analyst, feed, server, where):
    first = [feed.add(BASE_TIME, "a.example"), feed.add(BASE_TIME + 60, "b.example")]
    url = str(feed.root) if where == "directory" else server.url("feed/")
    sub = add_feed(database, community, analyst, url)

    result = poll(database, sub)
    assert result.status is FeedStatus.OK, result.error
    assert result.events == 2 and result.cursor == BASE_TIME + 60
    assert reports(database) == {f"report--{u}" for u in first}
    row = state(database, sub)
    assert (row.cursor, row.events_imported, row.last_error) == (BASE_TIME + 60, 2, None)
    with database.transaction() as s:
        job = s.get(Import, row.last_import_id)
        assert job is not None and job.status is ImportStatus.SUCCEEDED
        assert job.filename == "misp-feed:OSINT" and job.format == "misp"
        assert job.user_id == analyst.id and job.options["feed_id"] == str(sub.id)
        sources = set(s.scalars(select(StixObject.source).distinct()))
        assert sources == {"import:misp-feed:OSINT"}, "provenance names the feed"
    stored = count(database)

    again = poll(database, sub)
    assert again.status is FeedStatus.OK and again.events == 0
    assert count(database, Import) == 1, "nothing new: no import"
    assert count(database) == stored
    assert state(database, sub).cursor == BASE_TIME + 60

    newest = feed.add(BASE_TIME + 3600, "c.example")
    third = poll(database, sub)
    assert third.events == 1 and third.cursor == BASE_TIME + 3600
    with database.transaction() as s:
        imported = set(s.scalars(select(StixObject.stix_id).where(
            StixObject.import_id == third.import_id, StixObject.type == "report")))
    assert imported == {f"report--{newest}"}, "only the new event"
    assert state(database, sub).events_imported == 3
    assert list((database_var(database) / "feeds").iterdir()) == [], "staging is cleared"


def database_var(database: Database) -> Any:
    from cyberhub.config import get_settings

    return get_settings().var_dir


def slow(handler: SimpleHTTPRequestHandler) -> None:
    time.sleep(1.5)
    handler.send_response(200)
    handler.end_headers()


@pytest.mark.parametrize(("damage", "message"), [
    ("broken-event", "is not valid JSON"),
    ("missing-event", "was not found"),
    ("no-manifest", "manifest.json was not found"),
    ("garbage-manifest", "is not a MISP feed manifest"),
    ("oversized", "larger than a poll may download"),
    ("timeout", "did not answer in time"),
    ("redirect-to-file", "redirects to a file: address"),
    ("server-error", "answered HTTP 500"),
])
def test_a_failed_poll_stores_nothing_and_keeps_the_cursor(
        database, community, analyst, feed, server, settings, damage, message):
    feed.add(BASE_TIME, "a.example")
    sub = add_feed(database, community, analyst, server.url("feed/"))
    assert poll(database, sub).status is FeedStatus.OK
    stored, imports_before = count(database), count(database, Import)
    new = feed.add(BASE_TIME + 60, "b.example")
    path = f"/feed/{new}.json"
    if damage == "broken-event":
        (feed.root / f"{new}.json").write_text('{"Event": {"uuid": ')
    elif damage == "missing-event":
        (feed.root / f"{new}.json").unlink()
    elif damage == "no-manifest":
        (feed.root / "manifest.json").unlink()
    elif damage == "garbage-manifest":
        server.routes["/feed/manifest.json"] = (200, {}, b"<html>maintenance</html>")
    elif damage == "oversized":
        settings.misp_feed_max_bytes = (feed.root / "manifest.json").stat().st_size + 100
    elif damage == "timeout":
        settings.misp_feed_read_timeout = 0.3
        server.routes[path] = slow
    elif damage == "redirect-to-file":
        server.routes[path] = (302, {"Location": "file:///etc/passwd"}, b"")
    elif damage == "server-error":
        server.routes[path] = (500, {}, b"oops")

    result = poll(database, sub)
    assert result.status is FeedStatus.FAILED
    assert result.error is not None and message in result.error, result.error
    row = state(database, sub)
    assert row.last_status is FeedStatus.FAILED and message in (row.last_error or "")
    assert row.cursor == BASE_TIME and row.events_imported == 1, "the cursor stays"
    assert count(database) == stored, "nothing stored"
    if damage == "broken-event":
        assert count(database, Import) == imports_before + 1  # the failed import is kept
        assert row.last_import_id == result.import_id
    else:
        assert count(database, Import) == imports_before
    assert list((settings.var_dir / "feeds").iterdir()) == []

    # Once repaired, the next poll takes the event.
    server.routes.clear()
    settings.misp_feed_max_bytes, settings.misp_feed_read_timeout = 1 << 30, 5.0
    if damage in ("broken-event", "missing-event", "no-manifest"):
        feed.manifest.pop(new)
        new = feed.add(BASE_TIME + 120, "b.example")
    retry = poll(database, sub)
    assert retry.status is FeedStatus.OK and retry.events == 1, retry.error
    assert f"report--{new}" in reports(database)


def test_private_addresses_are_refused_unless_allowed(database, community, analyst, feed,
                                                     server, settings):
    feed.add(BASE_TIME, "a.example")
    sub = add_feed(database, community, analyst, server.url("feed/"))
    settings.misp_feed_private_addresses = False
    result = poll(database, sub)
    assert result.status is FeedStatus.FAILED and "loopback, private" in (result.error or "")
    assert count(database) == 0
    with database.transaction() as s, pytest.raises(Exception, match="loopback, private"):
        service.create_feed(s, community.viewer(analyst), name="Local",
                            url="http://127.0.0.1:9/feed/")


def test_a_large_backlog_comes_in_batches_without_splitting_a_timestamp(
        database, community, analyst, feed, settings):
    settings.misp_feed_max_events = 2
    ids = [feed.add(BASE_TIME, "a.example"), feed.add(BASE_TIME + 60, "b.example"),
           feed.add(BASE_TIME + 60, "c.example"), feed.add(BASE_TIME + 120, "d.example")]
    sub = add_feed(database, community, analyst, str(feed.root))
    first = poll(database, sub)
    assert first.events == 3 and first.more and first.cursor == BASE_TIME + 60
    assert state(database, sub).next_poll_at <= utcnow(), "the rest is due at once"
    second = poll(database, sub)
    assert second.events == 1 and not second.more
    assert reports(database) == {f"report--{i}" for i in ids}


def test_the_import_runs_with_the_feed_users_rights(database, community, analyst, feed):
    feed.add(BASE_TIME, "a.example")
    sub = add_feed(database, community, analyst, str(feed.root))
    with database.transaction() as s:
        user = s.get(User, analyst.id)
        assert user is not None
        user.is_active = False
    result = poll(database, sub)
    assert result.status is FeedStatus.FAILED and "no longer active" in (result.error or "")
    assert count(database) == 0 and state(database, sub).cursor is None


def test_the_periodic_task_polls_only_due_enabled_feeds(database, community, analyst, feed):
    feed.add(BASE_TIME, "a.example")
    due = add_feed(database, community, analyst, str(feed.root), name="due",
                   interval_minutes=60)
    add_feed(database, community, analyst, str(feed.root), name="paused", enabled=False)
    t0 = utcnow() + timedelta(minutes=1)
    assert jobs.poll_due_feeds(t0) == [due.id]
    row = state(database, due)
    assert row.last_status is FeedStatus.OK and row.events_imported == 1
    assert row.next_poll_at == t0 + timedelta(minutes=60)
    assert jobs.poll_due_feeds(t0 + timedelta(minutes=30)) == [], "not due yet"
    assert jobs.poll_due_feeds(t0 + timedelta(minutes=61)) == [due.id]
    assert count(database, Import) == 1, "nothing new the second time"
    # the task itself is registered to run every minute
    names = {task.name for task in jobs.huey.read_periodic(t0.replace(tzinfo=None))}
    assert any(n.endswith("poll_feeds_every_minute") for n in names)


def test_a_feed_being_polled_is_not_claimed_twice(database, community, analyst, feed):
    sub = add_feed(database, community, analyst, str(feed.root))
    now = utcnow()
    assert service.claim(database, sub.id, now)
    assert not service.claim(database, sub.id, now), "held by the first poll"
    assert jobs.poll_due_feeds(now + timedelta(hours=2)) == []
    # a poll that died with its worker is taken over after a while
    assert jobs.poll_due_feeds(now + service.STALE_POLL + timedelta(minutes=1)) == [sub.id]


def test_worker_start_marks_interrupted_polls(database, community, analyst, feed):
    sub = add_feed(database, community, analyst, str(feed.root))
    assert service.claim(database, sub.id)
    with database.transaction() as s:
        assert service.fail_interrupted(s) == 1
    row = state(database, sub)
    assert row.last_status is FeedStatus.FAILED and "interrupted" in (row.last_error or "")

