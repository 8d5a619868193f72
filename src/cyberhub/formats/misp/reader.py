"""Read MISP events one at a time, from any of the shapes MISP writes.

- an event file: ``{"Event": {...}}``, a bare event object, a list of either, or the
  API's ``{"response": [...]}`` (streamed with ijson: one event in memory at a time);
- a feed, as MISP publishes it: a directory, or a ``.tar.gz``/``.tgz`` of one, holding
  ``manifest.json`` (event uuid → ``{"timestamp", "info", …}``) and ``<uuid>.json`` per
  event. Only events whose manifest timestamp is after ``since`` are read (the
  subscription cursor), oldest first.

Anything that is not MISP raises :class:`ConversionError` with what was wrong.
"""

from __future__ import annotations

import os
import re
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import ijson
import orjson

from cyberhub.formats.convert import ConversionError
from cyberhub.formats.nesting import NestingGuard
from cyberhub.i18n import _

MAX_EVENT_FILE_BYTES = 512 * 1_048_576
# MISP nests an event about eight levels deep (response, event, object, attribute, tag).
MAX_DEPTH = 64
_GZIP = b"\x1f\x8b"
_EVENT_KEYS = frozenset({"info", "Attribute", "Object", "uuid", "date", "Tag"})
_UUID_FILE = re.compile(r"^[0-9a-fA-F-]{36}\.json$")


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    uuid: str
    timestamp: int
    info: str


Progress = Callable[[float], None]  # told the share of the source read (0–1)


def events(source: Path, *, since: int | None = None,
           progress: Progress | None = None) -> Iterator[dict[str, Any]]:
    """Every event of ``source`` (a file, a feed directory or a feed archive), as the
    inner event object (without the ``{"Event": …}`` wrapper). Before each event is
    yielded, ``progress`` is told the share of the source read so far."""
    tell = progress or _ignore
    if source.is_dir():
        yield from _directory_feed(source, since, tell)
        return
    with source.open("rb") as raw:
        head = raw.read(2)
    if head == _GZIP:
        yield from _archive_feed(source, since, tell)
        return
    with source.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        for event in _event_file(stream):
            tell(min(1.0, stream.tell() / size) if size else 1.0)
            yield event


def _ignore(_share: float) -> None:
    pass


class _Share:
    """The share of a feed read: its manifest, then the event files it lists."""

    def __init__(self, tell: Progress, total: int) -> None:
        self.tell, self.total, self.done = tell, total, 0

    def add(self, size: int) -> None:
        self.done += size
        self.tell(min(1.0, self.done / self.total) if self.total else 1.0)


# --------------------------------------------------------------------------- feeds

def parse_manifest(data: bytes) -> list[ManifestEntry]:
    """The manifest's events, oldest first (ties by uuid, so the order is stable)."""
    try:
        manifest = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConversionError(_("manifest.json is not valid JSON: %(error)s")
                              % {"error": exc}) from None
    if not isinstance(manifest, dict):
        raise ConversionError(_("manifest.json must be a JSON object of event uuid → "
                                "{timestamp, info}, as MISP writes it."))
    entries = []
    for key, meta in manifest.items():
        try:
            event_uuid = str(uuid.UUID(key))
        except ValueError:
            raise ConversionError(_("manifest.json: %(key)r is not an event uuid.")
                                  % {"key": key[:80]}) from None
        stamp = meta.get("timestamp") if isinstance(meta, dict) else None
        try:
            timestamp = int(str(stamp))
        except ValueError:
            raise ConversionError(_("manifest.json: event %(uuid)s has no numeric "
                                    "timestamp.") % {"uuid": event_uuid}) from None
        info = meta.get("info") if isinstance(meta, dict) else None
        entries.append(ManifestEntry(event_uuid, timestamp, info if isinstance(info, str)
                                     else ""))
    entries.sort(key=lambda e: (e.timestamp, e.uuid))
    return entries


def newer(entries: list[ManifestEntry], since: int | None) -> list[ManifestEntry]:
    return entries if since is None else [e for e in entries if e.timestamp > since]


