"""Streaming STIX 2.1 import: validate, store, version and index, in one transaction.

The bundle is read with ijson's C backend one object at a time, so memory stays flat
whatever the file's size. Objects are processed in batches: validated, classified
against what the organisation already holds (new, unchanged, new version, older
version, duplicate in this bundle) and written with executemany. Everything happens in
the caller's transaction, so a crash or a kill leaves nothing half-written; in strict
mode a single invalid object rejects the whole import (every error is still listed),
in lenient mode valid objects are stored and each invalid one is reported.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import ijson
import orjson
from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.audience import Audience
from cyberhub.community.models import Organisation
from cyberhub.db import utcnow
from cyberhub.formats.stix.validate import validate_object
from cyberhub.intel import bulk, search_index
from cyberhub.intel.markings import TLP_BY_MARKING, org_identity_id, tlp_of
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
MAX_NAME = 500
MAX_DESCRIPTION = 20_000
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


Progress = Callable[[ImportCounts], None]


class _CountingReader:
    """Counts the bytes ijson has pulled, for progress reports."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


def check_bundle(stream: BinaryIO) -> None:
    """Check the top level: a JSON object with type "bundle" and an "objects" array.

    Reads up to the start of the objects array (bundles put their header first; if one
    does not, the rest is scanned too). The stream is rewound afterwards."""
    seen: dict[str, Any] = {}
    has_objects = False
    try:
        for prefix, event, value in ijson.parse(stream):
            if prefix == "" and event not in ("start_map", "end_map", "map_key"):
                raise ImportFileError("The file is not a STIX bundle: its top level is not a "
                                      "JSON object.")
            if prefix in ("type", "id", "spec_version") and event in ("string", "number"):
                seen[prefix] = value
            elif prefix == "objects":
                if event != "start_array":
                    raise ImportFileError("The bundle's \"objects\" is not an array.")
                has_objects = True
                if "type" in seen:
                    break
    except ijson.JSONError as exc:
        raise ImportFileError(f"The file is not valid JSON: {exc}") from None
    finally:
        stream.seek(0)
    if seen.get("type") != "bundle":
        raise ImportFileError("The file is not a STIX bundle: the top-level object's type must "
                              "be \"bundle\".")
    if seen.get("spec_version") not in (None, "2.1"):
        raise ImportFileError(f"This is a STIX {seen['spec_version']} bundle; the hub reads "
                              "STIX 2.1.")
    bundle_id = seen.get("id")
    if not isinstance(bundle_id, str) or not bundle_id.startswith("bundle--"):
        raise ImportFileError("The bundle has no valid id (bundle--<UUID>).")
    if not has_objects:
        raise ImportFileError("The bundle has no \"objects\" array.")


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.rstrip("Z")
    if "." in text:  # STIX allows any precision; Python keeps microseconds
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        return None


