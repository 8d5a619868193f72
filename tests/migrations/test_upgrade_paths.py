"""Every earlier migration head upgrades to the current one, with data in it, on both
engines; and an archive made at an earlier head restores into this version.

For each revision R before head, a database is made at R (a copy of a template
migrated step by step, so the run costs one walk plus R's remaining steps), one row is
written into each table the schema at R allows (values chosen from the column types,
foreign keys pointing at the rows written before), then it is upgraded to head and
every seeded table that still exists must still hold its row, with the same value in
every seeded column that still exists (unless a migration is known to rewrite it:
``REWRITTEN``)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from cyberhub import migrate
from cyberhub.backups import service as backups
from cyberhub.community.security import decrypt_secret
from cyberhub.config import Settings
from cyberhub.db import make_engine
from cyberhub.models import Base
from tests.conftest import ENGINES, pg_admin_url

SCRIPT = ScriptDirectory.from_config(migrate.alembic_config())
REVISIONS = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]
HEAD = REVISIONS[-1]
EARLIER = REVISIONS[:-1]
# Schema the migrations seed themselves, and SQLite's full-text tables (virtual, with
# shadow tables), which the hub fills by triggers.
NOT_SEEDED = ("alembic_version", "audit_head")


def _opens_to_the_seed(before: Any, after: Any) -> bool:
    return isinstance(after, str) and after != before and decrypt_secret(after) == before


# Columns a migration deliberately rewrites: the revision that does, and what a row
# seeded before it must hold afterwards (given the seeded and the upgraded value).
REWRITTEN: dict[tuple[str, str], tuple[str, Callable[[Any, Any], bool]]] = {
    # 0031: roll-ups made before it have no pairs, and count as of no generation.
    ("attack_rollups", "generation"): ("0031", lambda before, after: after == -1),
    # 0034: victims' names and contacts are encrypted with the secret key.
    ("ransomware_incident_victims", "name"): ("0034", _opens_to_the_seed),
    ("ransomware_incident_victims", "contact"): ("0034", _opens_to_the_seed),
}

def _enum_values() -> dict[tuple[str, str], str]:
    """The first allowed value of every enumerated column in today's models."""
    values: dict[tuple[str, str], str] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            enums = getattr(column.type, "enums", None)
            if enums:
                values[(table.name, column.name)] = enums[0]
    return values


ENUMS = _enum_values()


def _value(table: Table, column: Any, sqlite: bool) -> Any:
    kind = column.type
    if (table.name, column.name) in ENUMS:
        return ENUMS[(table.name, column.name)]
    if isinstance(kind, Uuid):
        return uuid.uuid4()
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer | BigInteger):
        return 1
    if isinstance(kind, Numeric):
        return 1
    if isinstance(kind, DateTime):
        now = datetime.now(UTC)
        return now.replace(tzinfo=None) if sqlite else now
    if isinstance(kind, Date):
        return date.today()
    if isinstance(kind, JSON) or type(kind).__name__ in ("JSONB", "JSON"):
        return {} if not column.name.endswith("s") else []
    if isinstance(kind, LargeBinary) or type(kind).__name__ in ("BYTEA", "BLOB"):
        return bytes(range(16))
    if isinstance(kind, String):
        length = getattr(kind, "length", None)
        if sqlite and length == 32 and (column.name == "id" or column.name.endswith("_id")):
            return uuid.uuid4().hex  # a Uuid column, as SQLite keeps it
        if column.name == "email" or column.name.endswith("_email"):
            return "seed@upgrade.example"[:length] if length else "seed@upgrade.example"
        return "seed"[:length] if length else "seed value"
    return None


def seed(conn: Connection) -> dict[str, dict[str, Any]]:
    """One row in every table that takes one; the rows written, by table."""
    sqlite = conn.dialect.name == "sqlite"
    meta = MetaData()
    names = [n for n in inspect(conn).get_table_names()
             if n not in NOT_SEEDED and "_fts" not in n]
    meta.reflect(conn, only=names)
    written: dict[str, dict[str, Any]] = {}
    for table in meta.sorted_tables:
        row: dict[str, Any] = {}
        refs = {fk.parent.name: fk for fk in table.foreign_keys}
        usable = True
        for column in table.columns:
            if column.computed is not None:
                continue
            fk = refs.get(column.name)
            if fk is not None and fk.column.table.name != table.name:
                parent = written.get(fk.column.table.name)
                if parent is not None and fk.column.name in parent:
                    row[column.name] = parent[fk.column.name]
                elif not column.nullable:
                    usable = False
                continue
            if column.nullable and not column.primary_key and fk is None and \
                    (table.name, column.name) not in ENUMS:
                continue
            if column.server_default is not None and not column.primary_key:
                continue
            row[column.name] = _value(table, column, sqlite)
        for column in table.columns:  # self references point at the row itself
            fk = refs.get(column.name)
            if fk is not None and fk.column.table.name == table.name:
                row[column.name] = row.get(fk.column.name) if not column.nullable else None
        if not usable:
            continue
        # Tables that point at one of several kinds of record (an audience entry names
        # an organisation, a group or a user) take exactly one of their optional links.
        optional = [c.name for c in table.columns if c.nullable and c.name in refs
                    and row.get(c.name) is not None]
        for attempt in [row] + [row | {o: None for o in optional if o != keep}
                                for keep in optional]:
            nested = conn.begin_nested()
            try:
                conn.execute(table.insert().values(attempt))
            except SQLAlchemyError:
                nested.rollback()
                continue
            nested.commit()
            written[table.name] = attempt
            break
    return written


