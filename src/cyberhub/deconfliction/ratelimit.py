"""A fixed-window counter per user: at most ``limit`` values per hour.

With ``CYBERHUB_REDIS_URL`` set the counts live in Redis (one script per request that
adds and sets the expiry, or refuses, atomically; shared by every process of the hub);
otherwise in the database table ``deconfliction_rate_windows``, counted by one
conditional upsert so that concurrent requests cannot both pass. A refused request
counts nothing.

When Redis cannot be reached the limit is never let open: the request is refused with
``RateLimitUnavailable`` (503, ``Retry-After``) before anything is stored. The database
table is no fallback, as it would count from zero what Redis had already counted in the
hour."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import case, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.deconfliction.models import RateWindow
from cyberhub.errors import RateLimitUnavailable, TooManyRequests
from cyberhub.i18n import ngettext

log = logging.getLogger(__name__)

WINDOW: Final = timedelta(hours=1)

# Add ARGV[1] to the count unless that passes the limit ARGV[2]: the new count, or -1
# (nothing added). The key outlives its hour by a minute (ARGV[3] seconds in all).
_TAKE: Final = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total > tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return -1
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return total
"""


def _refuse(limit: int, retry: int) -> TooManyRequests:
    return TooManyRequests(
        ngettext("You submitted %(n)d value for deconfliction in the last hour, the most one "
                 "user may; try again later.",
                 "You submitted %(n)d values for deconfliction in the last hour, the most one "
                 "user may; try again later.", limit) % {"n": limit}, retry_after=max(1, retry))


def _window_start(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def take(session: Session, key: str, amount: int, *, limit: int | None = None,
         now: datetime | None = None) -> None:
    """Count ``amount`` against ``key`` in the current hour, or raise TooManyRequests
    (counting nothing) when that would pass the limit, or RateLimitUnavailable when the
    Redis that holds the counts does not answer."""
    s = get_settings()
    limit = s.deconfliction_hourly_limit if limit is None else limit
    now = now or utcnow()
    start = _window_start(now)
    retry = int((start + WINDOW - now).total_seconds()) + 1
    if amount > limit:
        raise _refuse(limit, retry)
    if s.redis_url:
        _take_redis(s.redis_url, f"{s.queue_name}:deconfliction:{key}:{start:%Y%m%d%H}",
                    amount, limit, retry)
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One statement: a first request makes the row, a request in a later hour starts
    # the window again, one in the same hour adds to it only while within the limit.
    stmt = insert(RateWindow).values(key=key, window_start=start, count=amount)
    counted = session.execute(stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"window_start": start,
              "count": case((RateWindow.window_start == start, RateWindow.count + amount),
                            else_=amount)},
        where=or_(RateWindow.window_start != start,
                  RateWindow.count + amount <= limit)).returning(RateWindow.count))
    if counted.first() is None:
        raise _refuse(limit, retry)


def _take_redis(url: str, key: str, amount: int, limit: int, retry: int) -> None:
    import redis

    from cyberhub import redis_client

    try:
        total = int(redis_client.client(url).eval(
            _TAKE, 1, key, amount, limit, int(WINDOW.total_seconds()) + 60))
    except redis.RedisError as exc:
        log.warning("deconfliction rate limit: Redis is unreachable (%s); request refused",
                    type(exc).__name__)
        raise RateLimitUnavailable() from exc
    if total < 0:
        raise _refuse(limit, retry)
