"""Data generations: a counter per kind of data, raised by every transaction that changes it.

Figures computed ahead of time (the landscape's roll-up) remember the generation they
were computed at and are used only while it is still the current one. The counter is
raised inside the writing transaction, just before it commits, so a reader never sees
the data without the raise or the raise without the data.

Every write is noticed without the writers having to remember: ORM flushes and ORM-enabled
``insert``/``update``/``delete`` statements through the session are watched here; the one
path that writes through the driver directly (``intel.bulk.insert_rows``) calls
:func:`touch`. Raising late keeps the counter's row lock to the moment of the commit, so
long imports do not hold it while they work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from cyberhub.db import Base, utcnow

STIX = "stix"
# Table → the generation its changes raise.
# Audience entries decide what an organisation's roll-up holds (its AMBER records).
TRACKED: dict[str, str] = {"stix_objects": STIX, "stix_refs": STIX, "audience_entries": STIX}
_PENDING = "cyberhub.generations"


class Generation(Base):
    __tablename__ = "data_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


def current(session: Session, name: str = STIX) -> int:
    """The generation now (0 before the first change)."""
    return session.scalar(select(Generation.value).where(Generation.name == name)) or 0


def touch(session: Session, table: str) -> None:
    """Note that this transaction changed ``table`` (for writes that bypass the ORM)."""
    name = TRACKED.get(table)
    if name is not None:
        session.info.setdefault(_PENDING, set()).add(name)


def _note_instances(session: Session, instances: Any) -> None:
    for instance in instances:
        table = getattr(instance, "__tablename__", None)
        if table in TRACKED:
            touch(session, table)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    # new, dirty and deleted still hold what this flush wrote.
    _note_instances(session, session.new)
    _note_instances(session, session.deleted)
    _note_instances(session, (o for o in session.dirty if session.is_modified(o)))


@event.listens_for(Session, "do_orm_execute")
def _orm_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None:
            touch(state.session, str(getattr(table, "name", "")))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending counts too
    names = session.info.pop(_PENDING, None)
    if names:
        for name in sorted(names):
            _raise(session, name)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # what a rolled-back transaction noted is void
        session.info.pop(_PENDING, None)


def _raise(session: Session, name: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(Generation).values(name=name, value=1, changed_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=[Generation.name],
        set_={"value": Generation.value + 1, "changed_at": now}))


__all__ = ["STIX", "TRACKED", "Generation", "current", "touch"]
