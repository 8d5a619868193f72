"""REST: leak-site posts — the import and the filtered list."""

from __future__ import annotations

import tempfile
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from cyberhub.audience import Audience
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput, PayloadTooLarge
from cyberhub.i18n import _
from cyberhub.ransomware import leakposts
from cyberhub.ransomware.leakpost_schemas import LeakImportOut, LeakLineErrorOut, LeakPostOut
from cyberhub.ransomware.models_leakposts import LeakPost
from cyberhub.schemas import Paged

router = APIRouter(tags=["ransomware"])  # under /ransomware (api.py includes it)
SPOOL = 1024 * 1024  # uploads past this are spooled to a temporary file


def post_out(row: LeakPost) -> LeakPostOut:
    return LeakPostOut(
        id=row.id, group_name=row.group_name, family_ref=row.family_ref,
        family_name=row.family_name, post_title=row.post_title, description=row.description,
        site=row.site, post_url=row.post_url, published=row.published,
        discovered=row.discovered, sector=row.sector, country=row.country,
        import_id=row.import_id, tlp=row.tlp, pap=row.pap, owner_org_id=row.owner_org_id,
        created_at=row.created_at, is_demo=row.is_demo)


def result_out(result: leakposts.ImportResult) -> LeakImportOut:
    return LeakImportOut(
        import_id=result.import_id, lines=result.lines, stored=result.stored,
        duplicates=result.duplicates, skipped=result.skipped,
        errors=[LeakLineErrorOut(**e.as_dict()) for e in result.errors],
        error_count=result.error_count, notices=result.notices,
        notice_count=result.notice_count, matched=result.matched, unmatched=result.unmatched)


def _uuids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None


@router.post("/leak-posts/import", response_model=LeakImportOut, status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}},
                 "application/jsonl": {"schema": {"type": "string"}}}}})
async def import_leak_posts(
    request: Request, ctx: ApiCtx,
    tlp: Annotated[str, Query(max_length=16)] = "GREEN",
    pap: Annotated[str | None, Query(max_length=16)] = None,
    org_ids: Annotated[list[str] | None, Query(
        max_length=500, description="AMBER, AMBER+STRICT: recipient organisation ids.")] = None,
    group_ids: Annotated[list[str] | None, Query(max_length=500)] = None,
    user_ids: Annotated[list[str] | None, Query(max_length=500)] = None,
    mode: Annotated[str, Query(pattern="^(strict|lenient)$")] = "strict",
    filename: Annotated[str, Query(max_length=300)] = "",
) -> LeakImportOut:
    """Import leak-site monitoring records: JSON Lines as the request body (one object
    per line; see docs/ransomware.md for the keys). Streamed to a temporary file, at
    most 64 MB. ``mode=strict`` (the default) stores nothing when a line is wrong and
    answers 422 listing the bad lines; ``mode=lenient`` stores the good lines."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > leakposts.MAX_FILE_BYTES:
                raise PayloadTooLarge(_("The file is larger than %(n)d MB; split it and "
                                        "import the parts.")
                                      % {"n": leakposts.MAX_FILE_BYTES // 2**20},
                                      details={"field": "file"})
            spool.write(chunk)
        spool.seek(0)
        audience = Audience(_uuids(org_ids or []), _uuids(group_ids or []),
                            _uuids(user_ids or []))
        # Parsing and storing take seconds for a big file: off the event loop.
        result = await run_in_threadpool(
            leakposts.import_posts, ctx.session, ctx.viewer, spool, filename=filename,
            tlp=tlp, pap=pap, audience=audience, mode=mode)
    return result_out(result)


Filter = Annotated[str, Query(max_length=300)]


@router.get("/leak-posts", response_model=Paged[LeakPostOut])
def list_leak_posts(ctx: ApiCtx, family: Filter = "", group: Filter = "", country: Filter = "",
                    sector: Filter = "", month: Filter = "", q: Filter = "",
                    cursor: Annotated[str | None, Query(max_length=500)] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Paged[LeakPostOut]:
    """Leak-site posts you may see, newest published first. Filters: ``family`` (a
    family's STIX id, or ``none``), ``group`` (compared by normalised name), ``country``
    (alpha-2), ``sector``, ``month`` (YYYY-MM, by date published), ``q`` (words in the
    title, description, site or group)."""
    filters = leakposts.Filters(family=family, group=group, country=country, sector=sector,
                                month=month, q=q)
    page = leakposts.list_posts(ctx.session, ctx.viewer, filters, cursor=cursor, limit=limit)
    return Paged(items=[post_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/leak-posts/{post_id}", response_model=LeakPostOut)
def get_leak_post(post_id: str, ctx: ApiCtx) -> LeakPostOut:
    return post_out(leakposts.get_post(ctx.session, ctx.viewer, post_id))
