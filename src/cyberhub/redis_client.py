"""The one way the hub opens Redis: the job queue, the deconfliction rate limit, the read
positions of API tokens and the readiness check all connect through here.

Every connection has a connect and a read timeout, stated here rather than left to the
client library's defaults (which differ between its versions): a Redis that is down
answers at once (connection refused or reset), and a link gone silent without a reset
(a firewall dropping its state, a host gone from the network) costs a caller at most
``timeout`` seconds, never a hang. A reset or refused connection is tried once more at
once — a pooled connection left over from before a Redis restart is stale, and the next
one works —; a timeout is not retried, so the bound holds. What a failure means (refuse
with 503, read from the primary…) is for the caller to decide; every error raised is a
``redis.exceptions.RedisError``."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import redis

# Seconds. huey's BRPOP waits 1 s for a job, so no answer within 5 s means a dead link.
TIMEOUT: Final = 5.0


def pool(url: str, *, timeout: float = TIMEOUT) -> redis.ConnectionPool:
    """A connection pool for ``url`` (redis:// or rediss://, its query as the client
    library reads it); it makes its connections again after a fork and after a failure."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.ConnectionPool.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)))


@lru_cache(maxsize=8)
def client(url: str, *, timeout: float = TIMEOUT) -> redis.Redis:
    """The process's client for ``url`` (shared: its pool keeps the connections)."""
    import redis

    return redis.Redis(connection_pool=pool(url, timeout=timeout))