def _same(value: Any) -> Any:
    """A value as both engines and every schema version can compare it: ids as hex,
    timestamps as naive UTC, numbers as floats."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
        try:
            return uuid.UUID(value).hex
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _kept(revision: str, name: str, column: str, before: Any, after: Any) -> bool:
    rewrite = REWRITTEN.get((name, column))
    if rewrite is not None and REVISIONS.index(revision) < REVISIONS.index(rewrite[0]):
        return rewrite[1](before, after)
    return bool(_same(after) == _same(before))


def _lost(conn: Connection, revision: str, rows: dict[str, dict[str, Any]]) -> list[str]:
    """Seeded rows, or values in them, that are not as they should be after upgrading
    from ``revision``."""
    meta = MetaData()
    present = set(inspect(conn).get_table_names())
    meta.reflect(conn, only=sorted(set(rows) & present))
    lost = []
    for name in sorted(set(rows) & present):
        table, row = meta.tables[name], rows[name]
        keys = [c.name for c in table.primary_key.columns]
        if not keys or any(k not in row for k in keys):
            found = conn.execute(select(func.count()).select_from(table)).scalar_one() > 0
            if not found:
                lost.append(f"{name}: the row")
            continue
        stored = conn.execute(select(table).where(
            *(table.c[k] == row[k] for k in keys))).mappings().first()
        if stored is None:
            lost.append(f"{name}: the row")
            continue
        lost.extend(f"{name}.{column}: {before!r} became {stored[column]!r}"
                    for column, before in row.items()
                    if column in stored
                    and not _kept(revision, name, column, before, stored[column]))
    return lost


def _check(conn: Connection, revision: str, rows: dict[str, dict[str, Any]],
           failures: list[str]) -> None:
    head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    if head != HEAD:
        failures.append(f"{revision}: at {head} after the upgrade, not {HEAD}")
    lost = _lost(conn, revision, rows)
    if lost:
        failures.append(f"{revision}: lost {lost}")


def _walk_sqlite(tmp: Path) -> tuple[list[str], set[str]]:
    """A template file migrated one step per turn; each turn's copy is seeded, upgraded."""
    failures: list[str] = []
    seeded: set[str] = set()
    template = f"sqlite:///{tmp / 'template.sqlite3'}"
    for revision in EARLIER:
        migrate.upgrade(template, revision)
        copy = tmp / f"at_{revision}.sqlite3"
        shutil.copy(tmp / "template.sqlite3", copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            with engine.begin() as conn:
                rows = seed(conn)
            seeded |= set(rows)
            _first_has_the_core(revision, set(rows))
            migrate.upgrade(f"sqlite:///{copy}")
            with engine.connect() as conn:
                _check(conn, revision, rows, failures)
        except Exception as exc:  # every revision reported at once
            failures.append(f"{revision}: {type(exc).__name__}: {exc}"[:500])
        finally:
            engine.dispose()
            copy.unlink()
    return failures, seeded


def _walk_postgresql(url: str) -> tuple[list[str], set[str]]:
    """One transaction (PostgreSQL's DDL is transactional): migrate one step per turn;
    in a savepoint, seed and upgrade to head, then roll back to the savepoint."""
    failures: list[str] = []
    seeded: set[str] = set()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            outer = conn.begin()
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            for revision in EARLIER:
                command.upgrade(config, revision)
                turn = conn.begin_nested()
                try:
                    rows = seed(conn)
                    seeded |= set(rows)
                    _first_has_the_core(revision, set(rows))
                    command.upgrade(config, "head")
                    _check(conn, revision, rows, failures)
                except Exception as exc:  # every revision reported at once
                    failures.append(f"{revision}: {type(exc).__name__}: {exc}"[:500])
                finally:
                    turn.rollback()
            outer.rollback()
    finally:
        engine.dispose()
    return failures, seeded


def _first_has_the_core(revision: str, tables: set[str]) -> None:
    if revision == REVISIONS[0]:
        assert {"organisations", "users", "notes", "groups"} <= tables, tables


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that was never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"cyberhub_upgrade_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_admin_url().rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_every_earlier_head_with_data_upgrades_to_the_current_one(
        empty_url: str, tmp_path: Path) -> None:
    if empty_url.startswith("sqlite"):
        failures, seeded = _walk_sqlite(tmp_path)
    else:
        failures, seeded = _walk_postgresql(empty_url)
    assert not failures, "\n".join(failures)
    # Most of the schema took a row somewhere along the way.
    assert len(seeded) >= len(Base.metadata.tables) * 3 // 4, sorted(seeded)


def test_an_archive_made_at_an_earlier_head_restores_into_this_version(
        empty_url: str, tmp_path: Path) -> None:
    earlier = EARLIER[len(EARLIER) // 2]
    migrate.upgrade(empty_url, earlier)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        rows = seed(conn)
    engine.dispose()
    archive = tmp_path / "earlier.tar"
    made = backups.create(Settings(database_url=empty_url, var_dir=tmp_path / "old"), archive)
    assert made.migration_head == earlier

    # Into the same database, replaced (the fixture gives one database per test).
    restored = backups.restore(Settings(database_url=empty_url, var_dir=tmp_path / "new"),
                               archive, force=True)
    assert restored.migration_head == earlier
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            failures: list[str] = []
            _check(conn, earlier, rows, failures)
            assert not failures, failures
    finally:
        engine.dispose()
