"""REST: pointer-only deconfliction (law-enforcement users only)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from cyberhub.db import utcnow
from cyberhub.deconfliction import service
from cyberhub.deconfliction.models import Registration
from cyberhub.deconfliction.schemas import (
    CheckIn,
    CheckOut,
    CheckResult,
    HitOut,
    RegisteredOut,
    RegistrationIn,
    RegistrationOut,
    ValueIn,
)
from cyberhub.deps import ApiCtx

router = APIRouter(prefix="/deconfliction", tags=["deconfliction"])


def _value(body: ValueIn) -> service.Value:
    return service.Value(body.kind, body.value, body.region, body.chain, body.platform)


def registration_out(reg: Registration, hit_count: int) -> RegistrationOut:
    return RegistrationOut(
        id=reg.id, kind=reg.kind, fingerprint=reg.digest.hex()[:8],
        case_reference=reg.case_reference, contact=reg.contact, created_at=reg.created_at,
        renewed_at=reg.renewed_at, expires_at=reg.expires_at,
        active=reg.expires_at > utcnow(), stale=service.is_stale(reg), hit_count=hit_count,
        is_demo=reg.is_demo)


def hit_out(v: service.HitView) -> HitOut:
    return HitOut(id=v.hit_id, created_at=v.created_at, registration_id=v.registration_id,
                  kind=v.kind, case_reference=v.case_reference,
                  other_organisation=v.other_organisation, other_contact=v.other_contact,
                  other_active=v.other_active, is_demo=v.is_demo, partner_hub=v.partner_hub)


def _registered(session: Session, done: service.Registered) -> RegisteredOut:
    reg = done.registration
    base = registration_out(reg, service.hit_counts(session, [reg.id])[reg.id])
    return RegisteredOut(**base.model_dump(), hits=[hit_out(h) for h in done.hits])


@router.post("/registrations", response_model=RegisteredOut, status_code=201)
def register(body: RegistrationIn, ctx: ApiCtx) -> RegisteredOut:
    done = service.register(ctx.session, ctx.viewer, _value(body),
                            case_reference=body.case_reference, contact=body.contact)
    return _registered(ctx.session, done)


@router.get("/registrations", response_model=list[RegistrationOut])
def list_registrations(ctx: ApiCtx) -> list[RegistrationOut]:
    regs = service.mine(ctx.session, ctx.viewer)
    counts = service.hit_counts(ctx.session, [r.id for r in regs])
    return [registration_out(r, counts[r.id]) for r in regs]


@router.get("/registrations/{registration_id}", response_model=RegistrationOut)
def get_registration(registration_id: str, ctx: ApiCtx) -> RegistrationOut:
    reg = service.get(ctx.session, ctx.viewer, registration_id)
    return registration_out(reg, service.hit_counts(ctx.session, [reg.id])[reg.id])


@router.post("/registrations/{registration_id}/renew", response_model=RegisteredOut)
def renew(registration_id: str, ctx: ApiCtx) -> RegisteredOut:
    return _registered(ctx.session, service.renew(ctx.session, ctx.viewer, registration_id))


@router.delete("/registrations/{registration_id}", status_code=204)
def withdraw(registration_id: str, ctx: ApiCtx) -> Response:
    service.withdraw(ctx.session, ctx.viewer, registration_id)
    return Response(status_code=204)


@router.get("/hits", response_model=list[HitOut])
def hits(ctx: ApiCtx) -> list[HitOut]:
    return [hit_out(v) for v in service.hits_of(ctx.session, ctx.viewer)]


@router.post("/check", response_model=CheckOut)
def check(body: CheckIn, ctx: ApiCtx) -> CheckOut:
    items = [_value(v) for v in body.values]
    answer = service.check(ctx.session, ctx.viewer, items)
    return CheckOut(results=[CheckResult(kind=i.kind.strip().lower(), registered_elsewhere=a)
                             for i, a in zip(items, answer, strict=True)])
