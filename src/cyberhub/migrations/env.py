"""Alembic environment. The URL comes from the hub's settings unless the caller set one."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cyberhub.config import get_settings
from cyberhub.db import make_engine
from cyberhub.models import Base

config = context.config
target_metadata = Base.metadata


def _include(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    """Leave out what the models do not describe on purpose: the full-text indexes
    (PostgreSQL's generated tsvector columns, SQLite's FTS5 tables and their shadow
    tables; migrations 0003 and 0018)."""
    if kind == "column" and name == "search":
        return False
    return not (kind == "table" and name is not None
                and name.startswith(("stix_objects_fts", "lessons_fts")))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True, include_object=_include)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
