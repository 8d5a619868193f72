"""The deconfliction key and the digest format.

A digest is ``HMAC-SHA-256(key, kind ‖ 0x00 ‖ normalised value)`` truncated to its first
16 bytes — the same format as cross-hub matching (:mod:`cyberhub.federation.matching`),
so one partner key serves both. The hub's own key is ``CYBERHUB_DECONFLICTION_KEY`` or,
when that is empty, a random key kept in ``<var>/deconfliction_key`` (created on first
use, mode 0600). It is never written to the database: a copy of the database alone
cannot be used to test guesses of registered values.

Each digest is stored with the key's *fingerprint* (``key_id``), so that after a key
change the registrations made under the old key are recognisably stale: they can no
longer match (the hub cannot recompute their digests: it never kept the values) and
their registrants are asked to register again (docs/deconfliction.md).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from cyberhub.config import Settings, get_settings, key_file

DIGEST_BYTES: Final = 16
KEY_FILE: Final = "deconfliction_key"
_FINGERPRINT_LABEL: Final = b"cyberhub deconfliction key id"


def digest(key: bytes, kind: str, value: str) -> bytes:
    """The keyed digest of a (kind, normalised value) pair."""
    # hmac.digest: the one-shot C implementation, several times faster than hmac.new.
    return hmac.digest(key, kind.encode() + b"\x00" + value.encode(), "sha256")[:DIGEST_BYTES]


def key_id(key: bytes) -> str:
    """A fingerprint naming a key without revealing it (16 hex digits)."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def hub_key(settings: Settings | None = None) -> bytes:
    """The hub's deconfliction key: the setting, else the key file (made on first use)."""
    s = settings or get_settings()
    if s.deconfliction_key:
        return s.deconfliction_key.encode()
    path = s.var_dir / KEY_FILE
    text = key_file(path)
    if len(text) < 32:
        raise RuntimeError(f"{path} holds no usable key (32 characters at least); restore "
                           "it from a backup or remove it to start afresh (every existing "
                           "registration then stops matching)")
    return text.encode()


def network_key(settings: Settings | None = None) -> bytes | None:
    s = settings or get_settings()
    return s.deconfliction_network_key.encode() if s.deconfliction_network_key else None
