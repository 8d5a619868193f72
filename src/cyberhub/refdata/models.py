"""What reference data the hub holds: one row per data set (a MISP galaxy) and version."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base, utcnow


class ReferenceDataset(Base):
    """A reference data set loaded into the knowledge base, at the version loaded last."""

    __tablename__ = "reference_datasets"

    # "misp-galaxy:ransomware"
    key: Mapped[str] = mapped_column(String(150), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # "misp-galaxy"
    name: Mapped[str] = mapped_column(String(100))  # the galaxy type: "ransomware"
    title: Mapped[str] = mapped_column(String(200))  # "Ransomware"
    version: Mapped[int] = mapped_column(Integer)
    # The revision of the hub's mapping that built the objects (refdata.galaxies).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Where it came from: "pymispgalaxies 1.1.1", or the file a galaxy was read from.
    origin: Mapped[str] = mapped_column(String(300))
    stix_type: Mapped[str] = mapped_column(String(64))
    objects: Mapped[int] = mapped_column(Integer, default=0)
    relationships: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("imports.id", ondelete="SET NULL"), nullable=True)
