"""Web page: which reference data the hub holds (galaxy, version, counts)."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from cyberhub.refdata import galaxies
from cyberhub.refdata import service as refdata
from cyberhub.web.common import MemberCtx, page

router = APIRouter()


@router.get("/reference")
def reference(ctx: MemberCtx) -> Response:
    rows = [SimpleNamespace(
        name=d.name, title=d.title, version=d.version, origin=d.origin,
        stix_type=d.stix_type, objects=d.objects, relationships=d.relationships,
        loaded_at=d.loaded_at,
        search="/objects?" + urlencode({"label": f'misp:galaxy-type="{d.name}"'}))
        for d in refdata.datasets(ctx.session)]
    return page(ctx, "refdata/reference.html", {
        "datasets": rows, "package": galaxies.package_version(),
        "total_objects": sum(r.objects for r in rows),
        "total_relationships": sum(r.relationships for r in rows)})
