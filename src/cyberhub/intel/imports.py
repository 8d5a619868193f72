"""Import jobs: stage an upload, run it (now or in the background), report its status.

While a job runs, its progress goes to a small JSON file beside the staged upload
(written atomically): the import's own transaction holds its writes until it commits,
so progress cannot travel through the database without a second writer, which SQLite
does not allow. The final status is written to the ``imports`` row.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_pap, clean_tlp
from cyberhub.community.models import User
from cyberhub.community.validation import refuse_nul
from cyberhub.config import get_settings
from cyberhub.db import Database, utcnow
from cyberhub.errors import InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from cyberhub.formats import convert
from cyberhub.i18n import _, ngettext
from cyberhub.intel import importer
from cyberhub.intel.importer import (
    Conversion,
    ImportCounts,
    ImportFileError,
    ImportResult,
    ImportSettings,
    import_converted,
    import_stix,
)
from cyberhub.intel.markings import org_identity_id
from cyberhub.intel.models import Import, ImportStatus
from cyberhub.observability import metrics

log = logging.getLogger(__name__)

MODES = ("strict", "lenient")
MAX_NOTICES = 1000  # notices kept with an import; the last one says how many more there were
# An import run on another machine that has shown no progress for this long is taken for
# one whose process died (a live import reports progress after every batch).
OTHER_HOST_QUIET_SECONDS = 15 * 60


def formats() -> tuple[str, ...]:
    """STIX, and every format a converter turns into STIX (``formats.convert``)."""
    return ("stix", *convert.names())


def file_formats() -> tuple[str, ...]:
    """The formats a file can be imported in as it is (the API's and the CLI's)."""
    return ("stix", *convert.file_formats())


def staging_dir() -> Path:
    path = get_settings().var_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_path(import_id: uuid.UUID) -> Path:
    return staging_dir() / f"{import_id}.progress.json"


# ---------------------------------------------------------------- creating


def new_import(session: Session, viewer: Viewer, *, filename: str, tlp: str,
               pap: str | None = None, audience: Audience | None = None,
               mode: str = "strict", fmt: str = "stix",
               options: Mapping[str, Any] | None = None, prepared: bool = False) -> Import:
    """Check the request and create the job record (status queued); no data yet.

    ``options`` are the format's own choices (a CSV column mapping…), handed to its
    converter when the job runs; ``prepared`` says the hub built them itself (the
    confirmed values of a free-text import), which the formats in
    ``convert.PREPARED_ONLY`` require."""
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not import."))
    assert viewer.org_id is not None and viewer.user_id is not None
    if fmt not in (formats() if prepared else file_formats()):
        if fmt in convert.PREPARED_ONLY:
            raise InvalidInput(_("Values from free text are imported on the page /import/text, "
                                 "where an analyst confirms them first."),
                               details={"field": "format"})
        raise InvalidInput(_("Unknown format %(value)r; use one of: %(choices)s")
                           % {"value": fmt, "choices": ", ".join(file_formats())},
                           details={"field": "format"})
    if mode not in MODES:
        raise InvalidInput(_("Unknown mode %(value)r; use strict or lenient.") % {"value": mode},
                           details={"field": "mode"})
    refuse_nul(filename or "", "filename")  # PostgreSQL stores no NUL in text
    tlp_ = clean_tlp(tlp)
    aud = check_import_audience(session, tlp_, audience or Audience())
    job = Import(org_id=viewer.org_id, user_id=viewer.user_id, format=fmt, mode=mode,
                 filename=(filename or "upload.json")[:300], tlp=tlp_.value,
                 pap=(clean_pap(pap).value if clean_pap(pap) else None),  # type: ignore[union-attr]
                 audience={"org_ids": [str(i) for i in aud.org_ids],
                           "group_ids": [str(i) for i in aud.group_ids],
                           "user_ids": [str(i) for i in aud.user_ids]},
                 options=dict(options or {}), notices=[])
    session.add(job)
    session.flush()
    return job


def check_import_audience(session: Session, tlp: Any, audience: Audience) -> Audience:
    """The audience applies to the import's AMBER/AMBER+STRICT/RED objects; objects the
    data marks more strictly than the import default are checked against it too."""
    from cyberhub.sharing import TLP

    if audience.empty:
        return audience
    # Check it as AMBER (the widest audience) so it can serve every marking.
    return check_audience(session, TLP.AMBER if tlp in (TLP.CLEAR, TLP.GREEN) else tlp,
                          audience)


async def write_upload(path: Path, chunks: AsyncIterator[bytes], limit: int) -> int:
    """Stream an upload to ``path``; past ``limit`` bytes refuse it and leave no file."""
    size = 0
    try:
        with path.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(_("The file is larger than %(n)d bytes.") % {"n": limit})
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return size


_STAGED = "cyberhub_staged_uploads"


@event.listens_for(Session, "after_commit")
def _keep_staged(session: Session) -> None:
    session.info.pop(_STAGED, None)


@event.listens_for(Session, "after_rollback")
def _drop_staged(session: Session) -> None:
    """An upload whose import record was rolled back (the job queue was unreachable,
    the database failed) is deleted with it: nothing of it stays half-way."""
    for path in session.info.pop(_STAGED, []):
        with contextlib.suppress(OSError):
            path.unlink()


async def stage_upload(job: Import, chunks: AsyncIterator[bytes]) -> int:
    """Stream an upload to the staging file; refuse it past the size limit."""
    path = staging_dir() / f"{job.id}.upload"
    session = object_session(job)
    if session is not None:
        session.info.setdefault(_STAGED, []).append(path)
    size = await write_upload(path, chunks, get_settings().max_import_bytes)
    job.staged_path = str(path)
    job.bytes_total = size
    return size


def stage_file(job: Import, source: Path) -> None:
    """The CLI imports a local file (or a directory, for formats that read one) in
    place: no copy."""
    job.staged_path = str(source)
    job.bytes_total = (sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
                       if source.is_dir() else source.stat().st_size)


# ---------------------------------------------------------------- running


def run(database: Database, import_id: uuid.UUID,
        progress: Callable[[ImportCounts], None] | None = None, *,
        keep_source: bool = False) -> Import:
    """Run a queued import to its end and record the outcome (any outcome)."""
    with database.transaction() as session:
        # Locked: a job queued twice (see stranded()) runs once.
        job = session.get(Import, import_id, with_for_update=True)
        if job is None:
            raise NotFound()
        if job.status is not ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.RUNNING
        job.started_at = utcnow()
        job.runner = runner_id()
        user = session.get(User, job.user_id)
        assert user is not None
        viewer = access.viewer_for(session, user)
        settings = ImportSettings(
            viewer=viewer, tlp=clean_tlp(job.tlp), pap=clean_pap(job.pap),
            audience=Audience([uuid.UUID(i) for i in job.audience.get("org_ids", [])],
                              [uuid.UUID(i) for i in job.audience.get("group_ids", [])],
                              [uuid.UUID(i) for i in job.audience.get("user_ids", [])]),
            strict=job.mode == "strict", import_id=job.id,
            # What a partner hub sent (federation.sync, or its TAXII POST here).
            from_partner=bool((job.options or {}).get("peer_id")),
            source=(f"peer:{job.options['peer']}" if (job.options or {}).get("peer_id")
                    else f"import:{job.filename}"))
        staged = Path(job.staged_path or "")
        fmt, total, job_org_id = job.format, job.bytes_total, job.org_id
        context = convert.ConvertContext(
            org_name=user.organisation.name, identity_id=org_identity_id(user.org_id),
            filename=job.filename, options=dict(job.options or {}))
    progress_file = _progress_path(import_id)
    converted = staging_dir() / f"{import_id}.converted.json"
    scale = 1.0  # converted bytes → source bytes, for progress against bytes_total

    def report(counts: ImportCounts) -> None:
        if scale != 1.0:
            counts = replace(counts, bytes_done=int(counts.bytes_done * scale))
        tmp = progress_file.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(asdict(counts)))
        os.replace(tmp, progress_file)
        if progress:
            progress(counts)

    # A large import's commit leaves copying the write-ahead log back into SQLite's
    # database file to a thread (Database.checkpoint_after): the job is done before.
    large = total >= importer.PARALLEL_MIN_BYTES >= 0
    with database.checkpoint_after() if large else contextlib.nullcontext():
        outcome: ImportResult | None = None
        notices: list[convert.Notice] = []
        status, message = ImportStatus.FAILED, ""
        try:
            if not viewer.is_authenticated:
                raise ImportFileError(_("The importing user is no longer active."))
            source = staged
            if fmt != "stix" and not staged.exists():
                raise FileNotFoundError(staged)
            pipe = fmt != "stix" and _piped(fmt, total)
            if fmt != "stix" and not pipe:
                notices = _convert(fmt, staged, converted, context)
                source = converted
                size = converted.stat().st_size
                scale = total / size if size and total else 1.0
            with database.transaction() as session:
                from cyberhub.intel import import_events

                values_after = import_events.values_mark(session)
                if pipe:
                    outcome, notices = _import_piped(session, fmt, staged, context, settings,
                                                     report, total)
                else:
                    with source.open("rb") as stream:
                        outcome = import_stix(session, stream, settings, report)
                    outcome.counts.bytes_done = int(outcome.counts.bytes_done * scale)
                if not (settings.strict and outcome.counts.invalid):
                    after = _AFTER_IMPORT.get(fmt)
                    if after is not None:
                        notices.extend(_load(after)(session, import_id, job_org_id))
                    import_events.publish(session, import_id, job_org_id, viewer.user_id,
                                          values_after)
                    if settings.from_partner:
                        from cyberhub.federation import origins

                        origins.record(session, import_id, context.options.get("origins", {}),
                                       str(context.options.get("sender", "")))
                if settings.strict and outcome.counts.invalid:
                    session.rollback()
                    status = ImportStatus.REJECTED
                    message = ngettext(
                        "Nothing was stored: %(n)d object is invalid (strict mode).",
                        "Nothing was stored: %(n)d objects are invalid (strict mode).",
                        outcome.counts.invalid) % {"n": outcome.counts.invalid}
                else:
                    status = ImportStatus.SUCCEEDED
        except (ImportFileError, convert.ConversionError) as exc:
            message = str(exc)
        except FileNotFoundError:
            message = _("The uploaded file is gone; upload it again.")
        except Exception:
            log.exception("import %s crashed", import_id)
            message = _("The import failed unexpectedly and nothing was stored. The operators can "
                        "find the cause in the hub's log.")
        finally:
            progress_file.unlink(missing_ok=True)
            converted.unlink(missing_ok=True)
            if not keep_source and staged.name.endswith(".upload"):
                staged.unlink(missing_ok=True)
        with database.transaction() as session:
            job = session.get(Import, import_id)
            assert job is not None
            _finish(session, job, status, message, outcome, notices)
        metrics.record_import(fmt, status.value, job.objects_stored, job.objects_invalid)
        if status is ImportStatus.SUCCEEDED and job.objects_stored >= REFRESH_STATISTICS_FROM:
            refresh_statistics(database)
    return job


# Format-specific steps after the objects are stored, in the import's transaction:
# "module:function(session, import_id, org_id) -> list[Notice]".
_AFTER_IMPORT: dict[str, str] = {
    "misp": "cyberhub.formats.misp.sharing:apply_sharing_groups",
}


def _load(path: str) -> Callable[[Session, uuid.UUID, uuid.UUID], list[convert.Notice]]:
    module, _sep, function = path.partition(":")
    found: Callable[[Session, uuid.UUID, uuid.UUID], list[convert.Notice]] = getattr(
        importlib.import_module(module), function)
    return found


def _piped(fmt: str, size: int) -> bool:
    """Convert while importing (importer.import_converted) when the format has an object
    converter and the source is large enough for the importer's second process."""
    return (convert.streamed(fmt) and importer.two_cores()
            and 0 <= importer.PARALLEL_MIN_BYTES <= size)


