"""Backups of a whole hub: one tar archive, restored as a whole (docs/backup.md).

An archive holds, in this order:

- ``database/cyberhub.sqlite3`` (a consistent online copy) or ``database/cyberhub.pgdump``
  (``pg_dump --format=custom``);
- ``files/evidence/…`` and ``files/dialogue-attachments/…``: the files the database
  points to, kept under the var directory;
- ``keys/deconfliction_key``, ``keys/password_pepper`` and ``keys/secret_key`` unless left
  out (``--exclude-keys``): without the first no registration matches again, without the
  second no password signs in, without the third no enrolled authenticator works. They
  make the archive a secret to keep encrypted;
- ``manifest.json`` last: format and version, engine, migration head, creation time, the
  hub's name, and the size and SHA-256 of every other member (computed as it is written,
  so each file is read once).

A restore reads the whole archive into a staging directory under the var directory and
checks every member against the manifest before it changes anything; then it replaces
the database, puts the files and keys in place, and migrates to the current head (so an
archive made by an earlier version restores into this one).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, cast

import orjson

from cyberhub import __version__, migrate
from cyberhub.backups import engines
from cyberhub.backups.engines import BackupError
from cyberhub.backups.progress import Progress
from cyberhub.config import Settings
from cyberhub.i18n import _

FORMAT: Final = "cyberhub-backup"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "manifest.json"
DATABASE_MEMBER: Final = {"sqlite": "database/cyberhub.sqlite3",
                          "postgresql": "database/cyberhub.pgdump"}
# Folders under the var directory whose files the database refers to.
FILE_FOLDERS: Final = ("evidence", "dialogue-attachments")
# Key files under the var directory: the deconfliction key, the pepper of the password
# hashes, and the secret key that encrypts second-factor secrets (and signs forms).
KEY_FILES: Final = ("deconfliction_key", "password_pepper", "secret_key")
_MEMBER: Final = re.compile(
    r"database/cyberhub\.(sqlite3|pgdump)"
    r"|files/(" + "|".join(re.escape(f) for f in FILE_FOLDERS) + r")/[A-Za-z0-9._-]{1,200}"
    r"|keys/(" + "|".join(re.escape(k) for k in KEY_FILES) + r")")
_MANIFEST_MAX: Final = 256 * 1024**2
CHUNK: Final = 1024 * 1024


@dataclass
class Member:
    name: str
    size: int
    sha256: str


@dataclass
class Summary:
    path: Path
    engine: str
    migration_head: str
    members: list[Member]
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(1 for m in self.members if m.name.startswith("files/"))

    @property
    def keys(self) -> int:
        return sum(1 for m in self.members if m.name.startswith("keys/"))

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)


# ------------------------------------------------------------------ backup

def _hub_files(settings: Settings, include_keys: bool) -> Iterator[tuple[str, Path]]:
    for folder in FILE_FOLDERS:
        root = settings.var_dir / folder
        if not root.is_dir():
            continue
        for path in sorted(root.iterdir()):
            # Finished files only: an upload still arriving ends in .part.
            if path.is_file() and not path.is_symlink() and not path.name.endswith(".part") \
                    and _MEMBER.fullmatch(f"files/{folder}/{path.name}"):
                yield f"files/{folder}/{path.name}", path
    if include_keys:
        for name in KEY_FILES:
            path = settings.var_dir / name
            if path.is_file():
                yield f"keys/{name}", path


def _key_warnings(settings: Settings, include_keys: bool) -> list[str]:
    warnings: list[str] = []
    if settings.key_service:
        return [_("The hub's keys are held by its key service (CYBERHUB_KEY_SERVICE) and "
                  "are not in the archive: back up the key service's own var directory or "
                  "credentials, and keep them with the backups. Without them no password "
                  "signs in and no encrypted secret opens after a restore.")]
    if not include_keys:
        warnings.append(_("The keys were left out: keep var/deconfliction_key, "
                          "var/password_pepper and var/secret_key safe elsewhere. Without the "
                          "first, no deconfliction registration matches after a restore; "
                          "without the second, no password signs in; without the third, no "
                          "enrolled authenticator works."))
    else:
        if settings.deconfliction_key:
            warnings.append(_("The deconfliction key comes from CYBERHUB_DECONFLICTION_KEY and "
                              "is not in the archive: keep it with the backups."))
        if settings.password_pepper:
            warnings.append(_("The password pepper comes from CYBERHUB_PASSWORD_PEPPER and is "
                              "not in the archive: keep it with the backups."))
        if settings.secret_key and not (settings.var_dir / "secret_key").is_file():
            warnings.append(_("The secret key comes from CYBERHUB_SECRET_KEY and is not in "
                              "the archive: keep it with the backups."))
    return warnings


class _Hashing:
    """A file object that hashes and counts what is read through it."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.progress.advance(len(data))
        return data


