"""REST: intelligence packages — list, create, read, change a draft, add and remove
objects, submit, review, release, acknowledge, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub.audience import audience_of
from cyberhub.deps import ApiCtx, Ctx
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel.models import StixObject
from cyberhub.packages import export, service
from cyberhub.packages.models import IntelPackage
from cyberhub.packages.schemas import (
    AckOut,
    ObjectRefIn,
    PackageIn,
    PackageObjectOut,
    PackageOut,
    PackagePatch,
    ReleaseIn,
    ReviewIn,
)
from cyberhub.schemas import AudienceModel

router = APIRouter(tags=["intelligence packages"])


def _obj(row: StixObject) -> PackageObjectOut:
    return PackageObjectOut(id=row.id, stix_id=row.stix_id, type=row.type, name=row.name,
                            tlp=row.tlp, vetting=row.vetting)


def package_out(session: Session, ctx: Ctx, p: IntelPackage) -> PackageOut:
    found = service.contents(session, ctx.viewer, p)
    aud = audience_of(session, p.id)
    return PackageOut(
        id=p.id, title=p.title, target=p.target, narrative_markdown=p.narrative_markdown,
        narrative_html=p.narrative_html, status=p.status, tlp=p.tlp,
        audience=AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                               user_ids=aud.user_ids),
        owner_org_id=p.owner_org_id, created_by_id=p.created_by_id, created_at=p.created_at,
        updated_at=p.updated_at, submitted_at=p.submitted_at, reviewed_by_id=p.reviewed_by_id,
        reviewed_at=p.reviewed_at, review_comment=p.review_comment,
        released_by_id=p.released_by_id, released_at=p.released_at, is_demo=p.is_demo,
        objects=[_obj(r) for r in found.objects],
        relationships=[_obj(r) for r in found.relationships], hidden_objects=found.hidden,
        acknowledgements=[AckOut(recipient=a.recipient, org_id=a.org_id, user_id=a.user_id,
                                 at=a.at) for a in service.acknowledgements(session, p)])


@router.get("/packages", response_model=list[PackageOut])
def list_packages(ctx: ApiCtx, box: Annotated[str, Query(max_length=16, description=(
        "drafts (mine), review (my colleagues' in review), received (released to me or my "
        "organisation), released (by my organisation)"))] = "received") -> list[PackageOut]:
    return [package_out(ctx.session, ctx, p)
            for p in service.list_packages(ctx.session, ctx.viewer, box)]


@router.post("/packages", response_model=PackageOut, status_code=201)
def create_package(body: PackageIn, ctx: ApiCtx) -> PackageOut:
    p = service.create_package(ctx.session, ctx.viewer, title=body.title, target=body.target,
                               narrative=body.narrative)
    for ref in body.objects:
        service.add_object(ctx.session, ctx.viewer, p.id, ref)
    return package_out(ctx.session, ctx, p)


@router.get("/packages/{package_id}", response_model=PackageOut)
def get_package(package_id: str, ctx: ApiCtx) -> PackageOut:
    return package_out(ctx.session, ctx, service.get_package(ctx.session, ctx.viewer,
                                                             package_id))


@router.patch("/packages/{package_id}", response_model=PackageOut)
def update_package(package_id: str, body: PackagePatch, ctx: ApiCtx) -> PackageOut:
    p = service.update_package(ctx.session, ctx.viewer, package_id, title=body.title,
                               target=body.target, narrative=body.narrative)
    return package_out(ctx.session, ctx, p)


@router.post("/packages/{package_id}/objects", response_model=PackageOut)
def add_object(package_id: str, body: ObjectRefIn, ctx: ApiCtx) -> PackageOut:
    service.add_object(ctx.session, ctx.viewer, package_id, body.object)
    return get_package(package_id, ctx)


@router.delete("/packages/{package_id}/objects/{object_id}", response_model=PackageOut)
def remove_object(package_id: str, object_id: str, ctx: ApiCtx) -> PackageOut:
    service.remove_object(ctx.session, ctx.viewer, package_id, object_id)
    return get_package(package_id, ctx)


@router.post("/packages/{package_id}/submit", response_model=PackageOut)
def submit(package_id: str, ctx: ApiCtx) -> PackageOut:
    return package_out(ctx.session, ctx, service.submit(ctx.session, ctx.viewer, package_id))


@router.post("/packages/{package_id}/review", response_model=PackageOut)
def review(package_id: str, body: ReviewIn, ctx: ApiCtx) -> PackageOut:
    if body.decision not in ("approve", "return"):
        raise InvalidInput(_("decision is approve or return."), details={"field": "decision"})
    p = service.review(ctx.session, ctx.viewer, package_id, approve=body.decision == "approve",
                       comment=body.comment)
    return package_out(ctx.session, ctx, p)


@router.post("/packages/{package_id}/release", response_model=PackageOut)
def release(package_id: str, body: ReleaseIn, ctx: ApiCtx) -> PackageOut:
    p = service.release(ctx.session, ctx.viewer, package_id, tlp=body.tlp,
                        org_ids=body.org_ids, user_ids=body.user_ids)
    return package_out(ctx.session, ctx, p)


@router.post("/packages/{package_id}/acknowledge", response_model=AckOut)
def acknowledge(package_id: str, ctx: ApiCtx) -> AckOut:
    a = service.acknowledge(ctx.session, ctx.viewer, package_id)
    return AckOut(recipient=a.recipient, org_id=a.org_id, user_id=a.user_id, at=a.at)


@router.get("/packages/{package_id}/export")
def export_package(package_id: str, ctx: ApiCtx,
                   format: Annotated[str, Query(max_length=8)] = "stix") -> Response:
    """``stix`` (a STIX 2.1 bundle), ``html`` (a printable report) or ``pdf``."""
    from cyberhub.packages.pages import report_response

    if format not in ("stix", "html", "pdf"):
        raise InvalidInput(_("Unknown format %(f)r; use stix, html or pdf.") % {"f": format},
                           details={"field": "format"})
    p = service.get_package(ctx.session, ctx.viewer, package_id)
    name = f"cyberhub-package-{p.id}"
    if format == "stix":
        return Response(export.stix_bundle(ctx.session, ctx.viewer, p),
                        media_type="application/stix+json;version=2.1",
                        headers={"content-disposition": f'attachment; filename="{name}.json"'})
    data = export.report(ctx.session, ctx.viewer, p, format)
    if format == "pdf":
        return Response(export.pdf(data), media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="{name}.pdf"'})
    response = report_response(ctx, data)
    response.headers["content-disposition"] = f'attachment; filename="{name}.html"'
    return response
