"""Security keys and passkeys (WebAuthn) as a second factor (ASVS 2.3.2).

A member registers one or more FIDO2 authenticators on the profile's two-step page; after
the password, the sign-in's second step asks one of them to sign a challenge. The hub
keeps each credential's public key, never a secret: a copy of the database signs nobody
in. Keys are a second factor only, never a way to sign in without the password
(docs/decisions/0023-security-keys.md).

Each ceremony's challenge is random, issued to one web session (the full one that adds a
key, the half-open one that signs in with it), single-use and valid for five minutes. The
origin the browser must report is the hub's own (``CYBERHUB_PUBLIC_URL`` when set, else
the address the request came to), and the relying party id is its host name.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from cyberhub import audit
from cyberhub.community import auth, notices
from cyberhub.community.models import SecurityKey, User, WebSession
from cyberhub.community.validation import clean_text
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _, ngettext

log = logging.getLogger(__name__)

# A challenge answers within this time, once.
CHALLENGE_TTL = timedelta(minutes=5)
REGISTER = "register"
AUTHENTICATE = "authenticate"
# What the browser's answer may weigh: a real one is a few hundred bytes (an attestation
# with certificates a few kilobytes); anything larger is refused unread.
MAX_RESPONSE_CHARS = 32_768
# Keys one member may register: enough for a spare at home and one in the safe.
MAX_KEYS = 10
# Authenticators report their counter in 32 bits.
_MAX_SIGN_COUNT = 2**32 - 1


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser must believe it is talking to."""

    id: str  # the host name, e.g. hub.example.org
    origin: str  # scheme://host[:port], as the browser reports it
    name: str


def relying_party(request_origin: str) -> RelyingParty:
    """The hub as a WebAuthn relying party: its public address when one is set
    (``CYBERHUB_PUBLIC_URL``), otherwise ``request_origin``, the address the request came
    to. Browsers refuse an IP address as a relying party, so that is refused here first,
    with what to do instead."""
    s = get_settings()
    try:
        parts = urlsplit(s.public_url.strip() or request_origin)
        scheme, host, port = parts.scheme, parts.hostname or "", parts.port
    except ValueError:  # a bad port or IPv6 bracket, in a Host header or the setting
        scheme, host, port = "", "", None
    if scheme not in ("http", "https") or not host:
        raise InvalidInput(_("Security keys need the hub's address: ask the hub's operators "
                             "to set CYBERHUB_PUBLIC_URL."))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise InvalidInput(_("Security keys work only when the hub is opened by its name, not "
                             "by an IP address (for example http://localhost:8000 rather than "
                             "http://127.0.0.1:8000). Open the hub by its name and try again."))
    default_port = {"http": 80, "https": 443}[scheme]
    origin = f"{scheme}://{host}" + (f":{port}" if port and port != default_port else "")
    return RelyingParty(id=host, origin=origin, name=s.hub_name)


# ---------------------------------------------------------------- challenges


def _issue(ws: WebSession, purpose: str) -> bytes:
    challenge = secrets.token_bytes(32)
    ws.webauthn_challenge = challenge
    ws.webauthn_purpose = purpose
    ws.webauthn_issued_at = utcnow()
    return challenge


def _take(session: Session, ws: WebSession, purpose: str) -> bytes | None:
    """The challenge issued to ``ws`` for ``purpose``, consumed: None when there is none,
    it was for something else, or it has expired. Either way none is left pending.

    Consumed by a conditional update, so that of two answers sent at once to the same
    challenge only one finds it (the other waits for the row, then finds it gone)."""
    challenge, issued_for, issued_at = (ws.webauthn_challenge, ws.webauthn_purpose,
                                        ws.webauthn_issued_at)
    if challenge is None:
        return None
    taken = session.execute(
        update(WebSession).where(WebSession.id == ws.id,
                                 WebSession.webauthn_challenge == challenge)
        .values(webauthn_challenge=None, webauthn_purpose=None, webauthn_issued_at=None)
        .execution_options(synchronize_session="fetch"))
    if int(getattr(taken, "rowcount", 0) or 0) != 1:
        return None
    if issued_for != purpose or issued_at is None:
        return None
    if utcnow() - issued_at > CHALLENGE_TTL:
        return None
    return challenge


def _expired_message() -> str:
    return _("The security key request has expired or was already answered. Try again: "
             "each request is good for one answer within 5 minutes.")


def _parse_json(text: str) -> dict[str, Any]:
    """The browser's answer (``PublicKeyCredential.toJSON()``) as a JSON object."""
    if not text or not text.strip():
        raise InvalidInput(_("Your browser sent no answer from a security key. Use a browser "
                             "that supports security keys and passkeys, with JavaScript on."),
                           details={"field": "credential"})
    if len(text) > MAX_RESPONSE_CHARS:
        raise InvalidInput(_("The security key's answer is too large (over %(n)d characters); "
                             "it cannot be one a browser sent.") % {"n": MAX_RESPONSE_CHARS},
                           details={"field": "credential"})
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        value = None
    if not isinstance(value, dict):
        raise InvalidInput(_("The security key's answer is not valid JSON. Try again."),
                           details={"field": "credential"})
    return value


