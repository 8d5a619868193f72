"""Streamed exports of the knowledge base: STIX 2.1 bundles, blocklists and CSV.

Every export lists only what the viewer may see (:func:`cyberhub.access.visible`) and
walks the table in keyset-paginated chunks of :data:`CHUNK` rows, so memory stays flat
whatever the size of the hub. Each function returns an iterator of ``bytes`` that the
caller writes out as it comes (an HTTP response body, a file, stdout).

**Markings.** A STIX object is emitted as stored, except its TLP marking: the hub's
effective TLP (``StixObject.tlp``) may be stricter than what the data says (the import's
default, or a later restriction). When it is stricter than the object's own TLP markings,
or the object has none, its TLP marking refs are replaced by the TLP 2.0 marking of the
hub's TLP (other marking refs are kept). The bundle carries the TLP 2.0
marking-definition objects it references at its start (STIX 2.1 does not predefine
them); a definition referenced only by an object whose own marking is stricter than the
hub's is appended at the end instead, once.

**Audit.** An export that includes RED or AMBER+STRICT records writes one
``export.sensitive`` audit entry with their number and the first
:data:`AUDIT_IDS_KEPT` record ids, when the stream ends — or when it is abandoned half
way (a client that disconnects has still received what was sent).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final

import orjson
from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import clean_tlp
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel.markings import (
    MARKING_BY_TLP,
    STRICTNESS,
    TLP2,
    TLP2_DEFINITIONS,
    TLP_BY_MARKING,
)
from cyberhub.intel.models import ObservableValue, StixObject
from cyberhub.intel.normalise import KINDS
from cyberhub.sharing import PAP, TLP

__all__ = ["AUDIT_IDS_KEPT", "BLOCKLIST_SOURCE_TYPES", "CHUNK", "FORMATS", "MEDIA_TYPES",
           "ExportFilters", "blocklist", "check_kind", "csv_rows", "filename", "make_filters",
           "stix_bundle", "stream", "with_hub_marking"]

CHUNK: Final = 2000
AUDIT_IDS_KEPT: Final = 1000
MAX_IDS: Final = 1000
FORMATS: Final = ("stix", "csv", "blocklist", "misp")
CSV_COLUMNS: Final = ("id", "type", "name", "tlp", "pap", "owner_organisation", "created",
                      "modified", "added", "values")

# Blocklists take values from indicators and observables only: not from reports, notes,
# observed-data or any other object that merely mentions a value.
STIX_SCO_TYPES: Final = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
    "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
    "network-traffic", "process", "software", "url", "user-account", "windows-registry-key",
    "x509-certificate",
})
_CRIME_SCO_TYPES: Final = frozenset({
    "x-cyberhub-bank-account", "x-cyberhub-phone-number", "x-cyberhub-cryptocurrency-wallet",
    "x-cyberhub-social-account",
})
BLOCKLIST_SOURCE_TYPES: Final = frozenset({"indicator"}) | STIX_SCO_TYPES | _CRIME_SCO_TYPES

_SENSITIVE: Final = (TLP.RED, TLP.AMBER_STRICT)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]
"""Called after each chunk with the number of records (or values) emitted so far."""
AuditSession = Callable[[], AbstractContextManager[Session]]
"""Opens the session the audit entry is written in (and commits it)."""
WarningCheck = Callable[[str, str], object]
"""(kind, normalised value) → truthy when the value is on a MISP warning list."""


@dataclass(frozen=True)
class ExportFilters:
    """What to export, within what the viewer may see. Empty means "no restriction"."""

    types: tuple[str, ...] = ()
    since: datetime | None = None  # added to the hub at or after (created_at)
    until: datetime | None = None  # added before
    owner_org_id: uuid.UUID | None = None
    tlps: tuple[TLP, ...] = ()
    labels: tuple[str, ...] = ()  # any of them
    ids: tuple[str, ...] = ()  # STIX ids
    # Blocklists: leave out values on the MISP warning lists (known benign, shared
    # infrastructure). Off only when the consumer applies the lists itself.
    skip_warninglisted: bool = True


# --------------------------------------------------------------------------- arguments

def _moment(value: str | datetime | date | None, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), UTC)
    else:
        text = value.strip()
        try:
            moment = (datetime.combine(date.fromisoformat(text), time(), UTC) if len(text) == 10
                      else datetime.fromisoformat(text.replace("z", "Z")))
        except ValueError:
            raise InvalidInput(
                _("%(name)s must be an ISO 8601 date or time with a time zone, such as "
                  "2026-01-31 or 2026-01-31T12:00:00Z.") % {"name": name},
                details={"field": name}) from None
    if moment.tzinfo is None:
        raise InvalidInput(_("%(name)s needs a time zone (for example a final Z for UTC).")
                           % {"name": name}, details={"field": name})
    return moment.astimezone(UTC)


def make_filters(session: Session, *, types: list[str] | None = None,
                 since: str | datetime | date | None = None,
                 until: str | datetime | date | None = None, owner: str | None = None,
                 tlps: list[str] | None = None, labels: list[str] | None = None,
                 ids: list[str] | None = None, skip_warninglisted: bool = True,
                 ) -> ExportFilters:
    """Check export arguments as a user gives them; raise InvalidInput on any mistake."""
    clean_types = tuple(dict.fromkeys(t.strip() for t in types or () if t.strip()))
    for t in clean_types:
        if len(t) > 250 or not all(c.isalnum() or c == "-" for c in t):
            raise InvalidInput(_("%(type)r is not a STIX type name.") % {"type": t},
                               details={"field": "type"})
    owner_id: uuid.UUID | None = None
    if owner:
        try:
            owner_id = uuid.UUID(owner)
        except ValueError:
            from cyberhub.community.service import find_organisation

            org = find_organisation(session, owner)
            if org is None:
                raise InvalidInput(_("No organisation %(ref)r.") % {"ref": owner},
                                   details={"field": "owner"}) from None
            owner_id = org.id
    clean_ids = tuple(dict.fromkeys(i.strip() for i in ids or () if i.strip()))
    if len(clean_ids) > MAX_IDS:
        raise InvalidInput(_("Ask for at most %(n)d ids at a time.") % {"n": MAX_IDS},
                           details={"field": "id"})
    for i in clean_ids:
        if "--" not in i or len(i) > 300:
            raise InvalidInput(_("%(id)r is not a STIX id (type--UUID).") % {"id": i},
                               details={"field": "id"})
    start, end = _moment(since, "since"), _moment(until, "until")
    if start is not None and end is not None and start >= end:
        raise InvalidInput(_("since must be earlier than until."), details={"field": "since"})
    return ExportFilters(
        types=clean_types, since=start, until=end, owner_org_id=owner_id,
        tlps=tuple(dict.fromkeys(clean_tlp(t) for t in tlps or ())),
        labels=tuple(dict.fromkeys(lb for lb in labels or () if lb)),
        ids=clean_ids, skip_warninglisted=skip_warninglisted)


def check_kind(kind: str | None) -> str:
    if not kind:
        raise InvalidInput(_("A blocklist is of one kind of value; give kind (%(kinds)s).")
                           % {"kinds": ", ".join(sorted(KINDS))}, details={"field": "kind"})
    if kind not in KINDS:
        raise InvalidInput(_("Unknown kind %(kind)r; use one of %(kinds)s.")
                           % {"kind": kind, "kinds": ", ".join(sorted(KINDS))},
                           details={"field": "kind"})
    return kind


# --------------------------------------------------------------------------- queries

def _conditions(viewer: Viewer, f: ExportFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [access.visible(StixObject, viewer)]
    if f.types:
        where.append(StixObject.type.in_(f.types))
    if f.since is not None:
        where.append(StixObject.created_at >= f.since)
    if f.until is not None:
        where.append(StixObject.created_at < f.until)
    if f.owner_org_id is not None:
        where.append(StixObject.owner_org_id == f.owner_org_id)
    if f.tlps:
        where.append(StixObject.tlp.in_(f.tlps))
    if f.labels:
        # On the JSON text: a label's JSON string with its quotes only occurs in the array
        # as a whole element (quotes inside strings are escaped). _has_label re-checks.
        text = cast(StixObject.labels, String)
        where.append(or_(*(text.contains(orjson.dumps(lb).decode(), autoescape=True)
                           for lb in f.labels)))
    if f.ids:
        where.append(StixObject.stix_id.in_(f.ids))
    return where


def _has_label(labels: Any, f: ExportFilters) -> bool:
    return not f.labels or (isinstance(labels, list) and any(lb in labels for lb in f.labels))


# The keyset columns as the driver returns them (hex text on SQLite, uuid and datetime
# objects from psycopg): converting 100,000 ids to uuid.UUID would cost more than the
# query. Only the last row of a chunk is handed back, as it came.
_raw_id = type_coerce(StixObject.id, String)
_raw_at = type_coerce(StixObject.created_at, String)


def _after(last: tuple[Any, Any] | None) -> list[ColumnElement[bool]]:
    if last is None:
        return []
    at, rid = last
    return [_raw_at >= at, or_(_raw_at > at, _raw_id > rid)]


def _record_id(raw: Any) -> str:
    return str(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))


# --------------------------------------------------------------------------- audit

@dataclass
class _Sensitive:
    """Counts the RED and AMBER+STRICT records an export has sent."""

    viewer: Viewer
    fmt: str
    count: int = 0
    ids: list[str] = field(default_factory=list)

    def add(self, record_id: object) -> None:
        self.count += 1
        if len(self.ids) < AUDIT_IDS_KEPT:
            self.ids.append(_record_id(record_id))

    def write(self, session: Session, record_in: AuditSession | None, complete: bool) -> None:
        if not self.count:
            return
        details = {"format": self.fmt, "count": self.count, "ids": self.ids,
                   "ids_truncated": self.count > len(self.ids), "complete": complete}
        if record_in is None:
            audit.record(session, self.viewer.actor, "export.sensitive",
                         target_type="stix_objects", details=details)
            return
        with record_in() as own:
            audit.record(own, self.viewer.actor, "export.sensitive",
                         target_type="stix_objects", details=details)


# --------------------------------------------------------------------------- STIX

def effective_marking_refs(refs: Any, tlp: TLP) -> list[str] | None:
    """The object's ``object_marking_refs`` carrying the hub's TLP, or None to keep them.

    Kept when the object's own TLP markings are as strict as the hub's or stricter;
    otherwise its TLP refs (1.0 and 2.0) give way to the TLP 2.0 marking of ``tlp`` and
    every other marking ref stays, in order."""
    own = [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []
    levels = [STRICTNESS[TLP_BY_MARKING[r]] for r in own if r in TLP_BY_MARKING]
    if levels and max(levels) >= STRICTNESS[tlp]:
        return None
    return [MARKING_BY_TLP[tlp], *(r for r in own if r not in TLP_BY_MARKING)]


def _hub_definitions(session: Session, types: set[str],
                     where: list[Any]) -> list[dict[str, Any]]:
    """The hub's extension definitions the bundle needs, and their author: every
    crime-artefact type when one is present; a property extension (the ransomware
    family) when an exported object carries it."""
    try:
        from cyberhub.intel import extensions
    except ImportError:  # pragma: no cover - the module ships with the hub
        return []
    found: list[dict[str, Any]] = []
    if any(t.startswith("x-cyberhub-") for t in types):
        found += [t.definition() for t in extensions.TYPES.values()]
    for definition_id, ext in extensions.PROPERTY_EXTENSIONS.items():
        carriers = types.intersection(ext.applies_to)
        if carriers and session.scalar(select(exists().where(
                *where, StixObject.type.in_(sorted(carriers)),
                StixObject.data.contains(definition_id)))):
            found.append(ext.definition())
    return [extensions.IDENTITY, *found] if found else []


def stix_bundle(session: Session, viewer: Viewer, filters: ExportFilters | None = None, *,
                record_in: AuditSession | None = None,
                progress: Progress | None = None) -> Iterator[bytes]:
    """A STIX 2.1 bundle of every object the viewer may see (within ``filters``).

    Objects come oldest first (by when they were added to the hub). ``record_in`` opens
    the session for the audit entry; by default it is ``session`` (the caller commits)."""
    f = filters or ExportFilters()
    where = _conditions(viewer, f)
    present = session.execute(select(StixObject.tlp, StixObject.type).distinct()
                              .where(*where)).all()
    header_markings = {MARKING_BY_TLP[TLP(row.tlp)] for row in present}
    leading: list[dict[str, Any]] = [TLP2_DEFINITIONS[m] for m in TLP2 if m in header_markings]
    leading.extend(_hub_definitions(session, {str(row.type) for row in present}, where))
    skip = {str(o["id"]) for o in leading}
    sensitive = _Sensitive(viewer, "stix")
    complete = False
    head = b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'"'
    try:
        # "objects" is optional and, when present, not empty: open it at the first object.
        opened = False

        def open_or_comma() -> bytes:
            nonlocal opened
            if opened:
                return b","
            opened = True
            return head + b',"objects":['

        if leading:
            yield open_or_comma() + b",".join(orjson.dumps(o) for o in leading)
        trailing: set[str] = set()
        sent = 0
        last: tuple[Any, Any] | None = None
        columns = (_raw_id.label("id"), _raw_at.label("created_at"), StixObject.stix_id,
                   StixObject.tlp, (StixObject.labels if f.labels else null()).label("labels"),
                   StixObject.data)
        while True:
            rows = session.execute(select(*columns).where(*where, *_after(last))
                                   .order_by(StixObject.created_at, StixObject.id)
                                   .limit(CHUNK)).all()
            if not rows:
                break
            last = (rows[-1].created_at, rows[-1].id)
            parts: list[bytes] = []
            for row in rows:
                if row.stix_id in skip or not _has_label(row.labels, f):
                    continue
                tlp = TLP(row.tlp)
                parts.append(_marked(row.data, tlp, header_markings, trailing))
                if tlp in _SENSITIVE:
                    sensitive.add(row.id)
            if parts:
                yield open_or_comma() + b",".join(parts)
                sent += len(parts)
            if progress is not None:
                progress(sent)
        extra = [TLP2_DEFINITIONS[m] for m in TLP2 if m in trailing]
        if extra:
            yield open_or_comma() + b",".join(orjson.dumps(o) for o in extra)
        yield b"]}\n" if opened else head + b"}\n"
        complete = True
    finally:
        sensitive.write(session, record_in, complete)


def with_hub_marking(data: str, tlp: TLP) -> bytes:
    """One stored object as served on its own (TAXII): carrying the hub's TLP marking
    when that is stricter than the object's own (see :func:`effective_marking_refs`)."""
    return _marked(data, tlp, _ALL_TLP2, set())


