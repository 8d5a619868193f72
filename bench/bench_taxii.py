"""Benchmark: reading TAXII 2.1 collections, beside a raw read and beside medallion.

    .venv/bin/python bench/bench_taxii.py [--objects 100000] [--large 1000000]
        [--engines sqlite,postgresql] [--large-engines sqlite] [--pg-url URL]
        [--medallion-sizes 1000,2000,4000]

(a) A collection of ``--objects`` synthetic objects (loaded through the hub's importer),
    read through ``GET …/objects/`` in pages of 1,000 following ``next``: objects/s, on
    each engine. Baseline: the same rows read straight from the database with the driver
    (keyset pages of 1,000 on ``stix_objects``, no visibility, no markings, no HTTP).
(b) The first page (1,000 objects) of a ``--large``-object collection: the median of
    five requests after one warm-up; target ≤ 50 ms. Baseline: the page's rows straight
    from the database.
(c) The OASIS reference server ``medallion`` (memory back end) serving the same requests
    on 1k, 2k and 4k objects — first page and full read — beside the hub (SQLite) on the
    same objects, and the ratio at each size: on each side a warm-up request, then one
    full read, its first request being the first page (medallion's first page grows with
    the square of the collection: a 4k read takes it minutes).

Both servers are driven in-process, the same way: the hub through FastAPI's TestClient,
medallion through Flask's test client (WSGI), each with HTTP Basic credentials.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(width=120)
ROOT = Path(__file__).resolve().parent.parent
TAXII = "application/taxii+json;version=2.1"
PAGE = 1000
TARGET_MS = 50.0
EMAIL = "bench@bench.example"

Get = Callable[[str, dict[str, Any]], tuple[int, dict[str, str], bytes]]


# ------------------------------------------------------------------ the hub

class HubSide:
    """A hub database with a bench organisation, user, token and one collection; objects
    are added through the importer, read through the TAXII routes (TestClient)."""

    def __init__(self, url: str, var: Path) -> None:
        from cyberhub import access, migrate
        from cyberhub.community import auth, service
        from cyberhub.config import Settings, set_settings
        from cyberhub.db import Database
        from cyberhub.taxii import service as taxii

        self.url = url
        self.var = var
        var.mkdir(parents=True, exist_ok=True)
        self.settings = Settings(database_url=url, var_dir=var, secret_key="bench")
        set_settings(self.settings)
        migrate.upgrade(url)
        self.db = Database(url)
        system = access.system_viewer()
        with self.db.transaction() as s:
            org = service.create_organisation(s, system, name="Bench CERT", kind="cert")
            ops = service.create_organisation(s, system, name="Bench operators",
                                              kind="international-organisation")
            user = service.create_user(s, system, email=EMAIL, org_id=org.id, role="analyst")
            admin = service.create_user(s, system, email="operator@bench.example",
                                        org_id=ops.id, role="hub-admin")
            _t, self.token = auth.create_token(s, user, name="bench")
            found = taxii.save_collection(s, access.viewer_for(s, admin),
                                          taxii.CollectionSpec(title="Everything"))
            self.collection = str(found.id)
        self.imported = 0
        self._client: Any = None

    def add(self, objects: Iterator[dict[str, Any]], n: int) -> None:
        from cyberhub import access
        from cyberhub.community import service
        from cyberhub.intel import imports
        from cyberhub.intel.synthetic import write_bundle

        bundle = self.var / f"bundle-{uuid.uuid4()}.json"
        with bundle.open("wb") as out:
            write_bundle(out, objects)
        with self.db.transaction() as s:
            user = service.find_user(s, EMAIL)
            assert user is not None
            job = imports.new_import(s, access.viewer_for(s, user), filename=bundle.name,
                                     tlp="GREEN")
            imports.stage_file(job, bundle)
            job_id = job.id
        job = imports.run(self.db, job_id)
        assert job.status.value == "succeeded", (job.message, job.errors[:3])
        self.imported += n
        bundle.unlink(missing_ok=True)

    def get(self) -> Get:
        from fastapi.testclient import TestClient

        from cyberhub.app import create_app
        from cyberhub.config import set_settings

        set_settings(self.settings)
        if self._client is None:
            self._client = TestClient(create_app(self.settings, self.db),
                                      base_url="http://bench")
        client = self._client
        raw = base64.b64encode(f"{EMAIL}:{self.token}".encode()).decode()
        headers = {"Authorization": f"Basic {raw}", "Accept": TAXII}
        base = f"/taxii2/hub/collections/{self.collection}/"

        def get(path: str, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
            answer = client.get(base + path, params=params, headers=headers)
            return answer.status_code, dict(answer.headers), answer.content

        return get

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.db.dispose()


# ------------------------------------------------------------------ medallion

class MedallionSide:
    """medallion's Flask app with its memory back end, one API root and one collection;
    objects are added and read through its TAXII routes (Flask test client)."""

    USER, PASSWORD = "bench", "bench-password"

    def __init__(self, workdir: Path) -> None:
        import logging

        from medallion import load_app

        logging.getLogger("medallion").setLevel(logging.ERROR)
        self.collection = str(uuid.uuid4())
        data = {
            "/discovery": {"title": "medallion", "default": "http://localhost/hub/",
                           "api_roots": ["http://localhost/hub/"]},
            "hub": {"information": {"title": "hub", "versions": [TAXII],
                                    "max_content_length": 1024 ** 3},
                    "status": [],
                    "collections": [{"id": self.collection, "title": "Everything",
                                     "can_read": True, "can_write": True,
                                     "media_types": ["application/stix+json;version=2.1"],
                                     "objects": [], "manifest": []}]}}
        data_file = workdir / "medallion-data.json"
        data_file.write_text(json.dumps(data))
        config = workdir / "medallion-config.json"
        config.write_text(json.dumps({
            "backend": {"module": "medallion.backends.memory_backend",
                        "module_class": "MemoryBackend", "filename": str(data_file)},
            "users": {self.USER: self.PASSWORD}, "taxii": {"max_page_size": PAGE}}))
        self.app = load_app(str(config))
        self.client = self.app.test_client()
        raw = base64.b64encode(f"{self.USER}:{self.PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {raw}", "Accept": TAXII}
        self.base = f"/hub/collections/{self.collection}/"
        self.imported = 0

    def add(self, objects: Iterator[dict[str, Any]], n: int) -> None:
        batch: list[dict[str, Any]] = []

        def post() -> None:
            answer = self.client.post(self.base + "objects/", data=json.dumps(
                {"objects": batch}), headers={**self.headers, "Content-Type": TAXII})
            assert answer.status_code == 202, answer.data[:300]
            status = answer.get_json()
            assert status["failure_count"] == 0, status.get("failures", [])[:3]
            batch.clear()

        for obj in objects:
            batch.append(obj)
            if len(batch) == PAGE:
                post()
        if batch:
            post()
        self.imported += n

    def get(self) -> Get:
        def get(path: str, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
            answer = self.client.get(self.base + path, query_string=params,
                                     headers=self.headers)
            return answer.status_code, dict(answer.headers), answer.data

        return get


# ------------------------------------------------------------------ measuring

def first_page(get: Get, repeats: int) -> float:
    """Milliseconds for the first page of 1,000 objects: the median of ``repeats`` after
    one warm-up request."""
    def once() -> float:
        start = time.perf_counter()
        status, _h, body = get("objects/", {"limit": PAGE})
        elapsed = (time.perf_counter() - start) * 1000
        assert status == 200, body[:300]
        return elapsed

    once()
    return statistics.median(once() for _ in range(repeats))


def full_read(get: Get, expected: int) -> tuple[float, float]:
    """Seconds to read the whole collection in pages of 1,000, following ``next``, and
    the milliseconds its first page took."""
    start = time.perf_counter()
    params: dict[str, Any] = {"limit": PAGE}
    seen = 0
    first_ms = 0.0
    while True:
        status, _h, body = get("objects/", params)
        assert status == 200, body[:300]
        if not first_ms:
            first_ms = (time.perf_counter() - start) * 1000
        page = json.loads(body)
        seen += len(page.get("objects", []))
        if not page.get("more"):
            break
        params = {"limit": PAGE, "next": page["next"]}
    elapsed = time.perf_counter() - start
    assert seen == expected, (seen, expected)
    return elapsed, first_ms


def warm_up(get: Get) -> None:
    """One cheap request (the collection resource): code paths and connections warm,
    without the listing's cost."""
    status, _h, body = get("", {})
    assert status == 200, body[:300]