def _feed_event(data: bytes, entry: ManifestEntry) -> dict[str, Any]:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConversionError(_("The feed's event file %(uuid)s.json is not valid "
                                "JSON: %(error)s") % {"uuid": entry.uuid, "error": exc}) from None
    event = _unwrap(parsed)
    if event is None:
        raise ConversionError(_("The feed's event file %(uuid)s.json holds no MISP event "
                                "(expected {\"Event\": {…}}).") % {"uuid": entry.uuid})
    return event


def _directory_feed(root: Path, since: int | None,
                    tell: Progress) -> Iterator[dict[str, Any]]:
    manifest = root / "manifest.json"
    if not manifest.is_file():
        raise ConversionError(_("The feed has no manifest.json; a MISP feed is a directory "
                                "with manifest.json and one <uuid>.json file per event."))
    data = manifest.read_bytes()
    entries = newer(parse_manifest(data), since)
    paths = [root / f"{entry.uuid}.json" for entry in entries]
    share = _Share(tell, len(data) + sum(_size(path) for path in paths))
    share.add(len(data))
    for entry, path in zip(entries, paths, strict=True):
        if not path.is_file():
            raise ConversionError(_("The feed's manifest lists event %(uuid)s, but "
                                    "%(uuid)s.json is missing.") % {"uuid": entry.uuid})
        if path.stat().st_size > MAX_EVENT_FILE_BYTES:
            raise ConversionError(_too_large(f"{entry.uuid}.json"))
        data = path.read_bytes()
        event = _feed_event(data, entry)
        share.add(len(data))
        yield event


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # missing: said when its turn comes