_ALL_TLP2: Final = set(TLP2)


def _marked(data: str, tlp: TLP, header: set[str], trailing: set[str]) -> bytes:
    text = data.strip()
    if '"object_marking_refs"' not in text:
        # No marking refs at all (the common case): append the hub's marking without
        # decoding the object. The stored text is one JSON object.
        ref = MARKING_BY_TLP[tlp]
        return (text[:-1].rstrip() + (',' if text[:-1].rstrip() != "{" else "")
                + '"object_marking_refs":["' + ref + '"]}').encode()
    obj = orjson.loads(text)
    refs = effective_marking_refs(obj.get("object_marking_refs"), tlp)
    if refs is None:
        kept = obj.get("object_marking_refs")
        trailing.update(r for r in kept if isinstance(r, str) and r in TLP2 and r not in header)
        return text.encode()
    obj["object_marking_refs"] = refs
    return orjson.dumps(obj)


# --------------------------------------------------------------------------- blocklists

def _default_warning_check() -> WarningCheck | None:
    """Values a blocklist leaves out: those the MISP warning lists say blocking could
    break something legitimate (``warninglists.unsafe_to_block``)."""
    try:
        from cyberhub.intel import warninglists
    except ImportError:  # pragma: no cover - the module ships with the hub
        return None
    return warninglists.unsafe_to_block


