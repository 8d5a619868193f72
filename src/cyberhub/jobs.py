"""Background jobs (huey): SQLite storage under the var directory by default, Redis
when ``CYBERHUB_REDIS_URL`` is set.

Jobs are enqueued only after the transaction that created their record commits
(:func:`enqueue_after_commit`), so a worker never looks for a row that is not there
yet. ``cyberhub worker`` runs the consumer; ``cyberhub serve`` starts one alongside.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab, signals
from huey.serializer import Serializer
from sqlalchemy import event
from sqlalchemy.orm import Session

from cyberhub import keyring
from cyberhub.config import get_settings
from cyberhub.db import Database
from cyberhub.errors import QueueUnavailable

log = logging.getLogger("cyberhub.jobs")


class SignedPickle(Serializer):  # type: ignore[misc]
    """huey's pickled messages, signed with the secret key (HMAC-SHA256).

    Unpickling runs code: anyone able to write to Redis or to var/jobs.sqlite3 could
    otherwise have the worker run theirs. A message whose signature no key matches is
    refused before it is unpickled. The keys are read at each use, so a key rotation
    (previous_secret_keys) keeps the messages already queued."""

    SEPARATOR = b"|sig:"

    def _serialize(self, data: Any) -> bytes:
        payload: bytes = super()._serialize(data)
        return payload + self.SEPARATOR + keyring.sign("jobs", payload).encode()

    def _deserialize(self, data: bytes) -> Any:
        payload, sep, mac = data.rpartition(self.SEPARATOR)
        if not sep or not keyring.verify("jobs", payload, mac.decode("ascii", "replace")):
            raise ValueError("a job message without a valid signature was refused")
        return super()._deserialize(payload)


def _make_huey() -> Huey:
    settings = get_settings()
    if settings.redis_url:
        # A Redis host that stops answering fails fast instead of hanging a request, and a
        # link gone silent without a reset cannot hold a worker for ever: the timeouts of
        # cyberhub.redis_client (huey's BRPOP waits 1 s, so no answer within 5 s means a
        # dead link), and the next poll reconnects.
        from cyberhub import redis_client

        return RedisHuey(settings.queue_name, utc=True, serializer=SignedPickle(),
                         connection_pool=redis_client.pool(settings.redis_url))
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(settings.var_dir / "jobs.sqlite3"),
                      utc=True, serializer=SignedPickle())


huey = _make_huey()


# A job ends in success, an error, or (huey 3) a timeout: the last two are failures.
_JOB_FAILED = {signals.SIGNAL_ERROR, getattr(signals, "SIGNAL_TIMEOUT", signals.SIGNAL_ERROR)}


@huey.signal(signals.SIGNAL_COMPLETE, *_JOB_FAILED)  # type: ignore[untyped-decorator]
def _count_job(signal: str, task: Any, exc: BaseException | None = None) -> None:
    """Jobs run and failed, by task name (Prometheus, docs/observability.md)."""
    from cyberhub.observability import metrics

    metrics.record_job(task.name, failed=signal in _JOB_FAILED)

_database: Database | None = None


def database() -> Database:
    """The worker's database handle (one per process)."""
    global _database
    import cyberhub.notifications.delivery  # noqa: F401 - jobs publish events: listen
    url = get_settings().resolved_database_url()
    if _database is None or _database.url != url:
        _database = Database(url)
    return _database


@huey.task()  # type: ignore[untyped-decorator]
def run_import(import_id: str, locale: str | None = None) -> None:
    """Run a queued import; its problems (bad objects) are written in ``locale``, the
    language of whoever started it."""
    from cyberhub import i18n
    from cyberhub.intel import imports

    with i18n.use_locale(locale):
        imports.run(database(), uuid.UUID(import_id))


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def requeue_stranded_imports() -> list[str]:
    """Queue again the imports whose job never reached the queue (it went away between
    the check before commit and the hand-over after it: see _enqueue_pending)."""
    from cyberhub.intel import imports

    waiting = {str(t.args[0]) for t in huey.pending()
               if t.name == "run_import" and t.args}
    with database().transaction() as session:
        found = [str(i) for i in imports.stranded(session, waiting)]
    for import_id in found:
        log.warning("import %s was never queued: queuing it now", import_id)
        run_import(import_id)
    return found


