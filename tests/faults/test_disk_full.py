"""SQLite's disk fills up (simulated with ``PRAGMA max_page_count`` on every connection
the hub checks out): writes answer 507 with a message, reads keep working, the database
stays consistent, and writes work again once there is room."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text

from cyberhub.db import Database
from cyberhub.notes.models import Note
from tests.factories import Community, bearer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults"),
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

ROOMY = 1_073_741_823  # SQLite's default maximum


def notes_stored(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Note)) or 0)


def test_a_full_disk_refuses_writes_clearly_and_recovers(
        client: TestClient, database: Database, community: Community) -> None:
    user = community.user(community.org("Alpha CERT"), role="analyst")
    headers = bearer(community.token(user, scope="write"))
    body = "x" * 90_000  # more than the free pages the file may hold
    assert client.post("/api/v1/notes", headers=headers,
                       json={"title": "before", "tlp": "GREEN", "body": body}).status_code == 201
    before = notes_stored(database)

    full = {"on": True}

    @event.listens_for(database.engine, "checkout")
    def _limit(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi_conn.cursor()
        # SQLite keeps the limit at least the current size: "full" means no growth.
        cur.execute(f"PRAGMA max_page_count = {1 if full['on'] else ROOMY}")
        cur.close()

    try:
        refused = client.post("/api/v1/notes", headers=headers,
                              json={"title": "during", "tlp": "GREEN", "body": body})
        assert refused.status_code == 507, refused.text
        error = refused.json()["error"]
        assert error["code"] == "storage_full"
        assert "storage is full" in error["message"]
        assert "operators" in error["message"]
        # Reading still works, housekeeping writes (last use of the token) given up.
        listed = client.get("/api/v1/notes", headers=headers)
        assert listed.status_code == 200, listed.text
        assert [n["title"] for n in listed.json()["items"]] == ["before"]
        assert notes_stored(database) == before
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None

        full["on"] = False
        again = client.post("/api/v1/notes", headers=headers,
                            json={"title": "after", "tlp": "GREEN", "body": body})
        assert again.status_code == 201, again.text
        assert notes_stored(database) == before + 1
    finally:
        event.remove(database.engine, "checkout", _limit)
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
