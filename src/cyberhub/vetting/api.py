"""REST: community vetting of a record — list the verdicts, cast or replace your
organisation's, withdraw it."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from cyberhub.community.models import Organisation, User
from cyberhub.deps import ApiCtx
from cyberhub.vetting import service
from cyberhub.vetting.schemas import VerdictIn, VerdictOut, VettingOut

router = APIRouter(tags=["vetting"])


def vetting_out(session: Session, found: service.Tally) -> VettingOut:
    out = []
    for v in found.verdicts:
        org = session.get(Organisation, v.org_id)
        user = session.get(User, v.user_id)
        out.append(VerdictOut(
            org_id=v.org_id, org_name=org.name if org else "", user_id=v.user_id,
            user_name=user.display_name if user else "", verdict=v.verdict, reason=v.reason,
            reason_html=v.reason_html, created_at=v.created_at, updated_at=v.updated_at))
    row = found.record
    return VettingOut(object_id=row.id, stix_id=row.stix_id, state=row.vetting,
                      quorum=found.quorum, confirmations=found.confirmations,
                      disputes=found.disputes, verdicts=out)


@router.get("/objects/{ref}/vetting", response_model=VettingOut)
def list_verdicts(ref: str, ctx: ApiCtx) -> VettingOut:
    """The record's state and every standing verdict (who, organisation, reason, when)."""
    return vetting_out(ctx.session, service.list_verdicts(ctx.session, ctx.viewer, ref))


@router.post("/objects/{ref}/vetting", response_model=VettingOut)
def cast_verdict(ref: str, body: VerdictIn, ctx: ApiCtx) -> VettingOut:
    """Cast your organisation's verdict, or replace the one it cast before."""
    return vetting_out(ctx.session, service.cast(ctx.session, ctx.viewer, ref,
                                                 verdict=body.verdict, reason=body.reason))


@router.delete("/objects/{ref}/vetting", response_model=VettingOut)
def withdraw_verdict(ref: str, ctx: ApiCtx) -> VettingOut:
    """Withdraw your organisation's verdict; the state is derived again from the rest."""
    return vetting_out(ctx.session, service.withdraw(ctx.session, ctx.viewer, ref))
