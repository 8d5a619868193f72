"""The cross-hub deconfliction hook: which of a partner's digests match registrations here.

Wire format (what partner hubs exchange; documented in docs/deconfliction.md): a digest
is ``HMAC-SHA-256(network key, kind ‖ 0x00 ‖ normalised value)``, first 16 bytes, sent as
32 lower-case hex digits; ``kind`` is a kind of :mod:`cyberhub.intel.normalise` (``wallet``,
``iban``, ``phone``…) and the value is its normal form there. The network key is shared by
the partner hubs (out of band) and is a *parameter* here: whoever calls — the network of
hubs — decides which key a partner uses.

The hub keeps a registration's digest under the network key only if that key was set
(``CYBERHUB_DECONFLICTION_NETWORK_KEY``) when the value was registered: that is the only
moment the hub holds the value. A key the hub holds no digests under matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.db import utcnow
from cyberhub.deconfliction import keys
from cyberhub.deconfliction.models import NetworkDigest, Registration
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.keyring import MacKey

MAX_DIGESTS: Final = 10_000
_CHUNK: Final = 500


@dataclass(frozen=True)
class ExchangeMatch:
    """One active registration here that matches a partner's digest: the pointer only."""

    digest: str  # the partner's digest, hex
    organisation: str
    contact: str
    expires_at: datetime


def wire_digests(key: MacKey | bytes, pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The wire digests of (kind, normalised value) pairs under ``key``."""
    return [d.hex() for d in keys.digests(key, pairs)]


def parse_digests(digests: Iterable[str | bytes]) -> list[bytes]:
    out: list[bytes] = []
    for i, item in enumerate(digests):
        if len(out) >= MAX_DIGESTS:
            raise InvalidInput(_("Send at most %(n)d digests at a time.") % {"n": MAX_DIGESTS},
                               details={"field": "digests"})
        try:
            raw = item if isinstance(item, bytes) else bytes.fromhex(item)
        except (TypeError, ValueError):
            raw = b""
        if len(raw) != keys.DIGEST_BYTES:
            raise InvalidInput(_("Each digest is %(n)d bytes in hex.") % {
                "n": keys.DIGEST_BYTES}, details={"field": f"digests[{i}]"})
        out.append(raw)
    return out


def match_digests(session: Session, key: MacKey | bytes, digests: Iterable[str | bytes], *,
                  now: datetime | None = None) -> list[ExchangeMatch]:
    """The active registrations here whose digest under ``key`` is among ``digests``."""
    from cyberhub.community.models import Organisation

    asked = sorted(set(parse_digests(digests)))
    kid = keys.key_id(key)
    now = now or utcnow()
    out: list[ExchangeMatch] = []
    for start in range(0, len(asked), _CHUNK):
        rows = session.execute(
            select(NetworkDigest.digest, Organisation.name, Registration.contact,
                   Registration.expires_at)
            .join(Registration, Registration.id == NetworkDigest.registration_id)
            .join(Organisation, Organisation.id == Registration.org_id)
            .where(NetworkDigest.key_id == kid,
                   NetworkDigest.digest.in_(asked[start:start + _CHUNK]),
                   Registration.expires_at > now)
            .order_by(NetworkDigest.digest, Registration.created_at))
        out.extend(ExchangeMatch(d.hex(), org, contact, exp) for d, org, contact, exp in rows)
    return out
