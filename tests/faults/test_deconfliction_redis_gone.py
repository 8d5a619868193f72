"""Redis (where a scaled hub counts each user's deconfliction values per hour) goes away:
registering an interest and checking values answer 503 ``rate_limit_unavailable`` with
``Retry-After`` and store nothing — the limit is never let open, and the database is no
fallback that would count from zero —; a link gone silent costs a request the client's
timeout, not a hang; once Redis is back both work again and count where they left off."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from cyberhub.config import Settings
from tests.api.conftest import Hub, assert_error
from tests.api.conftest import hub as base_hub  # noqa: F401 - the fixtures, shared
from tests.conftest import redis_test_url
from tests.deconfliction.conftest import WALLET, hub  # noqa: F401 - the fixture, shared
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.xdist_group("faults")]


@pytest.fixture
def redis_link(settings: Settings) -> Iterator[TcpProxy]:
    """The hub's Redis behind a proxy that can be cut, frozen and restored."""
    real = urlsplit(redis_test_url())
    proxy = TcpProxy(real.hostname or "127.0.0.1", real.port or 6379)
    settings.redis_url = f"redis://127.0.0.1:{proxy.port}{real.path or '/0'}"
    settings.queue_name = f"cyberhub-test-{uuid.uuid4().hex[:12]}"
    try:
        yield proxy
    finally:
        proxy.close()
        settings.redis_url = ""
        import redis

        client = redis.Redis.from_url(redis_test_url())
        for key in client.scan_iter(f"{settings.queue_name}:*"):
            client.delete(key)
        client.close()


def _counted(settings: Settings) -> int:
    """Every value counted in Redis for this hub, over all users and hours."""
    import redis

    client = redis.Redis.from_url(redis_test_url())
    try:
        return sum(int(client.get(key) or 0)
                   for key in client.scan_iter(f"{settings.queue_name}:deconfliction:*"))
    finally:
        client.close()


def _register(on: Hub, who: str = "police_a") -> Any:
    return on.post(who, "/deconfliction/registrations",
                    {"kind": "wallet", "value": f"btc:{WALLET}", "case_reference": "NL-2026-40",
                     "contact": "Duty desk, +31 70 000 0000"})


def _check(on: Hub, who: str = "police_b") -> Any:
    return on.post(who, "/deconfliction/check",
                    {"values": [{"kind": "wallet", "value": f"btc:{WALLET}"}]})


def _refused_at_once(response: Any, began: float) -> None:
    # Hang protection only: a refused or reset connection answers in milliseconds, a
    # silent one after the client's 5 s timeout.
    assert time.monotonic() - began < 30
    error = assert_error(response, 503, "rate_limit_unavailable")
    assert "nothing was stored" in error["message"]
    assert response.headers["Retry-After"].isdigit()


def test_deconfliction_is_refused_clearly_while_redis_is_gone_and_counts_again_after(
        hub: Hub, redis_link: TcpProxy, settings: Settings) -> None:  # noqa: F811
    settings.deconfliction_hourly_limit = 3
    assert _register(hub).status_code == 201  # counted in Redis: 1 of police_a's 3
    assert _counted(settings) == 1
    before = hub.state()

    redis_link.cut()
    began = time.monotonic()
    _refused_at_once(_register(hub, "police_b"), began)
    began = time.monotonic()
    _refused_at_once(_check(hub), began)
    # Nothing half-written: no registration, no hit, no notification, no audit entry.
    assert hub.state() == before
    # What needs no count keeps working.
    listed = hub.get("police_a", "/deconfliction/registrations")
    assert listed.status_code == 200 and len(listed.json()) == 1

    redis_link.restore()
    registered = _register(hub, "police_b")
    assert registered.status_code == 201, registered.text
    assert len(registered.json()["hits"]) == 1
    checked = _check(hub, "police_a2")
    assert checked.status_code == 200, checked.text
    assert checked.json()["results"][0]["registered_elsewhere"] is True
    assert _counted(settings) == 3  # the refused requests counted nothing
    # The count went on from where it was: police_a has used 1 of 3, then 2 more pass
    # and the next is refused.
    assert hub.post("police_a", "/deconfliction/check", {"values": [
        {"kind": "iban", "value": "GB82WEST12345698765432"},
        {"kind": "email", "value": "mule@example.com"}]}).status_code == 200
    assert_error(hub.post("police_a", "/deconfliction/check", {"values": [
        {"kind": "email", "value": "mule@example.com"}]}), 429, "too_many_requests")


def test_a_silent_redis_link_costs_a_deconfliction_request_a_timeout_not_a_hang(
        hub: Hub, redis_link: TcpProxy) -> None:  # noqa: F811
    assert _register(hub).status_code == 201  # the pooled connection is open
    before = hub.state()

    redis_link.freeze()  # no reset: bytes stop, neither end is told
    began = time.monotonic()
    _refused_at_once(_register(hub, "police_b"), began)
    assert hub.state() == before

    redis_link.restore()
    registered = _register(hub, "police_b")
    assert registered.status_code == 201, registered.text
    assert len(registered.json()["hits"]) == 1
