"""Files waiting for the member's decision: a CSV before its mapping is chosen, a report
before its candidates are confirmed. Nothing is stored in the database until then.

A pending file lives in the staging folder under a name made of its owner's user id and
a random token (the token alone never opens another member's file). Files older than a
day are removed whenever a new one arrives. :func:`adopt` hands one to an import job.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from cyberhub.config import get_settings
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _
from cyberhub.intel import imports
from cyberhub.intel.models import Import

__all__ = ["adopt", "path_of", "stage"]

MAX_AGE: Final = 24 * 3600
_TOKEN: Final = re.compile(r"[0-9a-f]{32}")


def _folder() -> Path:
    path = imports.staging_dir() / "pending"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _name(user_id: uuid.UUID, token: str, kind: str) -> str:
    return f"{user_id.hex}-{token}.{kind}"


def _sweep(folder: Path) -> None:
    limit = time.time() - MAX_AGE
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)
        except OSError:
            continue


async def stage(user_id: uuid.UUID, kind: str, chunks: AsyncIterator[bytes],
                limit: int | None = None) -> str:
    """Stream an upload to a pending file; return its token."""
    folder = _folder()
    _sweep(folder)
    token = secrets.token_hex(16)
    path = folder / _name(user_id, token, kind)
    from cyberhub.intel.imports import write_upload

    cap = limit if limit is not None else get_settings().max_import_bytes
    size = await write_upload(path, chunks, cap)
    if size == 0:
        path.unlink(missing_ok=True)
        raise InvalidInput(_("The file is empty."), details={"field": "file"})
    return token


def write(user_id: uuid.UUID, kind: str, data: bytes) -> str:
    """A pending file from bytes already in hand (pasted text)."""
    folder = _folder()
    _sweep(folder)
    token = secrets.token_hex(16)
    (folder / _name(user_id, token, kind)).write_bytes(data)
    return token


def path_of(user_id: uuid.UUID | None, token: str, kind: str) -> Path:
    """The member's pending file, or NotFound (gone after a day, or never theirs)."""
    if user_id is None or not _TOKEN.fullmatch(token or ""):
        raise NotFound(_("This upload is gone (uploads wait one day); upload the file again."))
    path = _folder() / _name(user_id, token, kind)
    if not path.is_file():
        raise NotFound(_("This upload is gone (uploads wait one day); upload the file again."))
    return path


def adopt(job: Import, path: Path) -> None:
    """Move the pending file to the job's staged upload (same folder tree: a rename)."""
    target = imports.staging_dir() / f"{job.id}.upload"
    os.replace(path, target)
    job.staged_path = str(target)
    job.bytes_total = target.stat().st_size
