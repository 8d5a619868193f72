"""What the logs may hold and how (ASVS 7.3.1, 7.3.4, 13.1.3): times in UTC whatever the
process's time zone, in log lines and audit entries alike; a client's line breaks and
control characters encoded, never a forged line; and no password, API token, session
cookie or CSRF token of a real sign-in and API call in any line."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from cyberhub import audit
from cyberhub.app import create_app
from cyberhub.audit import AuditEntry
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.deps import SESSION_COOKIE
from cyberhub.observability import logs
from tests.factories import PASSWORD, Community, bearer, csrf_of

ZONE, OFFSET = "Asia/Kolkata", 5 * 3600 + 1800  # +05:30 all year


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process runs in a zone far from UTC (and the database session too, below)."""
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()
    assert time.localtime().tm_gmtoff == OFFSET
    yield
    monkeypatch.undo()
    time.tzset()


def _session_zone(session: Any) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL TIME ZONE '{ZONE}'"))


def _record(name: str = "cyberhub.tests", message: str = "hello") -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, None, None)
    logs.RequestIdFilter().filter(record)
    return record


def test_log_lines_and_audit_entries_are_in_utc_whatever_the_local_zone(
        local_zone: None, database: Database) -> None:
    record = _record()
    utc = datetime.fromtimestamp(record.created, UTC)
    line = json.loads(logs.make_formatter("json").format(record))
    assert line["time"].endswith("+00:00")
    assert datetime.fromisoformat(line["time"]) == utc.replace(
        microsecond=utc.microsecond // 1000 * 1000)
    stamp = logs.make_formatter("text").format(record).split(" ", 1)[0]
    assert stamp.endswith("Z"), stamp
    assert datetime.fromisoformat(stamp) == utc.replace(microsecond=utc.microsecond // 1000 * 1000)

    before = datetime.now(UTC)
    with database.transaction() as s:
        _session_zone(s)
        audit.record(s, audit.SYSTEM, "tests.clock")
    after = datetime.now(UTC)
    with database.transaction() as s:
        _session_zone(s)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "tests.clock")).one()
        assert entry.at.utcoffset() == timedelta(0)
        assert entry.at.isoformat().endswith("+00:00")
        # Read in a +05:30 session, still the instant it was written.
        assert before - timedelta(seconds=1) <= entry.at <= after + timedelta(seconds=1)
    with database.snapshot() as s:
        assert audit.verify(s).ok


@pytest.fixture
def json_app(settings: Settings, database: Database) -> Iterator[Any]:
    settings.log_format = "json"
    yield create_app(settings, database)
    settings.log_format = "text"
    logs.configure("text")


FORGED = '{"time":"2020-01-01T00:00:00+00:00","level":"CRITICAL","message":"forged"}'


def test_line_breaks_and_control_characters_from_a_client_are_encoded(
        json_app: Any, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "/api/v1/notes/x\r\n" + FORGED + "\x1b[2J\x07\x85\u2028\u2029end"
    capsys.readouterr()
    with TestClient(json_app) as c:
        assert c.get(quote(hostile, safe="/")).status_code == 401
    err = capsys.readouterr().err
    # One line per record for every reader, those that split at U+2028 or NEL too.
    assert err.splitlines() == err.rstrip("\n").split("\n")
    lines = [line for line in err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one whole JSON record
    assert not [r for r in records if r.get("level") == "CRITICAL" or r.get("message") == "forged"]
    carrying = [r for r in records if "/api/v1/notes/x" in r["message"]]
    assert {r["logger"] for r in carrying} == {"cyberhub.security", "cyberhub.access"}, records
    for r in carrying:  # kept whole, inside the one record (the URL parser drops CR/LF)
        assert FORGED in r["message"]
        assert "\x1b[2J\x07\x85\u2028\u2029end" in r["message"]
    (access,) = [r for r in carrying if r["logger"] == "cyberhub.access"]
    assert "\r\n" + FORGED in access["message"] and "\r\n" + FORGED in access["http"]["path"]

    # The text format keeps the record on one line too, escaping what would break it.
    record = _record("cyberhub.security", "401 GET " + hostile + "\x00\x85")
    line = logs.make_formatter("text").format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\x00" not in line
    assert "\x85" not in line and "\x07" not in line
    assert "\\r\\n" + FORGED in line and "\\x1b[2J\\x07" in line and "\\x00\\x85" in line


def test_a_sign_in_and_api_calls_leave_no_secret_in_the_logs(
        json_app: Any, capsys: pytest.CaptureFixture[str], community: Community,
        database: Database) -> None:
    user = community.user(community.org("Log Bank"), email="logs@example.org")
    token = community.token(user, scope="write")
    capsys.readouterr()
    with TestClient(json_app, base_url="http://testserver") as c:
        presession_csrf = csrf_of(c)
        c.post("/signin", data={"email": user.email, "password": "wrong " + PASSWORD,
                                "csrf_token": presession_csrf}, follow_redirects=False)
        r = c.post("/signin", data={"email": user.email, "password": PASSWORD,
                                    "csrf_token": presession_csrf}, follow_redirects=False)
        assert r.status_code == 303, r.text
        cookie = r.cookies[SESSION_COOKIE]
        session_csrf = csrf_of(c, "/profile")
        assert c.get("/api/v1/me").status_code == 200
        assert c.post("/api/v1/notes", json={"title": "t", "tlp": "GREEN"},
                      headers={"X-CSRF-Token": session_csrf}).status_code == 201
        with TestClient(json_app, base_url="http://testserver") as api:
            assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
            assert api.post("/api/v1/notes", json={"title": "u", "tlp": "GREEN"},
                            headers=bearer(token)).status_code == 201
            assert api.get("/api/v1/me", headers=bearer(token + "x")).status_code == 401
    err = capsys.readouterr().err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(r["logger"] == "cyberhub.access" and r["http"]["route"] == "/signin"
               for r in records), err
    assert any(r["logger"] == "cyberhub.security" for r in records), err
    with database.snapshot() as s:
        entries = json.dumps([(e.actor_label, e.action, e.target_id, e.details)
                              for e in s.scalars(select(AuditEntry))], default=str)
    assert "signin.password" in entries
    for secret in (PASSWORD, token, token[6:], cookie, presession_csrf, session_csrf):
        assert secret not in err, secret
        assert secret not in entries, secret
