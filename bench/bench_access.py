"""Benchmark: listing and loading notes through the sharing rules.

Seeds a community (orgs, users, groups) and N notes under every marking with
audiences, then times, for random analysts:

- ``list``: the first page (50) of visible notes, newest first, through
  ``notes.service.list_notes`` (the access predicate + cursor pagination + ORM);
- ``load``: one visible note by id through ``access.load``;

beside a baseline measured in the same run: the equivalent hand-written SQL on the
raw driver (sqlite3 / psycopg), without the ORM.

    .venv/bin/python bench/bench_access.py [--notes 50000] [--engine sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlalchemy import create_engine, insert, text

from cyberhub import access, migrate
from cyberhub.community.models import Group, GroupMember, Organisation, Role, User
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database, utcnow
from cyberhub.notes import service as notes
from cyberhub.notes.models import Note
from cyberhub.sharing import TLP, AudienceEntry

console = Console()


def seed(db: Database, n_notes: int, rng: random.Random) -> tuple[list[User], list[uuid.UUID]]:
    n_orgs, n_users, n_groups = 200, 2000, 20
    orgs = [{"id": uuid.uuid4(), "name": f"Org {i}", "name_key": f"org {i}", "kind": "cert",
             "require_2fa": False, "is_demo": False, "created_at": utcnow()}
            for i in range(n_orgs)]
    users = [{"id": uuid.uuid4(), "email": f"u{i}@bench.example", "display_name": f"U{i}",
              "org_id": orgs[i % n_orgs]["id"], "role": Role.ANALYST, "is_active": True,
              "totp_enabled": False, "is_demo": False, "created_at": utcnow()}
             for i in range(n_users)]
    groups = [{"id": uuid.uuid4(), "name": f"G{i}", "name_key": f"g{i}", "description": "",
               "is_demo": False, "created_at": utcnow()} for i in range(n_groups)]
    members = []
    for g in groups:
        for o in rng.sample(orgs, 10):
            members.append({"id": uuid.uuid4(), "group_id": g["id"], "org_id": o["id"]})
        for u in rng.sample(users, 10):
            members.append({"id": uuid.uuid4(), "group_id": g["id"], "user_id": u["id"]})
    with db.transaction() as s:
        s.execute(insert(Organisation), orgs)
        s.execute(insert(User), users)
        s.execute(insert(Group), groups)
        s.execute(insert(GroupMember), members)
    tlps = list(TLP)
    note_ids: list[uuid.UUID] = []
    batch = 5000
    for start in track(range(0, n_notes, batch), description="seeding notes", console=console):
        rows, aud = [], []
        for _ in range(min(batch, n_notes - start)):
            author = rng.choice(users)
            tlp = rng.choice(tlps)
            nid = uuid.uuid4()
            note_ids.append(nid)
            rows.append({"id": nid, "title": "bench", "body_markdown": "", "body_html": "",
                         "tlp": tlp, "owner_org_id": author["org_id"],
                         "created_by_id": author["id"], "is_demo": False,
                         "created_at": utcnow(), "updated_at": utcnow()})
            if tlp in (TLP.AMBER, TLP.AMBER_STRICT):
                for o in rng.sample(orgs, 3):
                    aud.append({"id": uuid.uuid4(), "record_id": nid, "org_id": o["id"]})
                if rng.random() < 0.3:
                    aud.append({"id": uuid.uuid4(), "record_id": nid,
                                "group_id": rng.choice(groups)["id"]})
            elif tlp is TLP.RED:
                for u in rng.sample(users, 2):
                    aud.append({"id": uuid.uuid4(), "record_id": nid, "user_id": u["id"]})
        with db.transaction() as s:
            s.execute(insert(Note), rows)
            if aud:
                s.execute(insert(AudienceEntry), aud)
    with db.transaction() as s:
        analysts = [s.get(User, u["id"]) for u in rng.sample(users, 50)]
    return [a for a in analysts if a is not None], note_ids


RAW_LIST = """
SELECT n.id, n.title, n.tlp, n.created_at FROM notes n
WHERE n.tlp IN ('CLEAR', 'GREEN')
   OR (n.owner_org_id = :org AND n.tlp <> 'RED')
   OR (n.tlp = 'AMBER' AND EXISTS (SELECT 1 FROM audience_entries a WHERE a.record_id = n.id
        AND (a.org_id = :org OR a.user_id = :user OR a.group_id IN (
             SELECT group_id FROM group_members WHERE org_id = :org OR user_id = :user))))
   OR (n.tlp = 'AMBER+STRICT' AND EXISTS (SELECT 1 FROM audience_entries a
        WHERE a.record_id = n.id AND (a.org_id = :org OR a.group_id IN (
             SELECT group_id FROM group_members WHERE org_id = :org))))
   OR (n.tlp = 'RED' AND (n.created_by_id = :user OR EXISTS (SELECT 1 FROM audience_entries a
        WHERE a.record_id = n.id AND (a.user_id = :user OR a.group_id IN (
             SELECT group_id FROM group_members WHERE user_id = :user)))))
