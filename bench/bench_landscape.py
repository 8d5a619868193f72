"""Benchmark: the landscape dashboard and an actor profile on a large hub.

Imports the generated ecosystem (``cyberhub.atlas.synthetic``, with its two years of
history, campaigns, techniques, targets and sightings) — ``--objects`` of them, 200,000
by default, ``--full`` for the issue's 1,000,000 — shared GREEN by one organisation,
plus a tenth as many AMBER by another, then times, as a third organisation's analyst
sees it:

- the landscape's figures for each period (what ``GET /api/v1/atlas/landscape`` computes
  and serialises), best of ``--repeat`` runs: computed live, then from the worker's
  roll-up (and how long the roll-up takes), for the outsider and for the organisation
  whose AMBER objects are added live;
- the profile of the most active actor (``GET /api/v1/atlas/actors/{ref}``);
- the ATT&CK heatmap (``GET /atlas/attack``): counted live, then from the worker's
  roll-up, beside a raw count of ``uses`` references per technique;

beside a baseline in the same run: one raw ``SELECT type, COUNT(*) … GROUP BY type`` over
the whole table, with no visibility rule and no weeks (the floor any per-type figure
pays). The issue's target: dashboard pages within 300 ms at 1,000,000 objects.

    python bench/bench_landscape.py [--objects 200000 | --full] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import select, text

console = Console()
PER_ACTOR = 60  # objects per actor of the ecosystem with extras, sightings included


def objects(n: int, seed: int, until: datetime, *, reference: bool) -> Iterator[dict[str, Any]]:
    from cyberhub.atlas.synthetic import Ecosystem

    eco = Ecosystem(seed=seed, until=until)
    actors = max(1, n // PER_ACTOR)
    yield from eco.objects(actors, extras=True, reference_objects=reference)
    for _observer, sighting in eco.sightings(observers=1):
        yield sighting


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), (result, statistics.median(times))


def run(engine: str, url: str, n: int, repeat: int, reuse: bool = False) -> list[tuple[str, ...]]:
    from cyberhub import access, migrate
    from cyberhub.db import Database

    migrate.upgrade(url)
    database = Database(url)
    system = access.system_viewer()
    if reuse:  # the hub a previous run with --reuse left behind
        with database.snapshot() as s:
            from cyberhub.community.models import User

            users = [s.scalars(select(User).where(User.email == f"a@{name}.example")).one()
                     for name in ("cert", "bank", "police")]
            viewers = [access.viewer_for(s, u) for u in users]
            total = s.scalar(text("SELECT COUNT(*) FROM stix_objects")) or 0
        imported = 0.0
        console.print(f"{engine}: reusing {total:,} stored objects")
    else:
        viewers, imported, total = _seed(database, system, n)
    return _measure(engine, database, viewers, total, imported, repeat)


def _seed(database: Any, system: Any, n: int) -> tuple[list[Any], float, int]:
    from cyberhub import access
    from cyberhub.audience import Audience
    from cyberhub.community import service as community
    from cyberhub.intel.importer import ImportSettings, import_stix
    from cyberhub.intel.imports import refresh_statistics
    from cyberhub.intel.synthetic import write_bundle
    from cyberhub.sharing import TLP

    tmp = Path(tempfile.mkdtemp(prefix="cyberhub-bench-landscape-"))
    with database.transaction() as s:
        users = []
        for name in ("Bench CERT", "Bench Bank", "Bench Police"):
            org = community.create_organisation(s, system, name=name, kind="cert")
            users.append(community.create_user(
                s, system, email=f"a@{name.split()[1].lower()}.example",
                display_name=name, org_id=org.id, role="analyst", check_strength=False))
        viewers = [access.viewer_for(s, u) for u in users]
    until = datetime.now(UTC) - timedelta(hours=1)
    start = time.perf_counter()
    for viewer, count, seed, tlp, reference in ((viewers[0], n, 1, TLP.GREEN, True),
                                                (viewers[1], n // 10, 2, TLP.AMBER, False)):
        bundle = tmp / f"bundle-{seed}.json"
        with bundle.open("wb") as out:
            write_bundle(out, objects(count, seed, until, reference=reference))
        with database.transaction() as s, bundle.open("rb") as stream:
            import_stix(s, stream, ImportSettings(viewer=viewer, tlp=tlp,
                                                  audience=Audience()))
        bundle.unlink()
    tmp.rmdir()
    imported = time.perf_counter() - start
    refresh_statistics(database)  # as an import job does after a large import
    with database.snapshot() as s:
        total = s.scalar(text("SELECT COUNT(*) FROM stix_objects")) or 0
    console.print(f"{total:,} objects stored in {imported:.0f} s")
    return viewers, imported, total


def _measure(engine: str, database: Any, viewers: list[Any], total: int, imported: float,
             repeat: int) -> list[tuple[str, ...]]:
    from cyberhub.atlas import landscape, landscape_rollup, profiles

    outsider = viewers[2]
    rows: list[tuple[str, ...]] = []
    with database.snapshot() as s:
        base_s, _r = best(lambda: s.execute(text(
            "SELECT type, COUNT(*) FROM stix_objects GROUP BY type")).all(), repeat)
        rows.append((engine, "baseline: raw COUNT(*) GROUP BY type, no visibility",
                     f"{base_s * 1000:.0f}", ""))
        for period in landscape.PERIODS:
            def live(period: str = period) -> bytes:
                return orjson.dumps(landscape.compute(s, outsider, period,
                                                      rollup=False).as_json())
            secs, (_body, median) = best(live, max(1, repeat // 3))
            rows.append((engine, f"landscape computed live, period {period}",
                         f"{secs * 1000:.0f}", f"{median * 1000:.0f}"))
    start = time.perf_counter()
    with database.snapshot() as s:
        computed = landscape_rollup.compute(s)
    with database.transaction() as s:
        landscape_rollup.store(s, computed)
    rows.append((engine, "roll-up by the worker (every period)",
                 f"{(time.perf_counter() - start) * 1000:.0f}", ""))
    with database.snapshot() as s:
        for period in landscape.PERIODS:
            for who, viewer in (("outsider", outsider), ("AMBER owner", viewers[1])):
                def figures(period: str = period, viewer: Any = viewer) -> bytes:
                    return orjson.dumps(landscape.compute(s, viewer, period).as_json())
                secs, (_body, median) = best(figures, repeat)
                rows.append((engine, f"landscape from the roll-up, {period}, {who}",
                             f"{secs * 1000:.0f}", f"{median * 1000:.0f}"))
        found = landscape.compute(s, outsider, "2y")
        if found.top["actors"]:
            ref = found.top["actors"][0].stix_id
            secs, (_p, median) = best(lambda: orjson.dumps(
                profiles.profile(s, outsider, ref).as_json()), repeat)
            rows.append((engine, "profile of the most active actor", f"{secs * 1000:.0f}",
                         f"{median * 1000:.0f}"))
        secs, (_l, median) = best(lambda: profiles.list_actors(s, outsider, "group 01"),
                                  repeat)
        rows.append((engine, "actor list, searched", f"{secs * 1000:.0f}",
                     f"{median * 1000:.0f}"))
    rows += _measure_heatmap(engine, database, viewers, repeat)
    database.dispose()
    rows.insert(0, (engine, f"{total:,} objects stored (import {imported:.0f} s)", "", ""))
    return rows


def _measure_heatmap(engine: str, database: Any, viewers: list[Any],
                     repeat: int) -> list[tuple[str, ...]]:
    """The ATT&CK heatmap page's figures: counted live, then from the worker's roll-up."""
    from cyberhub.atlas import attack, attack_rollup

    outsider = viewers[2]
    rows: list[tuple[str, ...]] = []
    with database.snapshot() as s:
        base_s, _r = best(lambda: s.execute(text(
            "SELECT target_stix_id, COUNT(DISTINCT source_stix_id) FROM stix_refs "
            "WHERE kind = 'relationship:uses' GROUP BY target_stix_id")).all(), repeat)
        rows.append((engine, "baseline: raw COUNT of uses per target, no visibility",
                     f"{base_s * 1000:.0f}", ""))
        secs, (found, median) = best(lambda: attack.heatmap(s, outsider), max(1, repeat // 3))
        rows.append((engine, f"ATT&CK heatmap counted live ({len(found.techniques)} "
                     f"techniques, top score {found.top})", f"{secs * 1000:.0f}",
                     f"{median * 1000:.0f}"))
    start = time.perf_counter()
    with database.snapshot() as s:
        computed = attack_rollup.compute(s)
    with database.transaction() as s:
        attack_rollup.store(s, computed)
    rows.append((engine, "heatmap roll-up by the worker",
                 f"{(time.perf_counter() - start) * 1000:.0f}", ""))
    with database.snapshot() as s:
        for who, viewer in (("outsider", outsider), ("AMBER owner", viewers[1])):
            secs, (_h, median) = best(lambda viewer=viewer: attack_rollup.heatmap(s, viewer),
                                      repeat)
            rows.append((engine, f"ATT&CK heatmap from the roll-up, {who}",
                         f"{secs * 1000:.0f}", f"{median * 1000:.0f}"))
        for how, sectors in (("listed live", attack.targeted_sectors),
                             ("from the roll-up", attack_rollup.sectors)):
            secs, (_t, median) = best(lambda sectors=sectors: sectors(s, outsider), repeat)
            rows.append((engine, f"heatmap page's sector list, {how}", f"{secs * 1000:.0f}",
                         f"{median * 1000:.0f}"))
        rows += _measure_filtered(engine, s, outsider, viewers[1], repeat)
    return rows


def _measure_filtered(engine: str, s: Any, outsider: Any, owner: Any,
                      repeat: int) -> list[tuple[str, ...]]:
    """The heatmap narrowed to the most targeted sector, to the most active actor and to
    periods, as the outsider and the AMBER owner see it."""
    from cyberhub.atlas import attack, attack_rollup
    from cyberhub.intel.models import StixObject, StixRef

    sector = s.execute(select(StixRef.target_stix_id).where(
        StixRef.kind == "relationship:targets",
        StixRef.target_stix_id.in_(select(StixObject.stix_id).where(
            StixObject.type == "identity"))).group_by(StixRef.target_stix_id).order_by(
        text("count(*) DESC")).limit(1)).scalar()
    actor = s.execute(select(StixRef.source_stix_id).where(
        StixRef.kind == "relationship:uses").group_by(StixRef.source_stix_id).order_by(
        text("count(*) DESC")).limit(1)).scalar()
    now = datetime.now(UTC)
    filters = [("the most targeted sector", attack.Filters(sector=sector)),
               ("the most active actor", attack.Filters(actor=actor)),
               ("the last 90 days", attack.Filters(since=now - timedelta(days=90))),
               ("one year, a year ago", attack.Filters(since=now - timedelta(days=730),
                                                       until=now - timedelta(days=365))),
               ("a sector over the last year", attack.Filters(
                   sector=sector, since=now - timedelta(days=365)))]
    rows: list[tuple[str, ...]] = []
    for label, f in filters:
        for who, viewer in (("outsider", outsider), ("AMBER owner", owner)):
            secs, (found, median) = best(
                lambda f=f, viewer=viewer: attack_rollup.heatmap(s, viewer, f), repeat)
            rows.append((engine, f"ATT&CK heatmap, {label}, {who} (top {found.top})",
                         f"{secs * 1000:.0f}", f"{median * 1000:.0f}"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=200_000)
    ap.add_argument("--full", action="store_true", help="1,000,000 objects (the issue's size)")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CYBERHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the bench databases (PostgreSQL: a database of its own; SQLite: a "
                         "file in the temporary directory) and, when they are there, measure "
                         "them again without importing (for working on the queries)")
    args = ap.parse_args()
    n = 1_000_000 if args.full else args.objects
    table = Table(title=f"Landscape and profiles, {n:,} generated objects (+10 % AMBER), "
                        "as an outsider organisation sees them")
    for col in ("engine", "what", "best ms", "median ms"):
        table.add_column(col, justify="right" if col.endswith("ms") else "left")
    with tempfile.TemporaryDirectory(prefix="cyberhub-bench-landscape-") as tmpdir:
        tmp = Path(tmpdir)
        for engine in args.engines.split(","):
            if engine == "sqlite":
                kept = Path(tempfile.gettempdir()) / f"cyberhub_bench_landscape_{n}.sqlite3"
                there = args.reuse and kept.exists()
                url = f"sqlite:///{kept if args.reuse else tmp / 'hub.sqlite3'}"
            else:
                import psycopg

                name = f"cyberhub_bench_landscape_{n}"
                with psycopg.connect(args.pg_url, autocommit=True) as con:
                    there = con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                        (name,)).fetchone() is not None
                    if not (args.reuse and there):
                        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                        con.execute(f'CREATE DATABASE "{name}"')
                url = args.pg_url.rsplit("/", 1)[0] + "/" + name
            reuse = args.reuse and there
            for row in run(engine, url, n, args.repeat, reuse=reuse):
                table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
