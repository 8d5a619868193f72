"""Prometheus metrics (prometheus-client).

Counters and histograms are defined here, once per process. With
``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts) prometheus-client keeps
them in files under that directory, and a scrape of any app worker adds up every
worker's and every job worker's values (its multiprocess mode). Gauges that describe
the hub as a whole (federation sync lag, queue depth) are read at scrape time by
:class:`HubCollector`, so they are right whichever worker answers.

Labels never carry ids or values: routes are labelled by their template
(``/api/v1/objects/{object_id}``), jobs by task name, imports by format and outcome.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cyberhub.db import Database, utcnow

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "(unmatched)"

HTTP_REQUESTS = Counter(
    "cyberhub_http_requests", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "cyberhub_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0))
JOBS_RUN = Counter(
    "cyberhub_jobs_run", "Background jobs that ran to an end (success or failure), by task.",
    ["task"])
JOBS_FAILED = Counter(
    "cyberhub_jobs_failed", "Background jobs that raised an error or timed out, by task.", ["task"])
IMPORTS = Counter(
    "cyberhub_imports", "Imports finished, by format and outcome (succeeded, rejected, failed).",
    ["format", "status"])
IMPORT_OBJECTS = Counter(
    "cyberhub_import_objects", "Objects stored by imports (new and new versions), by format.",
    ["format"])
IMPORT_OBJECTS_INVALID = Counter(
    "cyberhub_import_objects_invalid", "Objects imports found invalid, by format.", ["format"])
SECURITY_REFUSALS = Counter(
    "cyberhub_security_refusals",
    "Requests refused as security events (401, 403, 429), by status and error code.",
    ["status", "code"])
DB_READS = Counter(
    "cyberhub_db_reads",
    "Requests with a safe method (GET, HEAD) on a hub with a read replica, by the database "
    "that answered their reads: replica, or primary (the replica lagged, was unreachable, "
    "had not replayed the client's own writes, or the route reads from the primary).",
    ["target"])
REPLICA_FALLBACKS = Counter(
    "cyberhub_db_replica_fallbacks",
    "Safe requests that could not read from the replica, by reason: unavailable, lagging, "
    "behind_client (it had not replayed the client's own writes), unknown_position.",
    ["reason"])


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def record_refusal(status: int, code: str) -> None:
    """A refusal the security log writes (failed authentication, access control, CSRF,
    throttling): counted so that a burst can raise an alert (ASVS V8.1.4, V11.1.8)."""
    SECURITY_REFUSALS.labels(str(status), code).inc()


def record_db_read(target: str) -> None:
    DB_READS.labels(target).inc()


def record_replica_fallback(reason: str) -> None:
    REPLICA_FALLBACKS.labels(reason).inc()


def record_job(task: str, failed: bool) -> None:
    JOBS_RUN.labels(task).inc()
    if failed:
        JOBS_FAILED.labels(task).inc()


def record_import(fmt: str, status: str, stored: int, invalid: int) -> None:
    IMPORTS.labels(fmt, status).inc()
    if stored:
        IMPORT_OBJECTS.labels(fmt).inc(stored)
    if invalid:
        IMPORT_OBJECTS_INVALID.labels(fmt).inc(invalid)


class HubCollector(Collector):
    """Gauges read when Prometheus scrapes: sync lag per partner, pending jobs, and the
    read replica as the answering process last checked it."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterable[Metric]:
        yield from self._sync_lag()
        yield from self._queue_depth()
        yield from self._replica()

    def _replica(self) -> Iterator[Metric]:
        replica = self.database.replica
        if replica is None:
            return
        status = replica.status()
        yield GaugeMetricFamily(
            "cyberhub_db_replica_up",
            "1 while the read replica answers as a standby of the primary, else 0.",
            value=1 if status.usable else 0)
        if status.usable and status.lag is not None:
            yield GaugeMetricFamily(
                "cyberhub_db_replica_lag_seconds",
                "How far the read replica was behind the primary at the last check, in "
                "seconds: 0 when it had replayed all the primary had written, else the age "
                "of the last commit it replayed.", value=status.lag)

    def _sync_lag(self) -> Iterator[Metric]:
        from sqlalchemy import select

        from cyberhub.federation.models import Peer

        lag = GaugeMetricFamily(
            "cyberhub_federation_sync_lag_seconds",
            "Seconds since the last successful sync with each enabled partner hub "
            "(since it was added, when it never succeeded).", labels=["partner"])
        failures = GaugeMetricFamily(
            "cyberhub_federation_sync_failures",
            "Failed syncs in a row with each enabled partner hub.", labels=["partner"])
        try:
            with self.database.snapshot() as session:
                partners = session.execute(
                    select(Peer.name, Peer.last_success_at, Peer.created_at, Peer.failures)
                    .where(Peer.enabled).order_by(Peer.name)).all()
        except Exception:
            log.warning("metrics: the partner hubs could not be read", exc_info=True)
            return
        now = utcnow()
        for name, succeeded, created, failed in partners:
            since = succeeded or created
            lag.add_metric([name], max(0.0, (now - since).total_seconds()))
            failures.add_metric([name], failed)
        yield lag
        yield failures

    def _queue_depth(self) -> Iterator[Metric]:
        from cyberhub import jobs

        try:
            pending = jobs.huey.pending_count()
        except Exception:
            log.warning("metrics: the job queue could not be read", exc_info=True)
            return
        yield GaugeMetricFamily("cyberhub_jobs_pending",
                                "Background jobs waiting in the queue.", value=pending)


class _ProcessDefaults(Collector):
    """The default registry (this process's metrics, and the process collector)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(database: Database) -> bytes:
    """The text a scrape gets: every process's metrics, then the scrape-time gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessDefaults())
    registry.register(HubCollector(database))
    return generate_latest(registry)

