"""Ransomware: the decryptor catalogue members maintain (families live in the knowledge
base as STIX ``malware`` objects)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cyberhub.db import Base
from cyberhub.sharing import Shareable


class Decryptor(Shareable, Base):
    """A tool that decrypts files of one family: public-good data, TLP:CLEAR by default
    (GREEN when it must stay in the community)."""

    __tablename__ = "ransomware_decryptors"

    family_ref: Mapped[str] = mapped_column(String(300), index=True)  # the family's STIX id
    family_name: Mapped[str] = mapped_column(String(250))
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(2000))  # http(s) only
    notes: Mapped[str] = mapped_column(Text, default="")
    released: Mapped[date | None] = mapped_column(Date, nullable=True)
