"""Benchmark: the ransomware dashboard and trends with 100,000 incidents.

Generates ``--incidents`` incident reports (100,000 by default) from ``--orgs``
organisations — nine in ten GREEN, one in ten AMBER+STRICT (seen only by its reporter) —
written straight into the table (the bench measures reading, not the form) and counted
into the trends' running tallies as the service counts each one, then times,
as one member organisation's analyst sees them:

- ``GET /ransomware`` — the dashboard page, rendered, through the app (signed-in client);
- ``GET /api/v1/ransomware/dashboard`` and ``GET /api/v1/ransomware/trends``;
- the trends filtered by one family (the drill-down of the trends page);

beside a baseline in the same run: one raw ``SELECT`` of every column the trends read,
fetched whole with the driver and no visibility rule (the floor of any figure computed
over all incidents). The issue's target: the dashboard renders in ≤ 300 ms with 100k
incidents.

    python bench/bench_ransomware.py [--incidents 100000] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import insert, text

console = Console()
FAMILIES = ["LockBit", "Akira", "Play", "Rhysida", "BlackCat", "Medusa", "Black Basta",
            "8Base", "BianLian", "Royal", "Cl0p", "Hunters International"]
SECTORS = ["Manufacturing", "Health", "Bank", "Education", "Government, Administration",
           "Retail", "Legal", "Energy", "Transport", "Telecoms"]
COUNTRIES = ["NL", "DE", "FR", "BE", "ES", "IT", "US", "GB", "PL", "SE", "AT", "CH"]
VECTORS = ["phishing", "exposed-remote-access", "exploited-vulnerability",
           "stolen-credentials", "supply-chain", "other", "unknown"]
PASSWORD = "bench-only-cyberhub-passphrase"


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def generate(database: Any, n: int, orgs: int) -> tuple[str, list[uuid.UUID]]:
    """``orgs`` organisations with an analyst each, ``n`` incidents; returns the e-mail
    of the analyst who looks, and the organisations' ids."""
    from cyberhub import access
    from cyberhub.community import service as community
    from cyberhub.ransomware import trend_tallies
    from cyberhub.ransomware.models import Incident
    from cyberhub.sharing import TLP

    system = access.system_viewer()
    org_ids, user_ids = [], []
    with database.transaction() as s:
        for i in range(orgs):
            org = community.create_organisation(s, system, name=f"Bench reporter {i:03d}",
                                                kind="cert")
            user = community.create_user(s, system, email=f"a{i}@bench{i}.example",
                                         display_name=f"Analyst {i}", org_id=org.id,
                                         role="analyst", password=PASSWORD,
                                         check_strength=False)
            org_ids.append(org.id)
            user_ids.append(user.id)
    rng = random.Random(7)  # bench data, not a secret
    today = date(2026, 11, 30)
    now = datetime.now(UTC)
    batch = 5_000
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("incidents", total=n)
        for start in range(0, n, batch):
            rows = []
            for i in range(start, min(n, start + batch)):
                o = rng.randrange(orgs)
                demand = rng.choice([None, 50_000, 120_000, 250_000, 400_000, 1_500_000])
                paid = None if demand is None else rng.random() < 0.3
                fam = rng.choice(FAMILIES)
                rows.append({
                    "id": uuid.uuid4(), "tlp": TLP.AMBER_STRICT if i % 10 == 9 else TLP.GREEN,
                    "pap": None, "created_at": now - timedelta(seconds=n - i),
                    "updated_at": now, "owner_org_id": org_ids[o],
                    "created_by_id": user_ids[o],
                    "discovered": today - timedelta(days=rng.randint(0, 730)),
                    "family_ref": f"malware--{uuid.uuid5(uuid.NAMESPACE_URL, fam)}",
                    "family_name": fam, "access_vector": rng.choice(VECTORS), "cve": None,
                    "sector": rng.choice(SECTORS), "country": rng.choice(COUNTRIES),
                    "size_band": "50-249", "systems_affected": rng.randint(1, 500),
                    "data_stolen": rng.random() < 0.6, "leak_listed": rng.random() < 0.3,
                    "demand_amount": demand, "demand_currency": "EUR" if demand else None,
                    "paid": paid, "paid_amount": int(demand * 0.5) if demand and paid else None,
                    "wallets": [], "negotiation_contact": "", "decryptor_used": "",
                    "recovery_days": rng.randint(1, 90), "loss_band": "100k-1m",
                    "reported_to": "", "notes": "", "via_link": False, "is_demo": False})
            with database.transaction() as s:
                s.execute(insert(Incident), rows)
            progress.advance(task, len(rows))
    # Written around the service: count them as the service would have.
    with database.transaction() as s:
        trend_tallies.rebuild(s)
    return "a0@bench0.example", org_ids


