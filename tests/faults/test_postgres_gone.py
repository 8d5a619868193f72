"""PostgreSQL goes away under load and comes back. The shared server is left alone: a
proxy between one hub process and PostgreSQL cuts every connection and refuses new ones
for a few seconds. Meanwhile every request answers at once with a 503 that says what is
wrong; afterwards the same process answers normally, and every note it confirmed is
still there."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import pg_admin_url
from tests.factories import csrf_of
from tests.faults.proxy import TcpProxy
from tests.faults.writers import NoteWriters
from tests.federation.network import PASSWORD, HubProcess, org, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

EMAIL = "ana@alpha-cert.example"


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[HubProcess, TcpProxy, str]]:
    admin = pg_admin_url()
    name = f"cyberhub_faults_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server = urlsplit(admin)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 5432)
    auth = server.netloc.rsplit("@", 1)[0]
    url = f"postgresql://{auth}@127.0.0.1:{proxy.port}/{name}"
    hub = HubProcess("pg", tmp_path, url)
    try:
        hub.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"))
        yield hub, proxy, admin.rsplit("/", 1)[0] + "/" + name
    finally:
        hub.stop()
        proxy.close()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def stored_titles(direct_url: str) -> set[str]:
    engine = create_engine(direct_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT title FROM notes")).scalars())
    finally:
        engine.dispose()


def test_requests_get_503_while_postgresql_is_gone_and_the_hub_recovers(
        proxied: tuple[HubProcess, TcpProxy, str]) -> None:
    hub, proxy, direct = proxied
    token = hub.token(EMAIL, scope="write")
    hub.start()
    api = httpx2.Client(base_url=hub.url, timeout=20,
                        headers={"Authorization": f"Bearer {token}"})
    browser = httpx2.Client(base_url=hub.url, timeout=20)
    signed = browser.post("/signin", data={"email": EMAIL, "password": PASSWORD,
                                           "csrf_token": csrf_of(browser)})  # type: ignore[arg-type]
    assert signed.status_code == 303, signed.text

    load = NoteWriters(hub.url, token)
    confirmed, answers = load.confirmed, load.answers
    load.start()
    try:
        deadline = time.monotonic() + 20
        while len(confirmed) < 5:
            assert time.monotonic() < deadline, answers[-3:]
            time.sleep(0.05)
        confirmed_before = set(confirmed)

        proxy.cut()
        cut_at = len(answers)
        down_until = time.monotonic() + 3
        page = browser.get("/notes", headers={"Accept": "text/html"})
        refused = api.post("/api/v1/notes", json={"title": "during", "tlp": "GREEN"})
        while time.monotonic() < down_until:
            time.sleep(0.05)
        during = answers[cut_at:]
        proxy.restore()

        # The same process answers again, without a restart.
        deadline = time.monotonic() + 20
        while True:
            r = api.get("/api/v1/notes")
            if r.status_code == 200:
                break
            assert time.monotonic() < deadline, r.text
            time.sleep(0.1)
        healed_at = len(answers)
        deadline = time.monotonic() + 10
        while len(answers) < healed_at + 10:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        load.close()

    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "cannot reach its database" in error["message"]
    assert refused.headers["Retry-After"].isdigit()
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "cannot reach its database" in page.text

    # Meanwhile: clear 503s (or answers from before the cut), never a 500, never a hang.
    assert len(during) >= 6, during
    assert {status for _m, status, _t, _s in during} <= {200, 201, 503}, during
    assert sum(1 for a in during if a[1] == 503) >= 3, during
    assert all("database_unavailable" in body for _m, status, body, _s in during
               if status == 503)
    assert max(seconds for *_rest, seconds in during) < 10
    # Afterwards: everything answers normally.
    assert {status for _m, status, _t, _s in answers[healed_at:]} <= {200, 201}, \
        answers[healed_at:]
    assert page_after(browser).status_code == 200

    # Nothing confirmed is lost, before or after the cut.
    stored = stored_titles(direct)
    assert confirmed_before <= confirmed <= stored
    assert "during" not in stored


def page_after(browser: httpx2.Client) -> httpx2.Response:
    return browser.get("/notes", headers={"Accept": "text/html"})