def _import_piped(session: Session, fmt: str, source: Path, context: convert.ConvertContext,
                  settings: ImportSettings, report: Callable[[ImportCounts], None],
                  total: int) -> tuple[ImportResult, list[convert.Notice]]:
    """Convert the source while the importer stores; progress is the share of the
    source converted."""
    outcome, notices = import_converted(session, Conversion(fmt, source, context, total),
                                        settings, report)
    outcome.counts.bytes_done = total
    return outcome, notices


def _convert(fmt: str, source: Path, target: Path,
             context: convert.ConvertContext) -> list[convert.Notice]:
    """Turn the source into a STIX bundle at ``target`` with the format's converter."""
    converter = convert.converter_for(fmt)
    with target.open("wb") as out:
        return list(converter(source, out, context))


# After an import this large, the query planner's picture of the tables is stale.
REFRESH_STATISTICS_FROM = 10_000


def refresh_statistics(database: Database) -> None:
    """Let the planner see what an import added. Both engines plan from these statistics:
    without them PostgreSQL scans where it should look up, and SQLite takes any index
    on a column compared for equality as selective (the landscape's restricted rows, found
    through their candidates in 3 ms, took 400 ms through the type index). SQLite samples
    (``analysis_limit``), which keeps this under a second at a million objects."""
    tables = ("stix_objects", "observable_values", "stix_refs", "audience_entries")
    with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
        else:
            conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
            for table in tables:
                conn.exec_driver_sql(f"ANALYZE {table}")
        conn.commit()


