"""Which statements count as writes, and where a RoutingSession sends each: two SQLite
files stand for the primary and the replica (the real thing is in test_routing.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Integer, String, create_engine, delete, func, insert, select, text, union
from sqlalchemy import update as sql_update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cyberhub.db import READ_BIND, READ_BIND_USED, ROUTING, WROTE, RoutingSession, writes


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def test_which_statements_must_run_on_the_primary() -> None:
    reads = [select(Thing), select(Thing.id).where(Thing.name == "x"),
             select(func.count()).select_from(Thing),
             union(select(Thing.id), select(Thing.id)),
             text("SELECT 1"), text("  select * from things"), text("SHOW work_mem"),
             text("SET LOCAL work_mem = '64MB'")]
    for statement in reads:
        assert not writes(statement), statement
    must = [insert(Thing).values(id=1, name="x"), sql_update(Thing).values(name="y"),
            delete(Thing), select(Thing).with_for_update(),
            select(Thing).with_for_update(read=True, skip_locked=True),
            select(func.pg_advisory_xact_lock(42)), select(func.nextval("s")),
            select(func.set_config("a.b", "c", True)),
            text("UPDATE things SET name = 'x'"), text("SELECT * FROM things FOR UPDATE"),
            text("SELECT pg_advisory_lock(1)"), text("SET work_mem = '1GB'"),
            text("WITH gone AS (DELETE FROM things RETURNING id) SELECT * FROM gone"),
            text("CREATE TABLE t (a int)")]
    for statement in must:
        assert writes(statement), statement


def _count(engine: object, name: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT count(*) FROM things WHERE name = :n"),
                                {"n": name}).scalar_one())


def test_a_routing_session_reads_from_the_replica_until_it_writes(tmp_path: Path) -> None:
    """Two SQLite files stand for the primary and the replica: where a row is found or
    lands shows where each statement went."""
    primary = create_engine(f"sqlite:///{tmp_path / 'primary.db'}")
    standby = create_engine(f"sqlite:///{tmp_path / 'replica.db'}")
    for engine, name in ((primary, "on the primary"), (standby, "on the replica")):
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(Thing).values(id=1, name=name))
    session = RoutingSession(bind=primary)
    try:
        # Not routing: like any session, whatever else its info holds.
        session.info[READ_BIND] = standby
        assert session.scalar(select(Thing.name)) == "on the primary"
        session.add(Thing(id=3, name="untracked"))
        session.flush()
        assert not session.info.get(WROTE)
        session.rollback()
        # Routing, but no replica allowed yet: the primary.
        del session.info[READ_BIND]
        session.info[ROUTING] = True
        assert session.scalar(select(Thing.name)) == "on the primary"
        session.rollback()
        session.info[READ_BIND] = standby
        assert session.scalar(select(Thing.name)) == "on the replica"
        assert session.scalar(text("SELECT name FROM things")) == "on the replica"
        assert session.info.get(READ_BIND_USED) and not session.info.get(WROTE)
        # Asked for its dialect, it answers with the primary's, and stays on the replica.
        assert session.get_bind() is primary
        assert session.scalar(select(Thing.name)) == "on the replica"
        # A flush writes on the primary ...
        session.add(Thing(id=2, name="added"))
        session.flush()
        assert session.info.get(WROTE)
        # ... and from then on every read is on the primary too: it sees its own write.
        assert session.scalar(select(func.count()).select_from(Thing)) == 2
        session.execute(sql_update(Thing).where(Thing.id == 1).values(name="changed"))
        session.commit()
    finally:
        session.close()
    # Raw access to the connection may write through the driver: the primary's, and
    # the session counts as written.
    session = RoutingSession(bind=primary)
    session.info.update({ROUTING: True, READ_BIND: standby})
    try:
        assert session.connection().engine is primary
        assert session.info.get(WROTE)
        assert session.scalar(select(Thing.name).where(Thing.id == 1)) == "changed"
    finally:
        session.close()
    assert _count(primary, "added") == 1 and _count(primary, "changed") == 1
    assert _count(standby, "added") == 0 and _count(standby, "on the replica") == 1
    primary.dispose()
    standby.dispose()


def test_dml_alone_also_goes_to_the_primary(tmp_path: Path) -> None:
    primary = create_engine(f"sqlite:///{tmp_path / 'primary.db'}")
    standby = create_engine(f"sqlite:///{tmp_path / 'replica.db'}")
    for engine in (primary, standby):
        Base.metadata.create_all(engine)
    session = RoutingSession(bind=primary)
    session.info.update({ROUTING: True, READ_BIND: standby})
    try:
        session.execute(insert(Thing).values(id=5, name="dml"))
        session.commit()
    finally:
        session.close()
    assert _count(primary, "dml") == 1 and _count(standby, "dml") == 0
    primary.dispose()
    standby.dispose()
