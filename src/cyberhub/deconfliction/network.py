"""Deconfliction across partner hubs: two agencies on different hubs that register the
same value are both given the other's point of contact — and the value never travels.

Each partner hub has a matching key agreed with this one (``cyberhub peer add
--match-key-id``, docs/federation.md). When a value is registered here — the only moment
the hub holds it — its digest under every partner's key is kept
(``deconfliction_network_digests``, one row per key). Then, for each partner, in the
background (:func:`announce`, run after every registration or renewal and every minute):

1. **ask**: the digests of the registrations made or renewed since the partner's cursor
   go to ``POST /api/v1/federation/deconfliction/match`` on the partner, which answers,
   for those it holds in an active registration, that registration's pointer
   (organisation, point of contact, expiry) — and nothing for the others;
2. each matched registration here records the partner's pointer (:class:`RemoteHit`) and
   its registrant is notified, once per pointer;
3. **tell**: for the matched digests only, this hub's pointers go to ``POST
   /api/v1/federation/deconfliction/notify``; the partner checks each against its own
   active registrations and notifies its registrants the same way.

A partner that registers later asks us in turn, so the order of registration does not
matter. Both steps are idempotent (a pointer is recorded and notified once), so a run
that fails half-way is simply repeated; the cursor moves only after both steps
succeeded. Questions count against the partner's daily allowance of matching questions
and are audited on both sides. Neither side learns the other's case reference, and a
partner learns our pointers only for digests it holds itself.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import httpx2
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import audit, events
from cyberhub.access import Viewer
from cyberhub.community.models import Organisation
from cyberhub.db import Database, utcnow
from cyberhub.deconfliction import keys
from cyberhub.deconfliction.models import NetworkDigest, Registration, RemoteHit
from cyberhub.errors import InvalidInput
from cyberhub.federation import matching, peers, wire
from cyberhub.federation.models import Peer
from cyberhub.i18n import _
from cyberhub.keyring import MacKey

log = logging.getLogger(__name__)

BATCH: Final = 1000  # digests per question, as for matching
MAX_ORGANISATION: Final = 200
MAX_CONTACT: Final = 500
HIT_KIND: Final = "deconfliction.hit"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# ------------------------------------------------------------------ at registration

def partner_keys(session: Session) -> list[tuple[Peer, MacKey]]:
    """The enabled partners with an agreed matching key, and that key."""
    out = []
    for peer in session.scalars(select(Peer).where(Peer.enabled.is_(True), Peer.match_key != "")
                                .order_by(Peer.name)):
        key = matching.partner_key(peer)
        if key is not None:
            out.append((peer, key))
    return out


def keep_digests(session: Session, reg: Registration, kind: str, value: str) -> int:
    """Keep the digest of a just-registered value under each partner's key (and the
    network key, when one is set): afterwards the hub no longer has the value."""
    wanted: dict[str, bytes] = {}
    network = keys.network_key()
    if network is not None:
        wanted[keys.key_id(network)] = keys.digest(network, kind, value)
    for _peer, key in partner_keys(session):
        wanted.setdefault(keys.key_id(key), keys.digest(key, kind, value))
    session.add_all(NetworkDigest(registration_id=reg.id, key_id=kid, digest=d)
                    for kid, d in wanted.items())
    return len(wanted)


# ------------------------------------------------------------------ pointers

@dataclass(frozen=True)
class Pointer:
    digest: bytes
    organisation: str
    contact: str
    expires_at: datetime | None


def _text(raw: Any, limit: int, field: str) -> str:
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not text or len(text) > limit or _CONTROL.search(text):
        raise InvalidInput(_("%(field)s must be a text of 1 to %(n)d printable characters.")
                           % {"field": field, "n": limit}, details={"field": field})
    return text


def _pointers(items: Any, field: str) -> list[Pointer]:
    if not isinstance(items, list) or len(items) > BATCH:
        raise InvalidInput(_("Send %(field)s as a list of at most %(n)d items.")
                           % {"field": field, "n": BATCH}, details={"field": field})
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(_("Each item must be an object."),
                               details={"field": f"{field}[{i}]"})
        digest = _digest(item.get("digest"), f"{field}[{i}].digest")
        expires = item.get("expires_at")
        try:
            when = datetime.fromisoformat(expires) if isinstance(expires, str) else None
        except ValueError:
            when = None
        out.append(Pointer(digest, _text(item.get("organisation"), MAX_ORGANISATION,
                                         f"{field}[{i}].organisation"),
                           _text(item.get("contact"), MAX_CONTACT, f"{field}[{i}].contact"),
                           when if when is not None and when.tzinfo is not None else None))
    return out


def _digest(raw: Any, field: str) -> bytes:
    try:
        out = bytes.fromhex(raw) if isinstance(raw, str) else b""
    except ValueError:
        out = b""
    if len(out) != keys.DIGEST_BYTES:
        raise InvalidInput(_("Each digest is %(n)d bytes in hex.") % {"n": keys.DIGEST_BYTES},
                           details={"field": field})
    return out


def _active(session: Session, key_id: str, digests: list[bytes], now: datetime
            ) -> list[tuple[bytes, Registration, str]]:
    """The active registrations here whose digest under ``key_id`` is among ``digests``,
    with their organisation's name."""
    if not digests:
        return []
    rows = session.execute(
        select(NetworkDigest.digest, Registration, Organisation.name)
        .join(Registration, Registration.id == NetworkDigest.registration_id)
        .join(Organisation, Organisation.id == Registration.org_id)
        .where(NetworkDigest.key_id == key_id, NetworkDigest.digest.in_(digests),
               Registration.expires_at > now)
        .order_by(Registration.created_at, Registration.id))
    return [(d, reg, name) for d, reg, name in rows]


