"""TAXII collections: named filters over the knowledge base, defined by hub admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, new_id, utcnow
from cyberhub.sharing import TLP, tlp_column_type


class TaxiiCollection(Base):
    """One collection. Empty filter lists mean "no restriction" on that field; a
    requester always sees only what the sharing rules let them see."""

    __tablename__ = "taxii_collections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    alias: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    # Filters, each a JSON list: TLP names, STIX types, labels (any of them), source
    # prefixes ("import:", "misp-feed:…"), owning organisation ids, audience members.
    tlps: Mapped[list[str]] = mapped_column(JSON, default=list)
    types: Mapped[list[str]] = mapped_column(JSON, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_org_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Records whose audience names any of these organisations or groups (ids).
    audience_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Members may POST objects (imported as the poster, unmarked ones under write_tlp).
    writable: Mapped[bool] = mapped_column(default=False)
    write_tlp: Mapped[TLP] = mapped_column(tlp_column_type(), default=TLP.AMBER)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def filters(self) -> dict[str, Any]:
        return {"tlps": list(self.tlps), "types": list(self.types), "labels": list(self.labels),
                "sources": list(self.sources), "owner_org_ids": list(self.owner_org_ids),
                "audience_ids": list(self.audience_ids)}
