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
# Set on a session that wrote an audit entry: its transaction must commit, or the
# request that caused it must fail.
MUST_COMMIT = "cyberhub_audit_must_commit"


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
    session.info[MUST_COMMIT] = True
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
    # The head as verified, "SEQ:HASH": keep it outside the hub (a ticket, a log
    # server, paper) and pass it back as an anchor to catch a rewound log.
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def iter_entries(session: Session, batch: int = 5000,
                 upto: int | None = None) -> Iterator[AuditEntry]:
    last = 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > last)
        if upto is not None:
            query = query.where(AuditEntry.seq <= upto)
        rows = session.scalars(query.order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def parse_anchor(value: str) -> tuple[int, str]:
    seq, _sep, digest = value.strip().partition(":")
    if not (seq.isdigit() and len(digest) == 64
            and all(c in "0123456789abcdef" for c in digest)):
        raise ValueError("an anchor is SEQ:HASH as printed by 'cyberhub audit verify'")
    return int(seq), digest


def verify(session: Session, anchors: list[tuple[int, str]] | None = None) -> VerifyResult:
    """Walk the chain; report edited, inserted, reordered or deleted entries.

    Run it in a snapshot (``Database.snapshot``): the head is read first and the walk
    stops at the head's entry, so appends made meanwhile are not mistaken for damage.

    The chain alone cannot show that its newest entries were cut off *and* the head
    rewound to match. ``anchors`` (heads recorded outside the hub earlier) close that
    gap: each must still be in the chain, with the same hash."""
    problems: list[str] = []
    wanted = dict(anchors or [])
    expected_seq, prev, count = 1, GENESIS, 0
    head_row = session.execute(select(AuditHead.last_seq, AuditHead.last_hash)
                               .where(AuditHead.id == 1)).one_or_none()
    upto = head_row[0] if head_row is not None else None
    for entry in iter_entries(session, upto=upto):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing (deleted)")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq} does not follow the entry before it")
        if _digest(entry) != entry.hash:
            problems.append(f"entry {entry.seq} was altered after it was written")
        if entry.seq in wanted and wanted.pop(entry.seq) != entry.hash:
            problems.append(f"entry {entry.seq} differs from the anchor recorded for it "
                            "(the log was rewritten)")
        prev, expected_seq = entry.hash, entry.seq + 1
    for seq in sorted(wanted):
        problems.append(f"entry {seq} of a recorded anchor is gone (the log was cut short)")
    if head_row is not None:
        last_seq, last_hash = head_row
        if last_seq != expected_seq - 1:
            problems.append(
                f"the log should end at entry {last_seq} but ends at {expected_seq - 1}"
                " (entries at the end were deleted)")
        elif last_hash != prev:
            problems.append("the last entry does not match the recorded head of the chain")
    else:
        # The migration writes the head; without it the log itself was removed.
        problems.append("the head of the chain is missing (the log was emptied or replaced)")
    head = f"{head_row[0]}:{head_row[1]}" if head_row is not None else None
    return VerifyResult(count, problems, head)


@dataclass
class SearchPage:
    entries: list[AuditEntry]
    # Pass as ``before_seq`` for the next (older) page; None on the last page.
    next_before: int | None


def search(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> SearchPage:
    """Entries newest first, filtered for the audit browser.

    ``action`` matches an action exactly or as a prefix ("note" finds "note.create");
    ``actor`` is a case-insensitive substring of the actor label; ``since`` is
    inclusive and ``until`` exclusive."""
    from sqlalchemy import func, or_

    limit = max(1, min(limit, 500))
    query = select(AuditEntry)
    if action:
        query = query.where(or_(AuditEntry.action == action,
                                AuditEntry.action.startswith(action.rstrip(".") + ".",
                                                             autoescape=True)))
    if actor:
        query = query.where(func.lower(AuditEntry.actor_label).contains(
            actor.lower(), autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    rows = list(session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return SearchPage(rows, rows[-1].seq if more and rows else None)


def actions(session: Session) -> list[str]:
    """Every action the log holds, for the browser's filter."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