def _record(session: Session, reg: Registration, peer: Peer, pointer: Pointer,
            now: datetime) -> RemoteHit | None:
    """Keep a partner's pointer for ``reg`` and tell its registrant — once."""
    if session.scalar(select(RemoteHit.id).where(
            RemoteHit.registration_id == reg.id, RemoteHit.peer_id == peer.id,
            RemoteHit.organisation == pointer.organisation,
            RemoteHit.contact == pointer.contact)) is not None:
        return None
    hit = RemoteHit(registration_id=reg.id, peer_id=peer.id, organisation=pointer.organisation,
                    contact=pointer.contact, other_expires_at=pointer.expires_at,
                    created_at=now)
    session.add(hit)
    session.flush()
    events.publish(session, events.Event(
        kind=HIT_KIND,
        title=_("Deconfliction: an organisation on partner hub %(hub)s has registered the "
                "same value (kind %(kind)s)") % {"hub": peer.name, "kind": reg.kind},
        summary=_("Your case %(case)s. Other party: %(org)s, on partner hub %(hub)s. Point "
                  "of contact: %(contact)s.") % {"case": reg.case_reference,
                                                 "org": pointer.organisation,
                                                 "hub": peer.name, "contact": pointer.contact},
        url=f"/deconfliction/hits#remote-{hit.id}",
        recipients=frozenset({reg.user_id})))
    return hit


# ------------------------------------------------------------------ a partner asks

