"""The database half of a backup, one pair of functions per engine.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``) in a single
step: one read transaction, so the copy is the database as it stood at one instant, and
in WAL mode the hub's writers go on meanwhile. A file copy of a live WAL database is
never made (it can miss the write-ahead log or catch it half checkpointed).

PostgreSQL is dumped with ``pg_dump --format=custom`` (one snapshot, online by design)
and restored by ``psql`` running ``pg_restore``'s script in one transaction with the drop
of the old schema (:func:`pg_replace`). The client binaries are looked for first in Debian's
per-version directory matching the server's major version, then on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from cyberhub.db import make_engine
from cyberhub.errors import HubError
from cyberhub.i18n import _

# Rows the migrations themselves write: a database holding only these is empty.
BOOKKEEPING: Final = frozenset({"alembic_version", "audit_head"})


class BackupError(HubError):
    code = "backup_failed"


def engine_name(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise BackupError(_("Backups support SQLite and PostgreSQL databases only."))


def migration_head(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            conn.rollback()
            return str(value) if value is not None else None
    finally:
        engine.dispose()


def has_data(url: str) -> bool:
    """Whether any table holds a row beyond what the migrations write themselves."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n not in BOOKKEEPING]
            for name in names:
                quoted = conn.dialect.identifier_preparer.quote(name)
                probe = text(f"SELECT 1 FROM {quoted} LIMIT 1")  # noqa: S608 - a quoted name
                if conn.execute(probe).first() is not None:
                    conn.rollback()
                    return True
            conn.rollback()
            return False
    finally:
        engine.dispose()


# ------------------------------------------------------------------ SQLite

def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(database)


def _copy_sqlite(source: Path, destination: Path) -> None:
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(destination, timeout=60)
    try:
        src.execute("PRAGMA busy_timeout = 60000")
        dst.execute("PRAGMA busy_timeout = 60000")
        # pages=-1: the whole database in one step, inside one read transaction. A
        # stepwise copy restarts whenever another connection writes, so under steady
        # writes it might never finish.
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def sqlite_dump(url: str, destination: Path) -> None:
    source = sqlite_path(url)
    if not source.is_file():
        raise BackupError(_("The database file %(path)s does not exist.") % {"path": source})
    try:
        _copy_sqlite(source, destination)
        copy = sqlite3.connect(destination)
        try:
            # A single self-contained file: no write-ahead log beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(_("SQLite could not copy the database: %(error)s")
                          % {"error": exc}) from exc


def sqlite_restore(url: str, staged: Path) -> None:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # The backup API writes the pages through the target's own journal, so a target
        # in WAL mode (the hub's default) stays consistent.
        _copy_sqlite(staged, target)
    except sqlite3.Error as exc:
        raise BackupError(_("SQLite could not write the database %(path)s: %(error)s. Stop "
                            "the hub (web and workers) and try again.")
                          % {"path": target, "error": exc}) from exc


# ------------------------------------------------------------------ PostgreSQL

