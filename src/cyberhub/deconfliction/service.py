"""Registering interests, matching them, checking values, renewing and withdrawing.

Only users of law-enforcement organisations may use deconfliction. A value is normalised
with the knowledge base's rules (:func:`cyberhub.intel.normalise.normalise`), so any
spelling of one value gives one digest; the value itself is dropped once its digest is
made, and is never written anywhere — not to the database, the audit log, a job, a
notification or a log line.

Registrations are private to their registrant: nobody else can list, read, renew or
withdraw them (404, as for a record that does not exist). When two registrations of
different organisations share a digest, both registrants are told — by a subject-less
event naming them alone — the other's organisation and point of contact. Nothing about
the other's case, and nothing about the value beyond its kind, which each registered
themself.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import String, any_, bindparam, column, delete, func, select
from sqlalchemy.orm import Session, aliased

from cyberhub import access, audit, events
from cyberhub.access import Viewer
from cyberhub.community.models import Organisation, OrgKind, User
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.deconfliction import keys, network, ratelimit
from cyberhub.deconfliction.models import Hit, Registration, RemoteHit
from cyberhub.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.intel import normalise as norm

KINDS: Final = tuple(norm.KINDS)
MAX_CASE_REFERENCE: Final = 200
MAX_CONTACT: Final = 500
MAX_CHECK: Final = 1000  # values per check request
HIT_KIND: Final = "deconfliction.hit"
_CHUNK_SQLITE: Final = 1000  # a check request at most: one statement (SQLite allows 32,766)
_CHUNK_PG: Final = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# ---------------------------------------------------------------- who may

def _law_enforcement_user(session: Session, viewer: Viewer) -> User:
    if viewer.user_id is None:
        raise NotAuthenticated(_("Sign in first."))
    user = session.get(User, viewer.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated(_("Sign in first."))
    if user.organisation.kind != OrgKind.LAW_ENFORCEMENT:
        raise PermissionDenied(_("Deconfliction is for law-enforcement organisations only."))
    return user


def may_use(session: Session, viewer: Viewer) -> bool:
    try:
        _law_enforcement_user(session, viewer)
    except (NotAuthenticated, PermissionDenied):
        return False
    return True


# ---------------------------------------------------------------- values

_HINTS: Final[dict[str, Callable[[], str]]] = {
    "ipv4": lambda: _("an IPv4 address such as 192.0.2.1 (no leading zeros)"),
    "ipv6": lambda: _("an IPv6 address such as 2001:db8::1"),
    "domain": lambda: _("a domain name such as example.com"),
    "url": lambda: _("a URL with scheme and host, such as https://example.com/login"),
    "email": lambda: _("an e-mail address such as name@example.com"),
    "iban": lambda: _("an IBAN with valid country code, length and check digits"),
    "bic": lambda: _("a BIC of 8 or 11 characters"),
    "bank-account": lambda: _("a national account number as CC:NUMBER, e.g. GB:12345678"),
    "phone": lambda: _("a phone number in international form (+44 20 7946 0958), or name "
                       "its country in region"),
    "wallet": lambda: _("a wallet address as chain:address (btc:bc1…, eth:0x…), or name "
                        "the chain"),
    "social": lambda: _("a social account as platform:handle or a profile URL "
                        "(telegram:@name, https://t.me/name), or name the platform"),
    "mac": lambda: _("a MAC address such as 00:1a:2b:3c:4d:5e"),
    "asn": lambda: _("an AS number such as AS13335"),
}


@dataclass(frozen=True)
class Value:
    """One value to register or check, as submitted (never stored)."""

    kind: str
    value: str
    region: str | None = None
    chain: str | None = None
    platform: str | None = None


def normalised(item: Value, field: str = "value") -> tuple[str, str]:
    """The (kind, normal form) of a submitted value, or InvalidInput naming what is
    wrong (the message never repeats the value)."""
    kind = (item.kind or "").strip().lower()
    if kind not in norm.KINDS:
        raise InvalidInput(_("Unknown kind; use one of: %(kinds)s.") % {
            "kinds": ", ".join(KINDS)}, details={"field": "kind"})
    if not isinstance(item.value, str) or not item.value.strip():
        raise InvalidInput(_("Give the value to register."), details={"field": field})
    if kind == "phone" and item.region is not None and not re.fullmatch(
            r"[A-Za-z]{2}", item.region.strip()):
        raise InvalidInput(_("region is a two-letter country code (ISO 3166), e.g. GB."),
                           details={"field": "region"})
    value = norm.normalise(kind, item.value,
                           region=item.region.strip().upper() if item.region else None,
                           chain=item.chain.strip().lower() if item.chain else None,
                           platform=item.platform.strip().lower() if item.platform else None)
    if value is None:
        if kind in norm.HASH_KINDS:
            digits = norm.HASH_KINDS[kind]
            hint = ngettext("%(n)d hexadecimal digit", "%(n)d hexadecimal digits", digits) % {
                "n": digits}
        else:
            hint = _HINTS[kind]() if kind in _HINTS else _("a non-empty value")
        raise InvalidInput(_("The value is not valid for the kind %(kind)s: give %(hint)s.") % {
            "kind": kind, "hint": hint}, details={"field": field, "kind": kind})
    return kind, value


def _text(raw: str, field: str, limit: int, label: str) -> str:
    text = " ".join((raw or "").split())
    if not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label},
                           details={"field": field})
    if len(text) > limit:
        raise InvalidInput(_("%(label)s is at most %(n)d characters.") % {
            "label": label, "n": limit}, details={"field": field})
    if _CONTROL.search(text):
        raise InvalidInput(_("%(label)s contains control characters.") % {"label": label},
                           details={"field": field})
    return text


def _not_inside(text: str, item: Value, value: str, field: str, label: str) -> None:
    """The value must not ride along in the free text (it would be stored, and the
    point of contact is shown to the other party)."""
    folded = text.casefold()
    spellings = {value, item.value.strip()} | (
        {value.split(":", 1)[1]} if item.kind in ("wallet", "social", "bank-account")
        and ":" in value else set())
    for s in spellings:
        if len(s) >= 4 and s.casefold() in folded:
            raise InvalidInput(_("%(label)s must not contain the registered value: the hub "
                                 "never stores it.") % {"label": label},
                               details={"field": field})


def _digests(kind: str, value: str) -> tuple[bytes, str]:
    key = keys.hub_key()
    return keys.digest(key, kind, value), keys.key_id(key)


# ---------------------------------------------------------------- matching

# ARRAY(SELECT decode(h, 'hex') FROM unnest(string_to_array(:digests, ',')) AS h)
_PG_DIGESTS: Final = func.array(
    select(func.decode(column("h"), "hex"))
    .select_from(func.unnest(func.string_to_array(bindparam("digests", type_=String), ","))
                 .alias("h"))
    .scalar_subquery())


def matching_digests(session: Session, digests: Sequence[bytes], *, key_id: str,
                     now: datetime, exclude_org: uuid.UUID | None = None) -> set[bytes]:
    """Which of ``digests`` an active registration (of another organisation than
    ``exclude_org``) holds under the key ``key_id``: the check's core. PostgreSQL gets
    the digests as one array (``= ANY``), SQLite in chunks of ``IN (…)``."""
    found: set[bytes] = set()
    wanted = sorted(set(digests))
    postgresql = session.get_bind().dialect.name == "postgresql"
    size = _CHUNK_PG if postgresql else _CHUNK_SQLITE
    # One statement, compiled once and cached: the digests are its parameter, never
    # literals in its text. PostgreSQL gets them as ONE comma-separated hex string, split
    # and decoded by the server: psycopg dumps a bytea[] element by element in Python,
    # which cost more than the look-up itself (bench/bench_deconfliction.py).
    match = (Registration.digest == any_(_PG_DIGESTS) if postgresql
             else Registration.digest.in_(bindparam("digests", expanding=True)))
    query = select(Registration.digest).where(
        match, Registration.key_id == key_id, Registration.expires_at > now)
    if exclude_org is not None:
        query = query.where(Registration.org_id != exclude_org)
    query = query.distinct()
    for start in range(0, len(wanted), size):
        chunk = wanted[start:start + size]
        found.update(session.scalars(query, {"digests": ",".join(d.hex() for d in chunk)
                                             if postgresql else chunk}))
    return found


def _serialise(session: Session, digest: bytes) -> None:
    """Two agencies registering one value at the same moment must still meet. On
    PostgreSQL a transaction-scoped advisory lock per digest makes the second wait until
    the first commits, so its match sees the first's registration; SQLite has one
    writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(
            int.from_bytes(digest[:8], "big", signed=True))))