def refresh_landscape_now(now: datetime | None = None) -> bool:
    """Roll the landscape up again if a shared object changed or a period moved on since
    the last time; False when it was current. Counts in a snapshot, then writes briefly."""
    from cyberhub.atlas import landscape_rollup

    db = database()
    with db.snapshot() as session:
        if landscape_rollup.is_current(session, now):
            return False
        computed = landscape_rollup.compute(session, now)
    with db.transaction() as session:
        landscape_rollup.store(session, computed)
    return True


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
@huey.lock_task("landscape-rollup")  # type: ignore[untyped-decorator]
def refresh_landscape() -> None:
    if refresh_landscape_now():
        log.info("landscape rolled up")


def refresh_graph_now() -> bool:
    """Count the hub nodes' neighbours again if a shared object changed since the last
    time; False when current. Counts in a snapshot, then writes briefly."""
    from cyberhub.atlas import graph_rollup

    db = database()
    with db.snapshot() as session:
        if graph_rollup.is_current(session):
            return False
        generation, keys, computed = graph_rollup.compute(session)
    with db.transaction() as session:
        graph_rollup.store(session, generation, keys, computed)
    return True


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
@huey.lock_task("graph-rollup")  # type: ignore[untyped-decorator]
def refresh_graph() -> None:
    if refresh_graph_now():
        log.info("graph hub nodes counted")


def refresh_attack_now() -> bool:
    """Count the ATT&CK heatmap again if a shared object changed since the last time;
    False when current. Counts in a snapshot, then writes briefly."""
    from cyberhub.atlas import attack_rollup

    db = database()
    with db.snapshot() as session:
        if attack_rollup.is_current(session):
            return False
        computed = attack_rollup.compute(session)
    with db.transaction() as session:
        attack_rollup.store(session, computed)
    return True


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
@huey.lock_task("attack-rollup")  # type: ignore[untyped-decorator]
def refresh_attack() -> None:
    if refresh_attack_now():
        log.info("ATT&CK heatmap rolled up")


@huey.task()  # type: ignore[untyped-decorator]
def poll_feed(feed_id: str) -> None:
    """Fetch and import what is new in one claimed MISP feed (see federation.service)."""
    from cyberhub.federation import service

    service.run_claimed(database(), uuid.UUID(feed_id))


def poll_due_feeds(now: datetime | None = None) -> list[uuid.UUID]:
    """Claim the MISP feeds due at ``now`` and queue one poll for each."""
    from cyberhub.federation import service

    claimed = service.claim_due(database(), now)
    for feed_id in claimed:
        poll_feed(str(feed_id))
    return claimed


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def poll_feeds_every_minute() -> None:
    poll_due_feeds()


@huey.task()  # type: ignore[untyped-decorator]
def sync_peer(peer_id: str) -> None:
    """Pull from and push to one claimed partner hub (see federation.sync)."""
    from cyberhub.federation import sync

    sync.run_claimed(database(), uuid.UUID(peer_id))


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sync_peers_every_minute() -> None:
    from cyberhub.federation import sync

    for peer_id in sync.claim_due(database()):
        sync_peer(str(peer_id))


@huey.task()  # type: ignore[untyped-decorator]
def announce_deconfliction() -> None:
    """Announce new and renewed deconfliction registrations to every partner hub."""
    from cyberhub.deconfliction import network

    network.announce_all(database())


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def announce_deconfliction_every_minute() -> None:
    announce_deconfliction.call_local()