def _refusal(exc: Exception) -> None:
    """An answer the library would not verify. It is the browser's (or an attacker's) to
    the last byte: py_webauthn raises its own errors for what it checks, and the parsers
    beneath it (CBOR, COSE, ASN.1, X.509 of an attestation) raise theirs; every one of
    them is a refusal of the answer, never a fault of the hub."""
    if not isinstance(exc, WebAuthnException):
        log.info("security key answer refused by %s", type(exc).__name__)


def _transports(values: Any) -> list[str]:
    known = {t.value for t in AuthenticatorTransport}
    if not isinstance(values, list):
        return []
    return sorted({v for v in values if isinstance(v, str) and v in known})


def _descriptors(keys: list[SecurityKey]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(
        id=k.credential_id, transports=[AuthenticatorTransport(t) for t in k.transports or []
                                        if t in {m.value for m in AuthenticatorTransport}])
        for k in keys]


# ---------------------------------------------------------------- registration


def list_keys(session: Session, user: User) -> list[SecurityKey]:
    return list(session.scalars(select(SecurityKey).where(SecurityKey.user_id == user.id)
                                .order_by(SecurityKey.created_at, SecurityKey.id)))


def _clean_name(name: str) -> str:
    return clean_text(name, "name", max_len=100)


def registration_options(session: Session, user: User, ws: WebSession, rp: RelyingParty, *,
                         name: str) -> str:
    """Options for ``navigator.credentials.create()`` (JSON), with a fresh challenge kept
    on the user's session. ``name`` is checked now, so a mistake in it is said before
    the key is touched."""
    _clean_name(name)
    keys = list_keys(session, user)
    if len(keys) >= MAX_KEYS:
        raise InvalidInput(ngettext(
            "You have %(n)d security key, the most an account may have. Remove it first.",
            "You have %(n)d security keys, the most an account may have. Remove one you no "
            "longer use first.", MAX_KEYS) % {"n": MAX_KEYS})
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=user.id.bytes, user_name=user.email,
        user_display_name=user.display_name or user.email, challenge=_issue(ws, REGISTER),
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=_descriptors(keys))
    session.flush()
    return options_to_json(options)


def register_key(session: Session, user: User, ws: WebSession, rp: RelyingParty, *,
                 name: str, credential: str, ip: str | None) -> SecurityKey:
    """Verify the browser's answer to :func:`registration_options` and keep the key.

    Bad input stores nothing; the challenge is used up all the same (``keep_changes``:
    it cannot be tried again)."""
    name = _clean_name(name)
    # Any answer uses up the pending challenge, whatever becomes of it.
    challenge = _take(session, ws, REGISTER)
    try:
        data = _parse_json(credential)
    except InvalidInput as exc:
        exc.keep_changes = True
        raise
    if challenge is None:
        raise InvalidInput(_expired_message(), details={"field": "credential"},
                           keep_changes=True)
    try:
        parsed = parse_registration_credential_json(data)
        verified = verify_registration_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin)
        # The key must be one a signature can be checked with (the "none" attestation
        # says nothing of it): a point on its curve, a modulus, …
        decoded_public_key_to_cryptography(
            decode_credential_public_key(verified.credential_public_key))
    except Exception as exc:  # any parser's error: see _refusal
        _refusal(exc)
        raise InvalidInput(_("The security key's answer could not be verified, so no key was "
                             "added. Try again."), details={"field": "credential"},
                           keep_changes=True) from None
    if session.scalar(select(SecurityKey.id).where(
            SecurityKey.credential_id == verified.credential_id)) is not None:
        raise InvalidInput(_("This security key is already registered."),
                           details={"field": "credential"}, keep_changes=True)
    key = SecurityKey(
        user_id=user.id, credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=min(verified.sign_count, _MAX_SIGN_COUNT),
        transports=_transports([t.value for t in parsed.response.transports or []]),
        name=name)
    session.add(key)
    session.flush()
    session.expire(user, ["security_keys"])
    audit.record(session, auth.actor(user, ip), "security_key.add", target_type="security_key",
                 target_id=key.id, details={"name": key.name})
    notices.account_changed(session, user, notices.KEY_ADDED, name=key.name)
    return key


def remove_key(session: Session, user: User, key_id: uuid.UUID | str, password: str | None, *,
               ip: str | None) -> None:
    """Remove one of the user's keys once the password is given again (ASVS 3.7.1). The
    last second factor of a member who must use one is kept."""
    key = get_key(session, user, key_id)
    others = [k for k in list_keys(session, user) if k.id != key.id]
    rule = auth.second_factor_rule(user)
    if rule is not None and not user.totp_enabled and not others:
        if rule == "role":
            raise InvalidInput(_("Hub administrators must use two-factor sign-in, and this is "
                                 "your last second factor. Add another security key or an "
                                 "authenticator app before removing it."))
        raise InvalidInput(_("Your organisation requires two-factor sign-in, and this is your "
                             "last second factor. Add another security key or an "
                             "authenticator app before removing it."))
    auth.confirm_password(session, user, password, ip=ip, reason="remove-security-key")
    name = key.name
    session.delete(key)
    session.flush()
    session.expire(user, ["security_keys"])
    audit.record(session, auth.actor(user, ip), "security_key.remove",
                 target_type="security_key", target_id=key.id, details={"name": name})
    notices.account_changed(session, user, notices.KEY_REMOVED, name=name)


