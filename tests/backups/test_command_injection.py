"""ASVS 5.3.8 and 12.3.5: no OS command injection. The hub starts programs in two places
only, with argument lists and never a shell: ``cyberhub serve``'s worker, and the
PostgreSQL client programs of backups (``backups/engines.py``). Hostile values on the
way there — archive names, the database URL — reach the programs as single, literal
arguments behind their option (never read as options themselves), and nothing in them
is run."""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from cyberhub.backups import engines
from cyberhub.cli import app as cli
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.notes.models import Note
from tests.factories import Community

SRC = Path(__file__).resolve().parents[2] / "src" / "cyberhub"
# Every place that starts a program; a new one must be reviewed and added here.
KNOWN_CALLS = {("cli.py", "subprocess.Popen"), ("backups/engines.py", "subprocess.run"),
               ("backups/engines.py", "subprocess.Popen")}
FORBIDDEN = {"os.system", "os.popen", "os.execv", "os.execve", "os.execl", "os.execlp",
             "os.execvp", "os.spawnl", "os.spawnv", "os.posix_spawn", "subprocess.call",
             "subprocess.check_call", "subprocess.check_output", "subprocess.getoutput",
             "subprocess.getstatusoutput", "pty.spawn", "asyncio.create_subprocess_shell"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    return node.id if isinstance(node, ast.Name) else "?"


def test_programs_are_started_only_where_known_and_never_through_a_shell() -> None:
    found: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            where = str(path.relative_to(SRC))
            assert name not in FORBIDDEN, (where, node.lineno, name)
            if name.startswith("subprocess.") or name.startswith("asyncio.create_subprocess"):
                found.add((where, name))
                # An argument list (never a string for a shell), and no shell=True.
                assert not isinstance(node.args[0], ast.Constant | ast.JoinedStr
                                      | ast.BinOp), (where, node.lineno)
                assert not any(k.arg == "shell" for k in node.keywords), (where, node.lineno)
    assert found == KNOWN_CALLS


def _canaries(tmp_path: Path) -> tuple[Path, str]:
    canary = tmp_path / "canary"
    return canary, f"; touch {canary} $(touch {canary}) `touch {canary}` | touch {canary}"


def _fake_tool(tmp_path: Path, name: str) -> str:
    """A stand-in for a PostgreSQL program: it records its arguments and reads its input."""
    tool = tmp_path / "bin" / name
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                    "with open(os.environ['ARGV_LOG'], 'a') as log:\n"
                    f"    log.write(json.dumps([{name!r}, *sys.argv[1:]]) + '\\n')\n"
                    "sys.stdin.read() if not sys.stdin.isatty() else None\n")
    tool.chmod(0o755)
    return str(tool)


def test_hostile_names_and_urls_reach_the_postgresql_programs_as_literal_arguments(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary, hostile = _canaries(tmp_path)
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("ARGV_LOG", str(log))
    monkeypatch.setattr(engines, "pg_tool", lambda name, url: _fake_tool(tmp_path, name))
    monkeypatch.setattr(engines, "_drop_statements", lambda url: [])
    database = "--help" + hostile
    url = (f"postgresql://-U{quote(hostile, safe='')}:{quote('pw' + hostile, safe='')}"
           f"@localhost:5432/{quote(database, safe='')}")
    uri, env = engines._libpq(url)
    assert env["PGPASSWORD"] == "pw" + hostile

    dump = tmp_path / ("-Fp --file=/etc/passwd" + hostile)
    engines.pg_dump(url, dump)
    monkeypatch.chdir(tmp_path)
    staged = Path("--clean --create" + hostile)  # relative, and led by a dash
    engines.pg_replace(url, staged)

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    psql = ["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--output",
            os.devnull, "--dbname", uri]
    restore = ["pg_restore", "--no-owner", "--no-privileges", "--file", "-",
               str(tmp_path / staged)]
    assert calls[0] == ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                        "--file", str(dump), "--dbname", uri], calls
    assert sorted(calls[1:]) == [restore, psql], calls  # the two run side by side
    # The URL is one argument, the password is not on the command line (PGPASSWORD).
    parsed = make_url(uri)
    assert (parsed.username, parsed.database) == ("-U" + hostile, database)
    assert not any("pw" + hostile in arg or quote("pw" + hostile, safe="") in arg
                   for call in calls for arg in call)
    assert not canary.exists()


def test_a_backup_and_restore_under_hostile_archive_names(
        settings: Settings, database: Database, community: Community, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The real programs on PostgreSQL (SQLite is copied without one): archive names full
    of shell syntax, or led by a dash, are files like any other."""
    canary = tmp_path / "canary"
    hostile = "; touch canary $(touch canary) `touch canary` | touch canary &"
    community.note(community.user(community.org()), title="kept through the backup")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for name in (str(tmp_path / f"hub{hostile}.tar"), f"-c{hostile}", "--help.tar"):
        args = ["backup", "--", name]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        archive = Path(name) if Path(name).is_absolute() else tmp_path / name
        assert archive.is_file()
        database.dispose()
        result = runner.invoke(cli, ["restore", "--force", "--", name])
        assert result.exit_code == 0, result.output
        with database.snapshot() as s:
            assert s.scalar(select(func.count()).select_from(Note)) == 1
    assert not canary.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("-")) == [
        "--help.tar", f"-c{hostile}"]
