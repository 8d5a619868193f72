"""Ransomware leak-site posts: what monitoring services saw criminals publish about their
victims, imported by a member organisation and shared under the marking it chose."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import Shareable


class LeakPostImport(Base):
    """One import of a leak-site monitoring file: where the posts came from, and what it
    counted. Seen by the importing organisation only (not a shared record)."""

    __tablename__ = "ransomware_leak_post_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(300), default="")
    lines: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # bad lines, lenient mode only
    unmatched_groups: Mapped[list[str]] = mapped_column(JSON, default=list)


class LeakPost(Shareable, Base):
    """One post on a ransomware leak site. It names a victim the criminals exposed, so it
    is read through ``access`` like every shared record and never leaves the hub except as
    its marking allows."""

    __tablename__ = "ransomware_leak_posts"
    __table_args__ = (  # type: ignore[assignment]  # the mixin's index, and ours
        Index("ix_ransomware_leak_posts_created_at_id", "created_at", "id"),
        Index("ix_ransomware_leak_posts_published_id", "published", "id"),
        UniqueConstraint("owner_org_id", "dedup_key"),
    )

    group_name: Mapped[str] = mapped_column(String(200))  # as the monitor gave it
    group_key: Mapped[str] = mapped_column(String(200), index=True)  # groupnames.key()
    family_ref: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    family_name: Mapped[str] = mapped_column(String(250), default="")
    post_title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")  # plain text, bounded
    site: Mapped[str] = mapped_column(String(500), default="")  # text, never a link
    post_url: Mapped[str] = mapped_column(String(2000), default="")  # text, never a link
    published: Mapped[datetime] = mapped_column()
    discovered: Mapped[datetime] = mapped_column()
    sector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    dedup_key: Mapped[str] = mapped_column(String(64), index=True)
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ransomware_leak_post_imports.id", ondelete="SET NULL"), nullable=True,
        index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