def raw_read(url: str, sqlite_path: Path | None, *, full: bool = True) -> tuple[float, float]:
    """Baselines straight from the database: (seconds to read every object's data in
    keyset pages of 1,000 — 0 unless ``full`` —, milliseconds for the first 1,000 in
    date-added order)."""
    if sqlite_path is not None:
        import sqlite3

        con: Any = sqlite3.connect(sqlite_path)
        mark = "?"
    else:
        import psycopg

        con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        mark = "%s"
    try:
        start = time.perf_counter()
        last = None
        while full:
            if last is None:
                rows = con.execute(f"SELECT id, data FROM stix_objects ORDER BY id "
                                   f"LIMIT {PAGE}").fetchall()
            else:
                rows = con.execute(f"SELECT id, data FROM stix_objects WHERE id > {mark} "
                                   f"ORDER BY id LIMIT {PAGE}", (last,)).fetchall()
            if not rows:
                break
            b",".join(str(r[1]).encode() for r in rows)
            last = rows[-1][0]
        full = time.perf_counter() - start
        times = []
        for _ in range(6):
            start = time.perf_counter()
            rows = con.execute(f"SELECT data FROM stix_objects ORDER BY updated_at, id "
                               f"LIMIT {PAGE}").fetchall()
            b",".join(str(r[0]).encode() for r in rows)
            times.append((time.perf_counter() - start) * 1000)
        return full, statistics.median(times[1:])
    finally:
        con.close()


