"""REST: the knowledge base — import and its status, export (objects and search follow)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Generator
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from cyberhub.audience import Audience
from cyberhub.community import service as community
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _, get_locale
from cyberhub.intel import export, imports
from cyberhub.intel.models import Import
from cyberhub.intel.schemas import ImportCountsOut, ImportOut, ImportProblem
from cyberhub.jobs import enqueue_after_commit, run_import
from cyberhub.schemas import Paged

router = APIRouter(tags=["knowledge base"])


def import_out(job: Import) -> ImportOut:
    counts = imports.live_counts(job)
    done = counts.get("bytes_done", 0)
    progress = 1.0 if job.finished_at else (done / job.bytes_total if job.bytes_total else 0.0)
    return ImportOut(
        id=job.id, status=job.status, format=job.format, mode=job.mode, filename=job.filename,
        tlp=job.tlp, pap=job.pap, audience=job.audience, bytes_total=job.bytes_total,
        progress=round(min(progress, 1.0), 4), counts=ImportCountsOut(**counts),
        errors=[ImportProblem(**e) for e in job.errors],
        notices=[ImportProblem(**n) for n in job.notices], options=job.options,
        message=job.message,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        links={"self": f"/api/v1/imports/{job.id}"})


@router.post("/import", status_code=202, response_model=ImportOut,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/stix+json": {"schema": {"type": "object"}},
                 "application/json": {"schema": {"type": "object"}},
                 "text/csv": {"schema": {"type": "string"}}}}})
async def start_import(
    request: Request, ctx: ApiCtx,
    tlp: Annotated[str, Query(max_length=16, description="Marking for unmarked objects.")],
    pap: Annotated[str | None, Query(max_length=16)] = None,
    audience: Annotated[list[str] | None, Query(
        max_length=500, description="Recipient organisation ids or names (repeat).")] = None,
    mode: Annotated[str, Query(pattern="^(strict|lenient)$")] = "strict",
    format: Annotated[str, Query(max_length=16)] = "stix",
    mapping: Annotated[str | None, Query(
        max_length=100, description="format=csv: the name or id of a CSV mapping saved by "
        "your organisation.")] = None,
    filename: Annotated[str, Query(max_length=300)] = "upload.json",
) -> JSONResponse:
    """Upload a STIX 2.1 bundle (or, with ``format=csv&mapping=…``, a CSV file) as the
    request body. It is streamed to disk and imported in the background; follow the
    returned status resource."""
    aud = Audience(org_ids=[_org(ctx, a) for a in audience or []])
    options: dict[str, object] = {}
    if format == "csv":
        if not mapping:
            raise InvalidInput(_("A CSV import needs mapping=<name or id> of a mapping your "
                                 "organisation saved on the CSV import page."),
                               details={"field": "mapping"})
        from cyberhub.formats.csv import mappings

        try:
            options = mappings.load(ctx.session, ctx.viewer, mapping).as_dict()
        except NotFound as exc:
            raise InvalidInput(exc.message, details={"field": "mapping"}) from None
    elif mapping:
        raise InvalidInput(_("mapping applies to format=csv only."),
                           details={"field": "mapping"})
    job = imports.new_import(ctx.session, ctx.viewer, filename=filename, tlp=tlp, pap=pap,
                             audience=aud, mode=mode, fmt=format, options=options)
    await imports.stage_upload(job, request.stream())
    ctx.session.flush()
    enqueue_after_commit(ctx.session, run_import, str(job.id), get_locale())
    return JSONResponse(import_out(job).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/api/v1/imports/{job.id}"})


def _org(ctx: ApiCtx, ref: str) -> uuid.UUID:
    found = community.find_organisation(ctx.session, ref)
    if found is None:
        try:
            found = community.get_organisation(ctx.session, ctx.viewer, ref)
        except NotFound:
            raise InvalidInput(_("No organisation %(ref)r for the audience.") % {"ref": ref},
                               details={"field": "audience"}) from None
    return found.id


@router.get("/imports/{import_id}", response_model=ImportOut)
def get_import(import_id: str, ctx: ApiCtx) -> ImportOut:
    return import_out(imports.get_import(ctx.session, ctx.viewer, import_id))


@router.get("/imports", response_model=Paged[ImportOut])
def list_imports(ctx: ApiCtx) -> Paged[ImportOut]:
    return Paged(items=[import_out(j) for j in imports.list_imports(ctx.session, ctx.viewer)])


# What each format is on the wire: the STIX bundle and the MISP event are JSON objects,
# CSV and blocklists plain text.
_EXPORT_CONTENT = {
    "application/stix+json;version=2.1": {"schema": {
        "type": "object", "description": "A STIX 2.1 bundle (format=stix)."}},
    "application/json": {"schema": {
        "type": "object", "description": "A MISP event (format=misp)."}},
    "text/csv": {"schema": {"type": "string", "description": "format=csv"}},
    "text/plain": {"schema": {"type": "string",
                              "description": "A blocklist, one value a line (format=blocklist)."}},
}


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"description": "The export, streamed.",
                             "content": _EXPORT_CONTENT}})
def export_objects(
    request: Request, ctx: ApiCtx,
    format: Annotated[str, Query(pattern="^(stix|csv|blocklist|misp)$",
                                 description="stix (a STIX 2.1 bundle), csv, blocklist or "
                                             "misp (MISP event JSON).")]
    = "stix",
    kind: Annotated[str | None, Query(
        max_length=32, description="Blocklists: the kind of value (ipv4, domain, url, "
                                   "sha256, …).")] = None,
    type: Annotated[list[str] | None, Query(max_length=50, description="STIX types "
                                            "(repeat).")] = None,
    since: Annotated[str | None, Query(max_length=40, description="Added at or after (ISO "
                                       "8601 with a time zone, or a date).")] = None,
    until: Annotated[str | None, Query(max_length=40, description="Added before.")] = None,
    owner: Annotated[str | None, Query(max_length=300, description="Owning organisation (id "
                                       "or name).")] = None,
    tlp: Annotated[list[str] | None, Query(max_length=5)] = None,
    label: Annotated[list[str] | None, Query(max_length=50)] = None,
    id: Annotated[list[str] | None, Query(max_length=export.MAX_IDS)] = None,
    warninglisted: Annotated[bool, Query(
        description="Blocklists: keep values on MISP warning lists (left out by "
                    "default).")] = False,
) -> StreamingResponse:
    """Everything you may see, streamed: a STIX 2.1 bundle, CSV, or a blocklist of one kind
    of value. Markings travel with the data; exports of RED and AMBER+STRICT records are
    audited."""
    user = ctx.require_user()
    kind = export.check_kind(kind) if format == "blocklist" else None
    filters = export.make_filters(ctx.session, types=type, since=since, until=until,
                                  owner=owner, tlps=tlp, labels=label, ids=id,
                                  skip_warninglisted=not warninglisted)
    # The request's session closes when this returns, before the body is sent: the
    # export runs in a read-only snapshot of its own.
    body = export.stream(request.app.state.database, user.id, format, filters, kind=kind,
                         ip=ctx.ip)
    name = export.filename(format, kind)
    return StreamingResponse(
        _closing(body), media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


async def _closing(body: Generator[bytes, None, None]) -> AsyncIterator[bytes]:
    """Iterate a blocking generator in the thread pool, and close it (releasing its
    snapshot and writing its audit entry) even when the client goes away half way."""
    try:
        while True:
            chunk = await run_in_threadpool(next, body, None)
            if chunk is None:
                return
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(body.close)
