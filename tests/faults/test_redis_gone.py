"""Redis (the job queue of a scaled hub) goes away: starting an import answers 503 with
a message and stores nothing — no import record waiting for a job that never comes —,
the rest of the hub keeps working, and imports run again once Redis is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest

from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.conftest import redis_test_url
from tests.faults.proxy import TcpProxy
from tests.federation.network import HubProcess, org, user

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.xdist_group("faults")]

EMAIL = "ana@alpha-cert.example"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[HubProcess, TcpProxy]]:
    real = urlsplit(redis_test_url())
    proxy = TcpProxy(real.hostname or "127.0.0.1", real.port or 6379)
    made = HubProcess("r", tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    made.env["CYBERHUB_REDIS_URL"] = f"redis://127.0.0.1:{proxy.port}{real.path or '/0'}"
    try:
        made.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"))
        yield made, proxy
    finally:
        made.stop()
        proxy.close()
        import redis

        client = redis.Redis.from_url(redis_test_url())
        for key in client.scan_iter(f"*{made.env['CYBERHUB_QUEUE_NAME']}*"):
            client.delete(key)
        client.close()


def test_an_import_is_refused_clearly_while_redis_is_gone(
        hub: tuple[HubProcess, TcpProxy], tmp_path: Path) -> None:
    made, proxy = hub
    token = made.token(EMAIL, scope="write")
    made.start(worker=True)
    api = httpx2.Client(base_url=made.url, timeout=30,
                        headers={"Authorization": f"Bearer {token}"})
    bundle = bundle_bytes(list(Generator(seed=11).objects(40)))

    proxy.cut()
    began = time.monotonic()
    refused = api.post("/api/v1/import", params={"tlp": "GREEN"}, content=bundle)
    assert time.monotonic() - began < 10
    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert error["code"] == "queue_unavailable"
    assert "job queue is unavailable" in error["message"]
    assert "nothing was stored" in error["message"]
    assert refused.headers["Retry-After"].isdigit()
    # Nothing half-way: no import waiting for a job that was never queued.
    assert api.get("/api/v1/imports").json()["items"] == []
    staging = made.root / "var" / "imports"
    assert not staging.exists() or list(staging.iterdir()) == []
    # The rest of the hub works: reads and writes that queue nothing.
    note = api.post("/api/v1/notes", json={"title": "while Redis is gone", "tlp": "GREEN"})
    assert note.status_code == 201, note.text
    assert api.get("/api/v1/notes").json()["items"][0]["title"] == "while Redis is gone"
    assert api.get("/healthz").status_code == 200
    ready = api.get("/readyz")
    assert ready.status_code == 503 and "redis" in ready.text

    proxy.restore()
    accepted = api.post("/api/v1/import", params={"tlp": "GREEN"}, content=bundle)
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    deadline = time.monotonic() + 60
    while True:
        status = api.get(location).json()
        if status["status"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status["status"] == "succeeded", status
    assert status["counts"]["stored"] == 40
    assert len(api.get("/api/v1/imports").json()["items"]) == 1


def test_the_hub_gets_over_a_partition_that_sent_no_reset(
        hub: tuple[HubProcess, TcpProxy]) -> None:
    """A link that goes silent, with no reset to say so (a firewall dropping state, a host
    gone from the network), must not hold the worker or a request for ever: the Redis
    connections time out and are made again once the network is back."""
    made, proxy = hub
    token = made.token(EMAIL, scope="write")
    made.start(worker=True)
    api = httpx2.Client(base_url=made.url, timeout=60,
                        headers={"Authorization": f"Bearer {token}"})
    assert api.get("/readyz").status_code == 200  # the app's connection is open too
    time.sleep(1)
    proxy.freeze()
    time.sleep(2)  # the worker's poll now waits on a link that will never answer
    proxy.restore()

    accepted = api.post("/api/v1/import", params={"tlp": "GREEN"},
                        content=bundle_bytes(list(Generator(seed=12).objects(20))))
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    deadline = time.monotonic() + 60
    while (status := api.get(location).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["status"] == "succeeded", status
    assert status["counts"]["stored"] == 20
