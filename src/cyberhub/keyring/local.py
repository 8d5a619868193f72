"""The keys used in this process: read from the settings or from files under ``var/``.

This is the default backend of the app, and the one the key service itself runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cyberhub.config import Settings, key_file
from cyberhub.keyring import KeyName

DECONFLICTION_KEY_FILE: Final = "deconfliction_key"


class LocalKey:
    """A key held in this process."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, message: bytes) -> bytes:
        # hmac.digest: the one-shot C implementation, several times faster than hmac.new.
        return hmac.digest(self._key, message, "sha256")

    def macs(self, messages: Sequence[bytes]) -> list[bytes]:
        key = self._key
        return [hmac.digest(key, m, "sha256") for m in messages]


# The pepper of the settings object last asked for: otherwise its file is read at every
# sign-in.
_pepper_cache: tuple[Settings, bytes] | None = None


def _pepper(settings: Settings) -> bytes:
    global _pepper_cache
    if _pepper_cache is None or _pepper_cache[0] is not settings:
        _pepper_cache = (settings, settings.resolved_password_pepper().encode())
    return _pepper_cache[1]


def reset() -> None:
    global _pepper_cache
    _pepper_cache = None


def deconfliction_key(settings: Settings) -> bytes:
    """The setting, else the key file (made on first use)."""
    if settings.deconfliction_key:
        return settings.deconfliction_key.encode()
    path = settings.var_dir / DECONFLICTION_KEY_FILE
    text = key_file(path)
    if len(text) < 32:
        raise RuntimeError(f"{path} holds no usable key (32 characters at least); restore "
                           "it from a backup or remove it to start afresh (every existing "
                           "registration then stops matching)")
    return text.encode()


class LocalBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _material(self, name: KeyName) -> list[bytes]:
        """The key's versions, the current one first."""
        s = self.settings
        if name == "secret":
            return [k.encode() for k in s.secret_keys()]
        if name == "jobs":
            return [("huey:" + k).encode() for k in s.secret_keys()]
        if name == "pepper":
            return [_pepper(s)]
        if name == "deconfliction":
            return [deconfliction_key(s)]
        if name == "network":
            return [s.deconfliction_network_key.encode()] if s.deconfliction_network_key \
                else []
        raise ValueError(f"no key is named {name!r}")

    def named(self, name: KeyName) -> LocalKey | None:
        versions = self._material(name)
        return LocalKey(versions[0]) if versions else None

    def sealed(self, token: str) -> LocalKey | None:
        value = self.decrypt([token])[0]
        return LocalKey(value.encode()) if value else None

    def candidates(self, name: KeyName, message: bytes) -> list[bytes]:
        return [hmac.digest(key, message, "sha256") for key in self._material(name)]

    def _fernet(self) -> MultiFernet:
        return MultiFernet([
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(("totp:" + key).encode()).digest()))
            for key in self.settings.secret_keys()])

    def encrypt(self, values: Sequence[str]) -> list[str]:
        fernet = self._fernet()
        return [fernet.encrypt(v.encode()).decode() for v in values]

    def decrypt(self, tokens: Sequence[str]) -> list[str | None]:
        return _each(tokens, self._fernet().decrypt)

    def reencrypt(self, tokens: Sequence[str]) -> list[str | None]:
        return _each(tokens, self._fernet().rotate)

    def check(self) -> None:
        self.settings.resolved_secret_key()
        _pepper(self.settings)
        deconfliction_key(self.settings)


def _each(tokens: Sequence[str], work: Callable[[bytes], bytes]) -> list[str | None]:
    """``work`` applied to each token; None for a token no key opens."""
    out: list[str | None] = []
    for token in tokens:
        try:
            out.append(work(token.encode()).decode())
        except (InvalidToken, UnicodeError):
            out.append(None)
    return out
