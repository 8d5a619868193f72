"""Load reference data into the knowledge base, and say what is loaded.

:func:`load` reads the chosen galaxies, builds their STIX objects
(:mod:`cyberhub.refdata.galaxies`), writes them as one bundle to a temporary file and
imports it with :func:`cyberhub.intel.importer.import_stix`, the pipeline every import
takes (validation, versions, value index, full text), in one transaction, strict: an
invalid object stores nothing. The objects are TLP:CLEAR and owned by the hub's
reference-data organisation (:mod:`cyberhub.community.system`).

Idempotent: objects built from the same galaxy version carry the same ``modified``, so
the importer finds them unchanged, and when every galaxy is already loaded at its
version nothing is even built. A newer version brings newer ``modified`` values: the
objects change in place and their earlier versions stay as history.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import audit
from cyberhub.access import Viewer
from cyberhub.community import system
from cyberhub.community.models import Organisation, OrgKind, Role, User
from cyberhub.community.validation import name_key
from cyberhub.config import get_settings
from cyberhub.db import Database, utcnow
from cyberhub.errors import Conflict, InvalidInput
from cyberhub.i18n import _, ngettext
from cyberhub.intel.galaxies import GALAXY_STIX_TYPES
from cyberhub.intel.importer import ImportCounts, ImportFileError, ImportSettings, import_stix
from cyberhub.intel.models import Import, ImportStatus, StixObject
from cyberhub.refdata import galaxies as g
from cyberhub.refdata.models import ReferenceDataset
from cyberhub.sharing import TLP

__all__ = ["LoadReport", "datasets", "ensure_owner", "load", "owner_viewer"]

# (stage, done, total): stage "read", "build" or "import"; total 0 when unknown.
Progress = Callable[[str, int, int], None]
_LOADER = "reference data loader"


@dataclass
class DatasetReport:
    key: str
    name: str
    title: str
    version: int
    previous_version: int | None
    objects: int
    relationships: int
    origin: str


@dataclass
class LoadReport:
    """What a load did. ``up_to_date``: nothing to do, nothing built or imported."""

    datasets: list[DatasetReport] = field(default_factory=list)
    up_to_date: bool = False
    counts: ImportCounts | None = None
    skipped_objects: int = 0
    dangling_relations: int = 0
    notes: list[str] = field(default_factory=list)
    import_id: uuid.UUID | None = None
    seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- the owner


def ensure_owner(session: Session) -> tuple[Organisation, User]:
    """The reference-data organisation and its user, created on first use."""
    org = session.get(Organisation, system.REFERENCE_ORG_ID)
    actor = audit.Actor(None, None, _LOADER)
    if org is None:
        key = name_key(system.REFERENCE_ORG_NAME)
        if session.scalar(select(Organisation.id).where(Organisation.name_key == key)):
            raise Conflict(_("An organisation named %(name)r exists already; rename it so the "
                             "hub's reference data can be loaded under that name.")
                           % {"name": system.REFERENCE_ORG_NAME})
        org = Organisation(id=system.REFERENCE_ORG_ID, name=system.REFERENCE_ORG_NAME,
                           name_key=key, kind=OrgKind.OTHER)
        session.add(org)
        session.flush()
        audit.record(session, actor, "org.create", target_type="organisation",
                     target_id=org.id, details={"name": org.name, "kind": org.kind.value,
                                                "system": True})
    user = session.get(User, system.REFERENCE_USER_ID)
    if user is None:
        if session.scalar(select(User.id).where(User.email == system.REFERENCE_USER_EMAIL)):
            raise Conflict(_("A user with the e-mail %(email)s exists already; the hub "
                             "reserves it for its reference data.")
                           % {"email": system.REFERENCE_USER_EMAIL})
        # Inactive and without a password: nobody signs in or holds a token as it.
        user = User(id=system.REFERENCE_USER_ID, email=system.REFERENCE_USER_EMAIL,
                    display_name=system.REFERENCE_USER_NAME, org_id=org.id,
                    role=Role.ANALYST, is_active=False, password_hash=None)
        session.add(user)
        session.flush()
        audit.record(session, actor, "user.create", target_type="user", target_id=user.id,
                     details={"email": user.email, "org": org.name, "system": True})
    return org, user


def owner_viewer() -> Viewer:
    """The importer's view as the reference-data user (who never signs in)."""
    return Viewer(user_id=system.REFERENCE_USER_ID, org_id=system.REFERENCE_ORG_ID,
                  role=Role.ANALYST, label=_LOADER)


