"""Tables of the formats package: an organisation's saved CSV column mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow


class CsvMapping(Base):
    """A named CSV column mapping, reused by every member of the organisation.

    Not a shareable record: it describes a member's own spreadsheets and is seen by the
    organisation's users only. ``spec`` is :meth:`cyberhub.formats.csv.Mapping.as_dict`.
    """

    __tablename__ = "csv_mappings"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_csv_mappings_org_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