def run(engine: str, url: str, n: int, orgs: int, repeat: int, tmp: Path) -> list[tuple[str, ...]]:
    from fastapi.testclient import TestClient

    from cyberhub import migrate
    from cyberhub.app import create_app
    from cyberhub.config import Settings, set_settings
    from cyberhub.db import Database

    # One set of settings for the seed and the app: the password is hashed with the
    # pepper of this var directory. The benchmark signs in the instant the form is shown:
    # no minimum time (web.pace).
    settings = Settings(database_url=url, var_dir=tmp / f"var-{engine}",
                        secret_key="bench-secret-key", min_form_seconds=0)
    set_settings(settings)
    migrate.upgrade(url)
    database = Database(url)
    start = time.perf_counter()
    email, _orgs = generate(database, n, orgs)
    made = time.perf_counter() - start
    with database.snapshot() as s:
        if engine == "postgresql":
            s.execute(text("ANALYZE"))
    rows: list[tuple[str, ...]] = [(engine, f"{n:,} incidents from {orgs} organisations "
                                            f"(written in {made:.0f} s)", "", "")]
    raw = database.engine.raw_connection()
    try:
        def floor() -> None:
            cur = raw.cursor()
            cur.execute("SELECT owner_org_id, family_ref, family_name, sector, country, "
                        "access_vector, discovered, demand_currency, demand_amount, paid, "
                        "paid_amount, recovery_days FROM ransomware_incidents")
            cur.fetchall()
            cur.close()
        b, m = best(floor, repeat)
        rows.append((engine, "baseline: raw SELECT of the trend columns, driver only",
                     f"{b * 1000:.0f}", f"{m * 1000:.0f}"))
    finally:
        raw.close()
    with TestClient(create_app(settings, database), base_url="http://127.0.0.1") as client:
        page = client.get("/signin")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = client.post("/signin", data={"email": email, "password": PASSWORD,
                                        "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text
        for label, path in (("GET /ransomware (dashboard page)", "/ransomware"),
                            ("GET /api/v1/ransomware/dashboard", "/api/v1/ransomware/dashboard"),
                            ("GET /api/v1/ransomware/trends", "/api/v1/ransomware/trends"),
                            ("trends filtered by one family",
                             "/api/v1/ransomware/trends?dimension=family&value=malware--"
                             f"{uuid.uuid5(uuid.NAMESPACE_URL, 'LockBit')}")):
            def get(path: str = path) -> None:
                resp = client.get(path)
                assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
            b, m = best(get, repeat)
            rows.append((engine, label, f"{b * 1000:.0f}", f"{m * 1000:.0f}"))
    database.dispose()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=100_000)
    ap.add_argument("--orgs", type=int, default=40)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    table = Table(title=f"Ransomware dashboard and trends, {args.incidents:,} incidents, as "
                        "one member organisation's analyst sees them "
                        f"(load {os.getloadavg()[0]:.1f})")
    for col in ("engine", "what", "best ms", "median ms"):
        table.add_column(col, justify="right" if col.endswith("ms") else "left")
    with tempfile.TemporaryDirectory(prefix="cyberhub-bench-ransomware-") as tmpdir:
        tmp = Path(tmpdir)
        for engine in args.engines.split(","):
            if engine == "sqlite":
                url = f"sqlite:///{tmp / 'hub.sqlite3'}"
            else:
                import psycopg

                with psycopg.connect(args.pg_url, autocommit=True) as con:
                    con.execute("DROP DATABASE IF EXISTS cyberhub_bench_ransomware WITH (FORCE)")
                    con.execute("CREATE DATABASE cyberhub_bench_ransomware")
                url = args.pg_url.rsplit("/", 1)[0] + "/cyberhub_bench_ransomware"
            for row in run(engine, url, args.incidents, args.orgs, args.repeat, tmp):
                table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