def _add(tar: tarfile.TarFile, name: str, path: Path, mtime: float,
         progress: Progress) -> Member:
    with path.open("rb") as raw:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(raw.fileno()).st_size
        info.mtime = int(mtime)
        info.mode = 0o600
        reader = _Hashing(raw, progress)
        tar.addfile(info, reader)
    return Member(name, info.size, reader.digest.hexdigest())


def _tar_mode(path: Path, writing: bool) -> Any:
    if not writing:
        return "r|*"
    return "w|gz" if path.name.endswith((".gz", ".tgz")) else "w|"


def create(settings: Settings, path: Path, *, include_keys: bool = True,
           progress: Progress | None = None) -> Summary:
    """Write a backup of the hub to ``path`` (a new file; ``.tar.gz`` compresses)."""
    progress = progress or Progress()
    url = settings.resolved_database_url()
    engine = engines.engine_name(url)
    path = path.expanduser().absolute()
    if path.exists():
        raise BackupError(_("%(path)s already exists; choose a new name (backups are never "
                            "overwritten).") % {"path": path})
    if not path.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": path.parent})
    created = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix=".cyberhub-backup-", dir=path.parent) as tmp:
        staged = Path(tmp) / "database"
        progress.phase(_("Copying the database"))
        if engine == "sqlite":
            engines.sqlite_dump(url, staged)
            head = engines.migration_head(f"sqlite:///{staged}")
        else:
            head = engines.migration_head(url)
            engines.pg_dump(url, staged)
        if head is None:
            raise BackupError(_("The database has no schema yet; run 'cyberhub db upgrade' "
                                "first."))
        # The files after the database: every file the copied database refers to is
        # already on disk (files are written before their record commits).
        sources = [(DATABASE_MEMBER[engine], staged), *_hub_files(settings, include_keys)]
        total = sum(p.stat().st_size for _name, p in sources)
        progress.phase(_("Writing the archive"), total)
        partial = path.with_name(path.name + ".part")
        members: list[Member] = []
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out, \
                    tarfile.open(fileobj=out, mode=_tar_mode(path, True),
                                 format=tarfile.PAX_FORMAT) as tar:
                for name, source in sources:
                    members.append(_add(tar, name, source, created.timestamp(), progress))
                manifest = orjson.dumps({
                    "format": FORMAT, "format_version": FORMAT_VERSION, "engine": engine,
                    "migration_head": head, "created_at": created.isoformat(),
                    "hub_name": settings.hub_name, "cyberhub_version": __version__,
                    "keys_included": include_keys,
                    "members": [m.__dict__ for m in members]}, option=orjson.OPT_INDENT_2)
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(manifest), int(created.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(manifest))
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Summary(path, engine, head, members, _key_warnings(settings, include_keys))


# ------------------------------------------------------------------ restore

@dataclass
class _Staged:
    folder: Path
    found: dict[str, Member] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None


