"""Intelligence packages, their objects and the recipients' acknowledgements.

A package is a shareable record: while it is prepared it is AMBER+STRICT with no
audience (its organisation only); release sets the marking and the recipients, and
``access`` decides who sees it from then on, as for every other record."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import Shareable


class PackageStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in-review"
    RELEASED = "released"


class IntelPackage(Shareable, Base):
    __tablename__ = "intel_packages"

    title: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(300), default="")
    narrative_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once at write time (cyberhub.markdown).
    narrative_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PackageStatus] = mapped_column(
        Enum(PackageStatus, name="package_status", values_callable=lambda e: [m.value for m in e],
             native_enum=False, length=16, validate_strings=True),
        default=PackageStatus.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set when a colleague approves the package in review; cleared when it goes back.
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)


class PackageObject(Base):
    """One record of the knowledge base in a package (a copy, as the author saw it)."""

    __tablename__ = "intel_package_objects"
    __table_args__ = (UniqueConstraint("package_id", "object_id",
                                       name="uq_intel_package_objects_package_object"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("intel_packages.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class PackageAck(Base):
    """A recipient's acknowledgement of receipt: one per recipient of the audience
    (an organisation for AMBER and AMBER+STRICT, a named user for RED)."""

    __tablename__ = "intel_package_acks"
    __table_args__ = (UniqueConstraint("package_id", "recipient",
                                       name="uq_intel_package_acks_package_recipient"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("intel_packages.id", ondelete="CASCADE"), index=True)
    # "org:<uuid>" or "user:<uuid>": the audience entry acknowledged.
    recipient: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