def _finish(session: Session, job: Import, status: ImportStatus, message: str,
            outcome: ImportResult | None,
            notices: Sequence[convert.Notice] = ()) -> None:
    job.status = status
    kept = [n.as_dict() for n in notices[:MAX_NOTICES]]
    if len(notices) > MAX_NOTICES:
        more = len(notices) - MAX_NOTICES
        kept.append(convert.Notice(-1, None, "", ngettext(
            "… and %(n)d more notice.", "… and %(n)d more notices.", more) % {"n": more}
        ).as_dict())
    job.notices = kept
    job.message = message
    job.finished_at = utcnow()
    if outcome is not None:
        c = outcome.counts
        job.objects_seen, job.objects_invalid = c.seen, c.invalid
        job.bytes_done = c.bytes_done
        stored = status is ImportStatus.SUCCEEDED
        job.objects_stored = c.stored if stored else 0
        job.objects_unchanged = c.unchanged if stored else 0
        job.objects_new_versions = c.new_versions if stored else 0
        job.errors = [p.as_dict() for p in outcome.problems]
    user = session.get(User, job.user_id)
    actor = audit.Actor(job.user_id, job.org_id,
                        f"{user.email} ({user.organisation.name})" if user else "")
    audit.record(session, actor, f"import.{status.value}", target_type="import",
                 target_id=job.id, details={"stored": job.objects_stored,
                                            "invalid": job.objects_invalid,
                                            "filename": job.filename})


