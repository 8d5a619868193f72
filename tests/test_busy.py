"""While something holds SQLite's write lock (a large import), pages and API reads keep
answering; what must be written (an audit entry) answers 503 instead of hanging."""

from __future__ import annotations

import sqlite3
import time

import pytest

from cyberhub.config import set_settings
from tests.factories import bearer


@pytest.fixture
def write_lock(settings):
    url = settings.resolved_database_url()
    con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    yield con
    con.close()


# SQLite only: it has one write lock for the whole database; PostgreSQL writers lock rows.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reads_go_on_while_the_write_lock_is_held(client, community, write_lock):
    org = community.org()
    author = community.user(org)
    community.note(author, tlp="GREEN", title="Readable during an import")
    secret = community.note(author, tlp="RED", title="Audited on every read")
    token = community.token(author)
    client.get("/api/v1/me", headers=bearer(token))  # the token's hourly use is audited now
    write_lock.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        r = client.get("/api/v1/notes", params={"tlp": "GREEN"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        assert [n["title"] for n in r.json()["items"]] == ["Readable during an import"]
        assert time.monotonic() - started < 3
        r = client.get(f"/api/v1/notes/{secret.id}", headers=bearer(token))
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "busy" and r.headers["retry-after"]
    finally:
        write_lock.execute("ROLLBACK")
    assert client.get(f"/api/v1/notes/{secret.id}", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_that_must_write_after_another_writer_committed_is_answered(
        client, database, community, settings):
    """A read starts without the write lock; when it must write (the audit entry of a RED
    note), another writer may have committed since its snapshot began. SQLite cannot
    upgrade such a snapshot ("database is locked" at once, whatever the busy timeout):
    the read restarts its transaction at that first write and is answered, audited."""
    from sqlalchemy import event, func, select

    from cyberhub.audit import AuditEntry, verify

    org = community.org()
    author = community.user(org)
    secret = community.note(author, tlp="RED", title="Read while another writer commits")
    token = community.token(author)
    client.get("/api/v1/me", headers=bearer(token))  # the token's hourly use is audited now
    committed: list[str] = []
    other = sqlite3.connect(settings.resolved_database_url().removeprefix("sqlite:///"),
                            isolation_level=None, check_same_thread=False)

    def another_writer_commits(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # Once, right after the request's first read: its snapshot is now stale.
        if not committed and statement.lstrip().upper().startswith("SELECT"):
            # A real change: SQLite commits nothing for an update that changes no page.
            other.execute("UPDATE organisations SET name = name || ' (renamed)'")
            committed.append(statement)

    event.listen(database.engine, "after_cursor_execute", another_writer_commits)
    try:
        r = client.get(f"/api/v1/notes/{secret.id}", headers=bearer(token))
    finally:
        event.remove(database.engine, "after_cursor_execute", another_writer_commits)
        other.close()
    assert committed, "the other writer never ran"
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Read while another writer commits"
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.target_id == str(secret.id), AuditEntry.action != "note.create")) == 1
        assert verify(s).ok


def test_a_request_that_finds_no_free_connection_is_told_to_retry(settings, community):
    """Every connection of the pool in use for longer than the pool timeout: a 503 that
    says so (and when to retry), not a 500 — on both engines."""
    from fastapi.testclient import TestClient

    from cyberhub.app import create_app
    from cyberhub.db import Database

    org = community.org()
    token = community.token(community.user(org))
    tight = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0,
                                        "db_pool_timeout": 0.3})
    set_settings(tight)
    database = Database(tight.resolved_database_url())
    try:
        with TestClient(create_app(tight, database)) as client:
            assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
            held = database.engine.connect()  # the pool's only connection
            try:
                r = client.get("/api/v1/me", headers=bearer(token))
            finally:
                held.close()
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "busy"
            assert "every database connection is in use" in r.json()["error"]["message"]
            assert r.headers["retry-after"] == "5"
            assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    finally:
        database.dispose()
        set_settings(settings)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_page_waiting_for_the_write_lock_does_not_stop_the_server(app, community, write_lock):
    """A form post queues for the write lock in a worker thread: the server goes on
    answering meanwhile, and the post goes through once the lock is free. (Waiting on the
    event loop instead froze every request, the lock holder's own commit included, until
    the post gave up with a 503.)"""
    import threading

    import httpx2 as httpx

    from tests.factories import csrf_of, sign_in
    from tests.live import serve

    user = community.user(community.org())
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as browser:
        assert sign_in(browser, user.email).status_code == 303
        token = csrf_of(browser, "/")
        answers: list[int] = []
        write_lock.execute("BEGIN IMMEDIATE")
        try:
            poster = threading.Thread(target=lambda: answers.append(browser.post(
                "/signout", data={"csrf_token": token}).status_code))
            poster.start()
            time.sleep(0.5)  # the post is now waiting for the lock
            with httpx.Client(base_url=url, timeout=10) as other:
                assert other.get("/healthz").status_code == 200
                assert other.get("/signin").status_code == 200
            assert poster.is_alive()  # still queued behind the lock
        finally:
            write_lock.execute("ROLLBACK")
        poster.join(timeout=40)
        assert answers == [303]
