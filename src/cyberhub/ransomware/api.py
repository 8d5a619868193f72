"""REST: ransomware families, identification ("what hit us?"), decryptors; incidents,
report links and trends come from ``api_incidents``, the dashboard from ``api_dashboard``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from cyberhub.deps import ApiCtx
from cyberhub.ransomware import incidents, service
from cyberhub.ransomware.api_dashboard import router as dashboard_router
from cyberhub.ransomware.api_incidents import router as incidents_router
from cyberhub.ransomware.api_leakposts import router as leakposts_router
from cyberhub.ransomware.api_payments import router as payments_router
from cyberhub.ransomware.api_readiness import router as readiness_router
from cyberhub.ransomware.models import Decryptor
from cyberhub.ransomware.schemas import (
    CandidateOut,
    ContactOut,
    DecryptorIn,
    DecryptorOut,
    DecryptorPatch,
    EvidenceOut,
    FamilyListOut,
    FamilyOut,
    FamilySummaryOut,
    IdentifyIn,
    IdentifyOut,
    RelatedOut,
)

router = APIRouter(prefix="/ransomware", tags=["ransomware"])


def decryptor_out(d: Decryptor) -> DecryptorOut:
    return DecryptorOut(id=d.id, family_ref=d.family_ref, family_name=d.family_name, name=d.name,
                        provider=d.provider, url=d.url, notes=d.notes, released=d.released,
                        tlp=d.tlp, owner_org_id=d.owner_org_id, created_by_id=d.created_by_id,
                        created_at=d.created_at, updated_at=d.updated_at)


@router.post("/identify", response_model=IdentifyOut)
def identify(body: IdentifyIn, ctx: ApiCtx) -> IdentifyOut:
    """Rank the families that best explain what a victim sees, with the evidence for
    each and the known decryptors first."""
    result = service.identify_family(ctx.session, ctx.viewer, file_name=body.file_name,
                                     note_name=body.note_name, note_text=body.note_text,
                                     contacts=body.contacts, limit=body.limit)
    return IdentifyOut(
        candidates=[CandidateOut(
            rank=i + 1, family_ref=c.key, name=c.name, score=c.score,
            evidence=[EvidenceOut(kind=e.kind, message=e.message, points=round(e.points, 3))
                      for e in c.evidence],
            decryptors=[decryptor_out(d) for d in result.decryptors.get(c.key, [])])
            for i, c in enumerate(result.candidates)],
        contacts=[ContactOut(kind=h.kind, value=h.value, objects=h.objects,
                             warning_lists=h.warning_lists) for h in result.contacts],
        used=result.used, families=result.families, notes=result.notes)


@router.get("/families", response_model=FamilyListOut)
def list_families(ctx: ApiCtx, q: Annotated[str, Query(max_length=200)] = "",
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> FamilyListOut:
    items, total = service.list_families(ctx.session, ctx.viewer, q, offset=offset, limit=limit)
    return FamilyListOut(items=[FamilySummaryOut(
        family_ref=f.key, name=f.name, aliases=f.aliases, extensions=f.extensions,
        note_names=f.note_names, notes=f.notes) for f in items], total=total)


@router.get("/families/{ref}", response_model=FamilyOut)
def get_family(ref: str, ctx: ApiCtx) -> FamilyOut:
    f = service.family(ctx.session, ctx.viewer, ref)

    def rel(items: list[service.Related]) -> list[RelatedOut]:
        return [RelatedOut(ref=r.ref, name=r.name, type=r.type, relationship=r.relationship)
                for r in items]
    return FamilyOut(
        family_ref=f.key, name=f.name, aliases=f.aliases, description=f.description,
        extensions=f.extensions, note_names=f.note_names, notes=f.notes,
        payment_methods=f.payment_methods, ransom_amounts=f.ransom_amounts,
        encryption=f.encryption, discovered=f.discovered, records=[r.id for r in f.records],
        decryptors=[decryptor_out(d) for d in f.decryptors], actors=rel(f.actors),
        techniques=rel(f.techniques), related=rel(f.related),
        incidents=incidents.of_family(ctx.session, ctx.viewer, f.key, limit=0)[1])


@router.get("/decryptors", response_model=list[DecryptorOut])
def list_decryptors(ctx: ApiCtx, family_ref: Annotated[str | None, Query(max_length=300)] = None,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DecryptorOut]:
    return [decryptor_out(d) for d in service.list_decryptors(
        ctx.session, ctx.viewer, family_ref=family_ref, offset=offset, limit=limit)]


@router.post("/decryptors", response_model=DecryptorOut, status_code=201)
def create_decryptor(body: DecryptorIn, ctx: ApiCtx) -> DecryptorOut:
    return decryptor_out(service.create_decryptor(
        ctx.session, ctx.viewer, family_ref=body.family_ref, name=body.name, url=body.url,
        provider=body.provider, notes=body.notes, released=body.released, tlp=body.tlp))


@router.get("/decryptors/{decryptor_id}", response_model=DecryptorOut)
def get_decryptor(decryptor_id: str, ctx: ApiCtx) -> DecryptorOut:
    return decryptor_out(service.get_decryptor(ctx.session, ctx.viewer, decryptor_id))


@router.patch("/decryptors/{decryptor_id}", response_model=DecryptorOut)
def update_decryptor(decryptor_id: str, body: DecryptorPatch, ctx: ApiCtx) -> DecryptorOut:
    released = body.released if "released" in body.model_fields_set else ""
    return decryptor_out(service.update_decryptor(
        ctx.session, ctx.viewer, decryptor_id, family_ref=body.family_ref, name=body.name,
        url=body.url, provider=body.provider, notes=body.notes, released=released,
        tlp=body.tlp))


@router.delete("/decryptors/{decryptor_id}", status_code=204)
def delete_decryptor(decryptor_id: str, ctx: ApiCtx) -> Response:
    service.delete_decryptor(ctx.session, ctx.viewer, decryptor_id)
    return Response(status_code=204)


# Incident reports, one-time report links and trends (api_incidents.py).
router.include_router(incidents_router)
router.include_router(dashboard_router)

# The readiness self-assessment (api_readiness.py).
router.include_router(readiness_router)
# Wallets, payments imports and totals (api_payments.py).
router.include_router(payments_router)
# Leak-site posts (api_leakposts.py).
router.include_router(leakposts_router)
