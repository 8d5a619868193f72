"""Benchmark: deconfliction checks against a million registrations.

Seeds N registrations (default 1,000,000: IPv4 addresses, e-mail addresses, Ethereum
wallets and IBANs, as keyed digests, registered by 20 agencies) and checks M values
(default 10,000; half registered, half not, each in another spelling than registered)
from a law-enforcement user of an organisation with no registration, timing:

- ``check (service)``: ``deconfliction.service.check`` in requests of 1,000 values, as
  the REST endpoint runs it — normalise, digest, look up, audit (rate limit lifted);
- ``lookup (service)``: ``service.matching_digests`` on the precomputed digests (the
  query alone, through SQLAlchemy);

beside a baseline measured in the same run: the same precomputed digests looked up on
the raw driver (sqlite3 ``IN (…)`` in chunks of 500 / psycopg ``= ANY(%s)``), without
the ORM, normalisation or HMAC.

    .venv/bin/python bench/bench_deconfliction.py [--registrations 1000000]
        [--checks 10000] [--engines sqlite,postgresql] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from statistics import median

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from cyberhub import access, migrate
from cyberhub.community.models import Organisation, Role, User
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database, utcnow
from cyberhub.deconfliction import keys, service
from cyberhub.deconfliction.models import Registration
from cyberhub.intel import bulk

console = Console(width=150)
KEY = "bench-deconfliction-key-" + "x" * 24
AGENCIES = 20


_WEST = "".join(str(int(c, 36)) for c in "WEST")  # ISO 7064: letters as numbers
_GB00 = "".join(str(int(c, 36)) for c in "GB") + "00"


def _iban(i: int) -> str:
    digits = f"{i:014d}"
    check = 98 - int(_WEST + digits + _GB00) % 97
    return f"GB{check:02d}WEST{digits}"


def normal_of(kind: int, i: int) -> tuple[str, str]:
    """The i-th value of a kind, in its normal form."""
    if kind == 0:
        return "ipv4", f"{10 + (i >> 24) % 200}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    if kind == 1:
        return "email", f"mule{i}@payout{i % 997}.example"
    if kind == 2:
        return "wallet", f"eth:0x{(i * 2654435761) % (1 << 160):040x}"
    return "iban", _iban(i)


def value_of(kind: int, i: int) -> tuple[tuple[str, str], service.Value]:
    """The i-th value of a kind: (its normal form, another spelling of it)."""
    k, v = normal_of(kind, i)
    if k == "ipv4":
        return (k, v), service.Value(k, f" {v} ")
    if k == "email":
        return (k, v), service.Value(k, v.upper())
    if k == "wallet":
        return (k, v), service.Value(k, v.removeprefix("eth:"), chain="polygon")
    grouped = " ".join(v[j:j + 4] for j in range(0, len(v), 4))
    return (k, v), service.Value(k, grouped.lower())


def seed(db: Database, n: int) -> User:
    """N registrations by 20 agencies; returns a user of a 21st, who checks."""
    key = KEY.encode()
    kid = keys.key_id(key)
    now = utcnow()
    expires = now + timedelta(days=180)
    orgs = [{"id": uuid.uuid4(), "name": f"Agency {i}", "name_key": f"agency {i}",
             "kind": "law-enforcement", "require_2fa": False, "is_demo": False,
             "created_at": now} for i in range(AGENCIES + 1)]
    users = [{"id": uuid.uuid4(), "email": f"a{i}@bench-police.example", "display_name": f"A{i}",
              "org_id": o["id"], "role": Role.ANALYST, "is_active": True,
              "totp_enabled": False, "is_demo": False, "created_at": now}
             for i, o in enumerate(orgs)]
    with db.transaction() as s:
        s.execute(insert(Organisation), orgs)
        s.execute(insert(User), users)
    cols = ("id", "digest", "key_id", "kind", "org_id", "user_id", "case_reference", "contact",
            "created_at", "renewed_at", "expires_at", "is_demo")
    t0 = time.perf_counter()
    batch: list[tuple[object, ...]] = []
    with db.transaction() as s:
        for i in range(n):
            kind, value = normal_of(i % 4, i // 4)
            who = i % AGENCIES
            batch.append((uuid.uuid4(), keys.digest(key, kind, value), kid, kind,
                          orgs[who]["id"], users[who]["id"], f"CASE-{i}", "Duty desk", now,
                          None, expires, False))
            if len(batch) == 50_000:
                bulk.insert_rows(s, Registration.__table__, cols, batch)  # type: ignore[arg-type]
                batch = []
        bulk.insert_rows(s, Registration.__table__, cols, batch)  # type: ignore[arg-type]
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE deconfliction_registrations")
        else:
            conn.exec_driver_sql("ANALYZE")
    console.print(f"  seeded {n:,} registrations in {time.perf_counter() - t0:.1f} s")
    return _checker(db, users[-1]["id"])


def _checker(db: Database, user_id: object) -> User:
    with db.transaction() as s:
        user = s.get(User, user_id)
        assert user is not None
        s.expunge(user)
        return user


def queries(n_registered: int, m: int, rng: random.Random) -> tuple[list[service.Value],
                                                                     list[bytes], int]:
    """M values: half registered (another spelling), half not; their digests."""
    key = KEY.encode()
    values: list[service.Value] = []
    digests: list[bytes] = []
    present = m // 2
    chosen = rng.sample(range(n_registered), present) + rng.sample(
        range(n_registered, 2 * n_registered), m - present)  # the second half: never registered
    rng.shuffle(chosen)
    for i in chosen:
        (kind, value), spelling = value_of(i % 4, i // 4)
        values.append(spelling)
        digests.append(keys.digest(key, kind, value))
    return values, digests, present


def run(engine: str, url: str, n: int, m: int, repeat: int, var: Path) -> list[tuple[str, ...]]:
    settings = Settings(database_url=url, var_dir=var, secret_key="bench",
                        deconfliction_key=KEY, deconfliction_hourly_limit=1_000_000)
    set_settings(settings)
    migrate.upgrade(url)
    db = Database(url)
    console.print(f"[bold]{engine}[/bold]")
    checker = seed(db, n)
    kid = keys.key_id(KEY.encode())

    def check_all(values: list[service.Value]) -> int:
        found = 0
        for start in range(0, len(values), service.MAX_CHECK):
            with db.transaction() as s:
                viewer = access.viewer_for(s, s.merge(checker))
                found += sum(service.check(s, viewer, values[start:start + service.MAX_CHECK]))
        return found

    def lookup(digests: list[bytes]) -> int:
        with db.transaction() as s:
            return len(service.matching_digests(s, digests, key_id=kid, now=utcnow(),
                                                exclude_org=checker.org_id))

    if engine == "sqlite":
        path = url.removeprefix("sqlite:///")

        def raw(digests: list[bytes]) -> int:
            con = sqlite3.connect(path)
            found: set[bytes] = set()
            for start in range(0, len(digests), 500):
                chunk = digests[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(r[0] for r in con.execute(
                    f"SELECT digest FROM deconfliction_registrations WHERE digest IN ({marks})",
                    chunk))
            con.close()
            return len(found)
    else:
        import psycopg

        # One connection for all rounds, as the service's pool gives it one.
        pg = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True)

        def raw(digests: list[bytes]) -> int:
            rows = pg.execute("SELECT DISTINCT digest FROM deconfliction_registrations "
                              "WHERE digest = ANY(%s)", (digests,)).fetchall()
            return len(rows)

    labels = ("check: service.check (normalise, HMAC, look up, audit)",
              "look up: service.matching_digests", "baseline: raw driver, same digests")
    times: dict[str, list[float]] = {label: [] for label in labels}
    for rep in range(repeat):
        # Fresh values each round: no normalisation cache or page cache left warm by the
        # previous round for the same values.
        values, digests, present = queries(n, m, random.Random(rep))
        for label, fn, arg in zip(labels, (check_all, lookup, raw),
                                  (values, digests, digests), strict=True):
            t0 = time.perf_counter()
            found = fn(arg)  # type: ignore[operator]
            times[label].append(time.perf_counter() - t0)
            assert found == present, (label, found, present)
    db.dispose()
    return [(engine, label, f"{m:,}", f"{min(t) * 1000:.0f}", f"{median(t) * 1000:.0f}",
             f"{m / min(t):,.0f}", f"{m / median(t):,.0f}") for label, t in times.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--registrations", type=int, default=1_000_000)
    ap.add_argument("--checks", type=int, default=10_000)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    table = Table(title=f"Deconfliction: {args.checks:,} values checked against "
                        f"{args.registrations:,} registrations (half of them registered; "
                        f"load {os.getloadavg()[0]:.1f})")
    for col in ("engine", "what", "values", "best ms", "median ms", "checks/s (best)",
                "checks/s (median)"):
        table.add_column(col, justify="left" if col in ("engine", "what") else "right")
    with tempfile.TemporaryDirectory(prefix="cyberhub-bench-deconfliction-") as tmpdir:
        tmp = Path(tmpdir)
        for engine in args.engines.split(","):
            if engine == "sqlite":
                url = f"sqlite:///{tmp / 'hub.sqlite3'}"
            else:
                import psycopg

                with psycopg.connect(args.pg_url, autocommit=True) as con:
                    con.execute("DROP DATABASE IF EXISTS cyberhub_bench_deconfliction WITH (FORCE)")
                    con.execute("CREATE DATABASE cyberhub_bench_deconfliction")
                url = (args.pg_url.rsplit("/", 1)[0] + "/cyberhub_bench_deconfliction"
                       ).replace("postgresql://", "postgresql+psycopg://", 1)
            for row in run(engine, url, args.registrations, args.checks, args.repeat,
                           tmp / f"var-{engine}"):
                table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
