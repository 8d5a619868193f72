"""Benchmark: importing a MISP feed through the full path, beside PyMISP and misp-stix.

    .venv/bin/python bench/bench_misp.py [--events 100 --attributes 100000]
        [--engines sqlite,postgresql] [--misp-stix-python var/venv-misp-stix/bin/python]
    full size: --events 1000 --attributes 1000000

A seeded MISP feed (a directory with manifest.json and one <uuid>.json per event, as MISP
publishes it; 80 % of attributes to_ids, a mix of network, file, money and contact
types, one file object per event) is generated with our own code, then:

- imported through the full path (the ``misp`` converter feeding the STIX pipeline —
  validation, storage, value index, one transaction —, through a pipe from 8 MiB on):
  attributes/s, and peak RSS of the storing process and of the largest other (the
  reader or the converter);
- converted alone (the converter's share of the time);
- baseline: PyMISP loading the same events (``MISPEvent().load_file`` per event);
- baseline: the misp-stix library converting a sample of the events to STIX 2.1, when a
  Python with misp-stix is given (``--misp-stix-python``; misp-stix pins an older
  pycountry than the hub, so it lives in a venv of its own: ``python3 -m venv
  var/venv-misp-stix && var/venv-misp-stix/bin/pip install misp-stix``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

console = Console()
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 10_000
TARGET_RSS_MB = 400


# --------------------------------------------------------------------------- the feed

def _value(rng: random.Random, kind: str, n: int) -> str:
    if kind == "ip-dst":
        return f"{10 + n % 200}.{(n >> 8) % 256}.{(n >> 16) % 256}.{n % 251 + 1}"
    if kind == "domain":
        return f"host{n}.bench{n % 97}.example"
    if kind == "url":
        return f"https://site{n % 5000}.example/path/{n}?q={rng.randrange(10**6)}"
    if kind == "sha256":
        return f"{rng.getrandbits(256):064x}"
    if kind == "md5":
        return f"{rng.getrandbits(128):032x}"
    if kind == "email-src":
        return f"user{n}@mail{n % 300}.example"
    if kind == "btc":
        return "bc1q" + "".join(rng.choice("023456789acdefghjklmnpqrstuvwxyz")
                                for _ in range(38))
    if kind == "phone-number":
        return f"+3361{n % 10**7:07d}"
    return f"note {n}"


KINDS = [("ip-dst", 30), ("domain", 20), ("url", 15), ("sha256", 15), ("md5", 5),
         ("email-src", 7), ("btc", 3), ("phone-number", 3), ("text", 2)]


def make_feed(root: Path, events: int, attributes: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    names = [k for k, w in KINDS for _ in range(w)]
    per_event = max(1, attributes // events)
    manifest: dict[str, Any] = {}
    base = 1_700_000_000
    n = 0
    for e in range(events):
        euuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        stamp = str(base + e * 60)
        attrs = []
        for _ in range(per_event - 2):
            kind = rng.choice(names)
            attrs.append({"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                          "type": kind, "category": "Network activity",
                          "value": _value(rng, kind, n), "to_ids": rng.random() < 0.8,
                          "timestamp": stamp, "distribution": "5", "comment": "",
                          "Tag": [{"name": "tlp:green"}] if rng.random() < 0.05 else []})
            n += 1
        obj = {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": "file",
               "meta-category": "file", "timestamp": stamp, "distribution": "5",
               "template_uuid": "688c46fb-5edb-40a3-8273-1af7923e2215",
               "Attribute": [
                   {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "object_relation": "filename", "type": "filename",
                    "value": f"payload{n}.exe", "to_ids": False, "category": "Payload delivery"},
                   {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "object_relation": "sha256", "type": "sha256",
                    "value": f"{rng.getrandbits(256):064x}", "to_ids": True,
                    "category": "Payload delivery"}]}
        n += 2
        event = {"Event": {
            "uuid": euuid, "info": f"Bench event {e}", "date": "2023-11-14",
            "timestamp": stamp, "publish_timestamp": stamp, "published": True,
            "threat_level_id": "2", "analysis": "1", "distribution": "1",
            "Orgc": {"name": "Bench Feed", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
            "Tag": [{"name": "tlp:green"}, {"name": "type:OSINT"}],
            "Attribute": attrs, "Object": [obj]}}
        (root / f"{euuid}.json").write_bytes(orjson.dumps(event))
        manifest[euuid] = {"info": f"Bench event {e}", "timestamp": stamp,
                           "Orgc": {"name": "Bench Feed"}}
    (root / "manifest.json").write_bytes(orjson.dumps(manifest))
    return n


# --------------------------------------------------------------------------- runs

CHILD = r'''
import json, sys, time, resource
from pathlib import Path
from cyberhub.config import Settings, set_settings
from cyberhub import access, migrate
from cyberhub.db import Database
from cyberhub.community import service
from cyberhub.intel import imports
url, feed, var = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
set_settings(Settings(database_url=url, var_dir=var, secret_key="bench"))
migrate.upgrade(url)
db = Database(url)
system = access.system_viewer()
with db.transaction() as s:
    org = service.create_organisation(s, system, name="Bench CERT", kind="cert")
    user = service.create_user(s, system, email="bench@bench.example", org_id=org.id,
                               role="analyst")
    viewer = access.viewer_for(s, user)
    job = imports.new_import(s, viewer, filename=feed.name, tlp="GREEN", fmt="misp")
    imports.stage_file(job, feed)
    job_id = job.id
start = time.perf_counter()
job = imports.run(db, job_id, keep_source=True)
elapsed = time.perf_counter() - start
# SQLite: the write-ahead log is copied back into the database file after the job is
# done, in a thread (Database.checkpoint_after); reported beside the import's time.
if db.checkpointer is not None:
    db.checkpointer.join()
checkpoint = time.perf_counter() - start - elapsed
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
reader_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"status": job.status.value, "message": job.message,
                  "stored": job.objects_stored, "seen": job.objects_seen,
                  "seconds": elapsed, "checkpoint": checkpoint, "peak_mb": hwm / 1024,
                  "reader_mb": reader_kb / 1024}))
'''

CONVERT_ONLY = r'''
import json, sys, time
from pathlib import Path
from cyberhub.formats.convert import ConvertContext
from cyberhub.formats.misp.to_stix import convert
feed, out = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
with out.open("wb") as target:
    convert(feed, target, ConvertContext("Bench", "identity--8779210d-d293-476d-9005-305585e2bd90"))
elapsed = time.perf_counter() - start
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
print(json.dumps({"seconds": elapsed, "peak_mb": hwm / 1024, "bytes": out.stat().st_size}))
'''

MISP_STIX = r'''
import json, sys, time
from pathlib import Path
from misp_stix_converter import MISPtoSTIX21Parser
files = [Path(p) for p in sys.argv[1:]]
events = [json.loads(p.read_bytes()) for p in files]
start = time.perf_counter()
objects = 0
for event in events:
    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(event)
    objects += len(parser.stix_objects)
print(json.dumps({"seconds": time.perf_counter() - start, "objects": objects}))
'''


def child(code: str, *args: str, python: str = sys.executable) -> dict[str, Any]:
    result = subprocess.run([python, "-c", code, *args], capture_output=True, text=True,
                            check=False, cwd=ROOT)
    if result.returncode != 0:
        console.print(result.stderr[-3000:])
        raise SystemExit(1)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def pymisp_rate(files: list[Path], attributes_per_event: int) -> float:
    from pymisp import MISPEvent

    start = time.perf_counter()
    for path in files:
        MISPEvent().load_file(str(path))
    return len(files) * attributes_per_event / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--attributes", type=int, default=100_000)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--pymisp-sample", type=int, default=100, help="events PyMISP loads")
    ap.add_argument("--misp-stix-python", default=str(ROOT / "var/venv-misp-stix/bin/python"))
    ap.add_argument("--misp-stix-sample", type=int, default=5,
                    help="events misp-stix converts")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cyberhub-bench-misp-"))
    feed = tmp / "feed"
    feed.mkdir()
    with console.status("generating the feed"):
        total = make_feed(feed, args.events, args.attributes)
    size = sum(p.stat().st_size for p in feed.iterdir())
    per_event = total // args.events
    files = sorted(p for p in feed.iterdir() if p.name != "manifest.json")
    table = Table(title=f"MISP feed: {args.events:,} events, {total:,} attributes "
                        f"({size / 1e6:.0f} MB)")
    for col in ("run", "attributes/s", "peak RSS MB (main / other)", "note"):
        table.add_column(col, justify="right")
    with console.status("converting only"):
        conv = child(CONVERT_ONLY, str(feed), str(tmp / "converted.json"))
    table.add_row("misp → STIX converter alone", f"{total / conv['seconds']:,.0f}",
                  f"{conv['peak_mb']:.0f}", f"{conv['bytes'] / 1e6:.0f} MB of STIX")
    for engine in args.engines.split(","):
        var = tmp / f"var-{engine}"
        if engine == "sqlite":
            url = f"sqlite:///{tmp / 'hub.sqlite3'}"
        else:
            import psycopg

            with psycopg.connect(args.pg_url, autocommit=True) as con:
                con.execute("DROP DATABASE IF EXISTS cyberhub_bench_misp WITH (FORCE)")
                con.execute("CREATE DATABASE cyberhub_bench_misp")
            url = args.pg_url.rsplit("/", 1)[0] + "/cyberhub_bench_misp"
        with console.status(f"importing on {engine}"):
            run = child(CHILD, url, str(feed), str(var))
        if run["status"] != "succeeded":
            console.print(f"[red]{engine}: {run}")
            raise SystemExit(1)
        rate = total / float(run["seconds"])
        ok = rate >= TARGET_RATE and float(run["peak_mb"]) <= TARGET_RSS_MB
        table.add_row(f"full import, {engine}", f"{rate:,.0f}",
                      f"{run['peak_mb']:.0f} / {run['reader_mb']:.0f}",
                      f"{run['stored']:,} STIX objects; target "
                      f"{'met' if ok else 'missed'}"
                      + (f"; then {run['checkpoint']:.1f} s copying SQLite's log back, "
                         "after the job" if engine == "sqlite" else ""))
    sample = files[:args.pymisp_sample]
    with console.status("baseline: PyMISP"):
        table.add_row(f"baseline: PyMISP load_file ({len(sample)} events)",
                      f"{pymisp_rate(sample, per_event):,.0f}", "", "parse only, no storage")
    if Path(args.misp_stix_python).exists():
        sample = files[:args.misp_stix_sample]
        with console.status("baseline: misp-stix"):
            ms = child(MISP_STIX, *map(str, sample), python=args.misp_stix_python)
        table.add_row(f"baseline: misp-stix MISP → STIX 2.1 ({len(sample)} events)",
                      f"{len(sample) * per_event / ms['seconds']:,.0f}", "",
                      f"{ms['objects']:,} objects, conversion only")
    else:
        table.add_row("baseline: misp-stix", "—", "", f"no {args.misp_stix_python}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table.add_row("bench process (PyMISP baseline)", "", f"{own:.0f}", "")
    console.print(table)


if __name__ == "__main__":
    main()