def _body(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInput(_("Send a JSON object."))
    return raw


def answer(session: Session, viewer: Viewer, raw: Any) -> list[dict[str, Any]]:
    """A partner's question: the pointers of our active registrations whose digest under
    the key agreed with it is among its digests."""
    peer, key = matching.asking_partner(session, viewer)
    body = _body(raw)
    matching.require_agreed_key(peer, str(body.get("key_id", "")))
    asked = body.get("digests")
    if not isinstance(asked, list) or len(asked) > BATCH:
        raise InvalidInput(_("Send digests as a list of at most %(n)d items.") % {"n": BATCH},
                           details={"field": "digests"})
    digests = [_digest(d, f"digests[{i}]") for i, d in enumerate(asked)]
    matching.take_allowance(session, viewer, peer, len(digests))
    found = _active(session, keys.key_id(key), sorted(set(digests)), utcnow())
    audit.record(session, viewer.actor, "deconfliction.partner_ask", target_type="peers",
                 target_id=peer.id, details={"asked": len(digests), "matched": len(found)})
    return [{"digest": d.hex(), "organisation": name, "contact": reg.contact,
             "expires_at": reg.expires_at.isoformat()} for d, reg, name in found]


def receive(session: Session, viewer: Viewer, raw: Any) -> int:
    """A partner tells us its pointers for digests we hold: recorded and notified for
    each active registration here that holds the digest (others are ignored)."""
    peer, key = matching.asking_partner(session, viewer)
    body = _body(raw)
    matching.require_agreed_key(peer, str(body.get("key_id", "")))
    pointers = _pointers(body.get("hits"), "hits")
    now = utcnow()
    mine: dict[bytes, list[Registration]] = {}
    for d, reg, _name in _active(session, keys.key_id(key),
                                 sorted({p.digest for p in pointers}), now):
        mine.setdefault(d, []).append(reg)
    recorded = sum(1 for p in pointers for reg in mine.get(p.digest, [])
                   if _record(session, reg, peer, p, now) is not None)
    audit.record(session, viewer.actor, "deconfliction.partner_notice", target_type="peers",
                 target_id=peer.id, details={"pointers": len(pointers), "recorded": recorded})
    return recorded


# ------------------------------------------------------------------ we ask a partner

@dataclass
class Announced:
    partner: str
    asked: int = 0
    matched: int = 0
    told: int = 0
    error: str | None = None


def _touched() -> Any:
    return func.coalesce(Registration.renewed_at, Registration.created_at)


def _pending(session: Session, peer: Peer, key_id: str, now: datetime
             ) -> list[tuple[bytes, uuid.UUID, datetime]]:
    """Registrations made or renewed since the partner's cursor, still active, with a
    digest under its key: a batch, extended so it never ends in the middle of one
    instant (the cursor is an instant)."""
    query = (select(NetworkDigest.digest, Registration.id, _touched())
             .join(Registration, Registration.id == NetworkDigest.registration_id)
             .where(NetworkDigest.key_id == key_id, Registration.expires_at > now))
    if peer.deconfliction_cursor is not None:
        query = query.where(_touched() > peer.deconfliction_cursor)
    rows = [tuple(r) for r in session.execute(query.order_by(_touched(), Registration.id)
                                              .limit(BATCH))]
    if len(rows) == BATCH:
        last = rows[-1][2]
        seen = {r[1] for r in rows}
        rows += [tuple(r) for r in session.execute(query.where(_touched() == last))
                 if r[1] not in seen]
    return rows


def _post(peer: Peer, path: str, payload: dict[str, Any]) -> Any:
    from cyberhub.federation.origins import hub_address

    body = orjson.dumps(payload)
    wire.record("deconfliction", f"partner:{peer.name}", body)
    _user, secret = peers.credentials(peer)
    response = httpx2.post(hub_address(peer.url) + path, content=body, timeout=15.0,
                           follow_redirects=False, trust_env=False,
                           headers={"Authorization": f"Bearer {secret}",
                                    "Content-Type": "application/json"})
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return orjson.loads(response.content[:5_000_000])


def announce(database: Database, peer_id: uuid.UUID, *, now: datetime | None = None
             ) -> Announced:
    """Announce this hub's new and renewed registrations to one partner (see the module
    docstring); repeats until nothing is pending. Failures leave the cursor where it
    was, for the next run."""
    with database.transaction() as s:
        peer = s.get(Peer, peer_id)
        if peer is None:
            return Announced("?", error="no such partner")
        result = Announced(peer.name)
    while True:
        with database.transaction() as s:
            peer = s.get(Peer, peer_id)
            key = matching.partner_key(peer) if peer is not None and peer.enabled else None
            if peer is None or key is None:
                return result
            kid, moment = keys.key_id(key), now or utcnow()
            pending = _pending(s, peer, kid, moment)
            if not pending:
                return result
            key_id = peer.match_key_id
            s.expunge(peer)
        digests = sorted({d for d, _rid, _t in pending})
        try:
            answer_ = _post(peer, "/api/v1/federation/deconfliction/match",
                            {"key_id": key_id, "digests": [d.hex() for d in digests]})
            theirs = _pointers(answer_.get("matches") if isinstance(answer_, dict) else None,
                               "matches")
        except (httpx2.HTTPError, RuntimeError, orjson.JSONDecodeError, InvalidInput) as e:
            result.error = str(e)[:300]
            log.warning("deconfliction: asking partner %s failed: %s", peer.name, e)
            return result
        result.asked += len(digests)
        asked = set(digests)
        theirs = [p for p in theirs if p.digest in asked]
        tell: list[dict[str, Any]] = []
        with database.transaction() as s:
            peer_row = s.get(Peer, peer_id)
            assert peer_row is not None
            mine: dict[bytes, list[tuple[Registration, str]]] = {}
            for d, reg, org in _active(s, kid, sorted({p.digest for p in theirs}), moment):
                mine.setdefault(d, []).append((reg, org))
            for pointer in theirs:
                for reg, _org in mine.get(pointer.digest, []):
                    if _record(s, reg, peer_row, pointer, moment) is not None:
                        result.matched += 1
            for d, regs in mine.items():
                tell.extend({"digest": d.hex(), "organisation": org, "contact": reg.contact,
                             "expires_at": reg.expires_at.isoformat()} for reg, org in regs)
            audit.record(s, audit.SYSTEM, "deconfliction.announce", target_type="peers",
                         target_id=peer_id, details={"asked": len(digests),
                                                     "matched": len(theirs)})
        if tell:
            try:
                for start in range(0, len(tell), BATCH):
                    _post(peer, "/api/v1/federation/deconfliction/notify",
                          {"key_id": key_id, "hits": tell[start:start + BATCH]})
            except (httpx2.HTTPError, RuntimeError, orjson.JSONDecodeError) as e:
                result.error = str(e)[:300]
                log.warning("deconfliction: telling partner %s failed: %s", peer.name, e)
                return result
            result.told += len(tell)
        with database.transaction() as s:
            peer_row = s.get(Peer, peer_id)
            if peer_row is None:
                return result
            peer_row.deconfliction_cursor = max(t for _d, _rid, t in pending)


def announce_all(database: Database) -> list[Announced]:
    with database.transaction() as s:
        ids = [peer.id for peer, _key in partner_keys(s)]
    return [announce(database, pid) for pid in ids]
