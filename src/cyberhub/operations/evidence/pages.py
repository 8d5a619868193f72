"""Web pages: an operation's evidence register, one item with its custody history, the
hand-over form and the verify button — always through the service."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from cyberhub import i18n
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.operations import service as operations
from cyberhub.operations.evidence import service, store
from cyberhub.operations.evidence.api import file_response, upload_chunks
from cyberhub.operations.evidence.models import EvidenceItem
from cyberhub.operations.models import Operation, OperationStatus
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view

router = APIRouter()




def _item_view(item: EvidenceItem, names: dict[uuid.UUID, str]) -> SimpleNamespace:
    return view(item, "id", "operation_id", "number", "description", "source", "location",
                "filename", "sha256", "registered_at", "custodian_name", "last_verified_at",
                "last_verify_result", "is_demo", size=i18n.format_size(item.size),
                size_bytes=item.size,
                custodian_org=names.get(item.custodian_org_id, ""))


def _operation_view(op: Operation) -> SimpleNamespace:
    return view(op, "id", "name", "tlp", "is_demo", status=op.status.value)


def _participants(ctx: MemberCtx, op: Operation) -> list[SimpleNamespace]:
    ids = operations.participant_ids(ctx.session, op.id)
    names = service.org_names(ctx.session, list(ids))
    return sorted((SimpleNamespace(id=str(i), name=names.get(i, str(i))) for i in ids),
                  key=lambda p: p.name.casefold())


def register_context(ctx: MemberCtx, op: Operation, *, report: Any = None,
                     form: dict[str, str] | None = None) -> dict[str, Any]:
    _op, items = service.list_items(ctx.session, ctx.viewer, op.id)
    names = service.org_names(ctx.session, [i.custodian_org_id for i in items])
    return {
        "operation": _operation_view(op),
        "items": [_item_view(i, names) for i in items],
        "can_add": operations.can_work(ctx.viewer) and op.status is not OperationStatus.PROPOSED,
        "proposed": op.status is OperationStatus.PROPOSED,
        "max_bytes": i18n.format_size(store.max_bytes()),
        "report": report,
        "form": SimpleNamespace(**{k: "" for k in ("description", "source", "location",
                                                   "custodian_name", "sha256")}
                                | (form or {})),
    }


@router.get("/operations/{operation_id}/evidence")
def register_page(ctx: MemberCtx, operation_id: str) -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    return page(ctx, "evidence/register.html", register_context(ctx, op))


@router.get("/operations/{operation_id}/evidence-section")
def register_section(ctx: MemberCtx, operation_id: str) -> Response:
    """The evidence and outcomes summary the operation's page loads into itself."""
    from cyberhub.operations.impact import service as impact
    from cyberhub.operations.impact.pages import outcomes_context

    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _op, outcomes = impact.list_outcomes(ctx.session, ctx.viewer, op.id)
    return page(ctx, "evidence/_section.html", {**register_context(ctx, op),
                                                **outcomes_context(ctx, op, outcomes)})


@router.post("/operations/{operation_id}/evidence")
async def upload(ctx: MemberCtx, operation_id: str,
                 file: Annotated[UploadFile | None, File()] = None,
                 description: Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 1)] = "",
                 source: Annotated[str, Form(max_length=301)] = "",
                 location: Annotated[str, Form(max_length=301)] = "",
                 custodian_name: Annotated[str, Form(max_length=201)] = "",
                 sha256: Annotated[str, Form(max_length=80)] = "") -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    form = {"description": description, "source": source, "location": location,
            "custodian_name": custodian_name, "sha256": sha256}
    on_error(ctx, "evidence/register.html", register_context(ctx, op, form=form))
    fields = service.check_fields(description=description, source=source, location=location,
                                  custodian_name=custodian_name)
    store.clean_sha256(sha256)
    service.check_upload(ctx.session, ctx.viewer, op.id, fields)
    if file is None or not file.filename:
        raise InvalidInput(_("Choose the evidence file to upload."), details={"field": "file"})
    stored = await store.store_stream(upload_chunks(file), declared=sha256 or None)
    item = service.register(ctx.session, ctx.viewer, op.id, fields, stored,
                            filename=file.filename)
    return redirect(f"/operations/{op.id}/evidence/{item.id}", "created")


@router.post("/operations/{operation_id}/evidence/verify")
def verify(ctx: MemberCtx, operation_id: str) -> Response:
    op, report = service.verify_operation(ctx.session, ctx.viewer, operation_id)
    return page(ctx, "evidence/register.html", register_context(ctx, op, report=report))


def item_context(ctx: MemberCtx, op: Operation, item: EvidenceItem, *,
                 form: dict[str, str] | None = None) -> dict[str, Any]:
    events = service.custody_of(ctx.session, item)
    names = service.org_names(ctx.session, [item.custodian_org_id] +
                              [e.from_org_id for e in events] + [e.to_org_id for e in events])
    return {
        "operation": _operation_view(op),
        "item": _item_view(item, names),
        "custody": [view(e, "seq", "kind", "from_name", "to_name", "at", "reason",
                         "recorded_at", "audit_seq", "audit_hash",
                         from_org=names.get(e.from_org_id, "") if e.from_org_id else "",
                         to_org=names.get(e.to_org_id, "")) for e in events],
        "can_hand_over": operations.can_work(ctx.viewer) and (
            ctx.viewer.org_id == item.custodian_org_id or operations.can_lead(op, ctx.viewer)),
        "participants": _participants(ctx, op),
        "form": SimpleNamespace(**({"to_org_id": "", "to_name": "", "reason": "", "at": ""}
                                   | (form or {}))),
    }


@router.get("/operations/{operation_id}/evidence/{item_id}")
def item_page(ctx: MemberCtx, operation_id: str, item_id: str) -> Response:
    op, item = service.get_item(ctx.session, ctx.viewer, operation_id, item_id)
    return page(ctx, "evidence/item.html", item_context(ctx, op, item))


@router.get("/operations/{operation_id}/evidence/{item_id}/file")
def download(ctx: MemberCtx, operation_id: str, item_id: str) -> Response:
    item, path = service.download(ctx.session, ctx.viewer, operation_id, item_id)
    return file_response(item, path)


@router.post("/operations/{operation_id}/evidence/{item_id}/custody")
def hand_over(ctx: MemberCtx, operation_id: str, item_id: str,
              to_org_id: Annotated[str, Form(max_length=60)] = "",
              to_name: Annotated[str, Form(max_length=201)] = "",
              reason: Annotated[str, Form(max_length=service.MAX_REASON + 1)] = "",
              at: Annotated[str, Form(max_length=40)] = "") -> Response:
    op, item = service.get_item(ctx.session, ctx.viewer, operation_id, item_id,
                                audit_read=False)
    on_error(ctx, "evidence/item.html", item_context(
        ctx, op, item, form={"to_org_id": to_org_id, "to_name": to_name, "reason": reason,
                             "at": at}))
    when = None
    if at.strip():
        try:
            when = datetime.fromisoformat(at.strip())
        except ValueError:
            raise InvalidInput(_("Give the time of the hand-over as a date and time, e.g. "
                                 "2026-12-10 14:00 (UTC)."), details={"field": "at"}) from None
    service.hand_over(ctx.session, ctx.viewer, op.id, item.id, to_org_id=to_org_id,
                      to_name=to_name, reason=reason, at=when)
    return redirect(f"/operations/{op.id}/evidence/{item.id}#custody", "saved")
