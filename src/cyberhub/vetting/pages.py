"""Web pages: cast, replace or withdraw your organisation's verdict from the object page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.intel import service as intel
from cyberhub.intel.pages import _object_context
from cyberhub.vetting import service, views
from cyberhub.web.common import MemberCtx, on_error, redirect

router = APIRouter()


@router.post("/objects/{ref}/verdict")
def cast_verdict(ctx: MemberCtx, ref: str, verdict: Annotated[str, Form(max_length=16)] = "",
                 reason: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    row = intel.get_object(ctx.session, ctx.viewer, ref)
    context = _object_context(ctx, str(row.id))
    context["vet"] = views.section(ctx, row, verdict=verdict, reason=reason)
    context["failed_form"] = "verdict"
    on_error(ctx, "intel/object.html", context)
    service.cast(ctx.session, ctx.viewer, str(row.id), verdict=verdict, reason=reason)
    return redirect(f"/objects/{row.id}?flash=verdict-saved#vetting")


@router.post("/objects/{ref}/verdict/withdraw")
def withdraw_verdict(ctx: MemberCtx, ref: str) -> Response:
    row = intel.get_object(ctx.session, ctx.viewer, ref)
    context = _object_context(ctx, str(row.id))
    context["failed_form"] = "verdict"
    on_error(ctx, "intel/object.html", context)
    service.withdraw(ctx.session, ctx.viewer, str(row.id))
    return redirect(f"/objects/{row.id}?flash=verdict-withdrawn#vetting")
