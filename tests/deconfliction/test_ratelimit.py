"""The per-user rate window, in the database and in Redis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.deconfliction import ratelimit
from cyberhub.errors import TooManyRequests

NOON = datetime(2026, 12, 5, 12, 10, tzinfo=UTC)


def _take(database: Database, key: str, n: int, at: datetime) -> None:
    with database.transaction() as s:
        ratelimit.take(s, key, n, limit=5, now=at)


def _exercise(database: Database, key: str) -> None:
    _take(database, key, 3, NOON)
    _take(database, key, 2, NOON + timedelta(minutes=20))
    with pytest.raises(TooManyRequests) as refused:
        _take(database, key, 1, NOON + timedelta(minutes=30))
    assert 0 < refused.value.retry_after <= 30 * 60 + 1
    with pytest.raises(TooManyRequests):
        _take(database, key, 6, NOON + timedelta(hours=1))  # more than a whole window
    _take(database, "user:someone-else", 5, NOON)
    # The next hour starts afresh; a refused request counted nothing.
    _take(database, key, 5, NOON + timedelta(hours=1))


def test_database_window(database: Database) -> None:
    _exercise(database, "user:one")


@pytest.mark.redis
def test_redis_window(database: Database, settings: Settings) -> None:
    import redis
    from sqlalchemy import text

    from tests.conftest import redis_test_url

    settings.redis_url = redis_test_url()
    settings.queue_name = f"cyberhub-test-{uuid.uuid4().hex[:12]}"
    try:
        _exercise(database, "user:one")
        with database.engine.connect() as conn:  # nothing counted in the database
            assert conn.execute(text("SELECT count(*) FROM deconfliction_rate_windows")
                                ).scalar() == 0
    finally:
        client = redis.Redis.from_url(settings.redis_url)
        for key in client.scan_iter(f"{settings.queue_name}:*"):
            client.delete(key)
        settings.redis_url = ""