def blocklist(session: Session, viewer: Viewer, kind: str,
              filters: ExportFilters | None = None, *, record_in: AuditSession | None = None,
              progress: Progress | None = None,
              warning_check: WarningCheck | None = None) -> Iterator[bytes]:
    """Newline-separated, de-duplicated normalised values of one ``kind``.

    Values come from visible indicators and observables that are not revoked and not
    marked PAP:RED (a value only PAP:RED objects carry never appears; one that another
    visible object carries without PAP:RED does). Values on a MISP warning list are
    left out unless ``filters.skip_warninglisted`` is off; ``warning_check`` replaces
    the hub's lists (tests). Values holding a line break or another control character
    are left out: they would break the one-value-per-line format.

    De-duplication without memory: the walk follows the index on the 63-bit value
    ``key`` (keyset-paginated on it), so every copy of a value comes in one run of rows
    and only the run at hand is remembered. A chunk that ends inside a run leaves that
    run to the next chunk; a run that fills a whole chunk (a value carried by thousands
    of objects) is collapsed by one ``GROUP BY`` on its key. Nothing is sorted: a
    ``DISTINCT``/``GROUP BY`` over every value would make SQLite sort them all again
    for each chunk."""
    kind = check_kind(kind)
    f = filters or ExportFilters()
    check = (warning_check or _default_warning_check()) if f.skip_warninglisted else None
    types = BLOCKLIST_SOURCE_TYPES if not f.types else BLOCKLIST_SOURCE_TYPES & set(f.types)
    where = [*_conditions(viewer, f), StixObject.revoked.is_(False),
             or_(StixObject.pap.is_(None), StixObject.pap != PAP.RED),
             # (type || '') keeps SQLite off the type index: starting from stix_objects it
             # would sort every value again for each chunk instead of walking the key index.
             StixObject.type.concat("").in_(sorted(types)) if types else false(),
             ObservableValue.kind == kind]
    sensitive_id = case((StixObject.tlp.in_(_SENSITIVE), cast(StixObject.id, String)),
                        else_=literal(None))
    sensitive = _Sensitive(viewer, f"blocklist:{kind}")
    complete = False
    last_key: int | None = None
    sent = 0
    try:
        while True:
            query = (select(ObservableValue.key, ObservableValue.value,
                            sensitive_id.label("sensitive"))
                     .join(StixObject, StixObject.id == ObservableValue.object_id)
                     .where(*where))
            if last_key is not None:
                query = query.where(ObservableValue.key > last_key)
            chunk = CHUNK
            rows: list[Any] = list(session.execute(
                query.order_by(ObservableValue.key).limit(chunk)).all())
            if not rows:
                break
            if len(rows) == chunk:
                boundary = rows[-1].key
                whole = [r for r in rows if r.key != boundary]
                if whole:
                    rows = whole  # the boundary's run continues in the next chunk
                else:  # one value (or a collision of a few) filled the chunk
                    rows = list(session.execute(
                        select(ObservableValue.key, ObservableValue.value,
                               func.max(sensitive_id).label("sensitive"))
                        .join(StixObject, StixObject.id == ObservableValue.object_id)
                        .where(*where, ObservableValue.key == boundary)
                        .group_by(ObservableValue.key, ObservableValue.value)).all())
            last_key = rows[-1].key
            lines: list[str] = []
            run_key: int | None = None
            run: dict[str, str | None] = {}
            for row in [*rows, None]:
                if row is None or row.key != run_key:
                    for value, source in run.items():
                        if not value.isprintable() or (check is not None and check(kind, value)):
                            continue
                        lines.append(value)
                        if source is not None:
                            sensitive.add(source)
                    if row is None:
                        break
                    run_key, run = row.key, {}
                value = row.value
                if value not in run or (run[value] is None and row.sensitive is not None):
                    run[value] = None if row.sensitive is None else str(row.sensitive)
            if lines:
                yield ("\n".join(lines) + "\n").encode()
                sent += len(lines)
            if progress is not None:
                progress(sent)
        complete = True
    finally:
        sensitive.write(session, record_in, complete)


