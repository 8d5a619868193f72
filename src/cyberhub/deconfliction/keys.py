"""The deconfliction key and the digest format.

A digest is ``HMAC-SHA-256(key, kind ‖ 0x00 ‖ normalised value)`` truncated to its first
16 bytes — the same format as cross-hub matching (:mod:`cyberhub.federation.matching`),
so one partner key serves both. The hub's own key is ``CYBERHUB_DECONFLICTION_KEY`` or,
when that is empty, a random key kept in ``<var>/deconfliction_key`` (created on first
use, mode 0600), used through :mod:`cyberhub.keyring` — in a key service of its own when
one is configured. It is never written to the database: a copy of the database alone
cannot be used to test guesses of registered values.

Each digest is stored with the key's *fingerprint* (``key_id``), so that after a key
change the registrations made under the old key are recognisably stale: they can no
longer match (the hub cannot recompute their digests: it never kept the values) and
their registrants are asked to register again (docs/deconfliction.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from cyberhub import keyring
from cyberhub.keyring import MacKey
from cyberhub.keyring.local import DECONFLICTION_KEY_FILE, LocalKey

DIGEST_BYTES: Final = 16
KEY_FILE: Final = DECONFLICTION_KEY_FILE
_FINGERPRINT_LABEL: Final = b"cyberhub deconfliction key id"


def _key(key: MacKey | bytes) -> MacKey:
    # Raw bytes: a key given as such (a partner's, in tests and tools), used in-process.
    return LocalKey(key) if isinstance(key, bytes) else key


def digest(key: MacKey | bytes, kind: str, value: str) -> bytes:
    """The keyed digest of a (kind, normalised value) pair."""
    return _key(key).mac(kind.encode() + b"\x00" + value.encode())[:DIGEST_BYTES]


def digests(key: MacKey | bytes, pairs: Iterable[tuple[str, str]]) -> list[bytes]:
    """The digests of many pairs (one request to the key service)."""
    macs = _key(key).macs([kind.encode() + b"\x00" + value.encode() for kind, value in pairs])
    return [mac[:DIGEST_BYTES] for mac in macs]


def key_id(key: MacKey | bytes) -> str:
    """A fingerprint naming a key without revealing it (16 hex digits)."""
    return _key(key).mac(_FINGERPRINT_LABEL).hex()[:16]


def hub_key() -> MacKey:
    """The hub's deconfliction key: the setting, else the key file (made on first use)."""
    return keyring.named("deconfliction")


def network_key() -> MacKey | None:
    return keyring.optional("network")