# ---------------------------------------------------------------- loading


def _read(names: Sequence[str], files: Sequence[Path]) -> list[g.Galaxy]:
    try:
        from_files = [g.read_file(p) for p in files]
        wanted = [n for n in dict.fromkeys(names) if n not in {x.type for x in from_files}]
        return [*(g.read_galaxy(n) for n in wanted), *from_files]
    except g.GalaxyError as exc:
        raise InvalidInput(str(exc), details={"field": "galaxy"}) from None


def load(database: Database, names: Sequence[str] | None = None, *,
         files: Sequence[Path] = (), force: bool = False,
         progress: Progress | None = None) -> LoadReport:
    """Load galaxies (by default :data:`~cyberhub.refdata.galaxies.DEFAULT_GALAXIES`,
    plus cluster files given by path) into the knowledge base.

    Galaxies loaded before are built again with them, so relationships between the old
    and the new ones are made. Raises InvalidInput for an unknown galaxy or a malformed
    file, before anything is written."""
    report = LoadReport()
    step = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    wanted = list(dict.fromkeys(names)) if names else list(g.DEFAULT_GALAXIES)
    with database.snapshot() as session:
        loaded = {row.key: _Loaded(row.key, row.kind, row.name, row.title, row.version,
                                   row.revision, row.origin, row.objects, row.relationships)
                  for row in session.scalars(select(ReferenceDataset))}
    package = f"pymispgalaxies {g.package_version()}"
    if not force and not files and _current(loaded, wanted, package):
        # Loaded from this very package by this very mapping: nothing can differ.
        report.up_to_date = True
        report.datasets = [_as_report(loaded[f"misp-galaxy:{n}"]) for n in wanted]
        return report
    step("read", 0, 0)
    chosen = _read(wanted, files)
    keys = {x.key for x in chosen}
    # Galaxies loaded earlier from the package come along (for their relationships).
    again = [r.name for r in loaded.values() if r.key not in keys and r.kind == "misp-galaxy"
             and r.origin.startswith("pymispgalaxies ") and r.name in GALAXY_STIX_TYPES]
    if again:
        chosen.extend(_read(again, ()))
    report.seconds["read"] = time.perf_counter() - started
    for galaxy in chosen:
        before = loaded.get(galaxy.key)
        report.datasets.append(DatasetReport(
            key=galaxy.key, name=galaxy.type, title=galaxy.name, version=galaxy.version,
            previous_version=before.version if before else None, objects=0,
            relationships=0, origin=galaxy.origin))
    if not force and all(
            (had := loaded.get(x.key)) is not None and had.version == x.version
            and had.revision == g.MAPPING_REVISION for x in chosen):
        # A new package with the same galaxy versions: note where they now come from.
        report.up_to_date = True
        with database.transaction() as session:
            for d, galaxy in zip(report.datasets, chosen, strict=True):
                stored = session.get(ReferenceDataset, d.key)
                if stored is not None:
                    stored.origin = galaxy.origin[:300]
                    d.objects, d.relationships = stored.objects, stored.relationships
        return report

    t0 = time.perf_counter()
    builder = g.Builder(chosen)
    staging = get_settings().var_dir / "imports"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=staging, prefix="refdata-", suffix=".json") as tmp:
        total = _write_bundle(builder, tmp, step)
        report.seconds["build"] = time.perf_counter() - t0
        for d in report.datasets:
            d.objects = builder.counts.objects.get(d.name, 0)
            d.relationships = builder.counts.relationships.get(d.name, 0)
        report.skipped_objects = builder.counts.skipped_objects
        report.dangling_relations = builder.counts.dangling_relations
        report.notes = builder.counts.notes
        t1 = time.perf_counter()
        with database.transaction() as session:
            _import(session, tmp.name, total, chosen, report, step)
        report.seconds["import"] = time.perf_counter() - t1
    report.seconds["total"] = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Loaded:
    key: str
    kind: str
    name: str
    title: str
    version: int
    revision: int
    origin: str
    objects: int
    relationships: int


def _current(loaded: dict[str, _Loaded], names: list[str], package: str) -> bool:
    for name in names:
        row = loaded.get(f"misp-galaxy:{name}")
        if row is None or row.origin != package or row.revision != g.MAPPING_REVISION:
            return False
    return True


