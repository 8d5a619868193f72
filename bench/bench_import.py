"""Benchmark: the knowledge base's import, value lookups and correlations.

    .venv/bin/python bench/bench_import.py --objects 100000 [--engines sqlite,postgresql]
        [--hot 0]  (objects sharing one value, for the correlation-page figure)

For each engine: objects/s through the full import of the ``--objects`` bundle into an
empty hub (validation, storage, value index, full-text index), the import process's peak
RSS and database bytes per object; then a second bundle of ``--hot`` indicators sharing
one value, imported on top (its objects/s and peak RSS); then batched value lookups/s
and the time to the first page of correlations for the hot value. Baselines in the same
run, on the same objects: the OASIS ``stix2.parse`` alone, and a raw ``orjson.loads`` +
``executemany`` into a bare SQLite table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

console = Console()
ROOT = Path(__file__).resolve().parent.parent


def make_bundles(path: Path, hot_path: Path, n: int, hot: int) -> None:
    from cyberhub.intel.synthetic import Generator, write_bundle

    gen = Generator(seed=42)

    def hot_objects():  # type: ignore[no-untyped-def]
        for _ in range(hot):
            obj = gen.indicator("ipv4")
            obj["pattern"] = "[ipv4-addr:value = '45.13.7.99']"
            yield obj

    with path.open("wb") as out:
        write_bundle(out, gen.objects(n))
    with hot_path.open("wb") as out:
        write_bundle(out, hot_objects())


CHILD = r'''
import json, os, sys, time, resource
from pathlib import Path
from cyberhub.config import Settings, set_settings
from cyberhub import access, migrate
from cyberhub.db import Database
from cyberhub.community import service
from cyberhub.intel import imports
url, bundle, var = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
set_settings(Settings(database_url=url, var_dir=var, secret_key="bench"))
migrate.upgrade(url)
db = Database(url)
system = access.system_viewer()
from sqlalchemy import select
from cyberhub.community.models import User
with db.transaction() as s:
    user = s.scalar(select(User).where(User.email == "bench@bench.example"))
    if user is None:  # the first bundle; the hot one goes on top
        org = service.create_organisation(s, system, name="Bench CERT", kind="cert")
        user = service.create_user(s, system, email="bench@bench.example", org_id=org.id,
                                   role="analyst")
    viewer = access.viewer_for(s, user)
    job = imports.new_import(s, viewer, filename=bundle.name, tlp="GREEN")
    imports.stage_file(job, bundle)
    job_id = job.id
start = time.perf_counter()
job = imports.run(db, job_id, keep_source=True)
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report the
# benchmark's own peak. The reader process (forked for large files) is counted apart.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
reader_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"status": job.status.value, "message": job.message,
                  "stored": job.objects_stored, "seen": job.objects_seen,
                  "seconds": elapsed, "peak_mb": hwm / 1024, "reader_mb": reader_kb / 1024}))
'''


def run_import(url: str, bundle: Path, var: Path) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", CHILD, url, str(bundle), str(var)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    if result.returncode != 0:
        console.print(result.stderr)
        raise SystemExit(1)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def db_bytes(url: str, path: Path | None) -> int:
    if path is not None:
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        return path.stat().st_size
    import psycopg

    with psycopg.connect(url) as con:
        return int(con.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def lookups_and_correlations(url: str, var: Path, n_lookups: int) -> tuple[float, float]:
    from sqlalchemy import select

    from cyberhub import access
    from cyberhub.community.models import User
    from cyberhub.config import Settings, set_settings
    from cyberhub.db import Database
    from cyberhub.intel import lookup, service
    from cyberhub.intel.models import ObservableValue

    set_settings(Settings(database_url=url, var_dir=var, secret_key="bench"))
    from cyberhub.intel import warninglists

    warninglists.index()  # built once per package version; not part of a query's cost
    db = Database(url)
    with db.snapshot() as s:
        pairs = [(k, v) for k, v in s.execute(
            select(ObservableValue.kind, ObservableValue.value).limit(n_lookups * 2))]
    rng = random.Random(1)
    keys = [rng.choice(pairs) for _ in range(n_lookups // 2)]
    keys += [("ipv4", f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}")
             for i in range(n_lookups - len(keys))]  # misses too
    with db.snapshot() as s:
        user = s.scalar(select(User))
        assert user is not None
        viewer = access.viewer_for(s, user)
        start = time.perf_counter()
        found = lookup.present(s, viewer, keys)
        lookup_rate = len(keys) / (time.perf_counter() - start)
        assert found, "no lookup hit"
        start = time.perf_counter()
        service.correlate_values(s, viewer, [("ipv4", "45.13.7.99")], limit=50)
        first_page_ms = (time.perf_counter() - start) * 1000
    db.dispose()
    return lookup_rate, first_page_ms


def baselines(bundle: Path, sample: int) -> tuple[float, float]:
    data = bundle.read_bytes()
    start = time.perf_counter()
    objects = orjson.loads(data)["objects"]
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE o (id TEXT, type TEXT, data TEXT)")
    con.executemany("INSERT INTO o VALUES (?, ?, ?)",
                    [(o["id"], o["type"], orjson.dumps(o).decode()) for o in objects])
    con.commit()
    raw_rate = len(objects) / (time.perf_counter() - start)
    import stix2

    subset = objects[:sample]
    start = time.perf_counter()
    for obj in subset:
        stix2.parse(obj, allow_custom=True)
    stix2_rate = len(subset) / (time.perf_counter() - start)
    return stix2_rate, raw_rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--hot", type=int, default=10_000,
                    help="extra indicators sharing one value (correlation-page figure)")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--lookups", type=int, default=10_000)
    ap.add_argument("--stix2-sample", type=int, default=5_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cyberhub-bench-import-"))
    bundle, hot_bundle = tmp / "bundle.json", tmp / "hot.json"
    with console.status("generating the bundles"):
        make_bundles(bundle, hot_bundle, args.objects, args.hot)
    total = args.objects + args.hot
    with console.status("baselines: stix2.parse, orjson + executemany"):
        stix2_rate, raw_rate = baselines(bundle, args.stix2_sample)
    table = Table(title=f"Import of {args.objects:,} STIX objects "
                        f"({bundle.stat().st_size / 1e6:.0f} MB) into an empty hub, then "
                        f"{args.hot:,} sharing one value on top")
    for col in ("engine", f"objects/s ({args.objects:,})", "× stix2.parse",
                "peak RSS MB (store / reader)", "DB bytes/object",
                f"objects/s (+{args.hot:,} hot)", "peak RSS MB (hot)",
                "lookups/s (batched)", f"first correlation page ({args.hot:,} sharing) ms"):
        table.add_column(col, justify="right")
    for engine in args.engines.split(","):
        var = tmp / f"var-{engine}"
        if engine == "sqlite":
            path: Path | None = tmp / "hub.sqlite3"
            url = f"sqlite:///{path}"
        else:
            import psycopg

            path = None
            with psycopg.connect(args.pg_url, autocommit=True) as con:
                con.execute("DROP DATABASE IF EXISTS cyberhub_bench_import WITH (FORCE)")
                con.execute("CREATE DATABASE cyberhub_bench_import")
            url = args.pg_url.rsplit("/", 1)[0] + "/cyberhub_bench_import"
        with console.status(f"importing {args.objects:,} objects on {engine}"):
            before = db_bytes(url, None) if path is None else 0
            result = run_import(url, bundle, var)
        if result["status"] != "succeeded" or result["stored"] != args.objects:
            console.print(f"[red]{engine}: {result}")
            raise SystemExit(1)
        rate = args.objects / float(result["seconds"])  # type: ignore[arg-type]
        size = db_bytes(url, path) - before
        hot_rate, hot_mb = 0.0, 0.0
        if args.hot:
            with console.status(f"importing {args.hot:,} hot objects on {engine}"):
                hot = run_import(url, hot_bundle, var)
            if hot["status"] != "succeeded" or hot["stored"] != args.hot:
                console.print(f"[red]{engine}: {hot}")
                raise SystemExit(1)
            hot_rate = args.hot / float(hot["seconds"])  # type: ignore[arg-type]
            hot_mb = float(hot["peak_mb"])  # type: ignore[arg-type]
        lookup_rate, page_ms = lookups_and_correlations(url, var, args.lookups)
        table.add_row(engine, f"{rate:,.0f}", f"{rate / stix2_rate:.1f}",
                      f"{result['peak_mb']:.0f} / {result['reader_mb']:.0f}",
                      f"{size / args.objects:,.0f}", f"{hot_rate:,.0f}", f"{hot_mb:.0f}",
                      f"{lookup_rate:,.0f}", f"{page_ms:.1f}")
    blank = ("",) * 6
    table.add_row("baseline: stix2.parse alone", f"{stix2_rate:,.0f}", "1.0", *blank)
    table.add_row("baseline: orjson + executemany (bare SQLite)", f"{raw_rate:,.0f}",
                  f"{raw_rate / stix2_rate:.1f}", *blank)
    console.print(f"{total:,} objects stored in all")
    console.print(table)


if __name__ == "__main__":
    main()
