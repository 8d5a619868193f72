"""Subscriptions to MISP feeds, and partner hubs."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import PAP, TLP, pap_column_type, tlp_column_type


class FeedStatus(enum.StrEnum):
    NEW = "new"  # never polled
    POLLING = "polling"  # a poll is fetching or importing now
    OK = "ok"  # the last poll succeeded (whether or not anything was new)
    FAILED = "failed"  # the last poll failed: see last_error; the cursor did not move


class MispFeed(Base):
    """One organisation's subscription to a MISP feed (a URL or a directory).

    Imports run with the rights of ``run_as`` (a member of the owning organisation) and
    the feed's default markings. ``cursor`` is the newest manifest timestamp imported:
    a poll takes only events after it, and moves it only when its import succeeded."""

    __tablename__ = "misp_feeds"
    __table_args__ = (
        UniqueConstraint("org_id", "name", name="uq_misp_feeds_org_id_name"),
        Index("ix_misp_feeds_next_poll_at", "next_poll_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    run_as_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # Defaults for what the feed's data leaves unmarked (as for any import).
    tlp: Mapped[TLP] = mapped_column(tlp_column_type())
    pap: Mapped[PAP | None] = mapped_column(pap_column_type(), nullable=True)
    audience: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    interval_minutes: Mapped[int] = mapped_column(default=60)
    enabled: Mapped[bool] = mapped_column(default=True)
    cursor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    next_poll_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_polled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[FeedStatus] = mapped_column(
        Enum(FeedStatus, name="feed_status", values_callable=lambda e: [m.value for m in e],
             native_enum=False, length=16, validate_strings=True), default=FeedStatus.NEW)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("imports.id", ondelete="SET NULL"), nullable=True)
    events_imported: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def audience_ids(self) -> dict[str, Any]:
        return {k: list(self.audience.get(k, [])) for k in ("org_ids", "group_ids", "user_ids")}


class PeerDirection(enum.StrEnum):
    PULL = "pull"  # this hub reads the partner's collection
    PUSH = "push"  # this hub writes to the partner's collection
    BOTH = "both"


class Peer(Base):
    """A partner hub (or any TAXII 2.1 server) this hub exchanges objects with.

    ``org_id`` is the local organisation that stands for the partner: what is pulled
    from the partner is stored as its records, and the partner's own client signs in
    here as one of its users. ``url`` is the partner's TAXII collection; ``remote_user``
    and the encrypted ``secret`` are the credentials this hub uses there. What may flow
    out follows :func:`cyberhub.access.may_leave_to`: CLEAR, GREEN when ``share_green``,
    AMBER whose audience names ``org_id``; never AMBER+STRICT or RED."""

    __tablename__ = "peers"
    __table_args__ = (Index("ix_peers_next_sync_at", "next_sync_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    remote_user: Mapped[str] = mapped_column(String(320), default="")
    secret: Mapped[str] = mapped_column(Text, default="")  # Fernet (community.security)
    direction: Mapped[PeerDirection] = mapped_column(
        Enum(PeerDirection, name="peer_direction", values_callable=lambda e: [m.value for m in e],
             native_enum=False, length=8, validate_strings=True), default=PeerDirection.PULL)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), unique=True)
    run_as_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    share_green: Mapped[bool] = mapped_column(default=False)
    # Markings for what the partner sends unmarked, and who here receives its AMBER.
    tlp: Mapped[TLP] = mapped_column(tlp_column_type(), default=TLP.AMBER)
    audience: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # How far this hub trusts the source (0-100): the confidence its objects get here
    # when they state none (the STIX data itself is kept as sent).
    trust: Mapped[int | None] = mapped_column(nullable=True)
    # Whom to call at the partner when a value matches (its point of contact).
    contact: Mapped[str] = mapped_column(String(320), default="")
    # Cross-hub matching (federation.matching): the key agreed with the partner (Fernet)
    # and its id; when our digests under it were last rebuilt; the partner's questions
    # in the current window (rate limit).
    match_key: Mapped[str] = mapped_column(Text, default="")
    match_key_id: Mapped[str] = mapped_column(String(64), default="")
    match_indexed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    match_window_start: Mapped[datetime | None] = mapped_column(nullable=True)
    match_window_count: Mapped[int] = mapped_column(default=0)
    # Cross-hub deconfliction: registrations touched (made or renewed) up to here have
    # been announced to this partner (cyberhub.deconfliction.network).
    deconfliction_cursor: Mapped[datetime | None] = mapped_column(nullable=True)
    interval_minutes: Mapped[int] = mapped_column(default=15)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Pull: the partner's newest date added taken (its own clock, as it stated it).
    pull_cursor: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Push: our newest date added sent, and the record id that ends it.
    push_cursor: Mapped[datetime | None] = mapped_column(nullable=True)
    push_cursor_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    next_sync_at: Mapped[datetime] = mapped_column(default=utcnow)
    syncing_since: Mapped[datetime | None] = mapped_column(nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(default=0)
    objects_pulled: Mapped[int] = mapped_column(BigInteger, default=0)
    objects_pushed: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def pulls(self) -> bool:
        return self.direction in (PeerDirection.PULL, PeerDirection.BOTH)

    @property
    def pushes(self) -> bool:
        return self.direction in (PeerDirection.PUSH, PeerDirection.BOTH)


class MatchDigest(Base):
    """A keyed digest (HMAC-SHA-256 under one partner's matching key, first 16 bytes) of
    a value this hub offers for matching. The values themselves never leave."""

    __tablename__ = "match_digests"
    __table_args__ = (Index("ix_match_digests_peer_digest", "peer_id", "digest"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peers.id", ondelete="CASCADE"))
    digest: Mapped[bytes] = mapped_column(LargeBinary(16))
