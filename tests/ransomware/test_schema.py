"""The models match the migrations: Alembic's autogenerate comparison finds nothing to
change on a freshly migrated database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from cyberhub.models import Base


def test_models_match_the_migrations(sqlite_template: Path) -> None:
    engine = create_engine(f"sqlite:///{sqlite_template}")
    try:
        with engine.connect() as conn:
            # The same filter as migrations/env.py: SQLite's full-text tables are ours.
            context = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_object": lambda obj, name, kind, reflected, compare_to: not (
                    kind == "table" and name is not None
                    and name.startswith(("stix_objects_fts", "lessons_fts")))})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
