"""Liveness and readiness checks (``/healthz``, ``/readyz``).

Readiness asks: does the database answer a trivial query, is its schema at the newest
migration this code knows, and — when the hub uses Redis, or a key service — do they
answer? Each check says "ok" or what is wrong; the cause's details (addresses, driver
messages) go to the log, never into the answer.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from sqlalchemy import text

from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.i18n import _

log = logging.getLogger(__name__)
OK = "ok"


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from cyberhub.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def check_database(database: Database) -> tuple[str, str]:
    """(database, migrations) status: one connection, two trivial queries."""
    try:
        # A plain read: on SQLite it must not queue for the write lock behind an import.
        with database.engine.execution_options(sqlite_begin="DEFERRED").connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = {row[0] for row in conn.execute(
                    text("SELECT version_num FROM alembic_version"))}
            except Exception:
                log.warning("readiness: the migration version could not be read",
                            exc_info=True)
                return OK, _("The database has no migration version; run "
                             "'cyberhub db upgrade'.")
    except Exception:
        log.warning("readiness: the database is unreachable", exc_info=True)
        return (_("The database is unreachable."),
                _("The migration version could not be read (the database is unreachable)."))
    heads = head_revisions()
    if current != heads:
        return OK, _("The database schema is at %(current)s, this version of the hub needs "
                     "%(head)s; run 'cyberhub db upgrade'.") % {
                         "current": ", ".join(sorted(current)) or "-",
                         "head": ", ".join(sorted(heads))}
    return OK, OK


def check_redis(url: str) -> str:
    from cyberhub import redis_client

    try:
        # A probe answers within its own timeout: 2 s, not the 5 s of the hub's requests.
        redis_client.client(url, timeout=2).ping()
    except Exception:
        log.warning("readiness: Redis is unreachable", exc_info=True)
        return _("Redis is unreachable.")
    return OK


def check_key_service(settings: Settings) -> str:
    from cyberhub.errors import KeyServiceUnavailable
    from cyberhub.keyring import client

    try:
        # A probe answers within 2 s, whatever the requests' own timeout.
        client.ServiceClient(settings.key_service, min(2.0, settings.key_service_timeout)
                             ).check()
    except KeyServiceUnavailable:
        return _("The key service is unreachable.")
    return OK


def readiness(database: Database, settings: Settings) -> tuple[bool, dict[str, Any]]:
    """Whether the hub may take traffic, and a body that names each check's result."""
    checks: dict[str, str] = {}
    checks["database"], checks["migrations"] = check_database(database)
    if settings.redis_url:
        checks["redis"] = check_redis(settings.redis_url)
    if settings.key_service:
        checks["key_service"] = check_key_service(settings)
    failed = sorted(name for name, result in checks.items() if result != OK)
    body: dict[str, Any] = {"status": "ready" if not failed else "unavailable",
                            "checks": checks}
    if failed:
        body["failed"] = failed
        body["message"] = _("The hub is not ready: %(what)s.") % {"what": ", ".join(failed)}
    return not failed, body
