"""Cross-hub matching on keyed digests: "partner hub X also holds this value; call its
point of contact" — without the value crossing.

Two partner hubs agree on a matching key (out of band; kept encrypted in ``Peer``). Each
hub keeps, per partner, the digests of the values it *offers*: normalised values
(:mod:`cyberhub.intel.normalise`) carried by records marked TLP:CLEAR, GREEN or AMBER and
not PAP:RED — AMBER+STRICT and RED are never offered, not even as a digest. A digest is
HMAC-SHA-256(key, kind NUL value), first 16 bytes.

An analyst's question goes to each partner as digests only; the partner answers which
of them it holds. The holder never hands out its digest set (with the key, a set could be
brute-forced for low-entropy values such as IPv4 addresses); it answers questions, at
most :attr:`Settings.match_daily_limit` digests per partner per day (429 past it), and
audits each. See docs/federation.md for the threat model.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import httpx2
import orjson
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from cyberhub import access, audit, keyring
from cyberhub.access import Viewer
from cyberhub.config import get_settings
from cyberhub.db import Database, utcnow
from cyberhub.deconfliction.keys import DIGEST_BYTES, digests
from cyberhub.errors import InvalidInput, PermissionDenied, TooManyRequests
from cyberhub.federation import peers, wire
from cyberhub.federation.models import MatchDigest, Peer
from cyberhub.i18n import _, ngettext
from cyberhub.intel import bulk
from cyberhub.intel.models import ObservableValue, StixObject
from cyberhub.keyring import MacKey
from cyberhub.sharing import PAP, TLP

MAX_DIGESTS: Final = 1000  # per question
OFFERED_TLPS: Final = (TLP.CLEAR, TLP.GREEN, TLP.AMBER)
WINDOW: Final = timedelta(days=1)
_CHUNK: Final = 5000


def partner_key(peer: Peer) -> MacKey | None:
    """The matching key agreed with ``peer`` (used sealed: see cyberhub.keyring)."""
    if not peer.match_key:
        return None
    return keyring.sealed(peer.match_key)


# ------------------------------------------------------------------ the holder's index

def rebuild_index(database: Database, peer_id: uuid.UUID) -> int:
    """Recompute the digests of every offered value under the partner's key."""
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return 0
        key = partner_key(peer)
        session.execute(delete(MatchDigest).where(MatchDigest.peer_id == peer_id))
        if key is None:
            peer.match_indexed_at = None
            return 0
        # Offered to this partner: what may leave to it (so never AMBER+STRICT or RED,
        # GREEN only when it is trusted for GREEN, AMBER only when named, never what it
        # sent us), and not PAP:RED.
        offered = (select(ObservableValue.kind, ObservableValue.value).distinct()
                   .join(StixObject, StixObject.id == ObservableValue.object_id)
                   .where(access.may_leave_to(StixObject, peers.rule(session, peer)),
                          or_(StixObject.pap.is_(None), StixObject.pap != PAP.RED)))
        count = 0
        pairs: list[tuple[str, str]] = []
        for kind, value in session.execute(offered):
            pairs.append((kind, value))
            if len(pairs) >= _CHUNK:
                count += _write(session, [(peer_id, d) for d in digests(key, pairs)])
                pairs = []
        count += _write(session, [(peer_id, d) for d in digests(key, pairs)])
        peer.match_indexed_at = utcnow()
        return count


def _write(session: Session, rows: list[tuple[Any, ...]]) -> int:
    if rows:
        bulk.insert_rows(session, MatchDigest.__table__,  # type: ignore[arg-type]
                         ("peer_id", "digest"), rows)
    return len(rows)


# ------------------------------------------------------------------ answering a partner

