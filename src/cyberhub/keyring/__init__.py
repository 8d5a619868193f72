"""The hub's keys, used without handing them out (ASVS V6.4.2).

Every operation that needs one of the hub's own keys goes through this package:

- HMAC-SHA-256 under a *named* key: ``secret`` (CSRF tokens, form stamps, TAXII next
  tokens), ``jobs`` (queued job messages), ``pepper`` (password hashes),
  ``deconfliction`` and ``network`` (deconfliction digests);
- HMAC-SHA-256 under a key the hub stores *sealed* (encrypted): partner hubs' matching
  keys, webhook signing secrets;
- encryption of stored secrets (Fernet under the secret key, opening with the keys it
  replaced too).

Two backends do the work. By default the keys are read from the settings or the files
under ``var/`` and used in this process (:mod:`.local`). With ``CYBERHUB_KEY_SERVICE``
set to the path of a Unix socket, a key service — ``cyberhub secrets serve``, a process of
its own, normally run as another user — holds them (:mod:`.server`), and this process
sends what must be signed, hashed or encrypted and receives the result (:mod:`.client`).
Whoever takes over an app process can then use the keys while they hold it, but cannot
carry them away. What is decrypted (a partner's password, a TOTP seed, a victim's name)
still reaches the app: it needs the value, not the key.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Final, Literal, Protocol

from cyberhub.config import get_settings

KeyName = Literal["secret", "jobs", "pepper", "deconfliction", "network"]
NAMES: Final[frozenset[str]] = frozenset({"secret", "jobs", "pepper", "deconfliction",
                                          "network"})


class KeyUnavailable(Exception):
    """A key that is not configured (the network key) or a sealed key no key opens."""


class MacKey(Protocol):
    """A key that signs: HMAC-SHA-256, the full 32 bytes."""

    def mac(self, message: bytes) -> bytes: ...

    def macs(self, messages: Sequence[bytes]) -> list[bytes]: ...


class Backend(Protocol):
    def named(self, name: KeyName) -> MacKey | None: ...

    def sealed(self, token: str) -> MacKey | None: ...

    def candidates(self, name: KeyName, message: bytes) -> list[bytes]: ...

    def encrypt(self, values: Sequence[str]) -> list[str]: ...

    def decrypt(self, tokens: Sequence[str]) -> list[str | None]: ...

    def reencrypt(self, tokens: Sequence[str]) -> list[str | None]: ...

    def check(self) -> None: ...


def _backend() -> Backend:
    settings = get_settings()
    if settings.key_service:
        from cyberhub.keyring import client

        return client.for_socket(settings.key_service, settings.key_service_timeout)
    from cyberhub.keyring import local

    return local.LocalBackend(settings)


def named(name: KeyName) -> MacKey:
    """One of the hub's own keys (``network`` may be missing: see :func:`optional`)."""
    key = _backend().named(name)
    if key is None:
        raise KeyUnavailable(f"the {name} key is not configured")
    return key


def optional(name: KeyName) -> MacKey | None:
    """One of the hub's own keys, or None when it is not configured."""
    return _backend().named(name)


def sealed(token: str) -> MacKey | None:
    """The key sealed in ``token`` (a stored secret), or None when no key opens it."""
    return _backend().sealed(token)


def sign(name: KeyName, message: bytes) -> str:
    """HMAC-SHA-256 of ``message`` under the named key, in hex."""
    return named(name).mac(message).hex()


def candidates(name: KeyName, message: bytes) -> list[bytes]:
    """The MACs of ``message`` under the named key and under each key it replaced
    (``secret`` and ``jobs`` have former keys; the others only one)."""
    return _backend().candidates(name, message)


def verify(name: KeyName, message: bytes, given: str, length: int = 64) -> bool:
    """Whether ``given`` is the hex MAC of ``message`` (its first ``length`` digits) under
    the named key or a key it replaced; compared in constant time."""
    given_bytes = given.encode("ascii", "replace")
    found = False
    for mac in candidates(name, message):
        found |= hmac.compare_digest(mac.hex()[:length].encode(), given_bytes)
    return found


def encrypt(value: str) -> str:
    return _backend().encrypt([value])[0]


def decrypt(token: str) -> str | None:
    """The value sealed in ``token``, or None when no key (current or former) opens it."""
    return _backend().decrypt([token])[0]


def reencrypt(token: str) -> str | None:
    """``token`` sealed again under the current key, or None when no key opens it."""
    return _backend().reencrypt([token])[0]


def check() -> None:
    """Make the keys that are made on first use (in-process), or reach the key service;
    the app and the worker call this before they start, so that every process shares
    one set of keys."""
    _backend().check()


def reset() -> None:
    """Forget what was cached of the keys (the settings changed)."""
    from cyberhub.keyring import client, local

    local.reset()
    client.reset()