def _match(session: Session, reg: Registration, now: datetime) -> list[Hit]:
    """Record and announce the hits of ``reg`` with other organisations' active
    registrations that are not yet recorded."""
    _serialise(session, reg.digest)
    others = list(session.scalars(select(Registration).where(
        Registration.digest == reg.digest, Registration.key_id == reg.key_id,
        Registration.expires_at > now, Registration.org_id != reg.org_id,
        Registration.id != reg.id).order_by(Registration.created_at, Registration.id)))
    new: list[Hit] = []
    for other in others:
        first, second = sorted((reg, other), key=lambda r: (r.created_at, str(r.id)))
        exists = session.scalar(select(Hit.id).where(
            Hit.first_id == first.id, Hit.second_id == second.id))
        if exists is not None:
            continue
        hit = Hit(first_id=first.id, second_id=second.id, created_at=now,
                  is_demo=reg.is_demo and other.is_demo)
        session.add(hit)
        session.flush()
        new.append(hit)
        _announce(session, hit, reg, other)
        _announce(session, hit, other, reg)
    return new


def _announce(session: Session, hit: Hit, mine: Registration, theirs: Registration) -> None:
    """Tell the registrant of ``mine`` whom to call: the other's organisation and point
    of contact, with the recipient's own case reference — nothing else."""
    org = session.get(Organisation, theirs.org_id)
    org_name = org.name if org else "?"
    events.publish(session, events.Event(
        kind=HIT_KIND,
        title=_("Deconfliction: another organisation has registered the same value (kind "
                "%(kind)s)") % {
            "kind": mine.kind},
        summary=_("Your case %(case)s. Other party: %(org)s. Point of contact: %(contact)s.")
        % {"case": mine.case_reference, "org": org_name, "contact": theirs.contact},
        url=f"/deconfliction/hits#hit-{hit.id}",
        # No subject: the publisher names the one recipient itself, so neither watchers
        # nor an organisation's webhook ever hear of it.
        recipients=frozenset({mine.user_id})))