def _as_report(row: _Loaded) -> DatasetReport:
    return DatasetReport(key=row.key, name=row.name, title=row.title, version=row.version,
                         previous_version=row.version, objects=row.objects,
                         relationships=row.relationships, origin=row.origin)


def _write_bundle(builder: g.Builder, sink: Any, step: Progress) -> int:
    sink.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode()
               + b'","objects":[')
    n = 0
    for obj in builder.objects():
        if n:
            sink.write(b",")
        sink.write(orjson.dumps(obj))
        n += 1
        if n % 2000 == 0:
            step("build", n, 0)
    sink.write(b"]}")
    sink.flush()
    step("build", n, n)
    return n


def _import(session: Session, path: str, total: int, chosen: list[g.Galaxy],
            report: LoadReport, step: Progress) -> None:
    org, user = ensure_owner(session)
    origin = ", ".join(sorted({x.origin for x in chosen}))
    job = Import(org_id=org.id, user_id=user.id, format="stix", mode="strict",
                 filename=_("MISP galaxies (%(origin)s)") % {"origin": origin},
                 tlp=TLP.CLEAR.value, audience={}, status=ImportStatus.RUNNING,
                 started_at=utcnow(), bytes_total=Path(path).stat().st_size)
    session.add(job)
    session.flush()
    settings = ImportSettings(viewer=owner_viewer(), tlp=TLP.CLEAR,
                              source=_("MISP galaxies (%(origin)s)") % {"origin": origin},
                              import_id=job.id)
    try:
        with open(path, "rb") as stream:
            result = import_stix(session, stream, settings,
                                 lambda c: step("import", c.seen, total))
    except ImportFileError as exc:  # pragma: no cover - the bundle is ours
        raise InvalidInput(str(exc)) from None
    counts = result.counts
    if counts.invalid:
        first = "; ".join(f"{p.id or p.index} {p.path}: {p.message}"
                          for p in result.problems[:5])
        raise InvalidInput(ngettext("The reference data did not pass the import's checks and "
                                    "nothing was stored (%(n)d problem): %(first)s",
                                    "The reference data did not pass the import's checks and "
                                    "nothing was stored (%(n)d problems): %(first)s",
                                    counts.invalid)
                           % {"n": counts.invalid, "first": first})
    report.counts = counts
    report.import_id = job.id
    job.status = ImportStatus.SUCCEEDED
    job.finished_at = utcnow()
    job.objects_seen, job.objects_stored = counts.seen, counts.stored
    job.objects_unchanged, job.objects_new_versions = counts.unchanged, counts.new_versions
    job.bytes_done = counts.bytes_done
    now = utcnow()
    for d, galaxy in zip(report.datasets, chosen, strict=True):
        row = session.get(ReferenceDataset, d.key) or ReferenceDataset(key=d.key)
        row.kind, row.name, row.title = "misp-galaxy", galaxy.type, galaxy.name[:200]
        row.version, row.revision, row.origin = galaxy.version, g.MAPPING_REVISION, \
            galaxy.origin[:300]
        row.stix_type = galaxy.stix_type
        row.objects, row.relationships = d.objects, d.relationships
        row.loaded_at, row.import_id = now, job.id
        session.add(row)
    session.flush()
    audit.record(session, audit.Actor(user.id, org.id, _LOADER), "refdata.load",
                 target_type="import", target_id=job.id, details={
                     "galaxies": {d.name: d.version for d in report.datasets},
                     "stored": counts.stored, "new_versions": counts.new_versions,
                     "unchanged": counts.unchanged})


# ---------------------------------------------------------------- reading


@dataclass
class DatasetView:
    key: str
    name: str
    title: str
    version: int
    origin: str
    stix_type: str
    objects: int
    relationships: int
    loaded_at: Any


def datasets(session: Session) -> list[DatasetView]:
    """What reference data the hub holds (public knowledge: TLP:CLEAR objects)."""
    rows = session.scalars(select(ReferenceDataset).order_by(ReferenceDataset.key))
    return [DatasetView(r.key, r.name, r.title, r.version, r.origin, r.stix_type, r.objects,
                        r.relationships, r.loaded_at) for r in rows]


def object_count(session: Session) -> int:
    """Objects (relationships included) the reference-data organisation holds."""
    return int(session.scalar(select(func.count()).select_from(StixObject).where(
        StixObject.owner_org_id == system.REFERENCE_ORG_ID)) or 0)