# --------------------------------------------------------------------------- CSV

def _cell(value: object) -> str:
    """A spreadsheet must not read a cell as a formula (CSV injection)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _stamp(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def csv_rows(session: Session, viewer: Viewer, filters: ExportFilters | None = None, *,
             record_in: AuditSession | None = None,
             progress: Progress | None = None) -> Iterator[bytes]:
    """CSV, one line per visible object: id, type, name, markings, owner, times, values."""
    f = filters or ExportFilters()
    where = _conditions(viewer, f)
    sensitive = _Sensitive(viewer, "csv")
    complete = False
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = (_raw_id.label("id"), _raw_at.label("raw_at"), StixObject.created_at,
               StixObject.stix_id, StixObject.type, StixObject.name, StixObject.tlp,
               StixObject.pap, (StixObject.labels if f.labels else null()).label("labels"),
               StixObject.stix_created, StixObject.stix_modified,
               Organisation.name.label("owner"))
    try:
        writer.writerow(CSV_COLUMNS)
        last: tuple[Any, Any] | None = None
        sent = 0
        while True:
            rows = session.execute(
                select(*columns).join(Organisation, Organisation.id == StixObject.owner_org_id)
                .where(*where, *_after(last))
                .order_by(StixObject.created_at, StixObject.id).limit(CHUNK)).all()
            if not rows:
                break
            last = (rows[-1].raw_at, rows[-1].id)
            wanted = [r for r in rows if _has_label(r.labels, f)]
            values: dict[Any, list[str]] = {}
            if wanted:
                object_id = type_coerce(ObservableValue.object_id, String)
                for oid, kind, value in session.execute(
                        select(object_id, ObservableValue.kind, ObservableValue.value)
                        .where(object_id.in_([r.id for r in wanted]))
                        .order_by(ObservableValue.id)):
                    values.setdefault(oid, []).append(f"{kind}:{value}")
            for r in wanted:
                tlp = TLP(r.tlp)
                writer.writerow([_cell(v) for v in (
                    r.stix_id, r.type, r.name, tlp.value, r.pap.value if r.pap else "",
                    r.owner, _stamp(r.stix_created), _stamp(r.stix_modified),
                    _stamp(r.created_at), "; ".join(values.get(r.id, ())))])
                if tlp in _SENSITIVE:
                    sensitive.add(r.id)
            sent += len(wanted)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            if progress is not None:
                progress(sent)
        if buffer.tell():
            yield buffer.getvalue().encode()
        complete = True
    finally:
        sensitive.write(session, record_in, complete)


# --------------------------------------------------------------------------- one export job

MEDIA_TYPES: Final = {"stix": "application/stix+json;version=2.1", "csv": "text/csv",
                      "blocklist": "text/plain", "misp": "application/json"}


def filename(fmt: str, kind: str | None = None, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "blocklist":
        return f"cyberhub-blocklist-{kind}-{stamp}.txt"
    if fmt == "misp":
        return f"cyberhub-misp-{stamp}.json"
    return f"cyberhub-export-{stamp}.{'json' if fmt == 'stix' else 'csv'}"


def stream(database: Database, user_id: uuid.UUID, fmt: str, filters: ExportFilters, *,
           kind: str | None = None, ip: str | None = None,
           progress: Progress | None = None) -> Generator[bytes, None, None]:
    """Run one export in its own read-only snapshot, for as long as the stream lasts.

    For callers whose own session ends before the stream is read (an HTTP response body,
    which is sent after the request's transaction has closed): the viewer is rebuilt
    inside the snapshot, so a user deactivated meanwhile exports only what is CLEAR, and
    the audit entry gets a short write transaction of its own at the end. The arguments
    are checked now; nothing is read until the first chunk is asked for."""
    if fmt not in FORMATS:
        raise InvalidInput(_("Unknown export format %(fmt)r; use stix, csv, blocklist or misp.")
                           % {"fmt": fmt}, details={"field": "format"})
    if fmt == "blocklist":
        kind = check_kind(kind)
    return _stream(database, user_id, fmt, filters, kind, ip, progress)


def _stream(database: Database, user_id: uuid.UUID, fmt: str, filters: ExportFilters,
            kind: str | None, ip: str | None,
            progress: Progress | None) -> Generator[bytes, None, None]:
    with database.snapshot() as session:
        user = session.get(User, user_id)
        viewer = access.viewer_for(session, user, ip) if user is not None else access.ANONYMOUS
        if fmt == "stix":
            yield from stix_bundle(session, viewer, filters, record_in=database.transaction,
                                   progress=progress)
        elif fmt == "csv":
            yield from csv_rows(session, viewer, filters, record_in=database.transaction,
                                progress=progress)
        elif fmt == "misp":
            from cyberhub.formats.misp import from_stix

            yield from from_stix.events(session, viewer, filters,
                                        record_in=database.transaction, progress=progress)
        else:
            assert kind is not None
            yield from blocklist(session, viewer, kind, filters,
                                 record_in=database.transaction, progress=progress)
