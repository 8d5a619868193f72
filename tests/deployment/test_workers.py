"""Several app processes behind one address, sharing PostgreSQL: a request may land on
any of them, so nothing a user relies on may live in one process's memory. The test
signs in, then kills every process that existed at sign-in (uvicorn starts new ones) and
shows the session, its CSRF token and the sign-in throttle all hold."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.conftest import scratch_database
from tests.factories import csrf_of
from tests.federation.network import PASSWORD, HubProcess, org, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("network")]

EMAIL = "ana@alpha-cert.example"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    with scratch_database("cyberhub_workers") as url:
        made = HubProcess("w", tmp_path, url)
        try:
            made.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"))
            yield made
        finally:
            made.stop()


def app_processes(server_pid: int) -> set[int]:
    """The uvicorn worker processes (spawned children) of the server process."""
    found = set()
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    for pid in map(int, children):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            found.add(pid)
    return found


def settled(server_pid: int, count: int, gone: set[int]) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = app_processes(server_pid)
        if len(now) == count and not now & gone:
            return now
        time.sleep(0.2)
    raise AssertionError(f"the server did not replace {gone}: {app_processes(server_pid)}")


def fresh_client(hub: HubProcess) -> httpx2.Client:
    # No keep-alive: every request is a new connection the kernel may hand to any process.
    return httpx2.Client(base_url=hub.url, timeout=30,
                         limits=httpx2.Limits(max_keepalive_connections=0))


def test_sessions_csrf_and_throttle_hold_across_app_processes(hub: HubProcess) -> None:
    hub.start(workers=2)
    assert hub.server is not None
    first = settled(hub.server.pid, 2, set())

    browser = fresh_client(hub)
    token = csrf_of(browser)
    signed = browser.post("/signin", data={"email": EMAIL, "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303, signed.text

    gone: set[int] = set()
    for pid in sorted(first):
        os.kill(pid, signal.SIGKILL)
        gone.add(pid)
        settled(hub.server.pid, 2, gone)
        for _ in range(6):
            page = browser.get("/")
            assert page.status_code == 200 and "Sign out" in page.text, page.text[:500]
            assert "server" not in page.headers, "answers name no server component"
        # A form posted with the token one process handed out is accepted by another.
        posted = browser.post("/language", data={"csrf_token": csrf_of(browser, "/"),
                                                 "locale": "en", "next": "/"},
                              follow_redirects=False)
        assert posted.status_code == 303, posted.text
    # No process that saw the sign-in is left; the session still holds.
    assert not app_processes(hub.server.pid) & first
    assert "Sign out" in browser.get("/").text
    # /metrics counts the requests of every process, the killed ones included.
    metrics = httpx2.get(hub.url + "/metrics", timeout=30).text
    served = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                 if line.startswith("cyberhub_http_requests_total{")
                 and 'method="GET"' in line and 'route="/"' in line and 'status="200"' in line)
    assert served >= 2 * 6 + 3, metrics[:2000]

    # Failed sign-ins count wherever they land: after the limit, even the right password
    # is refused, on whichever process answers.
    for _ in range(5):
        with fresh_client(hub) as guesser:
            wrong = guesser.post("/signin", data={"email": EMAIL, "password": "not it",
                                                  "csrf_token": csrf_of(guesser)})
            assert wrong.status_code == 401, wrong.status_code
    with fresh_client(hub) as late:
        refused = late.post("/signin", data={"email": EMAIL, "password": PASSWORD,
                                             "csrf_token": csrf_of(late)},
                            follow_redirects=False)
        assert refused.status_code == 429
        assert "Too many failed sign-ins" in refused.text
