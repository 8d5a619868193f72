"""Streaming STIX 2.1 import: validate, store, version and index, in one transaction.

The bundle is read one object at a time (each found by a scan and decoded by orjson;
ijson decides the rare cases where the two could differ), so memory stays flat
whatever the file's size. Objects are processed in batches: validated, classified
against what the organisation already holds (new, unchanged, new version, older
version, duplicate in this bundle) and written with executemany. Everything happens in
the caller's transaction, so a crash or a kill leaves nothing half-written; in strict
mode a single invalid object rejects the whole import (every error is still listed),
in lenient mode valid objects are stored and each invalid one is reported.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import multiprocessing
import os
import queue
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import ijson
import orjson
from sqlalchemy import delete, exists, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from cyberhub import access, audit, i18n
from cyberhub.access import Viewer
from cyberhub.audience import Audience
from cyberhub.community.models import Organisation
from cyberhub.db import new_id, utcnow
from cyberhub.formats import convert
from cyberhub.formats.convert import ConversionError, ConvertContext, Notice
from cyberhub.formats.stix.validate import validate_object
from cyberhub.i18n import _, format_number
from cyberhub.intel import bulk, search_index
from cyberhub.intel.markings import (
    TLP_BY_MARKING,
    org_identity_id,
    pap_named,
    stricter_pap,
    tlp_of,
)
from cyberhub.intel.models import (
    ObservableValue,
    StixObject,
    StixObjectVersion,
    StixRef,
    Vetting,
)
from cyberhub.intel.normalise import values_of
from cyberhub.sharing import PAP, TLP, AudienceEntry

BATCH = 2000
MAX_ERRORS_KEPT = 1000
MAX_OBJECT_BYTES = 1_048_576
# Bytes read without completing an object before the import gives up on the file.
MAX_STREAMED_OBJECT_BYTES = 16 * 1_048_576
MAX_DEPTH = 64
MAX_NAME = 500
MAX_DESCRIPTION = 20_000
# SQLite's page cache for the importing connection (2 MB otherwise): the indexes on STIX
# ids, value keys and reference ends take random inserts. At a million objects 128 MB
# imported 21,100–21,600 objects/s against 19,400–20,900 at 64 MB, for 268 MB of peak
# RSS instead of 194 (bench_import.py, alternating runs). A million MISP attributes
# (1.2 million objects) were stored in 83 s of the storing process's time at 192 MB
# against 92 s at 128 MB, for 343 MB of peak RSS instead of 270 (bench_misp.py).
SQLITE_CACHE_KIB = 196_608
# Files from this size on are read and validated in a second process while this one
# stores (two cores on one import); smaller ones are not worth the process start.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
# Messages (batches) the reading process may have prepared before the storing process
# takes them (see _Sender).
SEND_AHEAD = 4
# Young-generation threshold of the cyclic garbage collector while an import runs (the
# default is 700). Each batch keeps tens of thousands of containers alive for a moment;
# at 700 they are traversed again and again and pushed into the old generations, whose
# full collections then walk the whole heap: a third of the import's time. The import's
# own data makes no reference cycles, but SQLAlchemy's statements do (and hold a batch's
# ids): the writer collects the young generation after each batch, when it is small.
GC_YOUNG_THRESHOLD = 50_000
# Embedded references that are not edges of the knowledge graph: every object has them.
_NOT_EDGES = frozenset({"created_by_ref", "object_marking_refs"})


class ImportFileError(Exception):
    """The file as a whole cannot be read as a STIX 2.1 bundle."""


@dataclass
class Problem:
    index: int
    id: str | None
    path: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "path": self.path, "message": self.message}


@dataclass
class ImportCounts:
    seen: int = 0
    stored: int = 0
    unchanged: int = 0
    new_versions: int = 0
    invalid: int = 0
    bytes_done: int = 0


@dataclass
class ImportResult:
    counts: ImportCounts
    problems: list[Problem] = field(default_factory=list)

    def add_problem(self, problem: Problem) -> None:
        if len(self.problems) < MAX_ERRORS_KEPT:
            self.problems.append(problem)


@dataclass(frozen=True)
class ImportSettings:
    """What applies to every object of one import."""

    viewer: Viewer
    tlp: TLP
    pap: PAP | None = None
    audience: Audience = field(default_factory=Audience)
    strict: bool = True
    source: str = "import"
    import_id: uuid.UUID | None = None
    # From a partner hub: a version the hub already holds (under any owner) is taken as
    # unchanged — what makes sync idempotent and stops objects going round in a loop —
    # and objects marked AMBER+STRICT or RED, which must never leave their hub, are
    # refused and audited.
    from_partner: bool = False


Progress = Callable[[ImportCounts], None]


# Tokens of the scanner: a string, the start of a string that does not end in the
# buffer (read more), or a bracket.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|"|[\[\]{}]', re.DOTALL)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(rb"[^,\]} \t\r\n]*")
# Where an object in the array may end: "}" before "," or "]".
_OBJECT_END = re.compile(rb"\}[ \t\r\n]*[,\]]")
# A run of digits as long as a 64-bit integer's: ijson and orjson differ on numbers
# out of that range, so such objects are read by ijson, which decided before.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")
_JSON_WS = b" \t\r\n"
_READ_SIZE = 1 << 20


class _NotJSON(Exception):
    """The file stops being valid JSON here."""


def _loads(piece: bytes) -> Any:
    """One JSON value, decoded exactly as ijson (the reader's reference) decodes it.

    orjson is ten times faster; where it could decide differently (numbers beyond 64
    bits, lone surrogates, anything it refuses) ijson decides."""
    if _LONG_NUMBER.search(piece) is None:
        try:
            return orjson.loads(piece)
        except orjson.JSONDecodeError:
            pass
    try:
        values = list(ijson.items(io.BytesIO(b"[" + piece + b"]"), "item", use_float=True))
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # invalid UTF-8 is not JSON
        raise _NotJSON(str(exc)) from None
    if len(values) != 1:
        raise _NotJSON("expected one value")
    return values[0]


class _BundleReader:
    """The objects of a bundle, one at a time, with the rest of the file checked to be
    JSON, in flat memory.

    The bytes of each entry of "objects" are found by a scan, then decoded at once by
    orjson (ijson, event by event, costs several times more). Guards, as the file
    streams:
    - one entry may not grow beyond MAX_STREAMED_OBJECT_BYTES (a file that is one
      endless object is cut off before it is held in memory);
    - nesting beyond MAX_DEPTH is refused before any parser meets it. An entry whose
      brackets are too few to reach that depth, strings included, needs no exact count.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.buf = b""
        self.pos = 0
        self.count = 0  # bytes read, for progress reports
        self.index = 0  # entries of "objects" read so far

    # -------------------------------------------------------------- bytes

    def _more(self, start: int) -> int:
        """Read more; bytes before ``start`` are dropped. Returns the new offset of
        ``start``; raises if the file ends or the value at ``start`` is too big."""
        self._check_size(start, len(self.buf))
        data = self.raw.read(_READ_SIZE)
        if not data:
            raise _NotJSON("the file ends too early")
        self.count += len(data)
        self.buf = self.buf[start:] + data
        self.pos -= start
        return 0

    def _check_size(self, start: int, end: int) -> None:
        if end - start > MAX_STREAMED_OBJECT_BYTES:
            raise ImportFileError(
                _("Object %(index)d of the bundle is larger than %(n)d MiB; nothing was "
                  "stored.") % {"index": self.index,
                                "n": MAX_STREAMED_OBJECT_BYTES // 1_048_576})

    def _peek(self) -> int:
        """The next byte that is not white space (not consumed)."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _JSON_WS:
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            self._more(pos)

    def _expect(self, char: bytes) -> None:
        if self._peek() != char[0]:
            raise _NotJSON(f"expected {char.decode()!r} at byte {self._at()}")
        self.pos += 1

    def _at(self) -> int:
        return self.count - len(self.buf) + self.pos

    # -------------------------------------------------------------- values

    def _value(self, depth: int) -> Any:
        """Decode the value at the current position, ``depth`` levels deep."""
        self._peek()
        end = self._end(depth)  # may read more, which moves the value to the start
        start, self.pos = self.pos, end
        self._check_size(start, end)
        return _loads(self.buf[start:end])

    def _end(self, depth: int) -> int:
        """Where the value at the current position ends, reading as needed."""
        first = self.buf[self.pos]
        if first == 0x22:  # a string
            while (m := _STRING.match(self.buf, self.pos)) is None:
                self._more(self.pos)
            return m.end()
        if first not in b"[{":  # a number, true, false, null, or something invalid
            while True:
                end = _SCALAR.match(self.buf, self.pos).end()  # type: ignore[union-attr]
                if end < len(self.buf):
                    return end
                try:
                    self._more(self.pos)
                except _NotJSON:
                    return end  # the file ends right after it
        level = 0
        scan = self.pos
        while True:
            for m in _TOKEN.finditer(self.buf, scan):
                token = m.group()
                if token[0] == 0x22:
                    if len(token) == 1:  # the string runs past the buffer
                        break
                    continue
                if token in (b"[", b"{"):
                    level += 1
                    if depth + level > MAX_DEPTH:
                        raise ImportFileError(
                            _("The file nests deeper than %(n)d levels (near object "
                              "%(index)d); STIX objects never do. Nothing was stored.")
                            % {"n": MAX_DEPTH, "index": self.index})
                else:
                    level -= 1
                    if level == 0:
                        return m.end()
                scan = m.end()
            else:
                scan = len(self.buf)
            scan -= self.pos
            self._more(self.pos)
            scan += self.pos

    def _entry(self) -> Any:
        """The next entry of the objects array (3 levels deep: bundle, array, entry)."""
        if self._peek() != 0x7B:  # not an object: the exact scan decides
            return self._value(2)
        start = self.pos
        search = start
        for _attempt in range(4):
            m = _OBJECT_END.search(self.buf, search)
            while m is None:
                search -= start
                try:
                    start = self._more(start)
                except _NotJSON:  # the file ends: let the exact way say where
                    return self._value(2)
                search += start
                m = _OBJECT_END.search(self.buf, search)
            end = m.start() + 1
            self._check_size(start, end)
            piece = self.buf[start:end]
            if (piece.count(b"{") + piece.count(b"[") > MAX_DEPTH - 2
                    or _LONG_NUMBER.search(piece) is not None):
                break  # deep (or brackets in strings), or a long number: the exact way
            try:
                # A piece orjson reads as one whole object is the entry: a "}" inside a
                # string or closing a nested object cannot end a valid object.
                obj = orjson.loads(piece)
            except orjson.JSONDecodeError:
                search = end  # not the end of the entry; try the next candidate
                continue
            self.pos = end
            return obj
        return self._value(2)

    # -------------------------------------------------------------- the bundle

    def objects(self) -> Iterator[Any]:
        """Each entry of the top-level "objects" array(s), in order."""
        try:
            yield from self._bundle()
        except (_NotJSON, ijson.JSONError) as exc:
            raise ImportFileError(
                _("The file stops being valid JSON after object %(index)d (byte %(byte)d): "
                  "%(error)s") % {"index": self.index, "byte": self.count, "error": exc}
            ) from None

    def _bundle(self) -> Iterator[Any]:
        self._expect(b"{")
        if self._peek() == 0x7D:
            self.pos += 1
        else:
            while True:
                if self._peek() != 0x22:
                    raise _NotJSON(f"expected a property name at byte {self._at()}")
                key = self._value(1)
                self._expect(b":")
                if key == "objects" and self._peek() == 0x5B:
                    self.pos += 1
                    yield from self._entries()
                else:
                    self._value(1)
                following = self._peek()
                self.pos += 1
                if following == 0x7D:
                    break
                if following != 0x2C:
                    raise _NotJSON(f"expected ',' or '}}' at byte {self._at() - 1}")
        try:
            self._peek()
        except _NotJSON:
            return  # nothing but white space after the bundle
        raise _NotJSON(f"unexpected data after the bundle at byte {self._at()}")

    def _entries(self) -> Iterator[Any]:
        if self._peek() == 0x5D:
            self.pos += 1
            return
        while True:
            obj = self._entry()
            yield obj
            self.index += 1
            following = self._peek()
            self.pos += 1
            if following == 0x5D:
                return
            if following != 0x2C:
                raise _NotJSON(f"expected ',' or ']' at byte {self._at() - 1}")


def check_bundle(stream: BinaryIO) -> None:
    """Check the top level: a JSON object with type "bundle" and an "objects" array.

    Reads up to the start of the objects array (bundles put their header first; if one
    does not, the rest is scanned too). The stream is rewound afterwards."""
    seen: dict[str, Any] = {}
    has_objects = False
    depth = 0
    key: str | None = None
    try:
        # basic_parse, not parse: parse's prefixes grow with the nesting, so a file of
        # nested brackets would cost quadratic time before the first object is read.
        for event, value in ijson.basic_parse(stream):
            if depth == 0 and event != "start_map":
                raise ImportFileError(_("The file is not a STIX bundle: its top level is not "
                                        "a JSON object."))
            if depth == 1 and event == "map_key":
                key = value
                continue
            if depth == 1 and key == "objects" and not has_objects:  # its start, not its end
                if event != "start_array":
                    raise ImportFileError(_("The bundle's \"objects\" is not an array."))
                has_objects = True
                if "type" in seen:
                    break
            elif depth == 1 and key in ("type", "id", "spec_version") \
                    and event in ("string", "number"):
                seen[key] = value
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # invalid UTF-8 is not JSON
        raise ImportFileError(_("The file is not valid JSON: %(error)s") % {"error": exc}
                              ) from None
    finally:
        stream.seek(0)
    if seen.get("type") != "bundle":
        raise ImportFileError(_("The file is not a STIX bundle: the top-level object's type "
                                "must be \"bundle\"."))
    if seen.get("spec_version") not in (None, "2.1"):
        raise ImportFileError(_("This is a STIX %(version)s bundle; the hub reads STIX 2.1.")
                              % {"version": seen["spec_version"]})
    bundle_id = seen.get("id")
    if not isinstance(bundle_id, str) or not bundle_id.startswith("bundle--"):
        raise ImportFileError(_("The bundle has no valid id (bundle--<UUID>)."))
    if not has_objects:
        raise ImportFileError(_("The bundle has no \"objects\" array."))


# Timestamp text → datetime, memoised: objects converted from one MISP event, or made by
# one tool run, share a handful of timestamps. One datetime per text also lets pickle send
# it once per batch.
_timestamps: dict[str, datetime | None] = {}
_TIMESTAMPS_KEPT = 4096


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _timestamps[value]
    except KeyError:
        pass
    text = value.rstrip("Z")
    if "." in text:  # STIX allows any precision; Python keeps microseconds
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    try:
        found: datetime | None = datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        found = None
    if len(_timestamps) >= _TIMESTAMPS_KEPT:
        _timestamps.clear()
    _timestamps[value] = found
    return found


def value_key(kind: str, value: str) -> int:
    digest = hashlib.blake2b(f"{kind}\x1f{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


# Property name → 1 for a *_ref, 2 for a *_refs edge, 0 for anything else (memoised:
# objects repeat a few dozen property names).
_edge_keys: dict[str, int] = {}


def _edge_key(key: str) -> int:
    found = _edge_keys.get(key)
    if found is None:
        found = 0 if key in _NOT_EDGES else 1 if key.endswith("_ref") else (
            2 if key.endswith("_refs") else 0)
        if len(_edge_keys) < 65_536:
            _edge_keys[key] = found
    return found


def _edges(obj: dict[str, Any], stix_id: str) -> Iterator[tuple[str, str, str]]:
    """(source, target, kind) references of one object, relationships first-class."""
    kind = obj.get("type")
    if kind == "relationship":
        src, dst = obj.get("source_ref"), obj.get("target_ref")
        if isinstance(src, str) and isinstance(dst, str):
            yield src, dst, f"relationship:{obj.get('relationship_type', '')}"[:300]
        return
    edge_keys = _edge_keys
    for key, value in obj.items():
        which = edge_keys.get(key)
        if which is None:
            which = _edge_key(key)
        if which == 1 and isinstance(value, str):
            yield stix_id, value, key
        elif which == 2 and isinstance(value, list):
            for ref in value:
                if isinstance(ref, str):
                    yield stix_id, ref, key


# References that must resolve for the object to make sense; others (created_by_ref,
# object_refs of a report pointing at things the sender did not include, …) may dangle.
_MUST_RESOLVE = frozenset({"sighting_of_ref"})


class Prepared(NamedTuple):
    """One valid object, reduced to what storing it needs (picklable: the parallel
    import prepares objects in another process)."""

    pos: int  # position in the bundle's objects array
    sid: str
    type: str
    spec_version: str | None
    created: datetime | None
    modified: datetime | None
    has_modified: bool
    revoked: bool
    name: str | None
    description: str | None
    confidence: int | None
    labels: list[Any]
    data: str
    tlp: TLP
    pap: PAP | None  # the strictest PAP the data names (the import's may be stricter)
    values: list[tuple[str, str, int]]
    edges: list[tuple[str, str, str]]


Refusal = tuple[int, str | None, list[tuple[str, str]]]  # index, id, [(path, message)]


def prepare(index: int, obj: Any, default_tlp: TLP,
            foreign_identities: frozenset[str]) -> Prepared | Refusal:
    """Validate one object and compute everything storing it needs."""
    if not isinstance(obj, dict):
        return index, None, [("", _("Each entry of \"objects\" must be a JSON object."))]
    sid = obj.get("id")
    sid = sid if isinstance(sid, str) else None
    problems = validate_object(obj)
    if problems:
        return index, sid, [(p.path, p.message) for p in problems]
    creator = obj.get("created_by_ref")
    if isinstance(creator, str) and creator in foreign_identities:
        return index, sid, [("created_by_ref", _("created_by_ref names another member "
                                                 "organisation; an import may only speak "
                                                 "for its own organisation."))]
    try:
        data = orjson.dumps(obj)
    except orjson.JSONEncodeError as exc:  # too deep, or integers beyond 64 bits
        return index, sid, [("", _("The object cannot be stored: %(error)s.") % {"error": exc})]
    if len(data) > MAX_OBJECT_BYTES:
        return index, sid, [("", _("The object is larger than %(n)s bytes.")
                             % {"n": format_number(MAX_OBJECT_BYTES)})]
    # A bundle's reader refuses deeper nesting before it decodes; an object a converter
    # made was never read, and is refused here (2 levels: the bundle and its array).
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH - 2 and _depth(obj) > MAX_DEPTH - 2:
        return index, sid, [("", _("The object nests deeper than %(n)d levels; STIX objects "
                                   "never do.") % {"n": MAX_DEPTH - 2})]
    assert sid is not None
    text = data.decode()
    name = obj.get("name") if isinstance(obj.get("name"), str) else obj.get("value")
    description = obj.get("description")
    labels = obj.get("labels")
    confidence = obj.get("confidence")
    created_text, modified_text = obj.get("created"), obj.get("modified")
    created = _timestamp(created_text)
    markings = obj.get("object_marking_refs")
    granular = obj.get("granular_markings")
    if isinstance(granular, list) and granular:
        # A TLP marking on part of the object marks the record: the hub shares objects
        # whole, so the strictest marking anywhere in it decides who may see it.
        markings = [*(markings if isinstance(markings, list) else []),
                    *(g.get("marking_ref") for g in granular if isinstance(g, dict))]
    return Prepared(
        pos=index, sid=sid, type=obj["type"], spec_version=obj.get("spec_version"),
        created=created,
        modified=created if modified_text == created_text else _timestamp(modified_text),
        has_modified=modified_text is not None or "modified" in obj,
        revoked=obj.get("revoked") is True,
        name=name[:MAX_NAME] if isinstance(name, str) else None,
        description=description[:MAX_DESCRIPTION] if isinstance(description, str) else None,
        confidence=confidence if isinstance(confidence, int) else None,
        labels=list(labels) if isinstance(labels, list) else [], data=text,
        tlp=default_tlp if markings is None else tlp_of(markings, default_tlp),
        pap=pap_named(text),
        values=[(k, v, value_key(k, v)) for k, v in values_of(obj)],
        edges=[(src[:300], dst[:300], kind) for src, dst, kind in _edges(obj, sid)])


def _depth(value: Any) -> int:
    """How deep a decoded JSON value nests (a scalar: 0)."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@contextlib.contextmanager
def _rare_collections() -> Generator[None, None, None]:
    """Collect cyclic garbage rarely while the block runs (see GC_YOUNG_THRESHOLD)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class _Sender:
    """Sends a reading process's messages to the storing process from a thread, up to
    SEND_AHEAD messages behind: a pipe holds 64 KiB and a batch about a megabyte, so
    sending from the preparing thread would stop it whenever the storing process is busy
    with a batch that takes longer than most, and the two would wait on each other by
    turns. Messages are pickled by the caller; the thread only writes (without the GIL)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.queue: queue.Queue[memoryview | None] = queue.Queue(SEND_AHEAD)
        self.failed: BaseException | None = None
        self.thread = threading.Thread(target=self._write, name="import-sender", daemon=True)
        self.thread.start()

    def send(self, message: tuple[Any, ...]) -> None:
        if self.failed is not None:  # the storing process is gone: stop preparing
            raise self.failed
        self.queue.put(ForkingPickler.dumps(message))

    def _write(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.failed is None:  # after a failure, drain: no put may wait for ever
                try:
                    self.conn.send_bytes(data)
                except BaseException as exc:
                    self.failed = exc

    def close(self) -> None:
        """Wait until everything queued is written."""
        self.queue.put(None)
        self.thread.join()


def _prepare_file(path: str | int, default_tlp: TLP, foreign_identities: frozenset[str],
                  conn: Connection, locale: str = "en",
                  parent_end: Connection | None = None) -> None:
    """Runs in a separate process: read, validate and prepare, batch after batch.

    ``path`` is a file, or the read end of a pipe a converter writes into, whose header
    Sends ("batch", bytes_read, items) messages, then ("done", bytes_read, []) or
    ("error", message). The parent stores while this prepares the next batch, so both
    cores work on one import."""
    _child_starts(locale, parent_end)
    sender = _Sender(conn)
    try:
        with open(path, "rb") as file:
            reader = _BundleReader(file)
            batch: list[Prepared | Refusal] = []
            for index, obj in enumerate(reader.objects()):
                batch.append(prepare(index, obj, default_tlp, foreign_identities))
                if len(batch) >= BATCH:
                    sender.send(("batch", reader.count, batch))
                    batch = []
            if batch:
                sender.send(("batch", reader.count, batch))
            sender.send(("done", reader.count, []))
    except ImportFileError as exc:
        sender.send(("error", str(exc)))
    except BaseException as exc:  # the parent must hear of any failure, or it would wait
        sender.send(("error", f"The import's reader failed: {exc!r}"))
    finally:
        sender.close()
        conn.close()


def _child_starts(locale: str, parent_end: Connection | None) -> None:
    """What a reading process does first."""
    # The parent's receiving end: held here too (fork inherits it), a parent that is
    # killed would leave this process blocked on a full pipe for ever, holding the
    # database open; closed, its next send fails and it ends.
    if parent_end is not None:
        parent_end.close()
    gc.set_threshold(GC_YOUNG_THRESHOLD)  # this process only imports (see the constant)
    i18n.set_locale(locale)  # its problems are written in the language of the import


def _prepare_converted(fmt: str, source: Path, context: ConvertContext, size: int,
                       default_tlp: TLP, foreign_identities: frozenset[str],
                       conn: Connection, locale: str = "en",
                       parent_end: Connection | None = None) -> None:
    """Runs in a separate process: convert, and validate and prepare each object as the
    converter makes it, batch after batch (no bundle is written or read again).

    Sends what _prepare_file sends, the share of ``size`` converted standing for the
    bytes read, and the converter's notices with "done"; ("error", message) for the
    converter's ConversionError, ("crash", traceback) for any other failure."""
    _child_starts(locale, parent_end)
    sender = _Sender(conn)
    share = 0.0
    batch: list[Prepared | Refusal] = []
    made = 0

    def progress(value: float) -> None:
        nonlocal share
        share = value

    def emit(obj: dict[str, Any]) -> None:
        nonlocal batch, made
        batch.append(prepare(made, obj, default_tlp, foreign_identities))
        made += 1
        if len(batch) >= BATCH:
            sender.send(("batch", int(size * share), batch))
            batch = []

    try:
        notices = convert.object_converter_for(fmt)(
            source, emit, replace(context, progress=progress))
        if batch:
            sender.send(("batch", int(size * share), batch))
        sender.send(("done", size, notices))
    except ConversionError as exc:
        sender.send(("error", str(exc)))
    except BaseException:  # the parent must hear of any failure, or it would wait
        sender.send(("crash", f"The {fmt} converter failed:\n{traceback.format_exc()}"))
    finally:
        sender.close()
        conn.close()


class _IdMaker:
    """Record ids for one import, as 128-bit integers laid out as db.new_id lays out its
    UUIDs (version 7: milliseconds, 12 random bits, then 62 more), at a fraction of the
    cost per id.

    The last 62 bits count up from a random start by a random step below 2**32 (RFC
    9562's "monotonic random"), so that an import's ids are increasing in their low 64
    bits, which are the full-text index's rowids (see search_index): its inserts then
    append where random rowids landed on pages all over an index larger than the page
    cache, a fifth of a million-object import's time. A neighbour of a known id still
    takes 44 random bits to guess; and visibility, not secrecy, guards every record."""

    def __init__(self) -> None:
        # Below 2**61: at most 2**32 per id, 2**29 ids never reach the variant bits.
        self.low = int.from_bytes(os.urandom(8), "big") >> 3

    def take(self, n: int) -> list[int]:
        millis = (time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF
        head = millis << 80 | 0x7 << 76 | 0b10 << 62
        random = os.urandom(6 * n)
        low = self.low
        ids = []
        for i in range(0, 6 * n, 6):
            rand = int.from_bytes(random[i:i + 6], "big")
            low += 1 + (rand & 0xFFFF_FFFF)
            ids.append(head | (rand >> 32 & 0xFFF) << 64 | low)
        self.low = low
        return ids


class _Columns:
    """Column order of the rows the importer writes (and positions it reads back)."""

    OBJECT = ("id", "stix_id", "type", "spec_version", "stix_created", "stix_modified",
              "revoked", "name", "description", "confidence", "labels", "data", "vetting",
              "tlp", "pap", "owner_org_id", "created_by_id", "import_id", "source",
              "created_at", "updated_at")
    STIX_CREATED, STIX_MODIFIED = OBJECT.index("stix_created"), OBJECT.index("stix_modified")
    NAME, DESCRIPTION = OBJECT.index("name"), OBJECT.index("description")
    DATA, CREATED_AT = OBJECT.index("data"), OBJECT.index("created_at")
    VERSION = ("object_id", "stix_modified", "data", "import_id", "created_at")
    VALUE = ("key", "kind", "value", "object_id")
    REF = ("object_id", "source_stix_id", "target_stix_id", "kind")
    AUDIENCE = ("id", "record_id", "org_id", "group_id", "user_id")


class _DriverValues:
    """Values as the database driver takes them, for one import on one dialect.

    What is the same for every row (owner, user, import, marking names, …) is converted
    once here instead of once per row and column."""

    def __init__(self, dialect: str, settings: ImportSettings, org_id: uuid.UUID,
                 user_id: uuid.UUID) -> None:
        table = StixObject.__table__

        def converter(column: str) -> bulk.Converter:
            return bulk.converter(table.c[column].type, dialect)

        self.uuid = converter("id")
        # A record id given as an integer (see _IdMaker), as the driver takes it: both
        # engines take the 32 hex digits (bulk._uuid_hex).
        self.key: Callable[[int], str] = lambda v: f"{v:032x}"
        self.ts = converter("stix_created")
        self._ts_memo: dict[datetime | None, Any] = {}
        self.bool = converter("revoked")
        self.json = converter("labels")
        tlp, pap = converter("tlp"), converter("pap")
        self.tlp = {t: tlp(t) for t in TLP}
        # By the PAP the data names: the stricter of it and the import's.
        self.pap = {level: pap(stricter_pap(level, settings.pap))
                    for level in (None, *PAP)}
        self.vetting = converter("vetting")(Vetting.UNVERIFIED)
        self.org_id, self.user_id = self.uuid(org_id), self.uuid(user_id)
        self.import_id = self.uuid(settings.import_id)

    def ts_of(self, value: datetime | None) -> Any:
        """ts(value), memoised: the objects of a bundle share a few timestamps."""
        try:
            return self._ts_memo[value]
        except KeyError:
            pass
        converted = self._ts_memo[value] = self.ts(value)
        if len(self._ts_memo) > 4096:
            self._ts_memo.clear()
        return converted


class _Importer:
    def __init__(self, session: Session, settings: ImportSettings, progress: Progress | None):
        viewer = settings.viewer
        assert viewer.org_id is not None and viewer.user_id is not None
        self.session = session
        self.s = settings
        self.org_id = viewer.org_id
        self.user_id = viewer.user_id
        self.progress = progress
        self.result = ImportResult(ImportCounts())
        self.failed = False  # strict mode: stop writing, keep validating
        self.refused: list[str] = []  # from a partner, marked to never leave its hub
        # The objects found invalid (by position, or by id when found after storing):
        # an object with several problems counts once.
        self.invalid_objects: set[tuple[str, int | str | None]] = set()
        # Identities of the *other* member organisations: nobody may speak for them.
        self.foreign_identities = frozenset(
            org_identity_id(oid) for oid in session.scalars(select(Organisation.id))
            if oid != self.org_id)
        self.last_progress = 0.0
        self.notices: list[Notice] = []  # a converter's, when it runs in the reader
        self.ids = _IdMaker()
        # Records (their ids as integers) with references that must resolve, checked once
        # the stream ends (_check_dangling).
        self.must_resolve: set[int] = set()
        self.audience_rows: list[tuple[str, uuid.UUID]] = (
            [("org_id", i) for i in settings.audience.org_ids]
            + [("group_id", i) for i in settings.audience.group_ids]
            + [("user_id", i) for i in settings.audience.user_ids])

    # ------------------------------------------------------------------ driving

    def run(self, stream: BinaryIO | Conversion) -> ImportResult:
        if not isinstance(stream, Conversion):
            check_bundle(stream)
        dialect = self.session.get_bind().dialect.name
        self.db = _DriverValues(dialect, self.s, self.org_id, self.user_id)
        if dialect == "postgresql":
            # Rows written in this transaction are invisible to the planner's statistics:
            # it would take the growing tables for empty and scan them on every batch.
            self.session.execute(text("SET LOCAL enable_seqscan = off"))
        else:
            # A larger page cache for this connection while it writes (default: 2 MB).
            self.session.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
        try:
            with _rare_collections():
                result = self._run(stream)
            if self.refused:
                audit.record(self.session, self.s.viewer.actor, "federation.refused_marking",
                             target_type="imports", target_id=self.s.import_id,
                             details={"count": len(self.refused), "ids": self.refused[:1000]})
            return result
        finally:
            if dialect == "sqlite":
                self.session.execute(text("PRAGMA cache_size = -2000"))

    def _run(self, stream: BinaryIO | Conversion) -> ImportResult:
        if isinstance(stream, Conversion):
            return self._run_parallel(_prepare_converted, (
                stream.fmt, stream.source, stream.context, stream.size, self.s.tlp,
                self.foreign_identities))
        path = getattr(stream, "name", None)
        if (isinstance(path, str) and PARALLEL_MIN_BYTES >= 0
                and file_size(stream) >= PARALLEL_MIN_BYTES and two_cores()):
            return self._run_parallel(_prepare_file, (path, self.s.tlp, self.foreign_identities))
        reader = _BundleReader(stream)
        batch: list[tuple[int, Any]] = []
        for index, obj in enumerate(reader.objects()):
            batch.append((index, obj))
            if len(batch) >= BATCH:
                self._batch(batch)
                batch = []
                gc.collect(0)  # see GC_YOUNG_THRESHOLD
                self.result.counts.bytes_done = reader.count
                self._report()
        if batch:
            self._batch(batch)
        self.result.counts.bytes_done = reader.count
        if not self.failed:
            self._check_dangling()
        self._report(force=True)
        return self.result

    def _run_parallel(self, target: Callable[..., None], args: tuple[Any, ...]
                      ) -> ImportResult:
        """Store what ``target`` prepares in a second process (_prepare_file or
        _prepare_converted, given ``args``), batch after batch."""
        # fork: the child needs no re-import and never re-runs the parent's main module;
        # it touches nothing of the parent's but what it is given.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context: Any = multiprocessing.get_context(method)
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=target, daemon=True,
                                args=(*args, send, i18n.get_locale(), receive))
        child.start()
        send.close()
        try:
            while True:
                try:
                    message = receive.recv()
                except EOFError:
                    raise ImportFileError(_("The import's reader stopped unexpectedly.")
                                          ) from None
                if message[0] == "batch":
                    self._prepared(message[2])
                    self.result.counts.bytes_done = message[1]
                    # The batch freed first: the collection then walks what is left.
                    del message
                    gc.collect(0)  # see GC_YOUNG_THRESHOLD
                    self._report()
                elif message[0] == "done":
                    self.result.counts.bytes_done = message[1]
                    self.notices = message[2]
                    break
                elif message[0] == "error":
                    raise ImportFileError(message[1])
                else:  # a converter's failure that is not the source's: the operators' log
                    raise RuntimeError(message[1])
        finally:
            receive.close()
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
        if not self.failed:
            self._check_dangling()
        self._report(force=True)
        return self.result

    def _report(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress and (force or now - self.last_progress > 0.25):
            self.last_progress = now
            self.progress(self.result.counts)

    def _problem(self, index: int, obj: Any, path: str, message: str) -> None:
        sid = obj.get("id") if isinstance(obj, dict) else None
        key = ("at", index) if index >= 0 else ("id", sid)
        if key not in self.invalid_objects:
            self.invalid_objects.add(key)
            self.result.counts.invalid += 1
        self.result.add_problem(Problem(index, sid if isinstance(sid, str) else None,
                                        path, message))
        if self.s.strict:
            self.failed = True

    # ------------------------------------------------------------------ one batch

    def _batch(self, batch: list[tuple[int, Any]]) -> None:
        self._prepared([prepare(index, obj, self.s.tlp, self.foreign_identities)
                        for index, obj in batch])

    def _prepared(self, batch: list[Prepared | Refusal]) -> None:
        self.result.counts.seen += len(batch)
        ready: list[Prepared] = []
        for item in batch:
            if isinstance(item, Prepared):
                ready.append(item)
            else:
                index, sid, problems = item
                for path, message in problems:
                    self._problem(index, {"id": sid}, path, message)
        if self.failed or not ready:
            return
        self._store(ready)

    def _store(self, ready: list[Prepared]) -> None:
        counts = self.result.counts
        session = self.session
        db = self.db
        ids = list({p.sid for p in ready})
        existing = {
            row.stix_id: row for row in session.execute(
                select(StixObject.id, StixObject.stix_id, StixObject.stix_modified,
                       StixObject.import_id)
                .where(StixObject.stix_id.in_(ids), StixObject.owner_org_id == self.org_id))}
        known = self._held_anywhere(ids) if self.s.from_partner else set()
        now = utcnow()
        now_db = db.ts(now)
        fresh_ids = iter(self.ids.take(len(ready)))
        # Rows are tuples (lists where a later version in the batch may rewrite them) in
        # the column order of _Columns, already in the driver's representation.
        new_rows: list[list[Any]] = []
        new_ids: list[int] = []  # beside new_rows, for the full-text index
        value_rows: list[tuple[Any, ...]] = []
        ref_rows: list[tuple[Any, ...]] = []
        aud_rows: list[tuple[Any, ...]] = []
        version_rows: list[tuple[Any, ...]] = []
        # What this batch has met: the stored object, or the row about to be written
        # ("id" is then an integer, see _IdMaker).
        in_batch: dict[str, dict[str, Any]] = {}
        # Stored records that get newer versions: record id → the versions in order.
        stored_updates: dict[uuid.UUID, list[Prepared]] = {}
        for p in ready:
            sid, modified = p.sid, p.modified
            if sid in TLP_BY_MARKING:  # the standard TLP definitions are built in
                counts.unchanged += 1
                continue
            if known and (sid, modified) in known:
                counts.unchanged += 1
                continue
            if self.s.from_partner and p.tlp in (TLP.AMBER_STRICT, TLP.RED):
                self.refused.append(sid)
                self._problem(p.pos, {"id": sid}, "object_marking_refs",
                              _("Marked %(tlp)s, which never leaves its hub: refused.")
                              % {"tlp": f"TLP:{p.tlp.value}"})
                continue
            current = in_batch.get(sid) or (
                {"id": existing[sid].id, "modified": existing[sid].stix_modified,
                 "import_id": existing[sid].import_id} if sid in existing else None)
            if current is None:
                oid = next(fresh_ids)
                key = db.key(oid)
                row = self._new_row(p, key, now_db)
                new_rows.append(row)
                new_ids.append(oid)
                in_batch[sid] = {"id": oid, "modified": modified,
                                 "import_id": self.s.import_id, "row": row}
                self._index(key, p, value_rows, ref_rows, aud_rows)
                counts.stored += 1
                continue
            same_import = self.s.import_id is not None and current["import_id"] == self.s.import_id
            if modified is None and not p.has_modified:
                # An observable (no versions): its id is derived from its value, so
                # meeting it again is the same observable, unless the content differs.
                if same_import and p.data != self._stored_data(current):
                    self._problem(p.pos, {"id": sid}, "id", _("The bundle holds two different "
                                                                "objects with this id."))
                else:
                    counts.unchanged += 1
                continue
            if modified is None or modified == current["modified"]:
                if same_import:
                    self._problem(p.pos, {"id": sid}, "id", _("The bundle holds this object "
                                                                "twice (same id and modified)."))
                else:
                    counts.unchanged += 1
                continue
            if current["modified"] is not None and modified < current["modified"]:
                # An older version arrives after a newer one: keep it as history.
                if "row" not in current and session.scalar(select(exists().where(
                        StixObjectVersion.object_id == current["id"],
                        StixObjectVersion.stix_modified == modified))):
                    counts.unchanged += 1
                else:
                    version_rows.append((self._key(current), db.ts(modified), p.data,
                                         db.import_id, now_db))
                    counts.new_versions += 1
                continue
            # A newer version: the current one becomes history, the new one current.
            self._supersede(current, p, now, version_rows, value_rows, ref_rows,
                            stored_updates)
            counts.new_versions += 1
        if self.failed:
            return
        self._rewrite_stored(stored_updates, now, version_rows, value_rows, ref_rows)
        for table, columns, rows in (
                (StixObject.__table__, _Columns.OBJECT, new_rows),
                (StixObjectVersion.__table__, _Columns.VERSION, version_rows),
                (ObservableValue.__table__, _Columns.VALUE, value_rows),
                (StixRef.__table__, _Columns.REF, ref_rows),
                (AudienceEntry.__table__, _Columns.AUDIENCE, aud_rows)):
            bulk.insert_rows(session, table, columns, rows,  # type: ignore[arg-type]
                             converted=True)
        # Observables' values are found through the value index, not the full text.
        search_index.add_ids(session, [
            (oid, row[_Columns.NAME], row[_Columns.DESCRIPTION])
            for oid, row in zip(new_ids, new_rows, strict=True)
            if row[_Columns.STIX_CREATED] is not None or row[_Columns.DESCRIPTION]])

    def _held_anywhere(self, ids: list[str]) -> set[tuple[str, datetime | None]]:
        """(STIX id, modified) of every version the hub holds of ``ids``, any owner."""
        held = {(row.stix_id, row.stix_modified) for row in self.session.execute(
            select(StixObject.stix_id, StixObject.stix_modified)
            .where(StixObject.stix_id.in_(ids)))}
        held.update((row.stix_id, row.stix_modified) for row in self.session.execute(
            select(StixObject.stix_id, StixObjectVersion.stix_modified)
            .join(StixObjectVersion, StixObjectVersion.object_id == StixObject.id)
            .where(StixObject.stix_id.in_(ids))))
        return held

    def _key(self, current: dict[str, Any]) -> Any:
        """The driver's form of the id of what the batch has met."""
        oid = current["id"]
        return self.db.key(oid) if isinstance(oid, int) else self.db.uuid(oid)

    def _stored_data(self, current: dict[str, Any]) -> str:
        pending = current.get("row")
        if pending is not None:
            return str(pending[_Columns.DATA])
        return str(self.session.scalar(select(StixObject.data).where(
            StixObject.id == current["id"])))

    def _new_row(self, p: Prepared, key: Any, now_db: Any) -> list[Any]:
        """A stix_objects row in _Columns.OBJECT order, ready for the driver."""
        db = self.db
        created = db.ts_of(p.created)
        # created and modified are one object when equal (prepare shares it).
        modified = created if p.modified is p.created else db.ts_of(p.modified)
        return [key, p.sid, p.type, p.spec_version, created, modified, db.bool(p.revoked),
                p.name, p.description, p.confidence, db.json(p.labels),
                p.data, db.vetting, db.tlp[p.tlp], db.pap[p.pap], db.org_id, db.user_id,
                db.import_id, self.s.source, now_db, now_db]

    def _fields(self, p: Prepared, now: datetime) -> dict[str, Any]:
        """What a new version changes in a stored object, for the ORM's UPDATE."""
        return {
            "stix_id": p.sid,
            "type": p.type,
            "spec_version": p.spec_version,
            "stix_created": p.created,
            "stix_modified": p.modified,
            "revoked": p.revoked,
            "name": p.name,
            "description": p.description,
            "confidence": p.confidence,
            "labels": p.labels,
            "data": p.data,
            "vetting": Vetting.UNVERIFIED,
            "tlp": p.tlp,
            "pap": stricter_pap(p.pap, self.s.pap),
            "import_id": self.s.import_id,
            "source": self.s.source,
            "updated_at": now,
        }

    def _index(self, key: Any, p: Prepared, value_rows: list[tuple[Any, ...]],
               ref_rows: list[tuple[Any, ...]], aud_rows: list[tuple[Any, ...]]) -> None:
        """Value, reference and audience rows of the object whose id is ``key``."""
        for kind, value, vkey in p.values:
            value_rows.append((vkey, kind, value, key))
        for src, dst, kind in p.edges:
            ref_rows.append((key, src, dst, kind))
            if kind in _MUST_RESOLVE or kind.startswith("relationship:"):
                self.must_resolve.add(int(key, 16))  # an int: half a hex string's memory
        tlp = p.tlp
        if tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
            uuid_db = self.db.uuid
            for column, rid in self.audience_rows:
                # AMBER+STRICT names organisations only; RED names people only.
                if (tlp is TLP.AMBER_STRICT and column == "user_id") or (
                        tlp is TLP.RED and column == "org_id"):
                    continue
                aud_rows.append((uuid_db(new_id()), key,
                                 *(uuid_db(rid) if c == column else None
                                   for c in ("org_id", "group_id", "user_id"))))

    def _supersede(self, current: dict[str, Any], p: Prepared, now: datetime,
                   version_rows: list[tuple[Any, ...]], value_rows: list[tuple[Any, ...]],
                   ref_rows: list[tuple[Any, ...]],
                   stored_updates: dict[uuid.UUID, list[Prepared]]) -> None:
        db = self.db
        key = self._key(current)
        pending = current.get("row")
        if pending is not None:
            # Both versions are in this batch and the older one is not written yet.
            version_rows.append((key, pending[_Columns.STIX_MODIFIED], pending[_Columns.DATA],
                                 db.import_id, db.ts(now)))
            pending[:] = self._new_row(p, key, pending[_Columns.CREATED_AT])
            value_rows[:] = [r for r in value_rows if r[3] != key]
            ref_rows[:] = [r for r in ref_rows if r[0] != key]
            self._index(key, p, value_rows, ref_rows, [])
        else:
            # A stored record: rewritten once per batch, for all its new versions
            # (_rewrite_stored), instead of five statements per version.
            stored_updates.setdefault(current["id"], []).append(p)
        current["modified"] = p.modified
        current["import_id"] = self.s.import_id

    def _rewrite_stored(self, updates: dict[uuid.UUID, list[Prepared]], now: datetime,
                        version_rows: list[tuple[Any, ...]], value_rows: list[tuple[Any, ...]],
                        ref_rows: list[tuple[Any, ...]]) -> None:
        """Stored records' new versions: each superseded version becomes history (keeping
        when it was stored), the newest becomes current, with its values, references and
        full text — a few statements for the whole batch."""
        if not updates:
            return
        session, db = self.session, self.db
        oids = list(updates)
        old: dict[uuid.UUID, Any] = {}
        for start in range(0, len(oids), 500):
            old.update((row.id, row) for row in session.execute(
                select(StixObject.id, StixObject.stix_modified, StixObject.data,
                       StixObject.import_id, StixObject.updated_at)
                .where(StixObject.id.in_(oids[start:start + 500]))))
        fresh: list[dict[str, Any]] = []
        for oid, versions in updates.items():
            key = db.uuid(oid)
            row = old[oid]
            version_rows.append((key, db.ts(row.stix_modified), row.data,
                                 db.uuid(row.import_id), db.ts(row.updated_at)))
            for earlier in versions[:-1]:  # several new versions in one batch
                version_rows.append((key, db.ts(earlier.modified), earlier.data,
                                     db.import_id, db.ts(now)))
            newest = versions[-1]
            fresh.append({"id": oid, **self._fields(newest, now)})
            self._index(key, newest, value_rows, ref_rows, [])
        for start in range(0, len(oids), 500):
            chunk = oids[start:start + 500]
            session.execute(delete(ObservableValue).where(ObservableValue.object_id.in_(chunk)))
            session.execute(delete(StixRef).where(StixRef.object_id.in_(chunk)))
        session.execute(update(StixObject), fresh)
        search_index.add(session, [(f["id"], f["name"], f["description"]) for f in fresh])

    # ------------------------------------------------------------------ after the stream


    def _check_dangling(self) -> None:
        """Relationships and sightings must point at something: each end must be an
        object of the bundle or one visible to the importer in the hub (what the importer
        may not see answers like nothing, here too)."""
        if self.s.import_id is None or not self.must_resolve:
            return
        carrier = aliased(StixObject)
        rows: list[tuple[uuid.UUID, str, str, str]] = []
        is_relationship = StixRef.kind.startswith("relationship:")
        # Only the records that were given such references, as they are stored now (a
        # later version in the bundle may have dropped them).
        checked = sorted(self.must_resolve)
        for start in range(0, len(checked), 500):
            chunk = [uuid.UUID(int=key) for key in checked[start:start + 500]]
            for end, which, kinds in (
                    (StixRef.target_stix_id, "target_ref",
                     or_(is_relationship, StixRef.kind.in_(_MUST_RESOLVE))),
                    (StixRef.source_stix_id, "source_ref", is_relationship)):
                target = aliased(StixObject)
                for object_id, kind, missing, stix_id in self.session.execute(
                        select(StixRef.object_id, StixRef.kind, end, carrier.stix_id)
                        .join(carrier, carrier.id == StixRef.object_id)
                        .where(StixRef.object_id.in_(chunk), kinds)
                        .where(~exists().where(target.stix_id == end,
                                               access.visible(target, self.s.viewer)))):
                    prop = which if kind.startswith("relationship:") else kind
                    rows.append((object_id, prop, missing, stix_id))
        if not rows:
            return
        for _object_id, prop, missing, stix_id in rows:
            self._problem(-1, {"id": stix_id}, prop,
                          _("%(property)s refers to %(id)s, which is neither in the bundle "
                            "nor visible in the hub.") % {"property": prop, "id": missing})
        if not self.s.strict:
            dangling = list({r[0] for r in rows})
            self.result.counts.stored -= len(dangling)
            for start in range(0, len(dangling), 500):
                chunk = dangling[start:start + 500]
                self.session.execute(delete(ObservableValue).where(
                    ObservableValue.object_id.in_(chunk)))
                self.session.execute(delete(StixRef).where(StixRef.object_id.in_(chunk)))
                self.session.execute(delete(AudienceEntry).where(
                    AudienceEntry.record_id.in_(chunk)))
                self.session.execute(delete(StixObject).where(StixObject.id.in_(chunk)))
                search_index.remove(self.session, chunk)


def restore_version(session: Session, record: StixObject, data: str) -> None:
    """Make a stored earlier version (``data``) the record's current one again, as when
    its newer version is deleted: content, values, references and full text follow it;
    the record's marking and audience stay."""
    prepared = prepare(0, orjson.loads(data), record.tlp, frozenset())
    if not isinstance(prepared, Prepared):
        raise ValueError(f"stored version of {record.stix_id} no longer validates")
    record.stix_created, record.stix_modified = prepared.created, prepared.modified
    record.spec_version, record.revoked = prepared.spec_version, prepared.revoked
    record.name, record.description = prepared.name, prepared.description
    record.confidence, record.labels = prepared.confidence, prepared.labels
    record.data = prepared.data
    record.updated_at = utcnow()
    session.execute(delete(ObservableValue).where(ObservableValue.object_id == record.id))
    session.execute(delete(StixRef).where(StixRef.object_id == record.id))
    session.add_all([ObservableValue(key=key, kind=kind, value=value, object_id=record.id)
                     for kind, value, key in prepared.values])
    session.add_all([StixRef(object_id=record.id, source_stix_id=src, target_stix_id=dst,
                             kind=kind) for src, dst, kind in prepared.edges])
    search_index.add(session, [(record.id, record.name, record.description)])


def import_stix(session: Session, stream: BinaryIO, settings: ImportSettings,
                progress: Progress | None = None) -> ImportResult:
    """Import one STIX 2.1 bundle inside the caller's transaction.

    Raises ImportFileError when the file is not a readable bundle. In strict mode the
    caller must roll back when ``result.counts.invalid`` is not zero."""
    return _Importer(session, settings, progress).run(stream)


@dataclass(frozen=True)
class Conversion:
    """A source to convert (with the format's object converter) while it is imported."""

    fmt: str
    source: Path
    context: ConvertContext
    size: int  # the source's bytes, against which progress is reported


def two_cores() -> bool:
    """Whether a second process can prepare while this one stores."""
    return (os.cpu_count() or 1) > 1


def import_converted(session: Session, conversion: Conversion, settings: ImportSettings,
                     progress: Progress | None = None) -> tuple[ImportResult, list[Notice]]:
    """Import what a format's object converter makes of a source, inside the caller's
    transaction: converted, validated and prepared in a second process as it is made,
    stored here. Returns the converter's notices too. Raises ImportFileError with the
    converter's message when the source cannot be read (the caller rolls back)."""
    importer = _Importer(session, settings, progress)
    result = importer.run(conversion)
    return result, importer.notices


def file_size(stream: BinaryIO) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return 0
