"""Reads from a real streaming replica (tests/replica/conftest.py), writes to the primary.

Replay on the standby is paused to tell the two apart: a write made on the primary is
then missing from the standby, so a read that does not see it was answered by the
standby, and one that does was answered by the primary. The key property: while
replay is paused, the client who wrote sees its write and an unrelated client does not.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from cyberhub import audit
from cyberhub.app import create_app
from cyberhub.community.models import User
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.replica import Replica
from tests.conftest import redis_test_url
from tests.factories import Community, bearer, csrf_of, sign_in
from tests.replica.conftest import StreamingPair

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("replica")]

SCRAPE = "scrape-secret-0123456789"


def reads(target: str) -> float:
    return REGISTRY.get_sample_value("cyberhub_db_reads_total", {"target": target}) or 0.0


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("cyberhub_db_replica_fallbacks_total",
                                     {"reason": reason}) or 0.0


@dataclass
class Hub:
    pair: StreamingPair
    database: Database
    community: Community
    app: object

    @property
    def replica(self) -> Replica:
        assert self.database.replica is not None
        return self.database.replica

    def browser(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")  # type: ignore[arg-type]

    def member(self, org: object) -> User:
        return self.community.user(org)  # type: ignore[arg-type]

    def settle(self) -> None:
        """The standby has replayed everything, and the hub has checked it since."""
        self.pair.catch_up()
        self.replica.refresh()


def make_hub(pair: StreamingPair, tmp_path: Path, **overrides: object) -> Iterator[Hub]:
    settings = Settings(database_url=pair.primary_url, database_replica_url=pair.replica_url,
                        var_dir=tmp_path / "var", secret_key="test-secret-key",
                        argon2_time_cost=1, argon2_memory_kib=8192,
                        replica_max_lag_seconds=60, metrics_token=SCRAPE, **overrides)  # type: ignore[arg-type]
    set_settings(settings)
    database = Database(settings.database_url, replica_url=settings.database_replica_url,
                        replica_max_lag=settings.replica_max_lag_seconds)
    try:
        yield Hub(pair, database, Community(database), create_app(settings, database))
    finally:
        database.dispose()


@pytest.fixture
def hub(streaming_pair: StreamingPair, tmp_path: Path) -> Iterator[Hub]:
    yield from make_hub(streaming_pair, tmp_path)


@pytest.fixture
def redis_hub(streaming_pair: StreamingPair, tmp_path: Path) -> Iterator[Hub]:
    yield from make_hub(streaming_pair, tmp_path, redis_url=redis_test_url(),
                        queue_name=f"cyberhub-replica-{uuid.uuid4().hex[:8]}")


def note_id(location: str) -> str:
    match = re.fullmatch(r"/notes/([0-9a-f-]{36})(\?.*)?", location)
    assert match, location
    return match.group(1)


def test_a_browser_reads_its_own_write_while_others_read_the_replica(hub: Hub) -> None:
    org = hub.community.org()
    ana, ben = hub.member(org), hub.member(org)
    with hub.browser() as writer, hub.browser() as other:
        assert sign_in(writer, ana.email).status_code == 303
        assert sign_in(other, ben.email).status_code == 303
        form = csrf_of(writer, "/notes/new")
        hub.pair.pause_replay()
        try:
            hub.replica.refresh()
            # The POST writes on the primary (the standby is read-only, and paused).
            r = writer.post("/notes/new", data={"title": "Seen by its writer at once",
                                                "tlp": "GREEN", "csrf_token": form},
                            follow_redirects=False)
            assert r.status_code == 303, r.text
            nid = note_id(r.headers["location"])
            assert "cyberhub_read_position=" in r.headers["set-cookie"]
            before = reads("replica"), fallbacks("behind_client")
            # The writer's next page waits for its write: the primary answers it.
            page = writer.get(f"/notes/{nid}")
            assert page.status_code == 200 and "Seen by its writer at once" in page.text
            assert writer.get(f"/api/v1/notes/{nid}").json()["title"] == \
                "Seen by its writer at once"
            assert fallbacks("behind_client") == before[1] + 2
            # Another member of the same organisation may see the note, but reads from
            # the standby, which has not replayed it: not there yet.
            assert other.get(f"/notes/{nid}").status_code == 404
            assert other.get(f"/api/v1/notes/{nid}").status_code == 404
            listed = other.get("/api/v1/notes").json()["items"]
            assert nid not in {n["id"] for n in listed}
            assert reads("replica") == before[0] + 3
        finally:
            hub.pair.resume_replay()
        hub.replica.refresh()
        assert other.get(f"/api/v1/notes/{nid}").json()["title"] == "Seen by its writer at once"
        # The writer is on the replica again once it has replayed the write.
        before_replica = reads("replica")
        assert writer.get(f"/api/v1/notes/{nid}").status_code == 200
        assert reads("replica") == before_replica + 1


def test_token_clients_keep_their_read_position_in_redis(redis_hub: Hub) -> None:
    hub = redis_hub
    org = hub.community.org()
    ana, ben = hub.member(org), hub.member(org)
    writer, reader = hub.community.token(ana, "write"), hub.community.token(ben)
    with hub.browser() as client:
        assert client.get("/api/v1/notes", headers=bearer(writer)).status_code == 200
        assert client.get("/api/v1/notes", headers=bearer(reader)).status_code == 200
        hub.pair.pause_replay()
        try:
            hub.replica.refresh()
            r = client.post("/api/v1/notes", headers=bearer(writer),
                            json={"title": "Posted by a script", "tlp": "GREEN"})
            assert r.status_code == 201, r.text
            nid = r.json()["id"]
            assert "set-cookie" not in r.headers  # a script's position lives in Redis
            assert client.get(f"/api/v1/notes/{nid}", headers=bearer(writer)).status_code == 200
            assert client.get(f"/api/v1/notes/{nid}", headers=bearer(reader)).status_code == 404
        finally:
            hub.pair.resume_replay()
        hub.replica.refresh()
        assert client.get(f"/api/v1/notes/{nid}", headers=bearer(reader)).status_code == 200
        # TAXII clients are routed alike.
        taxii = {**bearer(reader), "Accept": "application/taxii+json;version=2.1"}
        before = reads("replica")
        assert client.get("/taxii2/hub/collections/", headers=taxii).status_code == 200
        assert reads("replica") == before + 1


def test_without_redis_token_clients_read_from_the_primary(hub: Hub) -> None:
    org = hub.community.org()
    ana, ben = hub.member(org), hub.member(org)
    reader = hub.community.token(ben)
    with hub.browser() as client:
        assert client.get("/api/v1/notes", headers=bearer(reader)).status_code == 200
        hub.pair.pause_replay()
        try:
            hub.replica.refresh()
            note = hub.community.note(ana, title="Written elsewhere")
            before = fallbacks("unknown_position")
            r = client.get(f"/api/v1/notes/{note.id}", headers=bearer(reader))
            assert r.status_code == 200, r.text
            assert fallbacks("unknown_position") == before + 1
        finally:
            hub.pair.resume_replay()


def test_a_sensitive_read_on_the_replica_is_audited_on_the_primary(hub: Hub) -> None:
    org = hub.community.org()
    ana, ben = hub.member(org), hub.member(org)
    red = hub.community.note(ana, tlp="RED", title="For Ben alone", users=[ben])
    with hub.browser() as browser:
        assert sign_in(browser, ben.email).status_code == 303
        hub.settle()
        hub.pair.pause_replay()
        try:
            hub.replica.refresh()
            before = reads("replica")
            r = browser.get(f"/api/v1/notes/{red.id}")
            assert r.status_code == 200 and r.json()["title"] == "For Ben alone"
            assert reads("replica") == before + 1  # the record came from the standby
            # ... and its audit entry went to the primary, committed with the answer.
            count = ("SELECT count(*) FROM audit_entries WHERE action = 'record.read' "
                     "AND target_id = :id")
            assert hub.pair.sql("primary", count, id=str(red.id)) == 1
            assert hub.pair.sql("replica", count, id=str(red.id)) == 0
        finally:
            hub.pair.resume_replay()
    assert hub.pair.sql("replica", count, id=str(red.id)) == 1
    with hub.database.snapshot() as session:
        assert audit.verify(session).ok


def test_a_lagging_replica_is_not_read(hub: Hub) -> None:
    org = hub.community.org()
    ana, ben = hub.member(org), hub.member(org)
    hub.replica.max_lag = 1.0
    with hub.browser() as browser:
        assert sign_in(browser, ben.email).status_code == 303
        hub.settle()
        hub.pair.pause_replay()
        try:
            note = hub.community.note(ana, title="Written while the standby stood still")
            time.sleep(1.2)
            status = hub.replica.refresh()
            assert status.usable and status.lag is not None and status.lag > 1.0
            before = fallbacks("lagging")
            assert browser.get(f"/api/v1/notes/{note.id}").status_code == 200
            assert fallbacks("lagging") == before + 1
        finally:
            hub.pair.resume_replay()


def test_reads_go_to_the_primary_while_the_replica_is_down(hub: Hub) -> None:
    org = hub.community.org()
    ana = hub.member(org)
    note = hub.community.note(ana, title="Still readable")
    with hub.browser() as browser:
        assert sign_in(browser, ana.email).status_code == 303
        hub.settle()
        assert hub.replica.status().usable
        before = reads("replica")
        assert browser.get(f"/api/v1/notes/{note.id}").status_code == 200
        assert reads("replica") == before + 1
        hub.pair.pg_ctl("standby", "-m", "fast", "stop")
        try:
            # The last check still says the replica answers: the request finds out when
            # it takes a connection, and reads from the primary instead of failing.
            before = reads("primary"), fallbacks("unavailable")
            assert browser.get(f"/api/v1/notes/{note.id}").status_code == 200
            assert browser.get(f"/notes/{note.id}").status_code == 200
            assert reads("primary") == before[0] + 2
            assert fallbacks("unavailable") >= before[1] + 2
            assert not hub.replica.refresh().usable
            metrics = browser.get("/metrics", headers=bearer(SCRAPE)).text
            assert "cyberhub_db_replica_up 0.0" in metrics
            # Writes never needed it.
            form = csrf_of(browser, "/notes/new")
            assert browser.post("/notes/new", data={"title": "Written meanwhile", "tlp": "GREEN",
                                                    "csrf_token": form},
                                follow_redirects=False).status_code == 303
        finally:
            hub.pair.start("standby")
        hub.settle()
        assert hub.replica.status().usable
        metrics = browser.get("/metrics", headers=bearer(SCRAPE)).text
        assert "cyberhub_db_replica_up 1.0" in metrics
        assert re.search(r"^cyberhub_db_replica_lag_seconds \d", metrics, re.M)
        assert re.search(r'^cyberhub_db_reads_total\{target="replica"\} [1-9]', metrics, re.M)


def test_a_replica_url_that_names_a_primary_is_refused(streaming_pair: StreamingPair,
                                                       tmp_path: Path) -> None:
    database = Database(streaming_pair.primary_url, replica_url=streaming_pair.primary_url)
    try:
        assert database.replica is not None
        status = database.replica.refresh()
        assert not status.usable and "not a standby" in status.problem
    finally:
        database.dispose()