def _read(path: Path, staging: Path, progress: Progress) -> _Staged:
    staged = _Staged(staging)
    progress.phase(_("Reading and checking the archive"), path.stat().st_size)
    damaged = _("%(path)s is damaged or is not a cyberhub backup") % {"path": path}
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BackupError(_("%(path)s could not be read: %(error)s")
                          % {"path": path, "error": exc}) from exc
    try:
        with raw, tarfile.open(fileobj=cast(IO[bytes], _Counting(raw, progress)),
                                    mode="r|*") as tar:
            for info in tar:
                name = info.name
                if name in staged.found or (name == MANIFEST and staged.manifest is not None):
                    raise BackupError(_("%(what)s: the member %(name)s appears twice.")
                                      % {"what": damaged, "name": name})
                if not info.isfile() or not (name == MANIFEST or _MEMBER.fullmatch(name)):
                    raise BackupError(_("%(what)s: unexpected member %(name)s.")
                                      % {"what": damaged, "name": name})
                source = tar.extractfile(info)
                assert source is not None
                if name == MANIFEST:
                    if info.size > _MANIFEST_MAX:
                        raise BackupError(_("%(what)s: the manifest is too large.")
                                          % {"what": damaged})
                    try:
                        manifest = orjson.loads(source.read())
                    except orjson.JSONDecodeError:
                        manifest = None
                    if not isinstance(manifest, dict):
                        raise BackupError(_("%(what)s: the manifest is not a JSON object.")
                                          % {"what": damaged})
                    staged.manifest = manifest
                    continue
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                staged.found[name] = Member(name, size, digest.hexdigest())
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(_("%(what)s (%(error)s).") % {"what": damaged, "error": exc}) from exc
    if staged.manifest is None:
        raise BackupError(_("%(what)s: it has no manifest.") % {"what": damaged})
    return staged


class _Counting:
    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.progress.advance(len(data))
        return data