def _parse(body: Any) -> tuple[str, list[bytes]]:
    if not isinstance(body, dict) or not isinstance(body.get("digests"), list):
        raise InvalidInput(_("Send {\"key_id\": …, \"digests\": [hex, …]}."))
    found = body["digests"]
    if len(found) > MAX_DIGESTS:
        raise InvalidInput(_("Ask about at most %(n)d digests at a time.") % {"n": MAX_DIGESTS})
    parsed: list[bytes] = []
    for item in found:
        try:
            raw = bytes.fromhex(item) if isinstance(item, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != DIGEST_BYTES:
            raise InvalidInput(_("Each digest is %(n)d bytes in hex.") % {"n": DIGEST_BYTES})
        parsed.append(raw)
    return str(body.get("key_id", "")), parsed


def _asked_too_much(limit: int) -> str:
    return ngettext("This partner asked about %(n)d value today, the most this hub answers; "
                    "ask again later.",
                    "This partner asked about %(n)d values today, the most this hub answers; "
                    "ask again later.", limit) % {"n": limit}


def asking_partner(session: Session, viewer: Viewer) -> tuple[Peer, MacKey]:
    """The partner hub whose client asks, and the key agreed with it; PermissionDenied
    for anyone else."""
    peer = peers.partner_for(session, viewer.org_id)
    key = partner_key(peer) if peer is not None and peer.enabled else None
    if peer is None or key is None:
        raise PermissionDenied(_("Only a partner hub with an agreed matching key may ask."))
    return peer, key


def require_agreed_key(peer: Peer, key_id: str) -> None:
    if not hmac.compare_digest(key_id.encode(), peer.match_key_id.encode()):
        raise PermissionDenied(_("That is not the matching key agreed with this hub."))


def take_allowance(session: Session, viewer: Viewer, peer: Peer, asked: int) -> None:
    """Count ``asked`` digests against the partner's daily allowance (shared by every
    kind of question a partner asks), or TooManyRequests."""
    now = utcnow()
    if peer.match_window_start is None or now - peer.match_window_start >= WINDOW:
        peer.match_window_start, peer.match_window_count = now, 0
    limit = get_settings().match_daily_limit
    if peer.match_window_count + asked > limit:
        retry = int((peer.match_window_start + WINDOW - now).total_seconds()) + 1
        audit.record(session, viewer.actor, "match.refused", target_type="peers",
                     target_id=peer.id, details={"asked": asked, "limit": limit})
        raise TooManyRequests(_asked_too_much(limit),
                              retry_after=retry, keep_changes=True)
    # Counted in the database, so concurrent questions cannot both pass the allowance.
    counted = session.execute(
        update(Peer).where(Peer.id == peer.id,
                           Peer.match_window_count + asked <= limit)
        .values(match_window_count=Peer.match_window_count + asked)
        .execution_options(synchronize_session=False))
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        retry = int((peer.match_window_start + WINDOW - now).total_seconds()) + 1
        raise TooManyRequests(_asked_too_much(limit),
                              retry_after=retry)


def answer(session: Session, viewer: Viewer, body: Any) -> list[str]:
    """Which of a partner's digests this hub holds. Only a partner hub's client may ask,
    under the key agreed with it, within its daily allowance."""
    peer, _agreed = asking_partner(session, viewer)
    key_id, asked = _parse(body)
    require_agreed_key(peer, key_id)
    take_allowance(session, viewer, peer, len(asked))
    held = set(session.scalars(select(MatchDigest.digest).where(
        MatchDigest.peer_id == peer.id, MatchDigest.digest.in_(asked)))) if asked else set()
    matches = [d.hex() for d in asked if d in held]
    audit.record(session, viewer.actor, "match.answer", target_type="peers",
                 target_id=peer.id, details={"asked": len(asked), "matched": len(matches)})
    return matches


# ------------------------------------------------------------------ asking partners

@dataclass(frozen=True)
class PartnerHit:
    partner: str
    contact: str
    kinds: tuple[str, ...]  # which of the asked values it holds, by kind


def _endpoint(peer: Peer) -> str:
    from cyberhub.federation.origins import hub_address

    return hub_address(peer.url) + "/api/v1/federation/match"


def ask_partners(session: Session, viewer: Viewer,
                 values: Iterable[tuple[str, str]]) -> list[PartnerHit]:
    """Ask every partner with a matching key which of these (kind, normalised value)
    pairs it holds. Only digests leave; the question is audited here too."""
    if viewer.user_id is None:
        raise PermissionDenied(_("Sign in first."))
    pairs = list(dict.fromkeys(values))[:MAX_DIGESTS]
    hits: list[PartnerHit] = []
    asked = 0
    for peer in session.scalars(select(Peer).where(Peer.match_key != "", Peer.enabled.is_(True))
                                .order_by(Peer.name)):
        key = partner_key(peer)
        if key is None:
            continue
        by_digest = {d.hex(): k for d, (k, _v) in zip(digests(key, pairs), pairs, strict=True)}
        body = orjson.dumps({"key_id": peer.match_key_id, "digests": list(by_digest)})
        wire.record("match", f"partner:{peer.name}", body)
        _user, secret = peers.credentials(peer)
        try:
            response = httpx2.post(_endpoint(peer), content=body, timeout=10.0,
                                   follow_redirects=False, trust_env=False,
                                   headers={"Authorization": f"Bearer {secret}",
                                            "Content-Type": "application/json"})
        except httpx2.HTTPError:
            continue  # a partner that is down holds nothing we can learn now
        asked += 1
        if response.status_code != 200:
            continue
        try:
            matched = orjson.loads(response.content[:1_000_000]).get("matches", [])
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if not isinstance(matched, list):
            continue
        kinds = tuple(sorted({by_digest[m] for m in matched
                              if isinstance(m, str) and m in by_digest}))
        if kinds:
            hits.append(PartnerHit(peer.name, peer.contact, kinds))
    audit.record(session, viewer.actor, "match.ask", details={
        "values": len(pairs), "partners_asked": asked,
        "partners_matched": [h.partner for h in hits]})
    return hits