# ---------------------------------------------------------------- registering

def _announce_after_commit(session: Session) -> None:
    """Partner hubs hear of a new or renewed registration right away (the worker also
    announces every minute, which retries what failed)."""
    from cyberhub import jobs

    jobs.enqueue_after_commit(session, jobs.announce_deconfliction)


@dataclass
class Registered:
    registration: Registration
    hits: list[HitView]


def register(session: Session, viewer: Viewer, item: Value, *, case_reference: str,
             contact: str, now: datetime | None = None, is_demo: bool = False,
             rate_limited: bool = True) -> Registered:
    user = _law_enforcement_user(session, viewer)
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not register interests. Ask your "
                                 "organisation's admin for the analyst role."))
    kind, value = normalised(item)
    case = _text(case_reference, "case_reference", MAX_CASE_REFERENCE, _("The case reference"))
    poc = _text(contact, "contact", MAX_CONTACT, _("The point of contact"))
    _not_inside(case, item, value, "case_reference", _("The case reference"))
    _not_inside(poc, item, value, "contact", _("The point of contact"))
    if rate_limited:
        ratelimit.take(session, f"user:{user.id}", 1)
    now = now or utcnow()
    digest, key_id = _digests(kind, value)
    reg = Registration(digest=digest, key_id=key_id, kind=kind, org_id=user.org_id,
                       user_id=user.id, case_reference=case, contact=poc, created_at=now,
                       expires_at=now + timedelta(days=get_settings().deconfliction_days),
                       is_demo=is_demo)
    session.add(reg)
    session.flush()
    if network.keep_digests(session, reg, kind, value):
        _announce_after_commit(session)
    del value  # nothing below needs it
    hits = _match(session, reg, now)
    audit.record(session, viewer.actor, "deconfliction.register",
                 target_type="deconfliction_registrations", target_id=reg.id,
                 details={"kind": kind, "hits": len(hits)})
    session.flush()
    return Registered(reg, [v for v in hits_of(session, viewer, now=now)
                            if v.hit_id in {h.id for h in hits}])


def _own(session: Session, viewer: Viewer, registration_id: uuid.UUID | str) -> Registration:
    user = _law_enforcement_user(session, viewer)
    try:
        rid = uuid.UUID(str(registration_id))
    except ValueError:
        raise NotFound() from None
    reg = session.get(Registration, rid)
    if reg is None or reg.user_id != user.id:
        raise NotFound()
    return reg


def get(session: Session, viewer: Viewer, registration_id: uuid.UUID | str) -> Registration:
    return _own(session, viewer, registration_id)


def is_stale(reg: Registration) -> bool:
    """Made under an earlier hub key: it can no longer match."""
    return reg.key_id != keys.key_id(keys.hub_key())


def renew(session: Session, viewer: Viewer, registration_id: uuid.UUID | str, *,
          now: datetime | None = None) -> Registered:
    """Run the registration for another full period from now (an expired one too), and
    match it again: what was registered meanwhile is a hit now."""
    reg = _own(session, viewer, registration_id)
    if is_stale(reg):
        raise Conflict(_("This registration was made under an earlier hub key and can no "
                         "longer match; withdraw it and register the value again."))
    now = now or utcnow()
    reg.expires_at = now + timedelta(days=get_settings().deconfliction_days)
    reg.renewed_at = now
    session.flush()
    hits = _match(session, reg, now)
    _announce_after_commit(session)
    audit.record(session, viewer.actor, "deconfliction.renew",
                 target_type="deconfliction_registrations", target_id=reg.id,
                 details={"kind": reg.kind, "hits": len(hits)})
    ids = {h.id for h in hits}
    return Registered(reg, [v for v in hits_of(session, viewer, now=now) if v.hit_id in ids])


