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
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        # A batch migration rebuilds a SQLite table (copy, drop, rename). With foreign
        # keys enforced, the drop deletes the rows of every table that references it
        # with ON DELETE CASCADE. Off for the migration (the pragma only takes effect
        # outside a transaction, so on the driver's connection before ours begins),
        # checked at the end instead.
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign keys point "
                                       f"nowhere: {broken[:10]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA foreign_keys=ON")


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