def value_key(kind: str, value: str) -> int:
    digest = hashlib.blake2b(f"{kind}\x1f{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


def _edges(obj: dict[str, Any], stix_id: str) -> Iterator[tuple[str, str, str]]:
    """(source, target, kind) references of one object, relationships first-class."""
    kind = obj.get("type")
    if kind == "relationship":
        src, dst = obj.get("source_ref"), obj.get("target_ref")
        if isinstance(src, str) and isinstance(dst, str):
            yield src, dst, f"relationship:{obj.get('relationship_type', '')}"[:300]
        return
    for key, value in obj.items():
        if key in _NOT_EDGES:
            continue
        if key.endswith("_ref") and isinstance(value, str):
            yield stix_id, value, key
        elif key.endswith("_refs") and isinstance(value, list):
            for ref in value:
                if isinstance(ref, str):
                    yield stix_id, ref, key


# References that must resolve for the object to make sense; others (created_by_ref,
# object_refs of a report pointing at things the sender did not include, …) may dangle.
_MUST_RESOLVE = frozenset({"sighting_of_ref"})


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
        # Identities of the *other* member organisations: nobody may speak for them.
        self.foreign_identities = {
            org_identity_id(oid) for oid in session.scalars(select(Organisation.id))
            if oid != self.org_id}
        self.last_progress = 0.0
        self.audience_rows: list[tuple[str, uuid.UUID]] = (
            [("org_id", i) for i in settings.audience.org_ids]
            + [("group_id", i) for i in settings.audience.group_ids]
            + [("user_id", i) for i in settings.audience.user_ids])

    # ------------------------------------------------------------------ driving

    def run(self, stream: BinaryIO) -> ImportResult:
        check_bundle(stream)
        if self.session.get_bind().dialect.name == "postgresql":
            # Rows written in this transaction are invisible to the planner's statistics:
            # it would take the growing tables for empty and scan them on every batch.
            self.session.execute(text("SET LOCAL enable_seqscan = off"))
        reader = _CountingReader(stream)
        batch: list[tuple[int, Any]] = []
        try:
            for index, obj in enumerate(ijson.items(reader, "objects.item", use_float=True)):
                batch.append((index, obj))
                if len(batch) >= BATCH:
                    self._batch(batch)
                    batch = []
                    self.result.counts.bytes_done = reader.count
                    self._report()
        except ijson.JSONError as exc:
            done = len(batch) + self.result.counts.seen
            raise ImportFileError(f"The file stops being valid JSON after object {done} "
                                  f"(byte {reader.count}): {exc}") from None
        if batch:
            self._batch(batch)
        self.result.counts.bytes_done = reader.count
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
        self.result.counts.invalid += 1
        self.result.add_problem(Problem(index, sid if isinstance(sid, str) else None,
                                        path, message))
        if self.s.strict:
            self.failed = True

    # ------------------------------------------------------------------ one batch

    def _batch(self, batch: list[tuple[int, Any]]) -> None:
        counts = self.result.counts
        counts.seen += len(batch)
        ready: list[tuple[int, dict[str, Any], str, bytes]] = []
        for index, obj in batch:
            if not isinstance(obj, dict):
                self._problem(index, obj, "", "Each entry of \"objects\" must be a JSON object.")
                continue
            problems = validate_object(obj)
            if problems:
                for p in problems:
                    self._problem(index, obj, p.path, p.message)
                continue
            if obj.get("created_by_ref") in self.foreign_identities:
                self._problem(index, obj, "created_by_ref",
                              "created_by_ref names another member organisation; an import "
                              "may only speak for its own organisation.")
                continue
            try:
                data = orjson.dumps(obj)
            except orjson.JSONEncodeError:
                self._problem(index, obj, "", "The object is nested too deeply.")
                continue
            if len(data) > MAX_OBJECT_BYTES:
                self._problem(index, obj, "", f"The object is larger than {MAX_OBJECT_BYTES} "
                                              "bytes.")
                continue
            ready.append((index, obj, obj["id"], data))
        if self.failed or not ready:
            return
        self._store(ready)

    def _store(self, ready: list[tuple[int, dict[str, Any], str, bytes]]) -> None:
        counts = self.result.counts
        session = self.session
        ids = list({sid for _i, _o, sid, _d in ready})
        existing = {
            row.stix_id: row for row in session.execute(
                select(StixObject.id, StixObject.stix_id, StixObject.stix_modified,
                       StixObject.import_id)
                .where(StixObject.owner_org_id == self.org_id, StixObject.stix_id.in_(ids)))}
        now = utcnow()
        new_rows: list[dict[str, Any]] = []
        value_rows: list[dict[str, Any]] = []
        ref_rows: list[dict[str, Any]] = []
        aud_rows: list[dict[str, Any]] = []
        version_rows: list[dict[str, Any]] = []
        in_batch: dict[str, dict[str, Any]] = {}
        for index, obj, sid, data in ready:
            if sid in TLP_BY_MARKING:  # the standard TLP definitions are built in
                counts.unchanged += 1
                continue
            modified = _timestamp(obj.get("modified"))
            current = in_batch.get(sid) or (
                {"id": existing[sid].id, "modified": existing[sid].stix_modified,
                 "import_id": existing[sid].import_id} if sid in existing else None)
            if current is None:
                row = self._row(obj, sid, data, modified, now)
                new_rows.append(row)
                in_batch[sid] = {"id": row["id"], "modified": modified,
                                 "import_id": self.s.import_id, "row": row}
                self._index(row["id"], obj, sid, row["tlp"], value_rows, ref_rows, aud_rows)
                counts.stored += 1
                continue
            same_import = self.s.import_id is not None and current["import_id"] == self.s.import_id
            if modified is None and "modified" not in obj:
                # An observable (no versions): its id is derived from its value, so
                # meeting it again is the same observable, unless the content differs.
                if same_import and data.decode() != self._stored_data(current):
                    self._problem(index, obj, "id", "The bundle holds two different objects "
                                                    "with this id.")
                else:
                    counts.unchanged += 1
                continue
            if modified is None or modified == current["modified"]:
                if same_import:
                    self._problem(index, obj, "id", "The bundle holds this object twice (same "
                                                    "id and modified).")
                else:
                    counts.unchanged += 1
                continue
            if current["modified"] is not None and modified < current["modified"]:
                # An older version arrives after a newer one: keep it as history.
                if session.scalar(select(exists().where(
                        StixObjectVersion.object_id == current["id"],
                        StixObjectVersion.stix_modified == modified))):
                    counts.unchanged += 1
                else:
                    version_rows.append({"object_id": current["id"], "stix_modified": modified,
                                         "data": data.decode(), "import_id": self.s.import_id,
                                         "created_at": now})
                    counts.new_versions += 1
                continue
            # A newer version: the current one becomes history, the new one current.
            self._supersede(current, obj, sid, data, modified, now, version_rows, value_rows,
                            ref_rows)
            counts.new_versions += 1
        if self.failed:
            return
        for table, rows in ((StixObject.__table__, new_rows),
                            (StixObjectVersion.__table__, version_rows),
                            (ObservableValue.__table__, value_rows),
                            (StixRef.__table__, ref_rows),
                            (AudienceEntry.__table__, aud_rows)):
            bulk.insert_dicts(session, table, rows)  # type: ignore[arg-type]
        search_index.add(session, [(r["id"], r["name"], r["description"]) for r in new_rows])

    def _stored_data(self, current: dict[str, Any]) -> str:
        pending = current.get("row")
        if pending is not None:
            return str(pending["data"])
        return str(self.session.scalar(select(StixObject.data).where(
            StixObject.id == current["id"])))

    def _row(self, obj: dict[str, Any], sid: str, data: bytes, modified: datetime | None,
             now: datetime) -> dict[str, Any]:
        name = obj.get("name") if isinstance(obj.get("name"), str) else obj.get("value")
        description = obj.get("description")
        labels = obj.get("labels")
        confidence = obj.get("confidence")
        return {
            "id": uuid.uuid4(),
            "stix_id": sid,
            "type": obj["type"],
            "spec_version": obj.get("spec_version"),
            "stix_created": _timestamp(obj.get("created")),
            "stix_modified": modified,
            "revoked": obj.get("revoked") is True,
            "name": name[:MAX_NAME] if isinstance(name, str) else None,
            "description": (description[:MAX_DESCRIPTION]
                            if isinstance(description, str) else None),
            "confidence": confidence if isinstance(confidence, int) else None,
            "labels": labels if isinstance(labels, list) else [],
            "data": data.decode(),
            "vetting": Vetting.UNVERIFIED,
            "tlp": tlp_of(obj.get("object_marking_refs"), self.s.tlp),
            "pap": self.s.pap,
            "owner_org_id": self.org_id,
            "created_by_id": self.user_id,
            "import_id": self.s.import_id,
            "source": self.s.source,
            "created_at": now,
            "updated_at": now,
        }

    def _index(self, object_id: uuid.UUID, obj: dict[str, Any], sid: str, tlp: TLP,
               value_rows: list[dict[str, Any]], ref_rows: list[dict[str, Any]],
               aud_rows: list[dict[str, Any]]) -> None:
        for kind, value in values_of(obj):
            value_rows.append({"key": value_key(kind, value), "kind": kind, "value": value,
                               "object_id": object_id})
        for src, dst, kind in _edges(obj, sid):
            ref_rows.append({"object_id": object_id, "source_stix_id": src[:300],
                             "target_stix_id": dst[:300], "kind": kind})
        if tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
            for column, rid in self.audience_rows:
                # AMBER+STRICT names organisations only; RED names people only.
                if (tlp is TLP.AMBER_STRICT and column == "user_id") or (
                        tlp is TLP.RED and column == "org_id"):
                    continue
                aud_rows.append({"id": uuid.uuid4(), "record_id": object_id, column: rid})

    def _supersede(self, current: dict[str, Any], obj: dict[str, Any], sid: str, data: bytes,
                   modified: datetime | None, now: datetime,
                   version_rows: list[dict[str, Any]], value_rows: list[dict[str, Any]],
                   ref_rows: list[dict[str, Any]]) -> None:
        session = self.session
        oid = current["id"]
        pending = current.get("row")
        if pending is not None:
            # Both versions are in this batch and the older one is not written yet.
            version_rows.append({"object_id": oid, "stix_modified": pending["stix_modified"],
                                 "data": pending["data"], "import_id": self.s.import_id,
                                 "created_at": now})
            fresh = self._row(obj, sid, data, modified, now)
            fresh["id"] = oid
            fresh["created_at"] = pending["created_at"]
            pending.update(fresh)
            value_rows[:] = [r for r in value_rows if r["object_id"] != oid]
            ref_rows[:] = [r for r in ref_rows if r["object_id"] != oid]
            self._index(oid, obj, sid, fresh["tlp"], value_rows, ref_rows, [])
        else:
            old = session.execute(select(StixObject.stix_modified, StixObject.data,
                                         StixObject.import_id)
                                  .where(StixObject.id == oid)).one()
            version_rows.append({"object_id": oid, "stix_modified": old.stix_modified,
                                 "data": old.data, "import_id": old.import_id,
                                 "created_at": now})
            fresh = self._row(obj, sid, data, modified, now)
            for key in ("id", "created_at", "owner_org_id", "created_by_id"):
                fresh.pop(key)
            fresh["tlp"] = tlp_of(obj.get("object_marking_refs"), self.s.tlp)
            session.execute(update(StixObject).where(StixObject.id == oid).values(**fresh))
            search_index.add(session, [(oid, fresh["name"], fresh["description"])])
            session.execute(delete(ObservableValue).where(ObservableValue.object_id == oid))
            session.execute(delete(StixRef).where(StixRef.object_id == oid))
            self._index(oid, obj, sid, fresh["tlp"], value_rows, ref_rows, [])
        current["modified"] = modified
        current["import_id"] = self.s.import_id

    # ------------------------------------------------------------------ after the stream

    def _check_dangling(self) -> None:
        """A sighting of nothing the importer can see is refused: the reference must
        resolve to an object in the bundle or one visible in the hub."""
        if self.s.import_id is None:
            return
        target = aliased(StixObject)
        carrier = aliased(StixObject)
        rows = self.session.execute(
            select(StixRef.object_id, StixRef.kind, StixRef.target_stix_id, carrier.stix_id)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(carrier.import_id == self.s.import_id, StixRef.kind.in_(_MUST_RESOLVE))
            .where(~exists().where(target.stix_id == StixRef.target_stix_id,
                                   access.visible(target, self.s.viewer)))
        ).all()
        if not rows:
            return
        for row in rows:
            self._problem(-1, {"id": row.stix_id}, row.kind,
                          f"{row.kind} refers to {row.target_stix_id}, which is neither in the "
                          "bundle nor visible in the hub.")
        if not self.s.strict:
            dangling = list({r.object_id for r in rows})
            self.session.execute(delete(ObservableValue).where(
                ObservableValue.object_id.in_(dangling)))
            self.session.execute(delete(StixRef).where(StixRef.object_id.in_(dangling)))
            self.session.execute(delete(AudienceEntry).where(
                AudienceEntry.record_id.in_(dangling)))
            self.session.execute(delete(StixObject).where(StixObject.id.in_(dangling)))
            search_index.remove(self.session, dangling)
            self.result.counts.stored -= len(dangling)


def import_stix(session: Session, stream: BinaryIO, settings: ImportSettings,
                progress: Progress | None = None) -> ImportResult:
    """Import one STIX 2.1 bundle inside the caller's transaction.

    Raises ImportFileError when the file is not a readable bundle. In strict mode the
    caller must roll back when ``result.counts.invalid`` is not zero."""
    return _Importer(session, settings, progress).run(stream)


def file_size(stream: BinaryIO) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return 0
