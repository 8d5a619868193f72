"""Sign-in, sessions, second factor and API tokens.

Session cookies and API tokens are 256-bit random secrets; the database keeps only
their SHA-256, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from cyberhub import audit
from cyberhub.community import notices, security
from cyberhub.community.models import (
    ApiToken,
    Role,
    SigninFailure,
    TokenScope,
    User,
    WebSession,
)
from cyberhub.community.validation import clean_text
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from cyberhub.i18n import _, ngettext

TOKEN_PREFIX = "chub_"  # noqa: S105 - a public prefix, not a secret


def actor(user: User | None, ip: str | None, label: str | None = None) -> audit.Actor:
    if user is None:
        return audit.Actor(None, None, label or "anonymous", ip)
    return audit.Actor(user.id, user.org_id, f"{user.email} ({user.organisation.name})", ip)


# ---------------------------------------------------------------- throttling


def check_throttle(session: Session, email: str, ip: str | None) -> None:
    """Refuse (429) while the account or the address has failed too often lately."""
    s = get_settings()
    since = utcnow() - timedelta(minutes=s.signin_window_minutes)
    by_email = session.scalar(select(func.count()).select_from(SigninFailure).where(
        SigninFailure.email == email, SigninFailure.at >= since)) or 0
    by_ip = 0
    if ip:
        by_ip = session.scalar(select(func.count()).select_from(SigninFailure).where(
            SigninFailure.ip == ip, SigninFailure.at >= since)) or 0
    # An address may try several accounts (a shared office), but not endlessly.
    if by_email >= s.signin_max_failures or by_ip >= s.signin_max_failures * 4:
        raise TooManyRequests(
            ngettext("Too many failed sign-ins. Wait %(n)d minute and try again.",
                     "Too many failed sign-ins. Wait %(n)d minutes and try again.",
                     s.signin_window_minutes)
            % {"n": s.signin_window_minutes}, retry_after=s.signin_window_minutes * 60)


def record_failure(session: Session, email: str, ip: str | None, reason: str) -> None:
    """Count a failed sign-in step against the account and the address, and audit it."""
    session.add(SigninFailure(email=email, ip=ip))
    audit.record(session, audit.Actor(None, None, email[:254], ip), "signin.failure",
                 details={"email": email[:254], "reason": reason})


def check_password_attempt(session: Session, user: User, password: str, *, ip: str | None,
                           reason: str) -> bool:
    """Check a signed-in user's password (to change it, or to turn off 2FA) under the
    same throttle as sign-in, so a stolen session cannot guess it; failures are recorded."""
    check_throttle(session, user.email, ip)
    if security.verify_password(user.password_hash, password or ""):
        return True
    record_failure(session, user.email, ip, reason)
    return False


def confirm_password(session: Session, user: User, password: str | None, *, ip: str | None,
                     reason: str) -> None:
    """Re-authentication before a sensitive change (ASVS 3.7.1): turning off the second
    factor, creating a write token, registering a webhook, signing out everywhere.

    A wrong password is checked and counted like a failed sign-in (``reason`` names the
    change in the audit log), so a stolen session or token cannot guess it; a missing one
    is refused without counting, as nothing was guessed. Raises InvalidInput on the field
    ``password``; the caller changes nothing before it."""
    if not password:
        raise InvalidInput(_("Enter your password to confirm this change."),
                           details={"field": "password"})
    if not check_password_attempt(session, user, password, ip=ip, reason=reason):
        raise InvalidInput(_("Wrong password."), details={"field": "password"},
                           keep_changes=True)


# ---------------------------------------------------------------- second factor rule


def second_factor_rule(user: User) -> str | None:
    """Why this user must sign in with a second factor: ``"role"`` for a hub
    administrator (always: the hub's administration is never open to a password alone),
    ``"organisation"`` where the user's organisation requires it, else ``None``."""
    if user.role is Role.HUB_ADMIN:
        return "role"
    if user.organisation.require_2fa:
        return "organisation"
    return None


def must_enrol(user: User | None) -> bool:
    """Signed in, but owing a second factor the user has not set up yet."""
    return (user is not None and second_factor_rule(user) is not None
            and not user.has_second_factor)


def must_change_password(user: User | None) -> bool:
    """Signed in with a one-time password an administrator set: it must be changed before
    anything else."""
    return user is not None and user.password_expires_at is not None


# ---------------------------------------------------------------- sign-in


@dataclass
class SigninResult:
    user: User
    session_token: str
    needs_second_factor: bool
    must_enrol_second_factor: bool
    must_change_password: bool = False


def sign_in(session: Session, email: str, password: str, *, ip: str | None,
            user_agent: str | None) -> SigninResult:
    """Check the password and open a fresh session (rotated: never reuse an old id).

    Raises NotAuthenticated with one message for unknown e-mail, wrong password and
    inactive account alike, so sign-in does not reveal who has an account."""
    email = (email or "").strip().lower()[:254]
    check_throttle(session, email, ip)
    user = session.scalar(select(User).where(User.email == email))
    ok = security.verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.is_active:
        reason = "unknown" if user is None else ("password" if not ok else "inactive")
        record_failure(session, email, ip, reason)
        raise NotAuthenticated(_("Wrong e-mail or password."), keep_changes=True)
    if user.password_expires_at is not None and user.password_expires_at <= utcnow():
        # Said plainly: only someone who knows the right password learns this.
        record_failure(session, email, ip, "expired")
        raise NotAuthenticated(_("This password was set for you by an administrator and has "
                                 "expired unused. Ask your organisation's administrator for "
                                 "a new one."), keep_changes=True)
    if user.password_hash and security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    # An authenticator app, a security key, or both: the second step offers each one set up.
    needs_2fa = user.has_second_factor
    token = _open_session(session, user, ip=ip, user_agent=user_agent,
                          fully_authenticated=not needs_2fa)
    session.execute(delete(SigninFailure).where(SigninFailure.email == email))
    audit.record(session, actor(user, ip), "signin.password",
                 details={"second_factor_pending": needs_2fa})
    return SigninResult(user, token, needs_2fa, must_enrol(user), must_change_password(user))


def _open_session(session: Session, user: User, *, ip: str | None, user_agent: str | None,
                  fully_authenticated: bool) -> str:
    s = get_settings()
    token = security.new_secret(32)
    session.add(WebSession(
        token_hash=security.sha256_hex(token), user_id=user.id,
        fully_authenticated=fully_authenticated,
        expires_at=utcnow() + timedelta(hours=s.session_max_hours),
        ip=ip, user_agent=(user_agent or "")[:300] or None))
    session.flush()
    return token


def resolve_session(session: Session, token: str | None) -> WebSession | None:
    """The live session for a cookie value, touched; None if missing, expired or revoked."""
    if not token or len(token) > 128:
        return None
    ws = session.scalar(select(WebSession).where(
        WebSession.token_hash == security.sha256_hex(token)))
    if ws is None or ws.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if ws.expires_at <= now or ws.last_seen_at + idle <= now or not ws.user.is_active:
        return None
    # Touch at most once a minute: a read-mostly page load need not write.
    if now - ws.last_seen_at > timedelta(minutes=1):
        ws.last_seen_at = now
    return ws


def complete_second_factor(session: Session, ws: WebSession, code: str, *,
                           ip: str | None) -> str:
    """Check a TOTP code for a half-open session; rotate it into a full one."""
    user = ws.user
    check_throttle(session, user.email, ip)
    secret = security.decrypt_secret(user.totp_secret_enc or "")
    step = None
    if secret and user.totp_enabled:
        step = security.totp_match_step(secret, code, at=time.time(), last_step=user.totp_last_step)
    if step is not None and not _use_step(session, user, step):
        step = None  # the same code, sent at the same moment, opened the other session
    if step is None:
        replayed = bool(secret and user.totp_enabled and security.totp_match_step(
            secret, code, at=time.time(), last_step=None) is not None)
        record_failure(session, user.email, ip, "totp-replayed" if replayed else "totp")
        if replayed:
            # Right code, already used: someone may be watching the user type it.
            notices.account_changed(session, user, notices.TOTP_REPLAYED)
        raise InvalidInput(_("That code is not right. Enter the current 6-digit code from your "
                             "authenticator app."), details={"field": "code"}, keep_changes=True)
    token = open_full_session(session, ws, ip=ip)
    audit.record(session, actor(user, ip), "signin.totp")
    return token


def _use_step(session: Session, user: User, step: int) -> bool:
    """Record ``step`` as the user's last TOTP step unless it is used already. A
    conditional update: of two sign-ins sent at once with the same code, the second waits
    for the first's row lock (PostgreSQL) or write lock (SQLite), then finds the step
    taken, so one code opens one session."""
    taken = session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session="fetch"))
    return int(getattr(taken, "rowcount", 0) or 0) == 1