def get_key(session: Session, user: User, key_id: uuid.UUID | str) -> SecurityKey:
    """One of the user's own keys; another's answers as a missing one."""
    try:
        kid = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id))
    except ValueError:
        raise NotFound() from None
    key = session.get(SecurityKey, kid)
    if key is None or key.user_id != user.id:
        raise NotFound()
    return key


# ---------------------------------------------------------------- sign-in


def _half_open_user(ws: WebSession) -> User:
    if ws.fully_authenticated or ws.revoked_at is not None:
        raise InvalidInput(_("You are already signed in."))
    return ws.user


def authentication_options(session: Session, ws: WebSession, rp: RelyingParty, *,
                           ip: str | None) -> str:
    """Options for ``navigator.credentials.get()`` (JSON) for the half-open session
    ``ws``: the user's keys, a fresh challenge kept on the session."""
    user = _half_open_user(ws)
    auth.check_throttle(session, user.email, ip)
    keys = list_keys(session, user)
    if not keys:
        raise InvalidInput(_("No security key is registered to your account. Use the code "
                             "from your authenticator app."))
    options = generate_authentication_options(
        rp_id=rp.id, challenge=_issue(ws, AUTHENTICATE),
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000), allow_credentials=_descriptors(keys),
        user_verification=UserVerificationRequirement.PREFERRED)
    session.flush()
    return options_to_json(options)


def _not_verified() -> str:
    return _("Your security key could not be verified. Try again with a key registered to "
             "your account, or use another way to sign in.")


def complete_with_key(session: Session, ws: WebSession, rp: RelyingParty, credential: str, *,
                      ip: str | None) -> str:
    """Check the browser's answer to :func:`authentication_options` for the half-open
    session ``ws`` and rotate it into a full one, as :func:`auth.complete_second_factor`
    does for a code. Every refusal is counted as a failed sign-in and audited."""
    user = _half_open_user(ws)
    auth.check_throttle(session, user.email, ip)
    # Any answer uses up the pending challenge, whatever becomes of it.
    challenge = _take(session, ws, AUTHENTICATE)
    try:
        data = _parse_json(credential)
    except InvalidInput as exc:
        auth.record_failure(session, user.email, ip, "key-malformed")
        exc.keep_changes = True
        raise
    if challenge is None:
        auth.record_failure(session, user.email, ip, "key-challenge")
        raise InvalidInput(_expired_message(), details={"field": "credential"},
                           keep_changes=True)
    try:
        parsed = parse_authentication_credential_json(data)
    except Exception as exc:  # any parser's error: see _refusal
        _refusal(exc)
        parsed = None
    key = None if parsed is None else session.scalar(
        select(SecurityKey).where(SecurityKey.credential_id == parsed.raw_id))
    if parsed is None or key is None or key.user_id != user.id:
        # Unknown, or another member's: refused alike.
        auth.record_failure(session, user.email, ip, "key-unknown")
        raise InvalidInput(_not_verified(), details={"field": "credential"}, keep_changes=True)
    try:
        # The counter is checked below, once the signature is known to be the key's own.
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=key.public_key,
            credential_current_sign_count=0, require_user_verification=False)
    except Exception as exc:  # any parser's error: see _refusal
        _refusal(exc)
        auth.record_failure(session, user.email, ip, "key")
        raise InvalidInput(_not_verified(), details={"field": "credential"},
                           keep_changes=True) from None
    reported = verified.new_sign_count
    if (reported or key.sign_count) and reported <= key.sign_count:
        # A genuine signature with a counter that did not move on: two authenticators may
        # hold the same private key (a cloned key). Refused, audited, the owner told.
        auth.record_failure(session, user.email, ip, "key-clone")
        audit.record(session, auth.actor(user, ip), "security_key.clone_warning",
                     target_type="security_key", target_id=key.id,
                     details={"name": key.name, "stored_count": key.sign_count,
                              "reported_count": reported})
        notices.account_changed(session, user, notices.KEY_CLONED, name=key.name)
        raise InvalidInput(_("Your security key's signature counter went backwards, a sign "
                             "that the key may have been copied, so it was refused. Use "
                             "another way to sign in and tell your organisation's "
                             "administrator."), details={"field": "credential"},
                           keep_changes=True)
    key.sign_count = min(reported, _MAX_SIGN_COUNT)
    key.last_used_at = utcnow()
    token = auth.open_full_session(session, ws, ip=ip)
    audit.record(session, auth.actor(user, ip), "signin.security_key",
                 target_type="security_key", target_id=key.id, details={"name": key.name})
    return token

