"""Web pages: leak-site posts — the filtered list and the import form."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from cyberhub import access
from cyberhub.community import service as community
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.ransomware import leakposts
from cyberhub.ransomware.models_leakposts import LeakPost
from cyberhub.web.common import MemberCtx, on_error, page, view

router = APIRouter()  # under /ransomware (pages.py includes it)

PAGE_SIZE = 50
Filter = Annotated[str, Query(max_length=300)]


def post_view(row: LeakPost, orgs: dict[uuid.UUID, str] | None = None) -> SimpleNamespace:
    return view(row, "id", "group_name", "family_ref", "family_name", "post_title",
                "description", "site", "post_url", "published", "discovered", "sector",
                "country", "tlp", "is_demo", owner=(orgs or {}).get(row.owner_org_id, ""))


@router.get("/leak-posts")
def list_posts(ctx: MemberCtx, family: Filter = "", group: Filter = "", country: Filter = "",
               sector: Filter = "", month: Filter = "", q: Filter = "",
               cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    filters = leakposts.Filters(family=family, group=group, country=country, sector=sector,
                                month=month, q=q)
    result = leakposts.list_posts(ctx.session, ctx.viewer, filters, cursor=cursor or None,
                                  limit=PAGE_SIZE)
    total = leakposts.count_posts(ctx.session, ctx.viewer, filters)
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
    query = {k: v for k, v in vars(filters).items() if v}
    older = ("/ransomware/leak-posts?" + urlencode({**query, "cursor": result.next_cursor})
             if result.next_cursor else None)
    return page(ctx, "ransomware/leak_posts.html", {
        "posts": [post_view(r, orgs) for r in result.items], "total": total,
        "filters": filters, "filtered": bool(query), "older": older,
        "first": "/ransomware/leak-posts?" + urlencode(query) if cursor else None,
        "facets": leakposts.facets(ctx.session, ctx.viewer),
        "can_import": access.can_contribute(ctx.viewer)})


def _form(tlp: str = "GREEN", mode: str = "strict") -> dict[str, Any]:
    return {"form": SimpleNamespace(tlp=tlp, mode=mode), "result": None,
            "tlps": [t.value for t in leakposts.TLPS],
            "max_mb": leakposts.MAX_FILE_BYTES // (1024 * 1024)}


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not import leak-site posts. Ask your "
                                 "organisation's admin for the analyst role."))


@router.get("/leak-posts/import")
def import_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "ransomware/leak_posts_import.html", _form())


@router.post("/leak-posts/import")
def import_posts(ctx: MemberCtx, file: Annotated[UploadFile | None, File()] = None,
                 tlp: Annotated[str, Form(max_length=16)] = "GREEN",
                 mode: Annotated[str, Form(max_length=16)] = "strict") -> Response:
    on_error(ctx, "ransomware/leak_posts_import.html", _form(tlp, mode))
    _require_contributor(ctx)
    if file is None or not file.filename:
        raise InvalidInput(_("Choose the JSON Lines file to import."),
                           details={"field": "file"})
    result = leakposts.import_posts(ctx.session, ctx.viewer, file.file,
                                    filename=file.filename, tlp=tlp, mode=mode)
    return page(ctx, "ransomware/leak_posts_import.html", {**_form(tlp, mode),
                                                           "result": result},
                status_code=201)