def withdraw(session: Session, viewer: Viewer, registration_id: uuid.UUID | str) -> None:
    reg = _own(session, viewer, registration_id)
    audit.record(session, viewer.actor, "deconfliction.withdraw",
                 target_type="deconfliction_registrations", target_id=reg.id,
                 details={"kind": reg.kind})
    session.delete(reg)
    session.flush()


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete the registrations expired more than ``deconfliction_purge_days`` ago, with
    their hits and partner digests (the database cascades); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=get_settings().deconfliction_purge_days)
    gone = session.execute(delete(Registration).where(Registration.expires_at <= cutoff)
                           .execution_options(synchronize_session=False))
    count = int(gone.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(session, audit.SYSTEM, "deconfliction.purge",
                     target_type="deconfliction_registrations",
                     details={"registrations": count, "expired_before": cutoff.isoformat()})
    return count


def mine(session: Session, viewer: Viewer) -> list[Registration]:
    user = _law_enforcement_user(session, viewer)
    return list(session.scalars(select(Registration).where(Registration.user_id == user.id)
                                .order_by(Registration.expires_at.desc(), Registration.id)))


def hit_counts(session: Session, registration_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = list(registration_ids)
    out = dict.fromkeys(ids, 0)
    if not ids:
        return out
    for first, second in session.execute(select(Hit.first_id, Hit.second_id).where(
            Hit.first_id.in_(ids) | Hit.second_id.in_(ids))):
        for rid in (first, second):
            if rid in out:
                out[rid] += 1
    return out


# ---------------------------------------------------------------- hits

@dataclass(frozen=True)
class HitView:
    """A hit as one party sees it: its own registration, the other's pointer."""

    hit_id: uuid.UUID
    created_at: datetime
    registration_id: uuid.UUID
    kind: str
    case_reference: str  # the viewer's own
    other_organisation: str
    other_contact: str
    other_active: bool
    is_demo: bool
    partner_hub: str | None = None  # set when the other party is on a partner hub


def hits_of(session: Session, viewer: Viewer, *, now: datetime | None = None) -> list[HitView]:
    user = _law_enforcement_user(session, viewer)
    now = now or utcnow()
    own, other = aliased(Registration), aliased(Registration)
    out: list[HitView] = []
    for hit, mine_reg, theirs, org_name in session.execute(
            select(Hit, own, other, Organisation.name)
            .join(own, (own.id == Hit.first_id) | (own.id == Hit.second_id))
            .join(other, (other.id == Hit.first_id) | (other.id == Hit.second_id))
            .join(Organisation, Organisation.id == other.org_id)
            .where(own.user_id == user.id, other.id != own.id)
            .order_by(Hit.created_at.desc(), Hit.id)):
        out.append(HitView(hit.id, hit.created_at, mine_reg.id, mine_reg.kind,
                           mine_reg.case_reference, org_name, theirs.contact,
                           theirs.expires_at > now, hit.is_demo))
    from cyberhub.federation.models import Peer

    for remote, mine_reg, hub in session.execute(
            select(RemoteHit, Registration, Peer.name)
            .join(Registration, Registration.id == RemoteHit.registration_id)
            .join(Peer, Peer.id == RemoteHit.peer_id)
            .where(Registration.user_id == user.id)):
        out.append(HitView(remote.id, remote.created_at, mine_reg.id, mine_reg.kind,
                           mine_reg.case_reference, remote.organisation, remote.contact,
                           remote.other_expires_at is None or remote.other_expires_at > now,
                           mine_reg.is_demo, partner_hub=hub))
    out.sort(key=lambda v: v.created_at, reverse=True)
    return out


# ---------------------------------------------------------------- checking

def check(session: Session, viewer: Viewer, items: Sequence[Value], *,
          now: datetime | None = None) -> list[bool]:
    """For each value: does another organisation hold an active registration of it?
    Nobody is told of the question (register to exchange points of contact)."""
    user = _law_enforcement_user(session, viewer)
    if not items:
        raise InvalidInput(_("Give at least one value to check."), details={"field": "values"})
    if len(items) > MAX_CHECK:
        raise InvalidInput(_("Check at most %(n)d values at a time.") % {"n": MAX_CHECK},
                           details={"field": "values"})
    pairs = []
    for i, item in enumerate(items):
        pairs.append(normalised(item, f"values[{i}].value"))
    ratelimit.take(session, f"user:{user.id}", len(items))
    key = keys.hub_key()
    digests = keys.digests(key, pairs)
    del pairs
    found = matching_digests(session, digests, key_id=keys.key_id(key), now=now or utcnow(),
                             exclude_org=user.org_id)
    answer = [d in found for d in digests]
    audit.record(session, viewer.actor, "deconfliction.check",
                 details={"values": len(items), "registered_elsewhere": sum(answer)})
    return answer