def open_full_session(session: Session, ws: WebSession, *, ip: str | None) -> str:
    """The second factor is given: end the half-open session ``ws`` and open a full one in
    its place (rotated: the id the browser held before sign-in completed is dead)."""
    ws.revoked_at = utcnow()
    ws.webauthn_challenge = ws.webauthn_purpose = ws.webauthn_issued_at = None
    return _open_session(session, ws.user, ip=ip, user_agent=ws.user_agent,
                         fully_authenticated=True)


def sign_out(session: Session, ws: WebSession, *, ip: str | None) -> None:
    ws.revoked_at = utcnow()
    audit.record(session, actor(ws.user, ip), "signout")


def revoke_all_sessions(session: Session, user_id: uuid.UUID) -> int:
    result = session.execute(update(WebSession).where(
        WebSession.user_id == user_id, WebSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def sign_out_everywhere(session: Session, user: User, password: str | None, *,
                        ip: str | None) -> int:
    """End every session of the user, this one included, once the password is given
    again (ASVS 3.7.1: a stolen session must not lock its owner out of their other
    devices). Returns how many sessions ended."""
    confirm_password(session, user, password, ip=ip, reason="signout-everywhere")
    n = revoke_all_sessions(session, user.id)
    audit.record(session, actor(user, ip), "signout.everywhere", details={"sessions": n})
    return n


def list_sessions(session: Session, user: User) -> list[WebSession]:
    return list(session.scalars(select(WebSession).where(
        WebSession.user_id == user.id, WebSession.revoked_at.is_(None),
        WebSession.expires_at > utcnow()).order_by(WebSession.last_seen_at.desc())))


# ---------------------------------------------------------------- TOTP enrolment


def begin_totp_enrolment(session: Session, user: User) -> str:
    """A fresh secret, stored encrypted and not yet enabled; returns the otpauth URI."""
    if user.totp_enabled:
        raise InvalidInput(_("Two-factor sign-in is already on."))
    secret = security.new_totp_secret()
    user.totp_secret_enc = security.encrypt_secret(secret)
    session.flush()
    return security.totp_uri(secret, user.email, get_settings().hub_name)


def pending_totp_secret(user: User) -> str | None:
    if user.totp_enabled or not user.totp_secret_enc:
        return None
    return security.decrypt_secret(user.totp_secret_enc)


def confirm_totp_enrolment(session: Session, user: User, code: str, *, ip: str | None) -> None:
    secret = pending_totp_secret(user)
    if secret is None:
        raise InvalidInput(_("Start the enrolment again: no pending authenticator secret."))
    step = security.totp_match_step(secret, code, at=time.time(), last_step=None)
    if step is None:
        raise InvalidInput(_("That code is not right. Check your device's clock and enter the "
                             "current 6-digit code."), details={"field": "code"})
    user.totp_enabled = True
    user.totp_last_step = step
    session.flush()
    audit.record(session, actor(user, ip), "totp.enable", target_type="user", target_id=user.id)
    notices.account_changed(session, user, notices.TOTP_ON)


def disable_totp(session: Session, user: User, password: str, *, ip: str | None) -> None:
    """Turn off the authenticator app. Where a second factor is required it may go only
    while a security key remains (``keys``)."""
    rule = second_factor_rule(user)
    if rule is not None and user.security_keys:
        rule = None
    if rule == "role":
        raise InvalidInput(_("Hub administrators must use two-factor sign-in."))
    if rule == "organisation":
        raise InvalidInput(_("Your organisation requires two-factor sign-in."))
    confirm_password(session, user, password, ip=ip, reason="disable-2fa")
    user.totp_enabled = False
    user.totp_secret_enc = None
    user.totp_last_step = None
    session.flush()
    audit.record(session, actor(user, ip), "totp.disable", target_type="user", target_id=user.id)
    notices.account_changed(session, user,
                            notices.TOTP_APP_OFF if user.security_keys else notices.TOTP_OFF)


# ---------------------------------------------------------------- API tokens


def create_token(session: Session, user: User, *, name: str, scope: str = "read",
                 expires_days: int = 90, ip: str | None = None, self_service: bool = False,
                 password: str | None = None) -> tuple[ApiToken, str]:
    """Create a token for the user themself. The secret is returned once, never stored.
    Every token expires (1 to 366 days): a leaked token must not live for ever.

    ``self_service`` is for the web page and the REST API, where a stolen session could
    mint a token: a write token then needs the user's ``password`` again (ASVS 3.7.1),
    and the user gets a security notice. The command line is the operator's."""
    try:
        scope_ = TokenScope(scope)
    except ValueError:
        raise InvalidInput(_("Unknown scope %(value)r; use read or write.") % {"value": scope},
                           details={"field": "scope"}) from None
    if not 1 <= expires_days <= 366:
        raise InvalidInput(_("A token expires after 1 to 366 days."),
                           details={"field": "expires_days"})
    name = clean_text(name, "name", max_len=100)
    # Checked last, so that a mistake in the form does not count as a failed password.
    if self_service and scope_ is TokenScope.WRITE:
        confirm_password(session, user, password, ip=ip, reason="write-token")
    secret = TOKEN_PREFIX + security.new_secret(32)
    token = ApiToken(
        user_id=user.id, name=name, scope=scope_,
        prefix=secret[:12], token_hash=security.sha256_hex(secret),
        expires_at=utcnow() + timedelta(days=expires_days))
    session.add(token)
    session.flush()
    audit.record(session, actor(user, ip), "token.create", target_type="api_token",
                 target_id=token.id, details={"name": token.name, "scope": scope_.value})
    if self_service:
        notices.account_changed(session, user, notices.TOKEN_CREATED, name=token.name,
                                scope=scope_.value)
    return token, secret


def authenticate_token(session: Session, secret: str, *, ip: str | None) -> ApiToken:
    """The live token for a bearer secret; records its use. Raises NotAuthenticated."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
        raise NotAuthenticated(_("The API token is not valid."))
    token = session.scalar(select(ApiToken).where(
        ApiToken.token_hash == security.sha256_hex(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise NotAuthenticated(_("The API token is not valid."))
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated(_("The API token has expired. Create a new one in your profile."))
    # Recorded to the minute: a read-only API call need not write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    if token.last_audited_at is None or now - token.last_audited_at > timedelta(hours=1):
        # Token use is audited at most hourly per token so the log stays readable.
        token.last_audited_at = now
        audit.record(session, actor(token.user, ip), "token.use", target_type="api_token",
                     target_id=token.id)
    return token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
    ).order_by(ApiToken.created_at.desc())))


def warn_expiring_tokens(session: Session, now: datetime | None = None) -> list[ApiToken]:
    """Tell the owner of each live token that expires within a week, once per token, how
    to renew it (ASVS 2.3.3); returns the tokens warned of.

    Revoked and expired tokens are left alone, and so are a deactivated user's (told
    if they are active again while the token is still about to expire)."""
    now = now or utcnow()
    due = session.scalars(
        select(ApiToken).join(User, User.id == ApiToken.user_id).where(
            ApiToken.revoked_at.is_(None), ApiToken.expiry_notified_at.is_(None),
            ApiToken.expires_at > now,
            ApiToken.expires_at <= now + notices.TOKEN_EXPIRY_WARNING,
            User.is_active.is_(True))
        .order_by(ApiToken.expires_at, ApiToken.id)
        .with_for_update(of=ApiToken, skip_locked=True)).all()
    for token in due:
        token.expiry_notified_at = now
        notices.token_expiring(session, token, now)
    session.flush()
    return list(due)


def revoke_token(session: Session, user: User, token_id: uuid.UUID | str, *,
                 ip: str | None) -> None:
    try:
        tid = token_id if isinstance(token_id, uuid.UUID) else uuid.UUID(str(token_id))
    except ValueError:
        raise NotFound() from None
    token = session.get(ApiToken, tid)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound()
    token.revoked_at = utcnow()
    audit.record(session, actor(user, ip), "token.revoke", target_type="api_token",
                 target_id=token.id)


def revoke_other_sessions(session: Session, user_id: uuid.UUID, keep: uuid.UUID | None) -> int:
    """Sign a user out everywhere except the session ``keep`` (after a password change)."""
    query = update(WebSession).where(
        WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(WebSession.id != keep)
    result = session.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
