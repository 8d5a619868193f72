"""Request ids: taken from the client when well-formed, made otherwise, echoed, and in
every JSON log line of the request (also in the thread pool); no secret in any line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cyberhub.app import create_app
from cyberhub.observability import logs
from tests.factories import Community, bearer


@pytest.fixture
def json_app(settings, database) -> Iterator:  # type: ignore[no-untyped-def]
    settings.log_format = "json"
    app = create_app(settings, database)
    inner = logging.getLogger("cyberhub.tests.inner")

    async def in_loop() -> dict[str, str]:
        inner.info("async handler")
        return {"ok": "yes"}

    def in_thread() -> dict[str, str]:
        inner.warning("sync handler")
        return {"ok": "yes"}

    app.add_api_route("/test-log/async", in_loop)
    app.add_api_route("/test-log/sync", in_thread)
    yield app
    settings.log_format = "text"
    logs.configure("text")


def json_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_request_id_is_echoed_or_made(client) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "trace-42.a:b_c"})
    assert r.headers["x-request-id"] == "trace-42.a:b_c"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32 and made != client.get("/healthz").headers["x-request-id"]
    for hostile in ("x" * 65, "a b", "a\"b", "ünïcode".encode(), "id;drop"):
        echoed = client.get("/healthz", headers={"X-Request-ID": hostile}).headers[
            "x-request-id"]
        assert echoed != hostile and len(echoed) == 32
    # On refusals and errors too.
    assert client.get("/no/such/page", headers={"X-Request-ID": "r-404"}).headers[
        "x-request-id"] == "r-404"


def test_every_line_of_a_request_carries_its_id(json_app, capsys) -> None:
    capsys.readouterr()
    with TestClient(json_app) as c:
        c.get("/test-log/async", headers={"X-Request-ID": "req-async"})
        c.get("/test-log/sync", headers={"X-Request-ID": "req-sync"})
    records = json_lines(capsys.readouterr().err)
    by_message = {r["message"]: r for r in records if r["logger"] == "cyberhub.tests.inner"}
    assert by_message["async handler"]["request_id"] == "req-async"
    assert by_message["sync handler"]["request_id"] == "req-sync"
    assert by_message["sync handler"]["level"] == "WARNING"
    access = [r for r in records if r["logger"] == "cyberhub.access"]
    assert {(r["request_id"], r["http"]["route"], r["http"]["status"]) for r in access} == {
        ("req-async", "/test-log/async", 200), ("req-sync", "/test-log/sync", 200)}
    assert all(r["time"].endswith("+00:00") for r in records)


def test_logs_hold_no_secrets(json_app, capsys, community: Community) -> None:
    org = community.org("Bank")
    token = community.token(community.user(org), scope="write")
    capsys.readouterr()
    with TestClient(json_app) as c:
        c.get("/api/v1/me?token=query-secret-123", headers=bearer(token))
        c.post("/signin", data={"email": "a@example.org", "password": "body-secret-456"})
    err = capsys.readouterr().err
    assert json_lines(err), err
    for secret in (token, "query-secret-123", "body-secret-456"):
        assert secret not in err


def test_outside_a_request_the_id_is_a_dash() -> None:
    record = logging.LogRecord("cyberhub.x", logging.INFO, __file__, 1, "hello %s",
                               ("world",), None)
    logs.RequestIdFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert (line["message"], line["request_id"], line["level"]) == ("hello world", "-", "INFO")


def test_refusals_are_logged_as_security_events(client, community: Community,
                                                 caplog) -> None:
    """ASVS V7.2.1/V7.2.2: failed authentication, access-control and CSRF refusals each
    leave a line on the cyberhub.security logger, without the secret that was tried."""
    user = community.user(community.org())
    token = community.token(user)
    caplog.set_level(logging.WARNING, logger="cyberhub.security")
    client.get("/api/v1/me", headers=bearer("chub_not-a-real-token-at-all"))
    client.post("/api/v1/notes?secret=q", json={}, headers=bearer(token))  # read token
    client.post("/signout", data={"csrf_token": "forged"})
    lines = [r.getMessage() for r in caplog.records if r.name == "cyberhub.security"]
    assert any("401 GET /api/v1/me: not_authenticated" in line for line in lines), lines
    assert any("403 POST /api/v1/notes: permission_denied" in line for line in lines), lines
    assert any("403 POST /signout: csrf_failed" in line for line in lines), lines
    text = "\n".join(lines)
    assert "chub_" not in text and token not in text and "secret=q" not in text
    caplog.clear()
    client.get("/api/v1/me", headers=bearer(token))
    assert not [r for r in caplog.records if r.name == "cyberhub.security"]
