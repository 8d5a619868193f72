"""Web pages: an operation's outcomes (list, add, remove, the publication flag) and the
hub's impact dashboard — always through the service."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.db import utcnow
from cyberhub.i18n import _
from cyberhub.operations import service as operations
from cyberhub.operations.evidence import service as evidence
from cyberhub.operations.impact import rules, service
from cyberhub.operations.impact.models import Outcome
from cyberhub.operations.models import Operation, OperationStatus
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view

router = APIRouter()


def amount_text(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    text = f"{amount:,.8f}".rstrip("0").rstrip(".")
    return text


def outcomes_context(ctx: MemberCtx, op: Operation, outcomes: Sequence[Outcome], *,
                     form: dict[str, str] | None = None) -> dict[str, Any]:
    labels = service.kind_labels()
    names = evidence.org_names(ctx.session, [o.org_id for o in outcomes])
    totals = rules.Figures()
    for o in outcomes:
        totals.add(rules.Fact(o.operation_id, o.kind, o.count, "", o.amount, o.currency))
    return {
        "kinds": [SimpleNamespace(key=k, label=labels[k]) for k in rules.KINDS],
        "money_kinds": sorted(rules.MONEY_KINDS),
        "outcomes": [view(o, "id", "kind", "count", "currency", "occurred_on", "note", "is_demo",
                          label=labels.get(o.kind, o.kind), amount=amount_text(o.amount),
                          org=names.get(o.org_id, ""),
                          can_remove=operations.can_work(ctx.viewer) and (
                              ctx.viewer.org_id == o.org_id or operations.can_lead(op, ctx.viewer)))
                     for o in outcomes],
        "outcome_totals": [SimpleNamespace(label=labels[k], count=n)
                           for k, n in totals.counts.items() if n],
        "outcome_money": [SimpleNamespace(label=labels[k], currency=c, amount=amount_text(a))
                          for (k, c), a in sorted(totals.money.items())],
        "can_record": operations.can_work(ctx.viewer)
        and op.status is not OperationStatus.PROPOSED,
        "can_publish": operations.can_lead(op, ctx.viewer),
        "allow_aggregates": service.allows_aggregates(ctx.session, op),
        "outcome_form": SimpleNamespace(**({"kind": "arrests", "count": "1", "amount": "",
                                            "currency": "", "occurred_on":
                                            utcnow().date().isoformat(), "note": ""}
                                           | (form or {}))),
    }


def _page_context(ctx: MemberCtx, op: Operation, form: dict[str, str] | None = None
                  ) -> dict[str, Any]:
    _op, outcomes = service.list_outcomes(ctx.session, ctx.viewer, op.id)
    return {"operation": view(op, "id", "name", "tlp", "is_demo", status=op.status.value),
            **outcomes_context(ctx, op, outcomes, form=form)}


@router.get("/operations/{operation_id}/outcomes")
def outcomes_page(ctx: MemberCtx, operation_id: str) -> Response:
    op = operations.get_operation(ctx.session, ctx.viewer, operation_id)
    return page(ctx, "impact/outcomes.html", _page_context(ctx, op))


@router.post("/operations/{operation_id}/outcomes")
def add_outcome(ctx: MemberCtx, operation_id: str,
                kind: Annotated[str, Form(max_length=40)] = "",
                count: Annotated[str, Form(max_length=20)] = "",
                amount: Annotated[str, Form(max_length=60)] = "",
                currency: Annotated[str, Form(max_length=20)] = "",
                occurred_on: Annotated[str, Form(max_length=20)] = "",
                note: Annotated[str, Form(max_length=2001)] = "") -> Response:
    op = operations.get_operation(ctx.session, ctx.viewer, operation_id)
    form = {"kind": kind, "count": count, "amount": amount, "currency": currency,
            "occurred_on": occurred_on, "note": note}
    on_error(ctx, "impact/outcomes.html", _page_context(ctx, op, form))
    service.add_outcome(ctx.session, ctx.viewer, op.id, kind=kind, count=count, amount=amount,
                        currency=currency, occurred_on=occurred_on, note=note)
    return redirect(f"/operations/{op.id}/outcomes#outcomes", "saved")


@router.post("/operations/{operation_id}/outcomes/{outcome_id}/delete")
def delete_outcome(ctx: MemberCtx, operation_id: str, outcome_id: str) -> Response:
    op = operations.get_operation(ctx.session, ctx.viewer, operation_id)
    on_error(ctx, "impact/outcomes.html", _page_context(ctx, op))
    service.delete_outcome(ctx.session, ctx.viewer, op.id, outcome_id)
    return redirect(f"/operations/{op.id}/outcomes#outcomes", "deleted")


@router.post("/operations/{operation_id}/outcomes/publication")
def set_publication(ctx: MemberCtx, operation_id: str,
                    allow: Annotated[str, Form(max_length=5)] = "") -> Response:
    op = operations.get_operation(ctx.session, ctx.viewer, operation_id)
    on_error(ctx, "impact/outcomes.html", _page_context(ctx, op))
    service.set_publication(ctx.session, ctx.viewer, op.id, allow in ("1", "true", "on", "yes"))
    return redirect(f"/operations/{op.id}/outcomes#publication", "saved")


def chart_data(board: rules.Dashboard) -> dict[str, Any]:
    """What the dashboard's script draws: figures already published, labels translated."""
    labels = service.kind_labels()
    return {
        "kinds": [{"key": k, "label": labels[k]} for k in rules.KINDS],
        "months": [{"month": m.month, "own": m.own, "others": m.others} for m in board.months],
        "own": board.own_figures.counts, "others": board.others.counts,
        "labels": {"own": _("Your operations"), "others": _("Other operations (summed)"),
                   "none": _("No outcomes to show yet.")},
    }


@router.get("/impact")
def impact_page(ctx: MemberCtx) -> Response:
    board = service.dashboard(ctx.session, ctx.viewer)
    labels = service.kind_labels()
    totals = board.totals
    money_keys = sorted(set(board.own_figures.money) | set(board.others.money))
    return page(ctx, "impact/dashboard.html", {
        "totals": [SimpleNamespace(key=k, label=labels[k], count=totals.counts[k])
                   for k in rules.KINDS],
        "own": [SimpleNamespace(id=o.id, name=o.name, counts=o.figures.counts,
                                total=o.figures.total,
                                money=[SimpleNamespace(label=labels[k], currency=c,
                                                       amount=amount_text(a))
                                       for (k, c), a in sorted(o.figures.money.items())])
                for o in board.own],
        "kinds": [SimpleNamespace(key=k, label=labels[k]) for k in rules.KINDS],
        "other_operations": board.other_operations,
        "others_withheld": board.others_withheld, "min_operations": rules.MIN_OPERATIONS,
        "money": [SimpleNamespace(label=labels[k], currency=c,
                                  own=amount_text(board.own_figures.money.get((k, c))),
                                  others=amount_text(board.others.money.get((k, c))))
                  for k, c in money_keys],
        "chart": chart_data(board),
    })
