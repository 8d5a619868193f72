"""Web pages: register an interest, my registrations (expiry, renew, withdraw), my hits
with the other party's point of contact — law-enforcement users only."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.db import utcnow
from cyberhub.deconfliction import service
from cyberhub.deps import Ctx
from cyberhub.web.common import MemberCtx, on_error, page, redirect

router = APIRouter()

# The kinds offered first in the form (the rest follow in the knowledge base's order).
FIRST_KINDS = ("wallet", "iban", "bank-account", "phone", "email", "social", "domain",
               "ipv4", "ipv6", "url", "sha256")
Short = Annotated[str, Form(max_length=64)]


def kinds() -> list[str]:
    return [*FIRST_KINDS, *(k for k in service.KINDS if k not in FIRST_KINDS)]


def _form(kind: str = "wallet", value: str = "", region: str = "", chain: str = "",
          platform: str = "", case_reference: str = "", contact: str = "") -> SimpleNamespace:
    return SimpleNamespace(kind=kind, value=value, region=region, chain=chain,
                           platform=platform, case_reference=case_reference, contact=contact)


def _context(ctx: Ctx, form: SimpleNamespace) -> dict[str, Any]:
    regs = service.mine(ctx.session, ctx.viewer)
    counts = service.hit_counts(ctx.session, [r.id for r in regs])
    now = utcnow()
    rows = [SimpleNamespace(id=r.id, kind=r.kind, fingerprint=r.digest.hex()[:8],
                            case_reference=r.case_reference, contact=r.contact,
                            created_at=r.created_at, expires_at=r.expires_at,
                            active=r.expires_at > now, stale=service.is_stale(r),
                            hits=counts[r.id], is_demo=r.is_demo) for r in regs]
    return {"form": form, "kinds": kinds(), "registrations": rows}


@router.get("/deconfliction")
def index(ctx: MemberCtx) -> Response:
    user = ctx.require_user()
    form = _form(contact=f"{user.display_name}, {user.email}")
    return page(ctx, "deconfliction/index.html", _context(ctx, form))


@router.post("/deconfliction/register")
def register(ctx: MemberCtx, kind: Short = "", value: Annotated[str, Form(max_length=8192)] = "",
             region: Short = "", chain: Short = "", platform: Short = "",
             case_reference: Annotated[str, Form(max_length=1000)] = "",
             contact: Annotated[str, Form(max_length=2000)] = "") -> Response:
    form = _form(kind, value, region, chain, platform, case_reference, contact)
    on_error(ctx, "deconfliction/index.html", _context(ctx, form))
    done = service.register(
        ctx.session, ctx.viewer, service.Value(kind, value, region or None, chain or None,
                                               platform or None),
        case_reference=case_reference, contact=contact)
    if done.hits:
        return redirect("/deconfliction/hits", "created")
    return redirect("/deconfliction", "created")


@router.post("/deconfliction/registrations/{registration_id}/renew")
def renew(registration_id: str, ctx: MemberCtx) -> Response:
    on_error(ctx, "deconfliction/index.html", _context(ctx, _form()))
    done = service.renew(ctx.session, ctx.viewer, registration_id)
    return redirect("/deconfliction/hits" if done.hits else "/deconfliction", "saved")


@router.post("/deconfliction/registrations/{registration_id}/withdraw")
def withdraw(registration_id: str, ctx: MemberCtx) -> Response:
    service.withdraw(ctx.session, ctx.viewer, registration_id)
    return redirect("/deconfliction", "deleted")


@router.get("/deconfliction/hits")
def hits(ctx: MemberCtx) -> Response:
    return page(ctx, "deconfliction/hits.html",
                {"hits": service.hits_of(ctx.session, ctx.viewer)})