def _archive_feed(path: Path, since: int | None,
                  tell: Progress) -> Iterator[dict[str, Any]]:
    try:
        archive = tarfile.open(path, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ConversionError(_("The file is compressed but not a readable .tar.gz feed: "
                                "%(error)s") % {"error": exc}) from None
    with archive:
        try:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ConversionError(_("The feed archive is damaged: %(error)s")
                                  % {"error": exc}) from None
        manifests = sorted((n for n in members if PurePosixPath(n).name == "manifest.json"),
                           key=lambda n: (n.count("/"), n))
        if not manifests:
            raise ConversionError(_("The archive holds no manifest.json; a MISP feed archive "
                                    "holds manifest.json and one <uuid>.json file per event."))
        folder = PurePosixPath(manifests[0]).parent
        data = _member(archive, members[manifests[0]])
        entries = newer(parse_manifest(data), since)
        found: list[tarfile.TarInfo | None] = []
        for entry in entries:
            name = str(folder / f"{entry.uuid}.json") if str(folder) != "." else (
                f"{entry.uuid}.json")
            found.append(members.get(name) or members.get(f"./{name}"))
        share = _Share(tell, len(data) + sum(m.size for m in found if m is not None))
        share.add(len(data))
        for entry, member in zip(entries, found, strict=True):
            if member is None:
                raise ConversionError(_("The feed's manifest lists event %(uuid)s, but "
                                        "%(uuid)s.json is missing from the archive.")
                                      % {"uuid": entry.uuid})
            event = _feed_event(_member(archive, member), entry)
            share.add(member.size)
            yield event


def _member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.size > MAX_EVENT_FILE_BYTES:
        raise ConversionError(_too_large(member.name))
    try:
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ConversionError(_("The feed archive is damaged at %(name)s: %(error)s")
                              % {"name": member.name, "error": exc}) from None


def _too_large(name: str) -> str:
    return _("%(name)s is larger than %(mib)d MiB.") % {
        "name": name, "mib": MAX_EVENT_FILE_BYTES // 1_048_576}


# --------------------------------------------------------------------------- event files

def _unwrap(item: Any) -> dict[str, Any] | None:
    """The event inside ``{"Event": …}``, or a bare event; None if it is neither."""
    if isinstance(item, dict):
        inner = item.get("Event")
        if isinstance(inner, dict):
            return inner
        if "Event" not in item and _EVENT_KEYS & item.keys():
            return item
    return None


def _first_byte(stream: IO[bytes] | NestingGuard) -> bytes:
    while chunk := stream.read(4096):
        stripped = chunk.lstrip()
        if stripped:
            return stripped[:1]
    return b""


def _top_key(stream: IO[bytes] | NestingGuard) -> str | None:
    """The first key of the top-level object (ijson stops reading there)."""
    for prefix, event, value in ijson.parse(stream):
        if prefix == "" and event == "map_key":
            return str(value)
        if prefix == "" and event == "end_map":
            return None
    return None


def _too_deep(limit: int) -> ConversionError:
    return ConversionError(_("The file nests deeper than %(n)d levels; MISP events never "
                             "do. Nothing was stored.") % {"n": limit})


def _event_file(raw: IO[bytes]) -> Iterator[dict[str, Any]]:
    stream = NestingGuard(raw, MAX_DEPTH, _too_deep)
    try:
        first = _first_byte(stream)
        stream.seek(0)
        if first == b"[":
            items = ijson.items(stream, "item", use_float=True)
            where = "item"
        elif first == b"{":
            key = _top_key(stream)
            stream.seek(0)
            if key == "response":
                items = ijson.items(stream, "response.item", use_float=True)
                where = "response item"
            elif key == "Event":
                items = ijson.items(stream, "Event", use_float=True)
                items = ({"Event": e} for e in items)
                where = "event"
            elif key in ("type", "objects") or key is None:
                raise ConversionError(_not_misp(key))
            else:
                data = stream.read(MAX_EVENT_FILE_BYTES + 1)
                if len(data) > MAX_EVENT_FILE_BYTES:
                    raise ConversionError(_("A single event larger than %(mib)d MiB.")
                                          % {"mib": MAX_EVENT_FILE_BYTES // 1_048_576})
                items = iter([orjson.loads(data)])
                where = "event"
        else:
            raise ConversionError(_("The file is not MISP event JSON: it must start with "
                                    "{ or [."))
        count = 0
        for index, item in enumerate(items):
            event = _unwrap(item)
            if event is None:
                if index == 0 and isinstance(item, dict) and _looks_like_manifest(item):
                    raise ConversionError(_(
                        "This is a feed's manifest.json; import the whole feed (the "
                        "directory or its .tar.gz) instead."))
                raise ConversionError(_not_an_event(where, index))
            count += 1
            yield event
        if count == 0 and first == b"{" and where == "event":
            raise ConversionError(_not_misp(None))
    except ijson.JSONError as exc:
        raise ConversionError(_invalid_json(exc)) from None
    except orjson.JSONDecodeError as exc:
        raise ConversionError(_invalid_json(exc)) from None
    except (ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise ConversionError(_invalid_json(exc)) from None


def _looks_like_manifest(item: dict[str, Any]) -> bool:
    return bool(item) and all(_UUID_FILE.match(f"{k}.json") and isinstance(v, dict)
                              for k, v in list(item.items())[:5])


def _not_misp(key: str | None) -> str:
    if key in ("type", "objects"):
        return _("The file looks like a STIX bundle, not MISP event JSON; import it with "
                 "the stix format.")
    return _("The file is not MISP event JSON: expected {\"Event\": {…}}, a list of "
             "events, or {\"response\": [...]}.")


def _not_an_event(where: str, index: int) -> str:
    """One sentence per place, so that translators see the whole of each."""
    if where == "item":
        text = _("Item %(index)d is not a MISP event (expected {\"Event\": {…}} with info "
                 "and Attribute).")
    elif where == "response item":
        text = _("Response item %(index)d is not a MISP event (expected {\"Event\": {…}} "
                 "with info and Attribute).")
    else:
        text = _("Event %(index)d is not a MISP event (expected {\"Event\": {…}} with info "
                 "and Attribute).")
    return text % {"index": index}


def _invalid_json(exc: Exception) -> str:
    return _("The file is not valid JSON: %(error)s") % {"error": exc}


def feed_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() \
        else os.path.getsize(path)
