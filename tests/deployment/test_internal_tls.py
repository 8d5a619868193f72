"""TLS between the hub and its PostgreSQL and Redis (ASVS 1.9.1, 9.2.2): the TLS settings
an operator writes into the database and Redis URLs reach the drivers unchanged, and a
server that cannot speak TLS is refused — never quietly used in clear. (The test servers
speak no TLS, which is what makes the refusal visible.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cyberhub.config import Settings
from cyberhub.db import Database
from tests.conftest import pg_admin_url, redis_test_url


def with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


def test_postgresql_tls_settings_reach_the_driver(tmp_path) -> None:
    from sqlalchemy import text

    for mode, works in (("disable", True), ("require", False)):
        settings = Settings(database_url=with_query(pg_admin_url(), f"sslmode={mode}"),
                            var_dir=tmp_path / "var", secret_key="test-secret-key")
        database = Database(settings.resolved_database_url())
        try:
            if works:
                with database.snapshot() as session:
                    assert session.execute(text("SELECT 1")).scalar() == 1
            else:
                with pytest.raises(Exception, match="SSL was required"), \
                        database.snapshot() as session:
                    session.execute(text("SELECT 1"))
        finally:
            database.dispose()


@pytest.mark.redis
def test_redis_over_tls_is_asked_for_with_rediss_and_never_falls_back(tmp_path) -> None:
    url = redis_test_url()
    check = ("from cyberhub import jobs\n"
             "pool = jobs.huey.storage.conn.connection_pool\n"
             "print(pool.connection_class.__name__, pool.connection_kwargs.get('ssl_ca_certs'),"
             " jobs.queue_reachable())\n")

    def run(redis_url: str) -> list[str]:
        env = {**os.environ, "CYBERHUB_REDIS_URL": redis_url,
               "CYBERHUB_VAR_DIR": str(tmp_path / "var")}
        done = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True,
                              text=True, timeout=120, check=True)
        return done.stdout.split()

    assert run(url) == ["Connection", "None", "True"]
    ca = "/etc/ssl/certs/ca-certificates.crt"
    tls = with_query(url.replace("redis://", "rediss://", 1),
                     f"ssl_cert_reqs=required&ssl_ca_certs={ca}")
    # TLS asked for, with the operator's CA; the plain server cannot answer it, so the
    # queue reads as unreachable (imports answer 503) rather than being used in clear.
    assert run(tls) == ["SSLConnection", ca, "False"]
