"""REST: the knowledge base — import and its status (objects, search and export follow)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cyberhub.audience import Audience
from cyberhub.community import service as community
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _
from cyberhub.intel import imports
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
        errors=[ImportProblem(**e) for e in job.errors], message=job.message,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        links={"self": f"/api/v1/imports/{job.id}"})


@router.post("/import", status_code=202, response_model=ImportOut,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/stix+json": {"schema": {"type": "object"}},
                 "application/json": {"schema": {"type": "object"}}}}})
async def start_import(
    request: Request, ctx: ApiCtx,
    tlp: Annotated[str, Query(max_length=16, description="Marking for unmarked objects.")],
    pap: Annotated[str | None, Query(max_length=16)] = None,
    audience: Annotated[list[str] | None, Query(
        max_length=500, description="Recipient organisation ids or names (repeat).")] = None,
    mode: Annotated[str, Query(pattern="^(strict|lenient)$")] = "strict",
    format: Annotated[str, Query(max_length=16)] = "stix",
    filename: Annotated[str, Query(max_length=300)] = "upload.json",
) -> JSONResponse:
    """Upload a STIX 2.1 bundle as the request body. It is streamed to disk and imported
    in the background; follow the returned status resource."""
    aud = Audience(org_ids=[_org(ctx, a) for a in audience or []])
    job = imports.new_import(ctx.session, ctx.viewer, filename=filename, tlp=tlp, pap=pap,
                             audience=aud, mode=mode, fmt=format)
    await imports.stage_upload(job, request.stream())
    ctx.session.flush()
    enqueue_after_commit(ctx.session, run_import, str(job.id))
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
