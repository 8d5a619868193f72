"""Ransomware: the decryptor catalogue members maintain, incident reports, their victims
kept apart, and one-time report links (families live in the knowledge base as STIX
``malware`` objects)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from cyberhub.db import Base, EncryptedText, new_id, utcnow
from cyberhub.sharing import TLP, Shareable, tlp_column_type


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


class Incident(Shareable, Base):
    """A ransomware incident a member reported (itself, or through a one-time link for a
    victim without an account). Nothing here names the victim: the identity, when given,
    is an :class:`IncidentVictim` row that the trends and exports never read."""

    __tablename__ = "ransomware_incidents"

    discovered: Mapped[date] = mapped_column(Date, index=True)
    family_ref: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    family_name: Mapped[str] = mapped_column(String(250), default="")
    access_vector: Mapped[str] = mapped_column(String(32))
    cve: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    size_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    systems_affected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data_stolen: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    leak_listed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    demand_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    demand_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    paid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    paid_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    wallets: Mapped[list[str]] = mapped_column(JSON, default=list)
    negotiation_contact: Mapped[str] = mapped_column(String(500), default="")
    decryptor_used: Mapped[str] = mapped_column(String(200), default="")
    recovery_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    loss_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reported_to: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    via_link: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the trends' running tallies count it (``trend_tallies``).
    bucket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ransomware_incident_buckets.id", ondelete="SET NULL"), nullable=True,
        index=True)


class IncidentVictim(Base):
    """Who the victim is: optional, kept apart from the incident so that no aggregate,
    export or exchange can read it by accident. Shown only to the reporting
    organisation and the audience it named (``incidents.victim_of``). Both fields are
    encrypted at rest with the secret key (``db.EncryptedText``)."""

    __tablename__ = "ransomware_incident_victims"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ransomware_incidents.id", ondelete="CASCADE"), primary_key=True)
    # Encrypted at rest (ASVS 6.1.1): a database dump alone does not name victims.
    name: Mapped[str] = mapped_column(EncryptedText())  # at most 300 characters
    contact: Mapped[str] = mapped_column(EncryptedText(), default="")  # at most 500


class ReportLink(Base):
    """A one-time link a member issues to a victim organisation without an account. Only
    the SHA-256 of its token is stored; it expires and works once."""

    __tablename__ = "ransomware_report_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    tlp: Mapped[TLP] = mapped_column(tlp_column_type())
    audience_org_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ransomware_incidents.id", ondelete="SET NULL"), nullable=True)


class ReportAttempt(Base):
    """A request with a report link that is unknown, expired or used: kept in the
    database so that throttling holds across workers, as for sign-in."""

    __tablename__ = "ransomware_report_attempts"
    __table_args__ = (Index("ix_ransomware_report_attempts_ip_at", "ip", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IncidentBucket(Shareable, Base):
    """The incidents that share one marking exactly — TLP, owner, audience, and creator
    for RED —, so that whoever may see one may see them all: ``access.visible`` decides
    for the bucket what it would decide for each. Carries the running tallies the
    unfiltered trends read (``trend_tallies``); its audience is the incidents'."""

    __tablename__ = "ransomware_incident_buckets"

    key: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the marking


class IncidentTally(Base):
    """How many incidents of a bucket have one value of one trend dimension."""

    __tablename__ = "ransomware_incident_tallies"

    bucket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ransomware_incident_buckets.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    label: Mapped[str] = mapped_column(String(250), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class IncidentFigure(Base):
    """How many incidents of a bucket report one value of one statistic (``demand:EUR``,
    ``paid:EUR``, ``recovery:``): the distributions the quartiles are read from."""

    __tablename__ = "ransomware_incident_figures"

    bucket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ransomware_incident_buckets.id", ondelete="CASCADE"), primary_key=True)
    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
class WalletTransaction(Shareable, Base):
    """One payment received by a wallet: what a member imported from a chain explorer's
    export (or the demo generated). Owned by the importing organisation, under its
    marking; a wallet's and a family's totals are summed at read time over the rows the
    viewer may see. ``amount`` is exact: an integer in the asset's smallest unit
    (satoshi, wei…), kept as decimal text because wei overflow 64-bit integers."""

    __tablename__ = "ransomware_wallet_transactions"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index("ix_ransomware_wallet_transactions_created_at_id", "created_at", "id"),
            # Re-importing the same transaction for the same wallet changes nothing.
            UniqueConstraint("owner_org_id", "wallet", "txid",
                             name="uq_ransomware_wallet_transactions_owner_wallet_txid"),
            Index("ix_ransomware_wallet_transactions_wallet_time", "wallet", "tx_time"),
        )

    wallet: Mapped[str] = mapped_column(String(300))  # chain:address, as intel.normalise
    chain: Mapped[str] = mapped_column(String(32))
    txid: Mapped[str] = mapped_column(String(130))
    tx_time: Mapped[datetime] = mapped_column()
    asset: Mapped[str] = mapped_column(String(16))
    decimals: Mapped[int] = mapped_column(Integer)
    amount: Mapped[str] = mapped_column(String(80))  # integer, smallest units
    usd_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source: Mapped[str] = mapped_column(String(32))  # the format it came from
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
