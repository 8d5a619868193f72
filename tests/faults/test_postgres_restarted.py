"""PostgreSQL itself restarted, or crashed, under load: a server of the test's own
(``private_postgres``), stopped the way an operator stops it (``pg_ctl restart -m fast``)
and the way a power cut does (``-m immediate``: no checkpoint, the write-ahead log is
replayed at the next start). Meanwhile requests answer 503 ``database_unavailable`` or
succeed, never 500 and never hang; the same hub process answers normally afterwards;
every note it confirmed is still there after the crash."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.faults.private_postgres import PrivatePostgres
from tests.faults.writers import NoteWriters
from tests.federation import network
from tests.federation.network import HubProcess, org, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

EMAIL = "ana@alpha-cert.example"


@pytest.fixture
def server() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        yield pg
    finally:
        pg.close()


def stored_titles(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT title FROM notes")).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["restart", "crash"])
def test_postgresql_restarted_or_crashed_under_load(server: PrivatePostgres, tmp_path: Path,
                                                    how: str) -> None:
    hub = HubProcess("pgr", tmp_path, server.url)
    token, = hub.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"),
                       network.token(EMAIL, scope="write"))
    hub.start()
    try:
        with NoteWriters(hub.url, token) as load:
            load.wait(20)
            confirmed_before = set(load.confirmed)
            mark = len(load.answers)
            if how == "restart":
                server.restart()
            else:
                server.crash()
                time.sleep(2)  # down for a while: requests meet no server at all
                server.start()
            back = len(load.answers)
            # The same process answers again, without a restart of its own.
            load.wait(back + 30, seconds=60)
            healed = len(load.answers) - 10
            load.wait(len(load.answers) + 10)
        during = load.answers[mark:healed]
        after = load.answers[healed:]
    finally:
        hub.stop()

    statuses = {status for _m, status, _b, _s in during}
    assert statuses <= {200, 201, 503}, [a for a in during if a[1] not in (200, 201, 503)]
    assert all("database_unavailable" in body for _m, status, body, _s in during
               if status == 503)
    if how == "crash":
        assert 503 in statuses, "nothing met the stopped server"
    assert max(seconds for *_rest, seconds in during) < 10
    assert {status for _m, status, _b, _s in after} <= {200, 201}, after
    # Nothing the hub confirmed is lost: a fast shutdown checkpoints, a crash replays
    # the write-ahead log.
    stored = stored_titles(server.url)
    assert confirmed_before <= load.confirmed <= stored