ORDER BY n.created_at DESC, n.id DESC LIMIT 51
"""


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=50_000)
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="cyberhub-bench-"))
    if args.engine == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        admin = create_engine(args.pg_url.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS cyberhub_bench WITH (FORCE)"))
            c.execute(text("CREATE DATABASE cyberhub_bench"))
        url = args.pg_url.rsplit("/", 1)[0] + "/cyberhub_bench"
    set_settings(Settings(database_url=url, var_dir=tmp, secret_key="bench"))
    migrate.upgrade(url)
    db = Database(url)
    analysts, _ids = seed(db, args.notes, rng)

    viewers = []
    with db.transaction() as s:
        viewers = [access.viewer_for(s, s.get(User, a.id)) for a in analysts]  # type: ignore[arg-type]
        visible_ids = {v.user_id: [n.id for n in notes.list_notes(s, v, limit=50).items]
                       for v in viewers}
        s.rollback()

    def orm_list() -> None:
        v = rng.choice(viewers)
        with db.transaction() as s:
            notes.list_notes(s, v, limit=50)

    def orm_load() -> None:
        v = rng.choice(viewers)
        with db.transaction() as s:
            access.load(s, Note, rng.choice(visible_ids[v.user_id]), v)

    if args.engine == "sqlite":
        raw = sqlite3.connect(str(tmp / "bench.sqlite3"))

        def raw_list() -> None:
            v = rng.choice(viewers)
            raw.execute(RAW_LIST, {"org": v.org_id.hex, "user": v.user_id.hex}).fetchall()  # type: ignore[union-attr]

        def raw_load() -> None:
            v = rng.choice(viewers)
            raw.execute("SELECT * FROM notes WHERE id = ?",
                        (rng.choice(visible_ids[v.user_id]).hex,)).fetchall()
    else:
        import psycopg

        pg = psycopg.connect(url, autocommit=True)
        raw_sql = RAW_LIST.replace(":org", "%(org)s").replace(":user", "%(user)s")

        def raw_list() -> None:
            v = rng.choice(viewers)
            pg.execute(raw_sql, {"org": v.org_id, "user": v.user_id}).fetchall()

        def raw_load() -> None:
            v = rng.choice(viewers)
            pg.execute("SELECT * FROM notes WHERE id = %s",
                       (rng.choice(visible_ids[v.user_id]),)).fetchall()

    table = Table(title=f"Sharing rules on {args.engine}, {args.notes:,} notes, "
                        f"{len(viewers)} analysts, {args.runs} runs each")
    for col in ("operation", "cyberhub p50 ms", "cyberhub p95 ms", "raw SQL p50 ms",
                "raw SQL p95 ms"):
        table.add_column(col)
    for name, ours, base in (("first page of visible notes", orm_list, raw_list),
                             ("load one note", orm_load, raw_load)):
        timed(ours, 10)
        timed(base, 10)
        a, b = timed(ours, args.runs), timed(base, args.runs)

        def q(xs: list[float], p: int) -> str:
            return f"{statistics.quantiles(xs, n=100)[p - 1]:.2f}"

        table.add_row(name, q(a, 50), q(a, 95), q(b, 50), q(b, 95))
    console.print(table)
    console.print("raw SQL = the same predicate hand-written on the bare driver, no ORM, "
                  "no audit, no transaction management")


if __name__ == "__main__":
    main()
