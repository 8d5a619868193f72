"""The hub's PostgreSQL connections run each query in one process unless told otherwise
(CYBERHUB_DB_PARALLEL_WORKERS): parallel plans take the cores other requests wait for."""

from __future__ import annotations

from sqlalchemy import text

from cyberhub.config import Settings, set_settings
from cyberhub.db import Database


def _parallel_workers(url: str) -> str:
    db = Database(url)
    try:
        with db.transaction() as s:
            return str(s.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one())
    finally:
        db.dispose()


def test_queries_run_in_one_process_by_default(pg_url, tmp_path):
    set_settings(Settings(database_url=pg_url, var_dir=tmp_path, secret_key="k"))
    assert _parallel_workers(pg_url) == "0"


def test_an_operator_may_allow_parallel_plans(pg_url, tmp_path):
    set_settings(Settings(database_url=pg_url, var_dir=tmp_path, secret_key="k",
                          db_parallel_workers=2))
    assert _parallel_workers(pg_url) == "2"
