"""REST: an operation's evidence register — upload, read, download, hand over, verify."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from cyberhub.deps import ApiCtx
from cyberhub.operations.evidence import service, store
from cyberhub.operations.evidence.models import CustodyEvent, EvidenceItem
from cyberhub.operations.evidence.schemas import (
    CustodyOut,
    EvidenceOut,
    HandoverIn,
    ProblemOut,
    VerifyOut,
)

router = APIRouter(tags=["evidence"])


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(store.CHUNK):
        yield chunk


def custody_out(session: Session, events: list[CustodyEvent]) -> list[CustodyOut]:
    names = service.org_names(session, [e.from_org_id for e in events] +
                              [e.to_org_id for e in events])
    return [CustodyOut(seq=e.seq, kind=e.kind, from_org_id=e.from_org_id,
                       from_org_name=names.get(e.from_org_id) if e.from_org_id else None,
                       from_name=e.from_name, to_org_id=e.to_org_id,
                       to_org_name=names.get(e.to_org_id), to_name=e.to_name, at=e.at,
                       reason=e.reason, recorded_by_id=e.recorded_by_id,
                       recorded_at=e.recorded_at, audit_seq=e.audit_seq,
                       audit_hash=e.audit_hash) for e in events]


def item_out(session: Session, item: EvidenceItem, *, with_custody: bool = False,
             names: dict[uuid.UUID, str] | None = None) -> EvidenceOut:
    if names is None:
        names = service.org_names(session, [item.custodian_org_id])
    return EvidenceOut(
        id=item.id, operation_id=item.operation_id, number=item.number,
        label=f"E-{item.number}", description=item.description, source=item.source,
        location=item.location, filename=item.filename, size=item.size, sha256=item.sha256,
        registered_by_id=item.registered_by_id, registered_at=item.registered_at,
        custodian_org_id=item.custodian_org_id,
        custodian_org_name=names.get(item.custodian_org_id),
        custodian_name=item.custodian_name, last_verified_at=item.last_verified_at,
        last_verify_result=item.last_verify_result, is_demo=item.is_demo,
        download_url=f"/api/v1/operations/{item.operation_id}/evidence/{item.id}/file",
        custody=custody_out(session, service.custody_of(session, item)) if with_custody
        else None)


@router.get("/operations/{operation_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(operation_id: str, ctx: ApiCtx) -> list[EvidenceOut]:
    """The operation's evidence register (the read is audited)."""
    _op, items = service.list_items(ctx.session, ctx.viewer, operation_id)
    names = service.org_names(ctx.session, [i.custodian_org_id for i in items])
    return [item_out(ctx.session, i, names=names) for i in items]


@router.post("/operations/{operation_id}/evidence", response_model=EvidenceOut,
             status_code=201)
async def upload_evidence(
        operation_id: str, ctx: ApiCtx, file: Annotated[UploadFile, File()],
        description: Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 1)],
        source: Annotated[str, Form(max_length=301)],
        location: Annotated[str, Form(max_length=301)] = "",
        custodian_name: Annotated[str, Form(max_length=201)] = "",
        sha256: Annotated[str, Form(max_length=80)] = "") -> EvidenceOut:
    """Register an item (multipart ``file`` with ``description``, ``source``, optionally
    ``location``, ``custodian_name`` and the ``sha256`` you computed). The file is hashed
    as it is stored; a declared hash that differs is refused (``hash_mismatch``) and
    nothing is kept. Files are limited to the hub's ``evidence_max_bytes``."""
    fields = service.check_fields(description=description, source=source, location=location,
                                  custodian_name=custodian_name)
    store.clean_sha256(sha256)
    service.check_upload(ctx.session, ctx.viewer, operation_id, fields)
    stored = await store.store_stream(upload_chunks(file), declared=sha256 or None)
    item = service.register(ctx.session, ctx.viewer, operation_id, fields, stored,
                            filename=file.filename)
    return item_out(ctx.session, item, with_custody=True)


@router.post("/operations/{operation_id}/evidence/verify", response_model=VerifyOut)
def verify_evidence(operation_id: str, ctx: ApiCtx) -> VerifyOut:
    """Recompute every item's SHA-256 and check its custody records against the audit log."""
    op, report = service.verify_operation(ctx.session, ctx.viewer, operation_id)
    return VerifyOut(operation_id=op.id, checked=report.checked, ok=report.ok, problems=[
        ProblemOut(item_id=p.item_id, number=p.number, kind=p.kind, message=p.message)
        for p in report.problems])


@router.get("/operations/{operation_id}/evidence/{item_id}", response_model=EvidenceOut)
def get_evidence(operation_id: str, item_id: str, ctx: ApiCtx) -> EvidenceOut:
    """One item with its custody history (the read is audited)."""
    _op, item = service.get_item(ctx.session, ctx.viewer, operation_id, item_id)
    return item_out(ctx.session, item, with_custody=True)


def file_response(item: EvidenceItem, path: str) -> Response:
    """The file as a download, never rendered, with its registered digest."""
    ascii_name = item.filename.encode("ascii", "replace").decode().replace("?", "_")
    digest = base64.b64encode(bytes.fromhex(item.sha256)).decode()
    return FileResponse(path, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(item.filename)}",
        "Repr-Digest": f"sha-256=:{digest}:", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})


@router.get("/operations/{operation_id}/evidence/{item_id}/file", response_class=FileResponse)
def download_evidence(operation_id: str, item_id: str, ctx: ApiCtx) -> Response:
    """The item's file (the read is audited); ``Repr-Digest`` carries its registered SHA-256."""
    item, path = service.download(ctx.session, ctx.viewer, operation_id, item_id)
    return file_response(item, path)


@router.post("/operations/{operation_id}/evidence/{item_id}/custody",
             response_model=CustodyOut, status_code=201)
def hand_over(operation_id: str, item_id: str, body: HandoverIn, ctx: ApiCtx) -> CustodyOut:
    """Record a hand-over: to whom (an organisation taking part, and a person), when, why.
    It is written to the register and to the hash-chained audit log."""
    event = service.hand_over(ctx.session, ctx.viewer, operation_id, item_id,
                              to_org_id=body.to_org_id, to_name=body.to_name,
                              reason=body.reason, at=body.at)
    return custody_out(ctx.session, [event])[0]
