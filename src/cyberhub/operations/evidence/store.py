"""Where evidence files are kept, and how they are written and checked.

An upload is streamed: each chunk is hashed (SHA-256) and written to a temporary file
under ``<var>/evidence/`` as it arrives, so memory does not grow with the file. Past the
size limit, or when a declared hash differs from the computed one, the temporary file is
removed and nothing is kept. A finished file gets a random name (48 hex digits) that no
user chooses or can guess; it is never served from a path, only through the register's
access check. Files are written with mode 0600 and never changed after.

Files written inside a database transaction are removed again when that transaction
rolls back (:func:`keep_until_rollback`), so a failed registration leaves no orphan.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from cyberhub.config import get_settings
from cyberhub.errors import InvalidInput, NotFound, PayloadTooLarge
from cyberhub.i18n import _

CHUNK: Final = 1024 * 1024
_STORE_NAME: Final = re.compile(r"[0-9a-f]{48}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_WRITTEN = "cyberhub_evidence_written"


@dataclass(frozen=True)
class Stored:
    name: str
    sha256: str
    size: int


def max_bytes() -> int:
    return get_settings().evidence_max_bytes


def folder() -> Path:
    path = get_settings().var_dir / "evidence"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def clean_sha256(value: str | None) -> str | None:
    """A declared SHA-256: 64 hex digits (any case, an optional ``sha256:`` prefix)."""
    text = (value or "").strip().lower().removeprefix("sha256:")
    if not text:
        return None
    if not _SHA256.fullmatch(text):
        raise InvalidInput(_("The declared SHA-256 must be 64 hexadecimal digits."),
                           details={"field": "sha256"}, code="invalid_sha256")
    return text


class _Writer:
    """One upload on its way to disk: hashed and counted chunk by chunk."""

    def __init__(self, limit: int, declared: str | None) -> None:
        self.limit = limit
        self.declared = clean_sha256(declared)
        self.digest = hashlib.sha256()
        self.size = 0
        self.tmp = folder() / f"{secrets.token_hex(24)}.part"
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.out = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise PayloadTooLarge(
                _("The evidence file is larger than the hub's limit of %(n)d bytes; nothing "
                  "was stored.") % {"n": self.limit}, details={"field": "file"})
        self.digest.update(chunk)
        self.out.write(chunk)

    def finish(self) -> Stored:
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()
        if self.size == 0:
            raise InvalidInput(_("The evidence file is empty; nothing was stored."),
                               details={"field": "file"}, code="empty_file")
        computed = self.digest.hexdigest()
        if self.declared is not None and self.declared != computed:
            raise InvalidInput(
                _("The file's SHA-256 is %(computed)s, not the declared %(declared)s: the file "
                  "changed on its way or the declared hash is wrong. Nothing was stored.")
                % {"computed": computed, "declared": self.declared},
                details={"field": "sha256", "declared": self.declared, "computed": computed},
                code="hash_mismatch")
        name = secrets.token_hex(24)
        os.replace(self.tmp, folder() / name)
        return Stored(name, computed, self.size)

    def abandon(self) -> None:
        if not self.out.closed:
            self.out.close()
        self.tmp.unlink(missing_ok=True)


async def store_stream(chunks: AsyncIterable[bytes], *, declared: str | None = None,
                       limit: int | None = None) -> Stored:
    """Stream an upload to the store; refuse it (keeping nothing) when it is too large,
    empty or not the declared hash."""
    writer = _Writer(max_bytes() if limit is None else limit, declared)
    try:
        async for chunk in chunks:
            writer.write(chunk)
        return writer.finish()
    finally:
        writer.abandon()


def store_chunks(chunks: Iterable[bytes], *, declared: str | None = None,
                 limit: int | None = None) -> Stored:
    """The same for a local source (the demo, the command line)."""
    writer = _Writer(max_bytes() if limit is None else limit, declared)
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.finish()
    finally:
        writer.abandon()


def path_of(name: str) -> Path:
    """The file of a stored name; NotFound when the name is not one of ours or is gone."""
    if not _STORE_NAME.fullmatch(name):
        raise NotFound()
    path = folder() / name
    if not path.is_file():
        raise NotFound(_("The evidence file is missing from the hub's store; run "
                         "'cyberhub evidence verify' and tell the hub operator."))
    return path


def hash_of(name: str) -> str | None:
    """Recompute a stored file's SHA-256, streaming; None when the file is missing."""
    try:
        path = path_of(name)
    except NotFound:
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove(name: str) -> None:
    if _STORE_NAME.fullmatch(name):
        (folder() / name).unlink(missing_ok=True)


def keep_until_rollback(session: Session, name: str) -> None:
    """Remove the stored file again if ``session``'s transaction rolls back."""
    session.info.setdefault(_WRITTEN, []).append(name)


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_rollback")
def _undo(session: Session) -> None:
    for name in session.info.pop(_WRITTEN, []):
        remove(name)