# ------------------------------------------------------------------ databases

def database(engine: str, name: str, tmp: Path, pg_url: str) -> tuple[str, Path | None]:
    if engine == "sqlite":
        path = tmp / f"{name}.sqlite3"
        return f"sqlite:///{path}", path
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + "/" + name, None


def drop(engine: str, name: str, pg_url: str) -> None:
    if engine != "sqlite":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def objects(n: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    from cyberhub.intel.synthetic import Generator

    return Generator(seed=seed).objects(n)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="cyberhub-bench-taxii-"))
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000,
                    help="the collection read in full, on every engine")
    ap.add_argument("--large", type=int, default=1_000_000,
                    help="the collection whose first page is timed")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--large-engines", default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--medallion-sizes", default="1000,2000,4000")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    method = ("in-process: the hub through FastAPI's TestClient, medallion through Flask's "
              "test client; HTTP Basic; pages of 1,000 objects")

    reads = Table(title=f"(a) TAXII read of a {args.objects:,}-object collection, pages of "
                        f"{PAGE:,} ({method})")
    for col in ("engine", "TAXII objects/s", "seconds",
                "baseline: raw keyset SELECT data objects/s", "× baseline time"):
        reads.add_column(col, justify="left" if col == "engine" else "right")
    firsts = Table(title="(b) First page (1,000 objects) of a large collection, median of "
                         f"{args.repeats} after a warm-up")
    for col in ("engine", "objects", "first page ms", f"target ≤ {TARGET_MS:.0f} ms",
                "baseline: raw SELECT of the page ms"):
        firsts.add_column(col, justify="left" if col == "engine" else "right")

    for engine in args.engines.split(","):
        name = "cyberhub_bench_taxii"
        url, path = database(engine, name, tmp, args.pg_url)
        with console.status(f"{engine}: importing {args.objects:,} objects"):
            hub = HubSide(url, tmp / f"var-{engine}")
            hub.add(objects(args.objects), args.objects)
        with console.status(f"{engine}: reading {args.objects:,} objects over TAXII"):
            warm_up(hub.get())
            seconds, _first = full_read(hub.get(), args.objects)
            raw_seconds, _raw_ms = raw_read(url, path)
        reads.add_row(engine, f"{args.objects / seconds:,.0f}", f"{seconds:.2f}",
                      f"{args.objects / raw_seconds:,.0f}", f"{seconds / raw_seconds:.1f}")
        hub.close()
        drop(engine, name, args.pg_url)

    for engine in args.large_engines.split(","):
        if not engine:
            continue
        name = "cyberhub_bench_taxii_large"
        url, path = database(engine, name, tmp, args.pg_url)
        with console.status(f"{engine}: importing {args.large:,} objects"):
            hub = HubSide(url, tmp / f"var-large-{engine}")
            start = time.perf_counter()
            hub.add(objects(args.large), args.large)
            console.print(f"{engine}: {args.large:,} objects imported in "
                          f"{time.perf_counter() - start:.0f} s")
        with console.status(f"{engine}: first page of {args.large:,}"):
            ms = first_page(hub.get(), args.repeats)
            _none, raw_ms = raw_read(url, path, full=False)
        firsts.add_row(engine, f"{args.large:,}", f"{ms:.1f}",
                       "met" if ms <= TARGET_MS else "MISSED", f"{raw_ms:.1f}")
        hub.close()
        drop(engine, name, args.pg_url)

    sizes = [int(s) for s in args.medallion_sizes.split(",") if s]
    versus = Table(title=f"(c) medallion (memory back end) beside the hub (SQLite), same "
                         f"requests ({method})")
    for col in ("objects", "medallion first page ms", "hub first page ms", "ratio",
                "medallion full read s", "hub full read s", "ratio"):
        versus.add_column(col, justify="right")
    if sizes:
        url, _path = database("sqlite", "versus", tmp, args.pg_url)
        hub = HubSide(url, tmp / "var-versus")
        theirs = MedallionSide(tmp)
        pool = list(objects(max(sizes), seed=7))
        for size in sizes:
            with console.status(f"loading {size:,} objects into both"):
                fresh = pool[hub.imported:size]
                hub.add(iter(fresh), len(fresh))
                theirs.add(iter(fresh), len(fresh))
            # The same for both: a warm-up request, then one full read, whose first
            # request is the first page.
            with console.status(f"{size:,} objects: medallion"):
                warm_up(theirs.get())
                m_full, m_first = full_read(theirs.get(), size)
            with console.status(f"{size:,} objects: hub"):
                warm_up(hub.get())
                h_full, h_first = full_read(hub.get(), size)
            versus.add_row(f"{size:,}", f"{m_first:,.1f}", f"{h_first:.1f}",
                           f"{m_first / h_first:,.0f}×", f"{m_full:,.2f}", f"{h_full:.3f}",
                           f"{m_full / h_full:,.0f}×")
        hub.close()

    console.print(reads)
    console.print(firsts)
    console.print(versus)


if __name__ == "__main__":
    main()
