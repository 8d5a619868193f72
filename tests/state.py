"""What the database holds, for asserting that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cyberhub.db import Database
from cyberhub.models import Base

# Tables a refused request may legitimately write: a failed sign-in is counted.
VOLATILE = frozenset({"signin_failures"})


def snapshot(database: Database, *, skip: frozenset[str] = VOLATILE) -> dict[str, list[Any]]:
    """Every row of every table, in primary-key order."""
    state: dict[str, list[Any]] = {}
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            state[table.name] = [tuple(r) for r in rows]
    return state
