"""Benchmark: streamed exports of the knowledge base on SQLite.

    .venv/bin/python bench/bench_export.py [--objects 100000]

Imports N synthetic objects (GREEN, one organisation) into a fresh SQLite database, then
measures, each in a fresh process so that peak RSS is its own (and its growth over the
process's RSS once its code is imported): the STIX 2.1 export
through ``cyberhub.intel.export.stix_bundle`` (visibility, keyset chunks, the hub's TLP
marking on every object) written to /dev/null; the CSV export and an ipv4 blocklist
beside it; and the baseline, in the same run on the same database: raw ``sqlite3``
``SELECT data FROM stix_objects`` joined with ``b","`` (no visibility, no markings, and
the whole result held in memory).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(width=110)

SETUP = r'''
import sys, time
from pathlib import Path
from cyberhub.config import Settings, set_settings
from cyberhub import access, migrate
from cyberhub.db import Database
from cyberhub.community import service
from cyberhub.intel import imports
from cyberhub.intel.synthetic import Generator, write_bundle
url, var, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
set_settings(Settings(database_url=url, var_dir=var, secret_key="bench"))
migrate.upgrade(url)
bundle = var / "bundle.json"
with bundle.open("wb") as out:
    write_bundle(out, Generator(seed=42).objects(n))
db = Database(url)
system = access.system_viewer()
with db.transaction() as s:
    org = service.create_organisation(s, system, name="Bench CERT", kind="cert")
    user = service.create_user(s, system, email="bench@bench.example", org_id=org.id,
                               role="analyst")
    job = imports.new_import(s, access.viewer_for(s, user), filename=bundle.name, tlp="GREEN")
    imports.stage_file(job, bundle)
    job_id = job.id
job = imports.run(db, job_id)
assert job.status.value == "succeeded", (job.message, job.errors[:3])
'''

EXPORT = r'''
import json, resource, sys, time
from pathlib import Path
from cyberhub.config import Settings, set_settings
from cyberhub import access
from cyberhub.db import Database
from cyberhub.community import service
from cyberhub.intel import export
from cyberhub.intel.models import StixObject
from sqlalchemy import func, select
url, var, fmt = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
set_settings(Settings(database_url=url, var_dir=var, secret_key="bench"))
db = Database(url)
with db.snapshot() as s:
    user = service.find_user(s, "bench@bench.example")
    viewer = access.viewer_for(s, user)
    filters = export.ExportFilters(skip_warninglisted=False)
    start = time.perf_counter()
    if fmt == "stix":
        chunks = export.stix_bundle(s, viewer, filters)
    elif fmt == "csv":
        chunks = export.csv_rows(s, viewer, filters)
    else:
        chunks = export.blocklist(s, viewer, "ipv4", filters)
    size = 0
    with open("/dev/null", "wb") as sink:
        for chunk in chunks:
            size += len(chunk)
            sink.write(chunk)
    elapsed = time.perf_counter() - start
    count = s.execute(select(func.count()).select_from(StixObject)).scalar_one()
print(json.dumps({"seconds": elapsed, "bytes": size, "count": count, "start_mb": start_mb,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

BASELINE = r'''
import json, resource, sqlite3, sys, time
path = sys.argv[1]
start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
conn = sqlite3.connect(path)
rows = conn.execute("SELECT data FROM stix_objects").fetchall()
body = b'{"type":"bundle","id":"bundle--0","objects":[' + b",".join(
    r[0].encode() for r in rows) + b"]}"
with open("/dev/null", "wb") as sink:
    sink.write(body)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "bytes": len(body), "count": len(rows),
                  "start_mb": start_mb,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

def child(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        db = var / "hub.sqlite3"
        url = f"sqlite:///{db}"
        with console.status(f"Importing {args.objects:,} synthetic objects…"):
            subprocess.run([sys.executable, "-c", SETUP, url, str(var), str(args.objects)],
                           check=True)
        table = Table(title=f"Export of {args.objects:,} objects on SQLite")
        for col in ("what", "objects/s", "seconds", "output MB", "peak RSS MB",
                    "RSS growth MB"):
            table.add_column(col, justify="left" if col == "what" else "right")

        def row(label: str, r: dict[str, float]) -> None:
            table.add_row(label, f"{r['count'] / r['seconds']:,.0f}", f"{r['seconds']:.2f}",
                          f"{r['bytes'] / 1e6:.1f}", f"{r['peak_mb']:.0f}",
                          f"{r['peak_mb'] - r['start_mb']:.0f}")

        row("baseline: raw sqlite3 SELECT data, b','.join",
            child(BASELINE, str(db)))
        row("stix_bundle (visible, marked, streamed)",
            child(EXPORT, url, str(var), "stix"))
        row("csv_rows", child(EXPORT, url, str(var), "csv"))
        row("blocklist ipv4 (stored objects / s)",
            child(EXPORT, url, str(var), "blocklist"))
        console.print(table)


if __name__ == "__main__":
    main()