def _check(staged: _Staged, path: Path) -> tuple[str, str, list[Member]]:
    """The engine and head of a verified archive, and its members; raises on any doubt."""
    manifest = staged.manifest or {}
    if manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not a cyberhub backup.") % {"path": path})
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(_("%(path)s was written in backup format %(version)s, which this "
                            "version of cyberhub does not read; restore it with the version "
                            "that made it, or a newer one.")
                          % {"path": path, "version": version})
    listed: dict[str, Member] = {}
    for entry in manifest.get("members") or []:
        try:
            member = Member(str(entry["name"]), int(entry["size"]), str(entry["sha256"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(_("%(path)s has a malformed manifest.") % {"path": path}) from exc
        listed[member.name] = member
    for name, member in sorted(listed.items()):
        found = staged.found.get(name)
        if found is None:
            raise BackupError(_("The member %(name)s listed in the manifest is missing from "
                                "the archive; nothing was restored.") % {"name": name})
        if found.sha256 != member.sha256 or found.size != member.size:
            raise BackupError(_("The member %(name)s does not match its SHA-256 in the "
                                "manifest: the archive is damaged or was altered; nothing was "
                                "restored.") % {"name": name})
    for name in sorted(set(staged.found) - set(listed)):
        raise BackupError(_("The member %(name)s is not listed in the manifest: the archive "
                            "was altered; nothing was restored.") % {"name": name})
    engine = manifest.get("engine")
    if engine not in DATABASE_MEMBER or DATABASE_MEMBER[engine] not in listed:
        raise BackupError(_("%(path)s holds no database.") % {"path": path})
    head = manifest.get("migration_head")
    if not isinstance(head, str) or not _known_revision(head):
        raise BackupError(_("%(path)s was made at schema revision %(head)s, which this version "
                            "of cyberhub does not know: restore it with the version that made "
                            "it, or a newer one.") % {"path": path, "head": head})
    return engine, head, list(listed.values())


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of an archive, without checking the members."""
    with tarfile.open(path, "r:*") as tar:
        source = tar.extractfile(MANIFEST)
        if source is None:
            raise BackupError(_("%(path)s has no manifest.") % {"path": path})
        value: dict[str, Any] = orjson.loads(source.read())
        return value


def restore(settings: Settings, path: Path, *, force: bool = False,
            progress: Progress | None = None) -> Summary:
    """Restore the archive at ``path`` into the configured database and var directory."""
    progress = progress or Progress()
    path = path.expanduser().absolute()
    if not path.is_file():
        raise BackupError(_("%(path)s does not exist.") % {"path": path})
    url = settings.resolved_database_url()
    target_engine = engines.engine_name(url)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=settings.var_dir) as tmp:
        staged = _read(path, Path(tmp), progress)
        engine, head, members = _check(staged, path)
        if engine != target_engine:
            raise BackupError(_("%(path)s holds a %(engine)s database, but the hub is configured "
                                "for %(target)s; set CYBERHUB_DATABASE_URL to a %(engine)s "
                                "database to restore it.")
                              % {"path": path, "engine": engine, "target": target_engine})
        if not force and engines.has_data(url):
            raise BackupError(_("The hub's database already holds data; restore into an empty "
                                "database, or add --force to replace everything in it."))
        # Everything checked: from here on the hub's data is replaced.
        progress.phase(_("Restoring the database"))
        database = Path(tmp) / DATABASE_MEMBER[engine]
        if engine == "sqlite":
            engines.sqlite_restore(url, database)
        else:
            engines.pg_replace(url, database)
        progress.phase(_("Restoring the files"))
        for member in members:
            # A hub whose keys a key service holds keeps none in its var directory.
            if member.name.startswith(("files/", "keys/")) and not (
                    settings.key_service and member.name.startswith("keys/")):
                relative = member.name.split("/", 1)[1]
                destination = settings.var_dir / relative
                destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.replace(Path(tmp) / member.name, destination)
                os.chmod(destination, 0o600)
        progress.phase(_("Migrating the database"))
        migrate.upgrade(url)
    warnings: list[str] = []
    keys = {m.name for m in members if m.name.startswith("keys/")}
    if settings.key_service:
        if keys:
            warnings.append(_("The archive holds keys (%(names)s), but the hub's keys are held "
                              "by its key service: they were not restored here. Give them to "
                              "the key service if it lost its own.")
                            % {"names": ", ".join(sorted(k.split("/", 1)[1] for k in keys))})
        return Summary(path, engine, head, members, warnings)
    if "keys/deconfliction_key" not in keys:
        warnings.append(_("The archive holds no deconfliction key: put the original "
                          "var/deconfliction_key (or CYBERHUB_DECONFLICTION_KEY) in place, or "
                          "no existing registration matches."))
    elif settings.deconfliction_key:
        warnings.append(_("CYBERHUB_DECONFLICTION_KEY is set and takes precedence over the "
                          "restored var/deconfliction_key; unset it unless it is the same key."))
    if "keys/password_pepper" not in keys and not settings.password_pepper:
        warnings.append(_("The archive holds no password pepper: put the original "
                          "var/password_pepper (or CYBERHUB_PASSWORD_PEPPER) in place, or no "
                          "password set since the pepper was made signs in."))
    elif "keys/password_pepper" in keys and settings.password_pepper and \
            (settings.var_dir / "password_pepper").read_text().strip() != \
            settings.password_pepper:
        warnings.append(_("CYBERHUB_PASSWORD_PEPPER is set and takes precedence over the "
                          "restored var/password_pepper; unset it unless it is the same key."))
    if "keys/secret_key" in keys and settings.secret_key and \
            (settings.var_dir / "secret_key").read_text().strip() != settings.secret_key:
        warnings.append(_("CYBERHUB_SECRET_KEY is set and takes precedence over the restored "
                          "var/secret_key; unset it unless it is the same key."))
    return Summary(path, engine, head, members, warnings)
