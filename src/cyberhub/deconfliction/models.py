"""Deconfliction registrations, their hits, per-key digests for partner hubs, and the
per-user rate windows.

No table holds a registered value: a registration keeps the keyed digest of its kind
and normalised value (see :mod:`cyberhub.deconfliction.keys`) and what the registrant
wrote about themself (case reference, point of contact)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow


class Registration(Base):
    """One law-enforcement user's declared interest in one value."""

    __tablename__ = "deconfliction_registrations"
    __table_args__ = (
        # The match: same digest under the same key, still running.
        Index("ix_deconfliction_registrations_digest", "digest", "key_id", "expires_at"),
        Index("ix_deconfliction_registrations_user", "user_id", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # HMAC-SHA-256(hub key, kind NUL normalised value), first 16 bytes.
    digest: Mapped[bytes] = mapped_column(LargeBinary(16))
    # Which hub key made the digest (a fingerprint of the key, not the key): after a
    # key change, registrations under the old one are known to be stale.
    key_id: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # the kind only, e.g. "wallet"
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The registrant's own data: the case reference is never shown to another party,
    # the point of contact is what the other party is given.
    case_reference: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime]
    is_demo: Mapped[bool] = mapped_column(default=False)


class Hit(Base):
    """Two registrations of different organisations on the same digest (stored once,
    ``first_id`` the earlier registration)."""

    __tablename__ = "deconfliction_hits"
    __table_args__ = (UniqueConstraint("first_id", "second_id",
                                       name="uq_deconfliction_hits_pair"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    first_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deconfliction_registrations.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deconfliction_registrations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_demo: Mapped[bool] = mapped_column(default=False)


class NetworkDigest(Base):
    """A registration's digest under a key shared with partner hubs (made when it was
    registered, the only moment the hub holds the value)."""

    __tablename__ = "deconfliction_network_digests"
    __table_args__ = (Index("ix_deconfliction_network_digests_lookup", "key_id", "digest"),)

    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deconfliction_registrations.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(16))


class RateWindow(Base):
    """How many values a user submitted in the current window (the database store of
    :mod:`cyberhub.deconfliction.ratelimit`; Redis replaces it when configured)."""

    __tablename__ = "deconfliction_rate_windows"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)


class RemoteHit(Base):
    """A registration here met one on a partner hub: the partner's pointer (its
    organisation and point of contact, as that hub sent them) — nothing else."""

    __tablename__ = "deconfliction_remote_hits"
    __table_args__ = (UniqueConstraint("registration_id", "peer_id", "organisation", "contact",
                                       name="uq_deconfliction_remote_hits_pointer"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deconfliction_registrations.id", ondelete="CASCADE"), index=True)
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peers.id", ondelete="CASCADE"))
    organisation: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(500))
    other_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
