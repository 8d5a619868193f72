"""What the database holds, for asserting that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, select, type_coerce

from cyberhub.db import Database, EncryptedText
from cyberhub.models import Base

# Tables a refused request may legitimately write: a failed sign-in is counted.
VOLATILE = frozenset({"signin_failures"})


def snapshot(database: Database, *, skip: frozenset[str] = VOLATILE) -> dict[str, list[Any]]:
    """Every row of every table, in primary-key order; encrypted columns as stored."""
    state: dict[str, list[Any]] = {}
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            columns = [type_coerce(c, Text) if isinstance(c.type, EncryptedText) else c
                       for c in table.columns]
            rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            state[table.name] = [tuple(r) for r in rows]
    return state