def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it
    (a password on a command line is visible to every user of the machine)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _server_major(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            number = int(conn.execute(text("SHOW server_version_num")).scalar_one())
            conn.rollback()
    finally:
        engine.dispose()
    return number // 10000


def pg_tool(name: str, url: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``, at least as new as the server."""
    major = _server_major(url)
    candidates = [f"/usr/lib/postgresql/{major}/bin/{name}"]
    found = shutil.which(name)
    if found:
        candidates.append(found)
    for path in candidates:
        if not os.access(path, os.X_OK):
            continue
        try:
            version = subprocess.run(  # noqa: S603 - our own tool path, no shell
                [path, "--version"], capture_output=True, text=True, check=True,
                timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        match = re.search(r"(\d+)(?:\.\d+)?", version)
        if match and int(match.group(1)) >= major:
            return path
    raise BackupError(
        _("%(tool)s (PostgreSQL %(major)d or newer) was not found. Install the PostgreSQL "
          "client programs (Debian: 'apt-get install postgresql-client-%(major)d', or "
          "'make system-deps') and try again.") % {"tool": name, "major": major})


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True,  # noqa: S603 - no shell
                            text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(_("%(tool)s failed: %(error)s")
                          % {"tool": what, "error": " ".join(detail[-3:]) or result.returncode})


def pg_dump(url: str, destination: Path) -> None:
    uri, env = _libpq(url)
    _run([pg_tool("pg_dump", url), "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(destination), "--dbname", uri], env, "pg_dump")


def _drop_statements(url: str) -> list[str]:
    """Statements dropping every table, view, sequence, function and type of the
    database's schema (not those of extensions), so a dump restores into it cleanly."""
    engine = make_engine(url)
    statements: list[str] = []
    try:
        with engine.connect() as conn:
            relations = conn.execute(text(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON "
                "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind "
                "IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT EXISTS (SELECT 1 FROM pg_depend d "
                "WHERE d.objid = c.oid AND d.deptype = 'e')")).all()
            quote = conn.dialect.identifier_preparer.quote
            kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW",
                     "S": "SEQUENCE", "f": "FOREIGN TABLE"}
            statements += [f"DROP {kinds[kind]} IF EXISTS {quote(name)} CASCADE;"
                           for name, kind in relations]
            functions = conn.execute(text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON "
                "n.oid = p.pronamespace WHERE n.nspname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
            )).scalars().all()
            statements += [f"DROP ROUTINE IF EXISTS {signature} CASCADE;"
                           for signature in functions]
            types = conn.execute(text(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'c') AND "
                "NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid) AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')"
            )).scalars().all()
            statements += [f"DROP TYPE IF EXISTS {quote(name)} CASCADE;" for name in types]
            conn.rollback()
    finally:
        engine.dispose()
    return statements


def pg_replace(url: str, staged: Path) -> None:
    """Replace the database's schema and data with the dump, in one transaction: the
    old objects are dropped and the dump's script (``pg_restore --file -``) is run by
    ``psql`` between BEGIN and a COMMIT sent only once pg_restore has ended well, so a
    restore that fails half way (a bad statement, a dump cut short) changes nothing."""
    uri, env = _libpq(url)
    restore_tool, psql_tool = pg_tool("pg_restore", url), pg_tool("psql", url)
    drops = "\n".join(_drop_statements(url)) + "\n"
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        script = subprocess.Popen(  # noqa: S603 - our own tool path, no shell
            # An absolute path: a name led by a dash is never read as an option.
            [restore_tool, "--no-owner", "--no-privileges", "--file", "-",
             str(staged.absolute())],
            env=env, stdout=subprocess.PIPE, stderr=restore_err)
        psql = subprocess.Popen(  # noqa: S603 - our own tool path, no shell
            [psql_tool, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
             "--output", os.devnull, "--dbname", uri],
            env=env, stdin=subprocess.PIPE, stderr=psql_err)
        assert script.stdout is not None and psql.stdin is not None
        script_rc = None
        try:
            psql.stdin.write(b"BEGIN;\n" + drops.encode())
            while chunk := script.stdout.read(1024 * 1024):
                psql.stdin.write(chunk)
            script_rc = script.wait()
            psql.stdin.write(b"\nCOMMIT;\n" if script_rc == 0 else b"\nROLLBACK;\n")
            psql.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped on an error (its transaction is rolled back): reported below
        finally:
            script.stdout.close()
        script_rc, psql_rc = script.wait(), psql.wait()
        for rc, errors, tool in ((script_rc, restore_err, "pg_restore"),
                                 (psql_rc, psql_err, "psql")):
            if rc != 0:
                errors.seek(0)
                detail = errors.read().decode(errors="replace").strip().splitlines()
                raise BackupError(_("%(tool)s failed (nothing was changed): %(error)s")
                                  % {"tool": tool, "error": " ".join(detail[-3:]) or rc})
