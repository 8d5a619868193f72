"""The knowledge base's tables.

Each organisation holds its own copy of a STIX object (unique per owner and STIX id):
the same indicator shared by two members is two records under two markings, linked by
their STIX id and by the values they carry. The current version lives in
``stix_objects``; earlier versions in ``stix_object_versions``.

Correlation is one index from a (kind, normalised value) key to the objects carrying
it — storage grows linearly with the data; there is no pairwise table.
"""

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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import Shareable


class Vetting(enum.StrEnum):
    UNVERIFIED = "unverified"
    CORROBORATED = "corroborated"
    VETTED = "vetted"
    DISPUTED = "disputed"


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"  # strict mode met invalid objects: nothing stored
    FAILED = "failed"  # the file itself was unreadable, or the job crashed


def _enum(cls: type[enum.StrEnum], name: str, length: int = 16) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e],
                native_enum=False, length=length, validate_strings=True)


# The predicate of the partial indexes on restricted rows, as access.restricted() writes it.
RESTRICTED = "tlp NOT IN ('CLEAR', 'GREEN')"
RED_ONLY = "tlp = 'RED'"


class StixObject(Shareable, Base):
    __tablename__ = "stix_objects"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index("ix_stix_objects_created_at_id", "created_at", "id"),
            # stix_id first: it serves lookups by STIX id across owners too, and the
            # importer's per-batch "which of these do we hold?" stays an index search
            # even when the planner's statistics lag behind a large import.
            UniqueConstraint("stix_id", "owner_org_id", name="uq_stix_objects_stix_id_owner"),
            Index("ix_stix_objects_type_created_at", "type", "created_at"),
            # TAXII pages walk objects in the order their current version was stored.
            Index("ix_stix_objects_updated_at_id", "updated_at", "id"),
            # A viewer's own restricted rows (by owner, by RED author) found among
            # millions of GREEN ones (access.visible_beyond_uniform). Partial: CLEAR
            # and GREEN rows, the bulk of imports, pay nothing for them. RED alone for
            # authors: an analyst who imported 100,000 AMBER objects has no RED to find.
            Index("ix_stix_objects_restricted_owner", "owner_org_id", "id",
                  sqlite_where=text(RESTRICTED), postgresql_where=text(RESTRICTED)),
            Index("ix_stix_objects_red_author", "created_by_id", "id",
                  sqlite_where=text(RED_ONLY), postgresql_where=text(RED_ONLY)),
        )

    # Redeclared without the mixin's single-column indexes: the unique (owner, stix_id)
    # index serves owner lookups, and every index costs on each of millions of inserts.
    owner_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"))
    stix_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # STIX timestamps of the current version (None for SCOs, which have none).
    stix_created: Mapped[datetime | None] = mapped_column(nullable=True)
    stix_modified: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    confidence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The current version, as canonical JSON text (served as stored, never re-encoded).
    data: Mapped[str] = mapped_column(Text)
    vetting: Mapped[Vetting] = mapped_column(_enum(Vetting, "vetting"),
                                             default=Vetting.UNVERIFIED)
    # Provenance: the contributing org and user are owner_org_id and created_by_id.
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("imports.id", ondelete="SET NULL"), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(200), default="api")
    # The hub where the object entered the network, when it came from a partner hub
    # (its address); None for what was contributed here.
    origin_hub: Mapped[str | None] = mapped_column(String(300), nullable=True)


class StixObjectVersion(Base):
    """An earlier version of an object (the current one is in ``stix_objects``)."""

    __tablename__ = "stix_object_versions"
    __table_args__ = (
        UniqueConstraint("object_id", "stix_modified", name="uq_stix_object_versions_modified"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"))
    stix_modified: Mapped[datetime | None] = mapped_column(nullable=True)
    data: Mapped[str] = mapped_column(Text)
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("imports.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StixRef(Base):
    """A reference from one STIX object to another, queryable both ways.

    Relationships give (source_ref → target_ref, "relationship:<type>"); sightings give
    (sighting → sighting_of_ref, "sighting_of_ref"); other embedded ``*_ref(s)`` give
    (object → ref, property name). ``object_id`` is the record that carries the
    reference: the edge is visible exactly when that record is."""

    __tablename__ = "stix_refs"
    __table_args__ = (
        # Covering, both ways: a node's references of one kind are one index range, and
        # counting its neighbours (the graph's expansion) never reads the table's rows.
        Index("ix_stix_refs_source_kind", "source_stix_id", "kind", "target_stix_id",
              "object_id"),
        Index("ix_stix_refs_target_kind", "target_stix_id", "kind", "source_stix_id",
              "object_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"), index=True)
    source_stix_id: Mapped[str] = mapped_column(String(300))
    target_stix_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(300))


class ObservableValue(Base):
    """value → occurrences. ``key`` is a 63-bit hash of (kind, value) so the index stays
    small whatever the value's length; lookups compare the value too, so a collision
    can cost a row read but never a false match."""

    __tablename__ = "observable_values"
    # (key, object_id): record ids are time-ordered, so walking this index backwards
    # gives a value's newest occurrences first and a page stops after a page.
    __table_args__ = (Index("ix_observable_values_key_object", "key", "object_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    key: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stix_objects.id", ondelete="CASCADE"), index=True)


class Import(Base):
    """One import job and its status: what the web page and the CLI progress bar follow."""

    __tablename__ = "imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    format: Mapped[str] = mapped_column(String(16), default="stix")
    mode: Mapped[str] = mapped_column(String(16), default="strict")
    filename: Mapped[str] = mapped_column(String(300), default="")
    # Where the uploaded file waits for the background job (deleted afterwards).
    staged_path: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # The marking and audience for objects the data leaves unmarked.
    tlp: Mapped[str] = mapped_column(String(16))
    pap: Mapped[str | None] = mapped_column(String(8), nullable=True)
    audience: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus, "import_status"),
                                                 default=ImportStatus.QUEUED)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    objects_seen: Mapped[int] = mapped_column(Integer, default=0)
    objects_stored: Mapped[int] = mapped_column(Integer, default=0)
    objects_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    objects_new_versions: Mapped[int] = mapped_column(Integer, default=0)
    objects_invalid: Mapped[int] = mapped_column(Integer, default=0)
    # The first problems found (capped): [{"index", "id", "path", "message"}].
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What a converter (MISP, CSV, text…) kept, changed or skipped, in the same shape.
    notices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Format-specific choices made when the import was started (a CSV column mapping…).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    # The process running it, "<host>:<pid>": a worker that starts tells the imports of
    # processes that died (failed: nothing was stored) from those of live ones.
    runner: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
