"""Benchmark: partner-hub sync over TAXII 2.1 between hub processes on loopback.

    .venv/bin/python bench/bench_sync.py [--objects 100000] [--changes 1000]
        [--engines sqlite,postgresql] [--pg-url URL] [--push]

Hub A (SQLite) is loaded with N synthetic objects (TLP:GREEN) by its own importer and
serves them (``cyberhub serve --no-worker``); hub B pulls them as a partner trusted for
GREEN (``peer add --share-green --tlp GREEN``), once with B on SQLite and once on
PostgreSQL. Then A takes in new versions of ``--changes`` objects (a later ``modified``)
and each B pulls again: the incremental sync.

Each sync runs ``cyberhub.federation.sync.sync_now`` in a fresh process in B's
environment (as ``cyberhub sync A`` does): the table gives the call's wall time, its
split (fetch: reading A's pages and staging them; import: B's import job), and the
whole process's wall time (Python start-up and imports included). The last incremental
row runs the ``cyberhub sync A`` command itself.

Baselines in the same run: the raw TAXII read of the same objects through pages of
1,000 by the same partner account (``httpx`` + ``orjson.loads``, no import), and a plain
``cyberhub import`` of the same bundle into a fresh hub on B's engine (on SQLite, A's own
load is that import). ``--push`` adds B → C: B pushes everything it pulled to a third hub
(SQLite, with a worker) in envelopes of 1,000, waiting for each status.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

console = Console(width=130)
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a quiet harbour under seven lanterns"
TAXII = "application/taxii+json;version=2.1"
PAGE = 1000

SYNC = r'''
import json, sys, time
from sqlalchemy import select
from cyberhub.config import get_settings
from cyberhub.db import Database
from cyberhub.federation import sync
from cyberhub.federation.models import Peer
db = Database(get_settings().resolved_database_url())
with db.transaction() as s:
    peer_id = s.scalar(select(Peer.id).where(Peer.name == sys.argv[1]))
start = time.perf_counter()
outcome = sync.sync_now(db, peer_id)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "pulled": outcome.pulled, "stored": outcome.stored,
                  "pushed": outcome.pushed, "error": outcome.error,
                  "fetch": outcome.fetch_seconds, "import": outcome.import_seconds}))
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hub:
    """One hub: its database, var directory and processes, driven by its command line."""

    def __init__(self, name: str, root: Path, url: str) -> None:
        self.name, self.root, self.database_url = name, root, url
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")}
        self.env = {**env, "CYBERHUB_DATABASE_URL": url, "CYBERHUB_VAR_DIR": str(root / "var"),
                    "CYBERHUB_SECRET_KEY": f"bench-secret-of-{name}",
                    "CYBERHUB_HUB_NAME": name, "CYBERHUB_ARGON2_TIME_COST": "1",
                    "CYBERHUB_ARGON2_MEMORY_KIB": "8192",
                    "CYBERHUB_QUEUE_NAME": f"bench-sync-{name}-{uuid.uuid4().hex[:8]}",
                    "CYBERHUB_REDIS_URL": ""}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.cli("db", "upgrade")

    def cli(self, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> tuple[str, float]:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "cyberhub", *args], input=stdin,
                              capture_output=True, text=True, cwd=ROOT,
                              env={**self.env, **(env or {})}, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            console.print(f"[red]{self.name}: cyberhub {' '.join(args)} failed:\n"
                          f"{done.stdout}\n{done.stderr}")
            raise SystemExit(1)
        return done.stdout, elapsed

    def member(self, org: str, email: str, kind: str = "cert", token: str | None = None
               ) -> str:
        self.cli("org", "create", org, "--kind", kind)
        self.cli("user", "create", email, "--org", org, "--role", "analyst",
                 stdin=PASSWORD + "\n")
        return self.cli("token", "create", email, "--scope", token)[0].strip() if token else ""

    def child(self, code: str, *args: str) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, cwd=ROOT, env=self.env, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            console.print(f"[red]{self.name}: {done.stderr}")
            raise SystemExit(1)
        return dict(json.loads(done.stdout.strip().splitlines()[-1])), elapsed

    def start(self, worker: bool = False) -> None:
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "cyberhub", "serve", "--no-worker", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if worker:
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "cyberhub", "worker"], env=self.env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        import httpx2

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(self.url + "/signin", timeout=1).status_code < 500:
                    return
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                console.print(f"[red]{self.name} did not start")
                raise SystemExit(1)
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.procs = []


# ------------------------------------------------------------------ data

def generated(n: int) -> Iterator[dict[str, Any]]:
    from cyberhub.intel.synthetic import Generator

    yield from Generator(seed=42).objects(n)


def write_bundle(path: Path, objects: Iterator[dict[str, Any]]) -> int:
    from cyberhub.intel.synthetic import write_bundle as write

    with path.open("wb") as out:
        return write(out, objects)


def changes(n: int, count: int, skip: int, days: int) -> Iterator[dict[str, Any]]:
    """New versions of ``count`` existing objects (those with a ``modified``, from the
    ``skip``-th on): a later ``modified`` and a changed name or description."""
    from cyberhub.intel.synthetic import EPOCH, ts

    later = EPOCH + timedelta(days=days)
    found = 0
    for obj in generated(n):
        if "modified" not in obj:
            continue
        if skip:
            skip -= 1
            continue
        obj["modified"] = ts(later + timedelta(milliseconds=found))
        obj["description"] = f"Revised on day {days}."
        yield obj
        found += 1
        if found == count:
            return


# ------------------------------------------------------------------ measurements

def taxii_read(hub: Hub, collection: str, email: str, token: str,
               added_after: str | None = None) -> tuple[int, float]:
    """Every object version of a collection, page by page, as a partner reads it."""
    import httpx2

    params: dict[str, str] = {"limit": str(PAGE), "match[version]": "all"}
    if added_after:
        params["added_after"] = added_after
    base = dict(params)
    count = 0
    start = time.perf_counter()
    with httpx2.Client(auth=(email, token), headers={"Accept": TAXII}, timeout=120,
                       trust_env=False) as client:
        while True:
            response = client.get(f"{hub.url}/taxii2/hub/collections/{collection}/objects/",
                                  params=params)
            response.raise_for_status()
            body = orjson.loads(response.content)
            count += len(body.get("objects", []))
            if not body.get("more"):
                break
            params = {**base, "next": body["next"]}
    return count, time.perf_counter() - start


def pull_cursor(hub: Hub, peer: str) -> str | None:
    code = r'''
import json, sys
from sqlalchemy import select
from cyberhub.config import get_settings
from cyberhub.db import Database
from cyberhub.federation.models import Peer
db = Database(get_settings().resolved_database_url())
with db.transaction() as s:
    cursor = s.scalar(select(Peer.pull_cursor).where(Peer.name == sys.argv[1]))
print(json.dumps({"cursor": cursor}))
'''
    found, _ = hub.child(code, peer)
    return found["cursor"]


def pg_database(admin_url: str, name: str, drop_only: bool = False) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            con.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--changes", type=int, default=1_000)
    ap.add_argument("--engines", default="sqlite,postgresql",
                    help="B's engines (A is on SQLite)")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--push", action="store_true", help="also push B → C (SQLite)")
    ap.add_argument("--keep", action="store_true", help="keep the hubs' files")
    args = ap.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    n, k = args.objects, args.changes
    tmp = Path(tempfile.mkdtemp(prefix="cyberhub-bench-sync-"))
    hubs: list[Hub] = []
    databases: list[str] = []
    rows: list[tuple[str, ...]] = []

    def pg(name: str) -> str:
        databases.append(name)
        return pg_database(args.pg_url, name)

    def row(what: str, engine: str, count: int, seconds: float, fetch: float | None = None,
            imported: float | None = None, process: float | None = None,
            target: float | None = None) -> None:
        verdict = ""
        if target is not None:
            verdict = (f"[green]≤ {target:g} s ✓" if seconds <= target
                       else f"[red]≤ {target:g} s ✗")
        rows.append((what, engine, f"{count:,}", f"{seconds:.2f}",
                     f"{count / seconds:,.0f}" if seconds else "",
                     "" if fetch is None else f"{fetch:.2f}",
                     "" if imported is None else f"{imported:.2f}",
                     "" if process is None else f"{process:.2f}", verdict))

    try:
        bundle = tmp / "bundle.json"
        with console.status(f"generating {n:,} objects"):
            write_bundle(bundle, generated(n))
        a = Hub("a", tmp / "a", f"sqlite:///{tmp / 'a' / 'hub.sqlite3'}")
        hubs.append(a)
        with console.status("setting up hub A"):
            a.member("Alpha CERT", "ana@alpha.example")
            token = a.member("Hub B", "sync@b.example", "international-organisation", "read")
            a.cli("taxii", "add", "Shared", "--alias", "shared")
            # A knows B as a partner: what it serves B passes may_leave_to.
            a.cli("peer", "add", "B", "http://127.0.0.1:9/taxii2/hub/collections/shared/",
                  "--org", "Hub B", "--run-as", "sync@b.example", "--share-green",
                  "--direction", "push", "--paused")
        with console.status(f"loading A: cyberhub import of {n:,} objects"):
            _out, a_load = a.cli("import", str(bundle), "--as", "ana@alpha.example",
                                 "--tlp", "GREEN")
        a.start()

        with console.status("baseline: raw TAXII read"):
            read, seconds = taxii_read(a, "shared", "sync@b.example", token)
        assert read == n, (read, n)
        row(f"baseline: raw TAXII read, pages of {PAGE:,} (no import)", "A: sqlite", read,
            seconds)

        pulled: dict[str, Hub] = {}
        for engine in engines:
            if engine == "sqlite":
                row("baseline: plain `cyberhub import` of the bundle (loading A)", engine, n,
                    a_load, process=a_load)
                url = f"sqlite:///{tmp / ('b-' + engine) / 'hub.sqlite3'}"
            else:
                plain = Hub("plain-pg", tmp / "plain-pg", pg("cyberhub_bench_sync_plain"))
                hubs.append(plain)
                plain.member("Bench CERT", "bench@bench.example")
                with console.status("baseline: plain import on PostgreSQL"):
                    _out, seconds = plain.cli("import", str(bundle), "--as",
                                              "bench@bench.example", "--tlp", "GREEN")
                row("baseline: plain `cyberhub import` of the bundle", engine, n, seconds,
                    process=seconds)
                url = pg("cyberhub_bench_sync_b")
            b = Hub(f"b-{engine}", tmp / f"b-{engine}", url)
            hubs.append(b)
            b.member("Hub A", "sync@a.example", "international-organisation")
            b.cli("peer", "add", "A", f"{a.url}/taxii2/hub/collections/shared/", "--org",
                  "Hub A", "--run-as", "sync@a.example", "--remote-user", "sync@b.example",
                  "--share-green", "--tlp", "GREEN", "--paused",
                  env={"CYBERHUB_PEER_TOKEN": token})
            with console.status(f"full sync A → B ({engine})"):
                result, process = b.child(SYNC, "A")
            if result["error"] or result["stored"] != n:
                console.print(f"[red]full sync on {engine}: {result}")
                raise SystemExit(1)
            row("full sync (sync_now)", engine, result["pulled"], result["seconds"],
                result["fetch"], result["import"], process, target=30)
            pulled[engine] = b

        # ---------------------------------------------------------- incremental
        cursors = {e: pull_cursor(b, "A") for e, b in pulled.items()}
        first = tmp / "changes-1.json"
        write_bundle(first, changes(n, k, 0, 400))
        a.cli("import", str(first), "--as", "ana@alpha.example", "--tlp", "GREEN")
        cursor = next(iter(cursors.values()))
        read, seconds = taxii_read(a, "shared", "sync@b.example", token, cursor)
        row("baseline: raw TAXII read of the changes (added_after)", "A: sqlite", read,
            seconds)
        for engine, b in pulled.items():
            with console.status(f"incremental sync A → B ({engine})"):
                result, process = b.child(SYNC, "A")
            if result["error"] or not result["stored"]:
                console.print(f"[red]incremental sync on {engine}: {result}")
                raise SystemExit(1)
            row(f"incremental sync: {k:,} changed objects", engine, result["pulled"],
                result["seconds"], result["fetch"], result["import"], process, target=2)
        if "sqlite" in pulled:
            second = tmp / "changes-2.json"
            write_bundle(second, changes(n, k, k, 401))
            a.cli("import", str(second), "--as", "ana@alpha.example", "--tlp", "GREEN")
            with console.status("incremental sync with the command"):
                out, seconds = pulled["sqlite"].cli("sync", "A")
            if "received" not in out:
                console.print(f"[red]{out}")
                raise SystemExit(1)
            got = int(out.split(":", 1)[1].split("received")[0].strip())
            row(f"incremental: `cyberhub sync A` command, {k:,} more changes", "sqlite", got,
                seconds, process=seconds)

        # ---------------------------------------------------------- push
        if args.push and "sqlite" in pulled:
            b = pulled["sqlite"]
            c = Hub("c", tmp / "c", f"sqlite:///{tmp / 'c' / 'hub.sqlite3'}")
            hubs.append(c)
            c_token = c.member("Hub B", "sync@b.example", "international-organisation",
                               "write")
            c.cli("taxii", "add", "Inbox", "--alias", "inbox", "--writable")
            c.cli("peer", "add", "B", "http://127.0.0.1:9/taxii2/hub/collections/shared/",
                  "--org", "Hub B", "--run-as", "sync@b.example", "--share-green",
                  "--tlp", "GREEN", "--paused")
            c.start(worker=True)
            b.member("Hub C", "sync@c.example", "international-organisation")
            b.cli("peer", "add", "C", f"{c.url}/taxii2/hub/collections/inbox/", "--org",
                  "Hub C", "--run-as", "sync@c.example", "--remote-user", "sync@b.example",
                  "--direction", "push", "--share-green", "--paused",
                  env={"CYBERHUB_PEER_TOKEN": c_token})
            with console.status("push B → C"):
                result, process = b.child(SYNC, "C")
            if result["error"]:
                console.print(f"[red]push: {result}")
                raise SystemExit(1)
            row(f"push B → C, envelopes of {PAGE:,} (C: sqlite + worker)", "sqlite",
                result["pushed"], result["seconds"], process=process)
    finally:
        for hub in hubs:
            hub.stop()
        for name in databases:
            pg_database(args.pg_url, name, drop_only=True)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    table = Table(title=f"Partner-hub sync over TAXII 2.1 on loopback: A (SQLite) serves "
                        f"{n:,} TLP:GREEN objects, B pulls")
    for col in ("what", "B", "objects", "seconds", "objects/s", "fetch s", "import s",
                "process s", "target"):
        table.add_column(col, justify="left" if col in ("what", "B") else "right")
    for r in rows:
        table.add_row(*r)
    console.print(table)
    console.print(f"{os.cpu_count()} cores, shared with whatever else runs now (load "
                  f"average {os.getloadavg()[0]:.1f}): A's server, B's sync and the "
                  "database run on the same cores.", highlight=False)


if __name__ == "__main__":
    main()
