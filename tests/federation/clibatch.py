"""Runs several ``cyberhub`` commands one after another in one process.

Each command goes through the same Typer app as from a shell — its arguments, standard
input, output and exit code —, in the environment this process was started with (plus
the command's own variables; only those a command reads from ``os.environ`` itself take
effect, such as ``peer add``'s token, since the hub's settings are read once, at the first
command). Only Python's start-up and the import of the hub, over a second per command,
are paid once: the tests that set up whole hubs through the command line run dozens of
commands.

Standard input: a JSON list of ``{"args": [...], "stdin": str | null, "env": {...}}``.
Standard output: a JSON list of ``{"code": int, "stdout": str, "stderr": str}``; a
command that fails does not stop the ones after it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback
from typing import Any


def run(args: list[str], stdin: str | None, env: dict[str, str]) -> dict[str, Any]:
    from cyberhub.cli import app

    out, err = io.StringIO(), io.StringIO()
    saved_stdin, saved_env = sys.stdin, dict(os.environ)
    sys.stdin = io.StringIO(stdin or "")
    os.environ.update(env)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            app(args=args, prog_name="cyberhub")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # a crash is reported like the command line's own, and stops nothing
        err.write(traceback.format_exc())
        code = 1
    finally:
        sys.stdin = saved_stdin
        os.environ.clear()
        os.environ.update(saved_env)
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    commands = json.load(sys.stdin)
    results = [run(c["args"], c.get("stdin"), c.get("env") or {}) for c in commands]
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
