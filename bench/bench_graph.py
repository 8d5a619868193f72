"""Benchmark: expanding a hub node of the interactive graph (100,000 visible neighbours).

A malware family that 100,000 indicators indicate (GREEN, shared by one member), a few
groups using it and a report naming it, plus ``--hidden`` (30,000) indicators of another
member under AMBER that the asking member may not see (60,000 restricted records with
their relationships: enough for that member's own roll-up); all imported through the
knowledge-base importer. Timed for a member of a third organisation (median of
``--runs``), and the expansion also for the member holding the AMBER records:

- ``expand`` — what ``GET /api/v1/atlas/graph/expand?node=<hub>`` computes: the
  neighbours counted in SQL per (type, relationship, direction) under the visibility
  rules, the small groups loaded one by one, the indicators as one aggregate node;
- ``aggregate page`` — the first page (50) of the aggregate opened, and a page deep into
  it through the cursor;

beside baselines measured in the same run on the same data:

- ``raw COUNT`` — ``SELECT count(*) FROM stix_refs WHERE target_stix_id = :hub``, the
  index alone, no visibility, no types: the floor for any answer from the database;
- ``load and count`` — the naive way: load every reference and every neighbour the
  member may see (ORM rows, as a page listing them would) and count in Python;
- ``networkx`` — neighbours counted by type on the same graph already in memory
  (loading it is not timed).

    .venv/bin/python bench/bench_graph.py [--neighbours 100000] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text

console = Console()
NAIVE = True  # --skip-naive: leave out the slow "load and count" baseline
HIDDEN = 30_000  # --hidden: the other member's AMBER indicators
HUB = "malware--00000000-0000-4000-a000-00000000b0b0"
CREATED = "2026-01-01T00:00:00.000Z"


def _id(kind: str, n: int, tag: int) -> str:
    return f"{kind}--{uuid.UUID(int=(tag << 64) | n, version=4)}"


def indicator(n: int, tag: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": _id("indicator", n, tag),
            "created": CREATED, "modified": CREATED, "name": f"C2 {n}",
            "pattern_type": "stix", "valid_from": CREATED,
            "pattern": f"[ipv4-addr:value = '10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}']"}


def rel(kind: str, source: str, target: str, n: int, tag: int) -> dict[str, Any]:
    return {"type": "relationship", "spec_version": "2.1", "id": _id("relationship", n, tag),
            "created": CREATED, "modified": CREATED, "relationship_type": kind,
            "source_ref": source, "target_ref": target}


def shared_objects(neighbours: int) -> Iterator[dict[str, Any]]:
    yield {"type": "malware", "spec_version": "2.1", "id": HUB, "created": CREATED,
           "modified": CREATED, "name": "Bench hub loader", "is_family": True}
    groups = [_id("intrusion-set", g, 3) for g in range(20)]
    for g, gid in enumerate(groups):
        yield {"type": "intrusion-set", "spec_version": "2.1", "id": gid, "created": CREATED,
               "modified": CREATED, "name": f"Bench group {g}"}
        yield rel("uses", gid, HUB, g, 4)
    yield {"type": "report", "spec_version": "2.1", "id": _id("report", 1, 5),
           "created": CREATED, "modified": CREATED, "name": "Bench report",
           "published": CREATED, "object_refs": [HUB, *groups]}
    for n in range(neighbours):
        yield indicator(n, 1)
        yield rel("indicates", indicator(n, 1)["id"], HUB, n, 2)


def hidden_objects(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield indicator(n, 6)
        yield rel("indicates", indicator(n, 6)["id"], HUB, n, 7)


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def run(url: str, neighbours: int, runs: int, *, reuse: bool = False) -> dict[str, Any]:
    from cyberhub import access, migrate
    from cyberhub.community import service as community
    from cyberhub.db import Database
    from cyberhub.intel.importer import ImportSettings, import_stix
    from cyberhub.intel.synthetic import write_bundle
    from cyberhub.sharing import TLP

    migrate.upgrade(url)
    database = Database(url)
    system = access.system_viewer()
    if reuse:
        from cyberhub.community.models import User

        with database.snapshot() as s:
            found = {u.email: u for u in s.scalars(select(User))}
            if "analyst@telecom.example" in found:
                asker = access.viewer_for(s, found["analyst@telecom.example"])
                holder = access.viewer_for(s, found["analyst@bank.example"])
                console.print("reusing the generated database", highlight=False)
                return measure(database, url, asker, holder, runs, {"imported": 0.0}, NAIVE)
    with database.transaction() as s:
        users = []
        for name in ("Bench Police", "Bench Bank", "Bench Telecom"):
            org = community.create_organisation(s, system, name=name, kind="cert")
            users.append(community.create_user(
                s, system, email=f"analyst@{name.split()[1].lower()}.example",
                display_name=name, org_id=org.id, role="analyst", check_strength=False))
        owner, other, asker = (access.viewer_for(s, u) for u in users)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for viewer, objects, tlp in ((owner, shared_objects(neighbours), TLP.GREEN),
                                     (other, hidden_objects(HIDDEN), TLP.AMBER)):
            bundle = Path(tmp) / "bundle.json"
            with bundle.open("wb") as out:
                write_bundle(out, objects)
            with database.transaction() as s, bundle.open("rb") as stream:
                import_stix(s, stream, ImportSettings(viewer=viewer, tlp=tlp))
        imported = time.perf_counter() - started
    from cyberhub.intel.imports import refresh_statistics

    refresh_statistics(database)  # as an import job does after a large import
    return measure(database, url, asker, other, runs, {"imported": imported}, NAIVE)


def measure(database: Any, url: str, asker: Any, holder: Any, runs: int,
            out: dict[str, Any], naive_too: bool = True) -> dict[str, Any]:
    from cyberhub import access
    from cyberhub.atlas import explore, graph_rollup
    from cyberhub.intel.models import StixObject, StixRef

    with database.snapshot() as s:
        out["expand"], view = median_time(
            lambda: explore.expand(s, asker, HUB, rollup=False), runs)
        out["view"] = view
        out["holder_expand"], holder_view = median_time(
            lambda: explore.expand(s, holder, HUB, rollup=False), runs)
    started = time.perf_counter()  # what the worker does after a change
    with database.snapshot() as s:
        generation, keys, computed = graph_rollup.compute(s)
    with database.transaction() as s:
        graph_rollup.store(s, generation, keys, computed)
    out["rollup"] = time.perf_counter() - started
    out["scopes"] = len(keys)
    with database.snapshot() as s:
        out["rolled"], rolled = median_time(lambda: explore.expand(s, asker, HUB), runs)
        assert [a.count for a in rolled.aggregates] == [a.count for a in view.aggregates]
        out["holder_rolled"], rolled = median_time(lambda: explore.expand(s, holder, HUB),
                                                   runs)
        assert [a.count for a in rolled.aggregates] == [
            a.count for a in holder_view.aggregates]
    with database.snapshot() as s:
        out["page"], first = median_time(lambda: explore.group_page(
            s, asker, HUB, kind="relationship:indicates", direction="in",
            f=explore.Filters(types=("indicator",))), runs)
        deep = first.next_cursor
        for _ in range(20):
            deep = explore.group_page(s, asker, HUB, kind="relationship:indicates",
                                      direction="in", f=explore.Filters(types=("indicator",)),
                                      cursor=deep).next_cursor
        out["deep"], _ = median_time(lambda: explore.group_page(
            s, asker, HUB, kind="relationship:indicates", direction="in",
            f=explore.Filters(types=("indicator",)), cursor=deep), runs)
        out["raw"], out["raw_count"] = median_time(lambda: s.scalar(
            select(func.count()).select_from(StixRef).where(StixRef.target_stix_id == HUB)),
            runs)

        def naive() -> Counter[str]:
            refs = s.scalars(select(StixRef).join(StixObject, StixObject.id == StixRef.object_id)
                             .where(StixRef.target_stix_id == HUB,
                                    access.visible(StixObject, asker))).all()
            others = {r.source_stix_id for r in refs}
            seen = s.scalars(access.select_visible(StixObject, asker).where(
                StixObject.stix_id.in_(others))).all() if len(others) < 30_000 else [
                o for chunk in range(0, len(others), 30_000)
                for o in s.scalars(access.select_visible(StixObject, asker).where(
                    StixObject.stix_id.in_(sorted(others)[chunk:chunk + 30_000])))]
            return Counter(o.type for o in seen)

        out["naive"], _ = median_time(naive, 1) if naive_too else (float("nan"), None)
        edges = s.execute(select(StixRef.source_stix_id, StixRef.target_stix_id)).all()
    database.dispose()
    g = nx.DiGraph()
    g.add_edges_from((a, b) for a, b in edges)
    types = {n: n.split("--")[0] for n in g.nodes}
    out["networkx"], counted = median_time(
        lambda: Counter(types[n] for n in nx.all_neighbors(g, HUB)), runs)
    out["networkx_count"] = sum(counted.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--neighbours", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=30_000,
                        help="AMBER indicators of another member (each with a relationship)")
    parser.add_argument("--pg-url", help="a PostgreSQL server URL (a database is created "
                                         "and dropped); SQLite only without it")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated databases (a SQLite "
                        "file in DIR, a PostgreSQL database named after the size) and reuse "
                        "them on the next run with the same --keep and --neighbours: "
                        "migrations still run, so a run measures the current code")
    parser.add_argument("--tag", default="", help="appended to the kept databases' names "
                        "(e.g. to keep a copy for another branch's code)")
    parser.add_argument("--skip-naive", action="store_true",
                        help="leave out the load-and-count baseline (12-16 s a run)")
    args = parser.parse_args()
    global NAIVE, HIDDEN
    NAIVE, HIDDEN = not args.skip_naive, args.hidden
    table = Table(title=f"Expanding a node with {args.neighbours:,} visible neighbours, ms "
                        f"(median of {args.runs})")
    for col in ("engine", "expand, counted live", "roll-up (worker)",
                "expand, from the roll-up", "AMBER holder: live", "AMBER holder: roll-up",
                "aggregate page 1", "page 22",
                "raw COUNT (floor)", "load and count", "networkx (in memory)"):
        table.add_column(col, justify="right")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "postgresql" and not args.pg_url:
            console.print("PostgreSQL skipped: give --pg-url.")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            if engine == "sqlite" and args.keep:
                Path(args.keep).mkdir(parents=True, exist_ok=True)
                path = Path(args.keep) / f"graph-{args.neighbours}{args.tag}.sqlite3"
                out = run(f"sqlite:///{path}", args.neighbours, args.runs, reuse=True)
            elif engine == "sqlite":
                out = run(f"sqlite:///{Path(tmp) / 'hub.sqlite3'}", args.neighbours, args.runs)
            elif args.keep:
                admin = args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
                name = f"cyberhub_bench_graph_keep_{args.neighbours}{args.tag}"
                eng = create_engine(admin, isolation_level="AUTOCOMMIT")
                with eng.connect() as conn:
                    if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": name}):
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                eng.dispose()
                out = run(admin.rsplit("/", 1)[0] + "/" + name, args.neighbours, args.runs,
                          reuse=True)
            else:
                admin = args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
                name = f"cyberhub_bench_graph_{uuid.uuid4().hex[:8]}"
                eng = create_engine(admin, isolation_level="AUTOCOMMIT")
                with eng.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                try:
                    out = run(admin.rsplit("/", 1)[0] + "/" + name, args.neighbours, args.runs)
                finally:
                    with eng.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    eng.dispose()
        view = out["view"]
        aggregates = ", ".join(f"{a.count:,} {a.type} via {a.via}" for a in view.aggregates)
        console.print(f"{engine}: imported {args.neighbours * 2 + HIDDEN * 2:,} objects in "
                      f"{out['imported']:.1f} s; expansion: {len(view.nodes)} nodes one by "
                      f"one, aggregates: {aggregates}; raw count {out['raw_count']:,} "
                      f"(hidden ones included), networkx {out['networkx_count']:,}; "
                      f"{out['scopes']} scopes rolled up",
                      highlight=False)
        table.add_row(engine, *(f"{out[k] * 1000:.0f}" for k in (
            "expand", "rollup", "rolled", "holder_expand", "holder_rolled", "page", "deep",
            "raw", "naive", "networkx")))
    console.print(table)
    console.print(f"load average: {Path('/proc/loadavg').read_text().strip()}",
                  highlight=False)


if __name__ == "__main__":
    main()