def _interrupted_message() -> str:
    return _("The import was interrupted and nothing was stored; run it again.")


def stranded(session: Session, waiting: set[str],
             older_than: timedelta = timedelta(minutes=2)) -> list[uuid.UUID]:
    """Queued imports whose job is not in the queue (``waiting``: the import ids the
    queue holds): the queue went away between the request's check and the moment the
    job was handed to it, after the record was committed. Only those queued for longer
    than ``older_than``: a job is taken off the queue a moment before its import reads
    as running."""
    return [i for i in session.scalars(select(Import.id).where(
        Import.status == ImportStatus.QUEUED, Import.created_at < utcnow() - older_than))
        if str(i) not in waiting]


def runner_id() -> str:
    """This process, as an import's ``runner`` names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _runner_gone(runner: str | None) -> bool | None:
    """Whether the process named ``runner`` has ended: True or False for a process of
    this machine, None for one of another machine (it cannot be asked)."""
    if not runner:
        return True  # started before runners were recorded: only a killed worker's
    host, _sep, pid_text = runner.rpartition(":")
    if host != socket.gethostname():
        return None
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    if pid == os.getpid():
        return True  # an earlier process that had this id: this one runs no import yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def fail_interrupted(session: Session) -> int:
    """At worker start: imports whose process has ended stored nothing (their
    transaction never committed); say so. An import that a live process runs — another
    worker, a ``cyberhub import`` at the command line — is left alone; one run on another
    machine counts as ended once it has shown no progress for
    :data:`OTHER_HOST_QUIET_SECONDS` (the progress files are in the shared ``var/``)."""
    failed = 0
    for job in session.scalars(select(Import).where(Import.status == ImportStatus.RUNNING)):
        gone = _runner_gone(job.runner)
        if gone is None:
            failed += fail_if_abandoned(job, OTHER_HOST_QUIET_SECONDS)
        elif gone:
            job.status, job.finished_at, job.message = (ImportStatus.FAILED, utcnow(),
                                                        _interrupted_message())
            failed += 1
    return failed


def fail_if_abandoned(job: Import, quiet_seconds: float) -> bool:
    """Mark a running import failed when it has shown no progress for ``quiet_seconds``
    (the process running it was killed: its transaction never committed). A live import
    reports progress to its progress file as it goes; one that has written none yet
    counts from when it started."""
    if job.status is not ImportStatus.RUNNING:
        return False
    try:
        last = _progress_path(job.id).stat().st_mtime
    except OSError:
        last = job.started_at.timestamp() if job.started_at else 0.0
    if time.time() - last < quiet_seconds:
        return False
    job.status, job.finished_at, job.message = (ImportStatus.FAILED, utcnow(),
                                                _interrupted_message())
    return True


# ---------------------------------------------------------------- reading


def get_import(session: Session, viewer: Viewer, import_id: uuid.UUID | str) -> Import:
    """An import is visible to the user who started it and their organisation's admins;
    a MISP feed's imports to those who manage the organisation's feeds too."""
    try:
        iid = import_id if isinstance(import_id, uuid.UUID) else uuid.UUID(str(import_id))
    except ValueError:
        raise NotFound() from None
    job = session.get(Import, iid)
    if job is None or not _may_see(viewer, job):
        raise NotFound()
    return job


def _may_see(viewer: Viewer, job: Import) -> bool:
    from cyberhub.community.models import Role

    if viewer.user_id == job.user_id:
        return True
    if viewer.org_id != job.org_id:
        return False
    # A feed's imports belong to everyone who manages the organisation's feeds.
    return viewer.role is Role.ORG_ADMIN or (
        bool((job.options or {}).get("feed_id")) and access.can_contribute(viewer))


def live_counts(job: Import) -> dict[str, Any]:
    """Counts for a status display: from the progress file while the job runs."""
    if job.status is ImportStatus.RUNNING:
        with contextlib.suppress(OSError, orjson.JSONDecodeError):
            return dict(orjson.loads(_progress_path(job.id).read_bytes()))
    return {"seen": job.objects_seen, "stored": job.objects_stored,
            "unchanged": job.objects_unchanged, "new_versions": job.objects_new_versions,
            "invalid": job.objects_invalid, "bytes_done": job.bytes_done}


def list_imports(session: Session, viewer: Viewer, limit: int = 50) -> list[Import]:
    if viewer.user_id is None:
        return []
    return list(session.scalars(select(Import).where(Import.user_id == viewer.user_id)
                                .order_by(Import.created_at.desc()).limit(limit)))


def open_source(job: Import) -> BinaryIO:
    return Path(job.staged_path or "").open("rb")
