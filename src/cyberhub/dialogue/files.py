"""Attachment files: what is accepted (by content, not by name) and where it is kept.

Accepted: PDF, PNG, JPEG, plain text and CSV, at most :data:`MAX_BYTES`. The type is
decided from the content's signature; the file name's extension (and the declared
media type, when one is given) must agree with it. Executables and scripts are refused,
and so are archives, which can expand without bound. Files live under
``<var>/dialogue-attachments/`` with random names, outside the static folder, and are
served only through the dialogue's access check.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cyberhub.config import get_settings
from cyberhub.errors import InvalidInput, NotFound, PayloadTooLarge
from cyberhub.i18n import _

MAX_BYTES: Final = 10 * 1024 * 1024
# What the extension says, and the media type each accepted kind is served as.
EXTENSIONS: Final = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
                     ".jpeg": "image/jpeg", ".txt": "text/plain", ".csv": "text/csv"}
_TEXT_TYPES: Final = {"text/plain", "text/csv"}
_EXECUTABLES: Final = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
                       b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!",
                       b"\x00asm", b"dex\n")
_ARCHIVES: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b",
                    b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh", b"\xfd7zXZ\x00",
                    b"\x28\xb5\x2f\xfd", b"MSCF", b"\x04\x22\x4d\x18")
# Script-like text that a double click would run, even without a #! line.
_SCRIPT_TEXT: Final = re.compile(rb"^\s*(<\?php|<script|<html|<!doctype html|@echo off)",
                                 re.IGNORECASE)
_STORE_NAME: Final = re.compile(r"[0-9a-f]{48}")


@dataclass(frozen=True)
class Checked:
    filename: str
    media_type: str


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, details={"field": "file"}, code="attachment_refused")


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    if not base:
        raise _refuse(_("The file needs a name with one of the extensions %(ext)s.")
                      % {"ext": ", ".join(EXTENSIONS)})
    if len(base) > 200:
        stem, ext = os.path.splitext(base)
        base = stem[: 200 - len(ext)] + ext
    return base


def sniff(data: bytes) -> str | None:
    """The accepted media type the content is, or None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    body = data.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in body:
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def check(data: bytes, filename: str, declared_type: str | None = None) -> Checked:
    """Decide whether ``data`` may be attached; raise a clear refusal otherwise."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("The file is larger than %(n)d bytes (10 MB).") % {"n": MAX_BYTES},
                              details={"field": "file"})
    if not data:
        raise _refuse(_("The file is empty."))
    name = clean_filename(filename)
    if data.startswith(_EXECUTABLES) or _SCRIPT_TEXT.match(data[:200]):
        raise _refuse(_("Executable files and scripts are not accepted as attachments."))
    if data.startswith(_ARCHIVES):
        raise _refuse(_("Archives (zip, gzip, 7z, rar and the like) are not accepted: they can "
                        "expand without bound. Attach the files themselves."))
    ext = os.path.splitext(name)[1].lower()
    expected = EXTENSIONS.get(ext)
    if expected is None:
        raise _refuse(_("Only PDF, PNG, JPEG, plain text and CSV files are accepted "
                        "(%(ext)s).") % {"ext": ", ".join(EXTENSIONS)})
    found = sniff(data)
    if found is None:
        raise _refuse(_("The file's content is not PDF, PNG, JPEG, plain text or CSV."))
    # Text has no signature: a .csv is CSV if its content is text.
    if found == "text/plain" and expected in _TEXT_TYPES:
        found = expected
    if found != expected:
        raise _refuse(_("The file's content (%(found)s) does not match its name "
                        "(%(ext)s).") % {"found": found, "ext": ext})
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared and declared not in ("application/octet-stream", expected) and not (
            expected in _TEXT_TYPES and declared in _TEXT_TYPES | {"application/csv",
                                                                   "application/vnd.ms-excel"}):
        raise _refuse(_("The file's content (%(found)s) does not match its declared type "
                        "(%(declared)s).") % {"found": expected, "declared": declared})
    return Checked(name, expected)


def folder() -> Path:
    path = get_settings().var_dir / "dialogue-attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(data: bytes) -> str:
    """Write the file under a random name; return that name."""
    name = secrets.token_hex(24)
    path = folder() / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return name


def path_of(storage_name: str) -> Path:
    if not _STORE_NAME.fullmatch(storage_name):
        raise NotFound()
    path = folder() / storage_name
    if not path.is_file():
        raise NotFound(_("The attachment's file is missing; ask the hub operator."))
    return path


def remove(storage_name: str) -> None:
    if _STORE_NAME.fullmatch(storage_name):
        (folder() / storage_name).unlink(missing_ok=True)
