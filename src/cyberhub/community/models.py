from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cyberhub.db import Base, new_id, utcnow


class OrgKind(enum.StrEnum):
    LAW_ENFORCEMENT = "law-enforcement"
    CERT = "cert"
    FINANCIAL = "financial"
    TELECOM = "telecom"
    HOSTING = "hosting"
    ONLINE_PLATFORM = "online-platform"
    SECURITY_VENDOR = "security-vendor"
    INTERNATIONAL = "international-organisation"
    NON_PROFIT = "non-profit"
    ACADEMIA = "academia"
    OTHER = "other"


class Role(enum.StrEnum):
    HUB_ADMIN = "hub-admin"
    ORG_ADMIN = "org-admin"
    ANALYST = "analyst"
    READER = "reader"


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"


def _enum(cls: type[enum.StrEnum], name: str, length: int = 32) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e],
                native_enum=False, length=length, validate_strings=True)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # Uniqueness is case-insensitive: "Europol" and "EUROPOL" are the same organisation.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    sector: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    require_2fa: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(nullable=True)
    # Set while the password is an initial one that someone else chose: it must be
    # changed at first sign-in and stops working at this moment.
    password_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    # Loaded when asked for (the second-factor checks): most requests never need them.
    security_keys: Mapped[list[SecurityKey]] = relationship(
        back_populates="user", order_by="SecurityKey.created_at", passive_deletes=True)

    @property
    def has_second_factor(self) -> bool:
        """An authenticator app, a security key or passkey, or both."""
        return self.totp_enabled or bool(self.security_keys)


class Group(Base):
    """A working group: a named set of organisations and/or users, used as an audience."""

    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan")


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint(
            "(org_id IS NULL) <> (user_id IS NULL)", name="org_xor_user"),
        # NULLs are distinct in unique constraints, so one constraint per member kind.
        UniqueConstraint("group_id", "org_id", name="uq_group_members_group_org"),
        UniqueConstraint("group_id", "user_id", name="uq_group_members_group_user"),
        Index("ix_group_members_org", "org_id"),
        Index("ix_group_members_user", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True)

    group: Mapped[Group] = relationship(back_populates="members")


class WebSession(Base):
    """A server-side sign-in session. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # False while the second factor is still owed.
    fully_authenticated: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The WebAuthn challenge this session was last handed (registering a security key,
    # or signing in with one), what for, and when: single-use, valid for 5 minutes.
    webauthn_challenge: Mapped[bytes | None] = mapped_column(LargeBinary(64), nullable=True)
    webauthn_purpose: Mapped[str | None] = mapped_column(String(16), nullable=True)
    webauthn_issued_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class SecurityKey(Base):
    """A WebAuthn credential (a security key or a passkey) a user signs in with as the
    second factor. Only its public key is kept; the private key never leaves the
    authenticator."""

    __tablename__ = "security_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The authenticator's id for the credential (up to 1023 bytes by the specification).
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    # The COSE public key, as the authenticator gave it at registration.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The authenticator's signature counter (32 bits, unsigned): 0 when it keeps none.
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # How the browser may reach it ("usb", "nfc", "ble", "internal", "hybrid"…).
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship(back_populates="security_keys")


class ApiToken(Base):
    """An API token. The secret is shown once; only its SHA-256 is stored (it is 256
    bits of randomness, so a fast hash is enough and lookups stay O(1))."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(_enum(TokenScope, "token_scope", 8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Token use is audited at most hourly per token, so the log stays readable.
    last_audited_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When the owner was told the token expires soon (once per token, ASVS 2.3.3).
    expiry_notified_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class SigninFailure(Base):
    """Failed sign-ins, kept in the database so throttling holds across workers."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_email_at", "email", "at"),
                      Index("ix_signin_failures_ip_at", "ip", "at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
