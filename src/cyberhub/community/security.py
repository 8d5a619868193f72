"""Passwords, secrets, TOTP: the cryptographic primitives of sign-in."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, TypeVar

import pyotp
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from cyberhub import keyring
from cyberhub.config import get_settings
from cyberhub.errors import InvalidInput
from cyberhub.i18n import N_, _, pgettext

# ASVS V2.1.2: passphrases of 64 characters and more are welcome, over 128 refused (sign-in
# still takes up to 1024, for passwords set before the limit).
MAX_PASSWORD_LENGTH = 128

# A real argon2id hash of a random password: verifying against it when the e-mail is
# unknown makes "no such user" cost the same time as "wrong password".
_DUMMY_PASSWORD = secrets.token_urlsafe(16)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib,
                          parallelism=1, type=Type.ID)


# ASVS V2.4.5: a peppered hash is this mark followed by the argon2id hash of
# HMAC-SHA-256(pepper, password). Hashes without it (made before the pepper) still verify
# and are hashed again, peppered, at the next successful sign-in.
PEPPER_MARK = "$pepper1$"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(_DUMMY_PASSWORD)


def reset_caches() -> None:
    _hasher.cache_clear()
    _dummy_hash.cache_clear()
    keyring.reset()


def _peppered(password: str) -> bytes:
    """What argon2id hashes: the password keyed with the pepper, base64 (44 bytes)."""
    return base64.b64encode(keyring.named("pepper").mac(password.encode()))


# Argon2id costs a fifth of a second of CPU by design. It runs on a few threads of lower
# scheduling priority (on Linux, nice is per thread), so that a burst of sign-ins waits on
# itself instead of slowing every page read that shares the cores with it.
HASHING_NICENESS: Final = 10
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    tid = threading.get_native_id()
    # Where threads have no priority of their own, hashing keeps the usual one.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, tid,
                       min(19, os.getpriority(os.PRIO_PROCESS, tid) + HASHING_NICENESS))


def _hashing_pool() -> ThreadPoolExecutor:
    """This process's hashing threads (made anew after a fork: threads do not follow)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(
                max_workers=os.cpu_count() or 2, thread_name_prefix="password-hash",
                initializer=_lower_priority))
        return _pool[1]


_T = TypeVar("_T")


def _at_low_priority(work: Callable[[], _T]) -> _T:
    return _hashing_pool().submit(work).result()


def hash_password(password: str) -> str:
    peppered = _peppered(password)
    return PEPPER_MARK + _at_low_priority(lambda: _hasher().hash(peppered))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed; with no hash (an unknown user) a dummy
    hash is checked all the same, so that answer costs the same time as a wrong password."""
    stored = password_hash or _dummy_hash()
    if stored.startswith(PEPPER_MARK):
        hashed, secret = stored[len(PEPPER_MARK):], _peppered(password)
    else:  # made before the pepper: upgraded at the next sign-in (needs_rehash)
        hashed, secret = stored, password.encode()

    def check() -> bool:
        try:
            return _hasher().verify(hashed, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return _at_low_priority(check) and bool(password_hash)


def needs_rehash(password_hash: str) -> bool:
    """A hash without the pepper, or with other argon2 parameters than the settings'."""
    if not password_hash.startswith(PEPPER_MARK):
        return True
    return _hasher().check_needs_rehash(password_hash[len(PEPPER_MARK):])


# zxcvbn's warnings, in English only: marked here so the catalogues translate them.
_ZXCVBN_WARNINGS: Final = frozenset({
    N_("Straight rows of keys are easy to guess."),
    N_("Short keyboard patterns are easy to guess."),
    N_('Repeats like "aaa" are easy to guess.'),
    N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    N_('Sequences like "abc" or "6543" are easy to guess.'),
    N_("Recent years are easy to guess."),
    N_("Dates are often easy to guess."),
    N_("This is a top-10 common password."),
    N_("This is a top-100 common password."),
    N_("This is a very common password."),
    N_("This is similar to a commonly used password."),
    N_("A word by itself is easy to guess."),
    N_("Names and surnames by themselves are easy to guess."),
    N_("Common names and surnames are easy to guess."),
})


@dataclass(frozen=True)
class Strength:
    """How strong a password is, judged as :func:`check_password_strength` judges it.

    ``score`` is zxcvbn's 0–4 (0 when the password is too short or too long to judge);
    ``problem`` is why it would be refused (None: it is accepted); ``warning`` is
    zxcvbn's remark on it, translated."""

    score: int
    problem: str | None
    warning: str

    @property
    def label(self) -> str:
        return [pgettext("password strength", "Too weak"), pgettext("password strength", "Weak"),
                pgettext("password strength", "Fair"), pgettext("password strength", "Good"),
                pgettext("password strength", "Strong")][self.score]


def password_strength(password: str, *, user_inputs: list[str]) -> Strength:
    """Judge a password: the one rule for the live meter and for the check on submit."""
    s = get_settings()
    if len(password) < s.password_min_length:
        return Strength(0, _("The password must be at least %(n)d characters long.")
                        % {"n": s.password_min_length}, "")
    if len(password) > MAX_PASSWORD_LENGTH:
        return Strength(0, _("The password must be at most %(n)d characters long.")
                        % {"n": MAX_PASSWORD_LENGTH}, "")
    # zxcvbn refuses more than 72 characters (a ValueError, so a 500); the first 72 of a
    # longer passphrase are what it can judge.
    result = zxcvbn(password[:72], user_inputs=[u for u in user_inputs if u])
    hint = result["feedback"].get("warning") or ""
    warning = _(hint) if hint in _ZXCVBN_WARNINGS else hint
    score = int(result["score"])
    if score < s.password_min_score:
        return Strength(score, _("The password is too easy to guess. Use a longer passphrase "
                                 "of unrelated words."), warning)
    return Strength(score, None, warning)


def check_password_strength(password: str, *, user_inputs: list[str]) -> None:
    """Raise InvalidInput when a password is too short or too easy to guess."""
    strength = password_strength(password, user_inputs=user_inputs)
    if strength.problem is not None:
        hint = f" ({strength.warning})" if strength.warning else ""
        raise InvalidInput(strength.problem + hint, details={"field": "password"})


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hmac_hex(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def encrypt_secret(value: str) -> str:
    return keyring.encrypt(value)


def decrypt_secret(token: str) -> str | None:
    return keyring.decrypt(token)


def reencrypt_secret(token: str) -> str | None:
    """``token`` encrypted again with the secret key, or None when no key opens it."""
    return keyring.reencrypt(token)


def sign(message: str) -> str:
    """The HMAC of ``message`` under the secret key, in hex (CSRF tokens, form stamps)."""
    return keyring.sign("secret", message.encode())


def hmac_matches(message: str, given: str) -> bool:
    """Whether ``given`` is the HMAC of ``message`` under the secret key or one it replaced."""
    return keyring.verify("secret", message.encode(), given)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def totp_match_step(secret: str, code: str, *, at: float, last_step: int | None) -> int | None:
    """The time step a valid code belongs to (±1 step of drift), or None.

    A step at or before ``last_step`` is refused so a code cannot be replayed."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int(at // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None
