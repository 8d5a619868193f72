"""Append-only, hash-chained audit log.

Each entry carries the SHA-256 of its own canonical content and the hash of the entry
before it. Appends serialise on the single ``audit_head`` row (a row lock on
PostgreSQL; SQLite transactions already hold the write lock), so the chain never
forks. Database triggers refuse UPDATE and DELETE on entries; ``verify`` catches
anyone who bypasses them with direct access to the database files.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from cyberhub.db import Base, utcnow

GENESIS = "0" * 64


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_action_at", "action", "at"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True, index=True)
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True)
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    label: str
    ip: str | None = None


SYSTEM = Actor(None, None, "system")


def _digest(entry: AuditEntry) -> str:
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_user_id": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_org_id": str(entry.actor_org_id) if entry.actor_org_id else None,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ip": entry.ip,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction."""
    head = session.execute(
        update(AuditHead).where(AuditHead.id == 1)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    ).one_or_none()
    if head is None:
        session.add(AuditHead(id=1, last_seq=1, last_hash=GENESIS))
        session.flush()
        seq, prev = 1, GENESIS
    else:
        seq, prev = head[0], head[1]
    # Round to microseconds and drop nothing: the stored value must hash the same.
    entry = AuditEntry(
        seq=seq,
        at=utcnow(),
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        actor_label=actor.label[:300],
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        ip=actor.ip,
        details=orjson.loads(orjson.dumps(details or {}, default=str)),
        prev_hash=prev,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.hash))
    return entry


@dataclass
class VerifyResult:
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the chain; report edited, inserted, reordered or deleted entries."""
    problems: list[str] = []
    expected_seq, prev, count = 1, GENESIS, 0
    for entry in iter_entries(session):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing (deleted)")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq} does not follow the entry before it")
        if _digest(entry) != entry.hash:
            problems.append(f"entry {entry.seq} was altered after it was written")
        prev, expected_seq = entry.hash, entry.seq + 1
    head = session.get(AuditHead, 1)
    if head is not None:
        if head.last_seq != expected_seq - 1:
            problems.append(
                f"the log should end at entry {head.last_seq} but ends at {expected_seq - 1}"
                " (entries at the end were deleted)")
        elif head.last_hash != prev:
            problems.append("the last entry does not match the recorded head of the chain")
    elif count:
        problems.append("the head of the chain is missing")
    return VerifyResult(count, problems)
