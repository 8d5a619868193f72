"""REST: an operation's outcomes and its publication flag; the hub's impact figures."""

from __future__ import annotations

from fastapi import APIRouter, Response

from cyberhub.deps import ApiCtx
from cyberhub.operations.impact import rules, service
from cyberhub.operations.impact.models import Outcome
from cyberhub.operations.impact.schemas import (
    FiguresOut,
    ImpactOut,
    MoneyOut,
    MonthOut,
    OutcomeIn,
    OutcomeOut,
    OutcomesOut,
    OwnOperationOut,
    PublicationIn,
)

router = APIRouter(tags=["impact"])


def outcome_out(o: Outcome) -> OutcomeOut:
    return OutcomeOut(id=o.id, operation_id=o.operation_id, kind=o.kind, count=o.count,
                      amount=o.amount, currency=o.currency, occurred_on=o.occurred_on,
                      note=o.note, org_id=o.org_id, created_by_id=o.created_by_id,
                      created_at=o.created_at, is_demo=o.is_demo)


def figures_out(f: rules.Figures) -> FiguresOut:
    return FiguresOut(counts=dict(f.counts), money=[
        MoneyOut(kind=k, currency=c, amount=a) for (k, c), a in sorted(f.money.items())])


@router.get("/operations/{operation_id}/outcomes", response_model=OutcomesOut)
def list_outcomes(operation_id: str, ctx: ApiCtx) -> OutcomesOut:
    op, items = service.list_outcomes(ctx.session, ctx.viewer, operation_id)
    return OutcomesOut(operation_id=op.id,
                       allow_aggregates=service.allows_aggregates(ctx.session, op),
                       items=[outcome_out(o) for o in items])


@router.post("/operations/{operation_id}/outcomes", response_model=OutcomeOut, status_code=201)
def add_outcome(operation_id: str, body: OutcomeIn, ctx: ApiCtx) -> OutcomeOut:
    """Record an outcome: arrests, servers or domains taken down, wallets frozen or seized
    (with the amount and its currency), victims notified, decryptors released."""
    return outcome_out(service.add_outcome(
        ctx.session, ctx.viewer, operation_id, kind=body.kind, count=body.count,
        amount=body.amount, currency=body.currency, occurred_on=body.occurred_on,
        note=body.note))


@router.delete("/operations/{operation_id}/outcomes/{outcome_id}", status_code=204)
def delete_outcome(operation_id: str, outcome_id: str, ctx: ApiCtx) -> Response:
    service.delete_outcome(ctx.session, ctx.viewer, operation_id, outcome_id)
    return Response(status_code=204)


@router.put("/operations/{operation_id}/outcomes/publication", response_model=PublicationIn)
def set_publication(operation_id: str, body: PublicationIn, ctx: ApiCtx) -> PublicationIn:
    """The lead decides whether the figures may count, summed and unnamed, in other
    members' impact dashboards."""
    return PublicationIn(allow_aggregates=service.set_publication(
        ctx.session, ctx.viewer, operation_id, body.allow_aggregates))


@router.get("/impact", response_model=ImpactOut)
def impact(ctx: ApiCtx) -> ImpactOut:
    """The impact you may see: your operations in full and by name; other operations that
    allow it, summed and unnamed; nothing of the rest."""
    board = service.dashboard(ctx.session, ctx.viewer)
    return ImpactOut(
        kinds=list(rules.KINDS),
        own=[OwnOperationOut(id=o.id, name=o.name, figures=figures_out(o.figures))
             for o in board.own],
        others=figures_out(board.others), other_operations=board.other_operations,
        others_withheld=board.others_withheld,
        totals=figures_out(board.totals),
        months=[MonthOut(month=m.month, own=m.own, others=m.others) for m in board.months])
