"""Load test: a hub on PostgreSQL with N app processes under C concurrent users (locust).

    .venv/bin/python bench/load_test.py --objects 1000000 --workers 4 --users 50 \
        --duration 60 --pg-url postgresql://postgres@127.0.0.1:5432/postgres [--reuse]

Seeds a database of its own (``cyberhub_load``; ``--reuse`` keeps one seeded earlier with
the same object count) through the hub's importer, starts ``cyberhub serve --workers N``
and a job worker (Redis when ``--redis-url`` is given), then runs locust headless for a
bounded time (bench/locustfile.py): sign-in, search (page and API), object page and API,
the home dashboard (and with ``--landscape`` the landscape dashboard), TAXII pages, small
imports. Prints requests/s, p50/p95/p99 and errors per
action, beside the baseline measured in the same run: ``/healthz`` through the same
server and client (no database), and the target (p95 ≤ 200 ms for pages and API reads,
no errors).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load test: a long pass phrase nobody uses"
# Fixed keys: a database kept for --reuse must open with the next run's settings (the
# pepper is otherwise made afresh in each run's var directory, and no password matches).
KEYS = {"secret_key": "load-test", "password_pepper": "load-test-pepper"}
ACCOUNTS = 20
CHUNK = 100_000
NOTES = 400
ORGANISATIONS = (("Load CERT", "cert"), ("Load Bank", "financial"),
                 ("Load Police", "law-enforcement"), ("Load Hosting", "hosting"))
# What share of the seed each marking takes: mostly shared, some restricted, a little RED.
MARKINGS = ("GREEN", "CLEAR", "AMBER", "GREEN", "AMBER+STRICT", "GREEN", "AMBER", "CLEAR",
            "RED", "GREEN")
READS = ("search (page)", "search (API)", "object page", "object (API)", "dashboard (home)",
         "dashboard (landscape)", "TAXII page", "import status (API)")


def account(i: int) -> str:
    return f"analyst{i}@load.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(pg_url: str, name: str) -> str:
    return pg_url.rsplit("/", 1)[0] + "/" + name


def seeded_count(url: str) -> int | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            # A seed made before the four organisations: seed again.
            if not conn.execute(text("SELECT 1 FROM organisations WHERE name = :n"),
                                {"n": ORGANISATIONS[-1][0]}).first():
                return None
            return int(conn.execute(text("SELECT count(*) FROM stix_objects")).scalar_one())
    except Exception:  # no database or no schema yet: seed afresh
        return None
    finally:
        engine.dispose()


def recreate(pg_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def seed(url: str, var: Path, n: int) -> None:
    """N objects through the importer (in chunks, with a progress bar) from four member
    organisations under every TLP marking, notes for the dashboard, the accounts the users
    sign in with, an API token and a TAXII collection. Every user sees part of the data,
    so each read runs through the sharing rules as it does on a real hub."""
    from rich.progress import Progress

    from cyberhub import access, migrate
    from cyberhub.community import service
    from cyberhub.config import Settings, set_settings
    from cyberhub.db import Database
    from cyberhub.intel import imports
    from cyberhub.intel.synthetic import Generator, write_bundle
    from cyberhub.notes import service as notes
    from cyberhub.taxii import service as taxii

    set_settings(Settings(database_url=url, var_dir=var, **KEYS))
    migrate.upgrade(url)
    db = Database(url)
    system = access.system_viewer()
    with db.transaction() as s:
        orgs = [service.create_organisation(s, system, name=name, kind=kind)
                for name, kind in ORGANISATIONS]
        ops = service.create_organisation(s, system, name="Load operators",
                                          kind="international-organisation")
        for i in range(ACCOUNTS):
            user = service.create_user(s, system, email=account(i),
                                       org_id=orgs[i % len(orgs)].id, role="analyst")
            service.set_password(s, system, user, PASSWORD)
        admin = service.create_user(s, system, email="operator@load.example", org_id=ops.id,
                                    role="hub-admin")
        taxii.save_collection(s, access.viewer_for(s, admin),
                              taxii.CollectionSpec(title="Everything"))
        for i in range(NOTES):
            author = service.find_user(s, account(i % ACCOUNTS))
            assert author is not None
            notes.create_note(s, access.viewer_for(s, author), title=f"Load note {i}",
                              body="Seen in the load test: *synthetic*, not intelligence.",
                              tlp=MARKINGS[i % len(MARKINGS)])
    gen = Generator(seed=7)
    chunk = max(10_000, min(CHUNK, n // len(MARKINGS)))
    with Progress(console=console) as progress:
        bar = progress.add_task("seeding objects", total=n)
        done = 0
        for k in itertools.count():
            if done >= n:
                break
            size = min(chunk, n - done)
            path = var / f"seed-{uuid.uuid4()}.json"
            with path.open("wb") as out:
                write_bundle(out, gen.objects(size))
            with db.transaction() as s:
                user = service.find_user(s, account(k % ACCOUNTS))
                assert user is not None
                job = imports.new_import(s, access.viewer_for(s, user), filename=path.name,
                                         tlp=MARKINGS[k % len(MARKINGS)])
                imports.stage_file(job, path)
                job_id = job.id
            job = imports.run(db, job_id)
            assert job.status.value == "succeeded", (job.message, job.errors[:3])
            path.unlink(missing_ok=True)
            done += size
            progress.update(bar, completed=done)
    db.dispose()
    settle(url)


def settle(url: str) -> None:
    """Vacuum what the seed wrote, as autovacuum would in the minutes after it: the run
    measures a hub in its steady state, not one still vacuuming a million fresh rows."""
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    engine.dispose()
    console.print(f"vacuumed in {time.perf_counter() - started:.0f} s", highlight=False)


def plan(url: str, var: Path, path: Path, landscape: bool = False,
         think: tuple[float, float] = (1.0, 5.0)) -> None:
    """What the simulated users need: accounts, a fresh token, and for each account object
    ids it may see (a random sample of the whole, kept where the sharing rules allow)."""
    from sqlalchemy import select, text

    from cyberhub import access
    from cyberhub.community import auth, service
    from cyberhub.config import Settings, set_settings
    from cyberhub.db import Database
    from cyberhub.intel.models import StixObject
    from cyberhub.taxii.models import TaxiiCollection

    set_settings(Settings(database_url=url, var_dir=var, **KEYS))
    db = Database(url)
    with db.transaction() as s:
        sample = list(s.execute(text(
            "SELECT id FROM stix_objects TABLESAMPLE SYSTEM (1) LIMIT 4000")).scalars())
        if len(sample) < 100:
            sample = list(s.execute(text("SELECT id FROM stix_objects LIMIT 4000")).scalars())
        seen: dict[str, list[str]] = {}
        for i in range(ACCOUNTS):
            user = service.find_user(s, account(i))
            assert user is not None
            viewer = access.viewer_for(s, user)
            seen[account(i)] = [str(x) for x in s.scalars(select(StixObject.id).where(
                StixObject.id.in_(sample), access.visible(StixObject, viewer)))]
            random.shuffle(seen[account(i)])
        user = service.find_user(s, account(0))
        assert user is not None
        _t, token = auth.create_token(s, user, name=f"load {uuid.uuid4().hex[:6]}",
                                      scope="write")
        collection = str(s.scalars(select(TaxiiCollection.id)).first())
    db.dispose()
    hidden = len(sample) - len(seen[account(0)])
    console.print(f"{account(0)} may see {len(seen[account(0)]):,} of {len(sample):,} sampled "
                  f"objects ({hidden:,} kept from it by the sharing rules)", highlight=False)
    path.write_text(json.dumps({
        "accounts": [account(i) for i in range(ACCOUNTS)],
        "password": PASSWORD, "token": token, "token_account": account(0), "objects": seen,
        "collection": collection, "landscape": landscape, "think": think,
        "words": ["synthetic", "indicator", "family", "domain", "ipv4", "sha256",
                  "ransomware", "url"]}))


class Hub:
    def __init__(self, url: str, var: Path, workers: int, redis_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CYBERHUB_DATABASE_URL": url, "CYBERHUB_VAR_DIR": str(var),
               "CYBERHUB_SECRET_KEY": KEYS["secret_key"],
               "CYBERHUB_PASSWORD_PEPPER": KEYS["password_pepper"], "CYBERHUB_LOG_LEVEL": "WARNING",
               "CYBERHUB_REDIS_URL": redis_url,
               "CYBERHUB_QUEUE_NAME": f"load-{uuid.uuid4().hex[:6]}",
               # Virtual users sign in the instant the form is shown (web.pace).
               "CYBERHUB_MIN_FORM_SECONDS": "0"}
        # The hub's own log (errors with their tracebacks) for after the run.
        self.log = var / "hub.log"
        log = self.log.open("ab")
        self.procs = [
            subprocess.Popen([sys.executable, "-m", "cyberhub", "serve", "--no-worker",
                              "--port", str(self.port), "--workers", str(workers)],
                             env=env, stdout=log, stderr=log, start_new_session=True),
            subprocess.Popen([sys.executable, "-m", "cyberhub", "worker", "--workers", "2"],
                             env=env, stdout=log, stderr=log, start_new_session=True)]
        import httpx2

        # A first start indexes the warning lists and compiles the page templates.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx2.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"the hub did not become ready within 180 s (its log: {self.log})")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def run_locust(base: str, plan_path: Path, users: int, duration: int, out: Path) -> None:
    env = {**os.environ, "CYBERHUB_LOAD_PLAN": str(plan_path)}
    # Users arrive one a second, each signing in (an Argon2id hash) as people start their
    # day; --reset-stats counts from the moment all are running, so the figures are the
    # steady state that follows, for `duration` seconds.
    subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
                    "--headless", "--users", str(users), "--spawn-rate", "1",
                    "--run-time", f"{duration + users}s", "--host", base, "--csv", str(out),
                    "--only-summary", "--reset-stats", "--loglevel", "WARNING",
                    "--stop-timeout", "10"],
                   env=env, check=False, stdout=subprocess.DEVNULL)


def rows(out: Path) -> Iterator[dict[str, str]]:
    with Path(f"{out}_stats.csv").open() as fh:
        yield from csv.DictReader(fh)


def report(out: Path, args: argparse.Namespace, objects: int) -> bool:
    """Print the table; whether every page and API read met the target, with no errors."""
    table = Table(title=f"Load: {args.users} users thinking {args.think} s for {args.duration} s "
                        f"(after ramp-up), {args.workers} app "
                        f"processes, PostgreSQL with {objects:,} objects (load "
                        f"{os.getloadavg()[0]:.1f})")
    for col in ("action", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
                "p95 ≤ 200 ms"):
        table.add_column(col, justify="left" if col == "action" else "right")
    data = list(rows(out))
    data.sort(key=lambda r: (r["Name"] == "Aggregated", r["Name"].startswith("baseline"),
                             r["Name"]))
    met = True
    for r in data:
        name = r["Name"]
        target = ""
        if name in READS:
            target = "yes" if float(r["95%"]) <= 200 else "no"
            met = met and target == "yes"
        met = met and (name != "Aggregated" or r["Failure Count"] == "0")
        table.add_row(name, r["Request Count"], f"{float(r['Requests/s']):.1f}", r["50%"],
                      r["95%"], r["99%"], r["Failure Count"], target)
    console.print(table)
    failures = Path(f"{out}_failures.csv")
    if failures.exists() and failures.stat().st_size:
        for r in csv.DictReader(failures.open()):
            console.print(f"[red]{r['Occurrences']}× {r['Method']} {r['Name']}: "
                          f"{r['Error'][:200]}[/]", highlight=False)
    console.print("target met: every page and API read at p95 ≤ 200 ms, no errors" if met else
                  "[red]target missed[/] (compare with this run's /healthz baseline)",
                  highlight=False)
    return met


def parse_think(text: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise SystemExit(f"--think takes two numbers of seconds, MIN,MAX (got {text!r})") \
            from None
    if not 0 <= low <= high <= 600:
        raise SystemExit(f"--think needs 0 <= MIN <= MAX <= 600 seconds (got {text!r})")
    return low, high


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=int, default=60, help="seconds of load (at most 600)")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--redis-url", default="", help="jobs on Redis (default: SQLite queue)")
    ap.add_argument("--database", default="cyberhub_load")
    ap.add_argument("--landscape", action="store_true",
                    help="also load the landscape dashboard (/atlas)")
    ap.add_argument("--think", default="1,5", metavar="MIN,MAX",
                    help="seconds each user waits between actions (default 1,5; 0.5,1.5 "
                         "is the stress profile)")
    ap.add_argument("--reuse", action="store_true",
                    help="keep a database seeded earlier with the same object count")
    args = ap.parse_args()
    think = parse_think(args.think)
    args.duration = max(10, min(args.duration, 600))
    url = database_url(args.pg_url, args.database)
    with tempfile.TemporaryDirectory(prefix="cyberhub-load-") as tmp:
        var = Path(tmp) / "var"
        var.mkdir()
        have = seeded_count(url) if args.reuse else None
        if have is None or have < args.objects:
            recreate(args.pg_url, args.database)
            started = time.perf_counter()
            seed(url, var, args.objects)
            console.print(f"seeded {args.objects:,} objects in "
                          f"{time.perf_counter() - started:.0f} s", highlight=False)
        else:
            console.print(f"reusing {args.database} ({have:,} objects)", highlight=False)
        plan_path = Path(tmp) / "plan.json"
        plan(url, var, plan_path, args.landscape, think)
        objects = seeded_count(url) or 0
        hub = Hub(url, var, args.workers, args.redis_url)
        try:
            out = Path(tmp) / "locust"
            run_locust(hub.base, plan_path, args.users, args.duration, out)
        finally:
            hub.stop()
        met = report(out, args, objects)
        errors = [line for line in hub.log.read_text(errors="replace").splitlines()
                  if "ERROR" in line or "Traceback" in line or line.startswith(("E", " "))]
        if errors:
            kept = ROOT / "var" / "load-test-hub.log"
            kept.parent.mkdir(exist_ok=True)
            kept.write_text(hub.log.read_text(errors="replace"))
            console.print(f"[yellow]The hub logged errors: {kept}[/]", highlight=False)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