@huey.periodic_task(crontab(minute="30", hour="3"))  # type: ignore[untyped-decorator]
def purge_expired_deconfliction() -> None:
    from cyberhub.deconfliction import service

    with database().transaction() as session:
        service.purge_expired(session)


@huey.periodic_task(crontab(minute="40", hour="3"))  # type: ignore[untyped-decorator]
def purge_past_retention() -> dict[str, int]:
    """Delete personal data past its retention period (cyberhub.retention)."""
    from cyberhub import retention

    with database().transaction() as session:
        return retention.purge(session)


def remind_action_items_now(now: datetime | None = None) -> Any:
    """Publish the action-item reminders due now (see meetings.reminders)."""
    from cyberhub.meetings import reminders

    with database().transaction() as session:
        return reminders.send_due(session, now)


@huey.periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def remind_action_items_every_15_minutes() -> None:
    remind_action_items_now()


def warn_expiring_tokens_now(now: datetime | None = None) -> list[uuid.UUID]:
    """Tell the owners of API tokens that expire within a week, once per token (see
    community.auth.warn_expiring_tokens); the ids of the tokens warned of."""
    from cyberhub.community import auth

    with database().transaction() as session:
        return [t.id for t in auth.warn_expiring_tokens(session, now)]


@huey.periodic_task(crontab(minute="20"))  # type: ignore[untyped-decorator]
@huey.lock_task("token-expiry")  # type: ignore[untyped-decorator]
def warn_expiring_tokens_hourly() -> None:
    warned = warn_expiring_tokens_now()
    if warned:
        log.info("told the owners of %d API token(s) that expire within a week", len(warned))


@huey.task()  # type: ignore[untyped-decorator]
def send_notification_email(notification_id: str) -> None:
    """E-mail one notification (docs/notifications.md), after its transaction committed."""
    from cyberhub.notifications import delivery

    with database().transaction() as session:
        delivery.send_one(session, uuid.UUID(notification_id))


@huey.task()  # type: ignore[untyped-decorator]
def deliver_webhook(delivery_id: str) -> None:
    """One attempt to deliver a signed webhook; failures wait for the retry sweep."""
    from cyberhub.notifications import webhooks

    with database().transaction() as session:
        webhooks.deliver(session, uuid.UUID(delivery_id))


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def retry_webhooks_every_minute() -> None:
    from cyberhub.notifications import webhooks

    with database().transaction() as session:
        due = webhooks.due_deliveries(session)
    for delivery_id in due:
        deliver_webhook(str(delivery_id))


@huey.periodic_task(crontab(minute="0", hour="6"))  # type: ignore[untyped-decorator]
def daily_digest() -> None:
    """06:00 UTC (the queue runs in UTC): the day's notifications for digest readers."""
    from cyberhub.notifications import delivery

    with database().transaction() as session:
        delivery.send_digests(session)


_PENDING = "cyberhub_jobs_after_commit"


def enqueue_after_commit(session: Session, task: Any, *args: Any) -> None:
    session.info.setdefault(_PENDING, []).append((task, args))


def queue_reachable() -> bool:
    """Whether the job queue answers (always, for the SQLite queue on local disk)."""
    if not isinstance(huey, RedisHuey):
        return True
    try:
        return bool(huey.storage.conn.ping())
    except Exception:
        return False


@event.listens_for(Session, "before_commit")
def _check_queue(session: Session) -> None:
    """A transaction that queues a job commits only if the queue is there to take it:
    otherwise its record (an import, a feed poll…) would wait for a job that never
    comes. The error rolls the whole request back."""
    if session.info.get(_PENDING) and not queue_reachable():
        log.warning("job queue unreachable: %d job(s) refused", len(session.info[_PENDING]))
        raise QueueUnavailable()


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for task, args in session.info.pop(_PENDING, []):
        try:
            task(*args)
        except Exception:
            # The queue went away between the check and now: the record stays queued
            # until requeue_stranded_imports finds it, once the queue is back.
            log.exception("could not queue %s%r", getattr(task, "name", task), args)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
