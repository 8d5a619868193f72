"""Web pages: ransomware families, "what hit us?" identification, decryptors."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from cyberhub import access
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.ransomware import incidents, leakposts, payments, service
from cyberhub.ransomware.models import Decryptor
from cyberhub.ransomware.pages_dashboard import dashboard_page
from cyberhub.ransomware.pages_incidents import router as incidents_router
from cyberhub.ransomware.pages_leakposts import post_view
from cyberhub.ransomware.pages_leakposts import router as leakposts_router
from cyberhub.ransomware.pages_payments import router as payments_router
from cyberhub.ransomware.pages_readiness import router as readiness_router
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view

router = APIRouter(prefix="/ransomware")

PAGE_SIZE = 50
MAX_UPLOAD = 512 * 1024  # an uploaded note (text or HTML); the request cap is 1 MiB


def _decryptor_view(d: Decryptor, ctx: Ctx) -> SimpleNamespace:
    return view(d, "id", "family_ref", "family_name", "name", "provider", "url", "notes",
                "released", "tlp", can_edit=_can_edit(d, ctx))


def _can_edit(d: Decryptor, ctx: Ctx) -> bool:
    return access.can_edit(d, ctx.viewer) or (ctx.viewer.is_hub_admin
                                              and ctx.viewer.user_id is not None)


# ---------------------------------------------------------------- families


@router.get("/families")
def families(ctx: MemberCtx, q: Annotated[str, Query(max_length=200)] = "",
             page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1) -> Response:
    items, total = service.list_families(ctx.session, ctx.viewer, q,
                                         offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    def link(n: int) -> str:
        return "/ransomware/families?" + urlencode({"q": q, "page": n})
    return page(ctx, "ransomware/families.html", {
        "families": items, "total": total, "q": q, "page_no": page_no,
        "newer": link(page_no - 1) if page_no > 1 else None,
        "older": link(page_no + 1) if page_no * PAGE_SIZE < total else None})


@router.get("/families/{ref}")
def family(ctx: MemberCtx, ref: str) -> Response:
    fam = service.family(ctx.session, ctx.viewer, ref)
    seen, seen_total = incidents.of_family(ctx.session, ctx.viewer, fam.key)
    posts = leakposts.family_posts(ctx.session, ctx.viewer, fam.key)
    return page(ctx, "ransomware/family.html", {
        "incidents": [view(i, "id", "discovered", "sector", "country", "tlp", "is_demo")
                      for i in seen], "incident_total": seen_total,
        "family": fam, "decryptors": [_decryptor_view(d, ctx) for d in fam.decryptors],
        "records": [view(r, "id", "tlp", "source", "owner_org_id") for r in fam.records],
        "payments": payments.family_payments(ctx.session, ctx.viewer, fam.key),
        "can_add": access.can_contribute(ctx.viewer),
        "leak": SimpleNamespace(count=posts.count, latest=[post_view(p) for p in posts.latest],
                                chart={"months": posts.months, "counts": posts.per_month})})


# ---------------------------------------------------------------- identification


def _identify_context(values: dict[str, Any], result: Any = None) -> dict[str, Any]:
    return {"form": SimpleNamespace(**values), "result": result}


@router.get("/identify")
def identify_form(ctx: MemberCtx) -> Response:
    return page(ctx, "ransomware/identify.html", _identify_context(
        {"file_name": "", "note_name": "", "note_text": "", "contacts": ""}))


@router.post("/identify")
async def identify(ctx: MemberCtx, file_name: Annotated[str, Form(max_length=400)] = "",
                   note_name: Annotated[str, Form(max_length=400)] = "",
                   note_text: Annotated[str, Form(max_length=service.MAX_NOTE + 1)] = "",
                   contacts: Annotated[str, Form(max_length=5000)] = "",
                   note_file: Annotated[UploadFile | None, File()] = None) -> Response:
    from cyberhub.formats.convert import ConversionError
    from cyberhub.formats.text.documents import to_text

    values = {"file_name": file_name, "note_name": note_name, "note_text": note_text,
              "contacts": contacts}
    on_error(ctx, "ransomware/identify.html", _identify_context(values))
    if note_file is not None and note_file.filename:
        data = await note_file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise InvalidInput(_("The note file is larger than %(n)d bytes; paste its first "
                                 "part instead.") % {"n": MAX_UPLOAD},
                               details={"field": "note_file"})
        if note_file.filename.lower().endswith(".pdf") or data.startswith(b"%PDF-"):
            raise InvalidInput(_("Upload the note as a text or HTML file."),
                               details={"field": "note_file"})
        try:
            note_text = to_text(data, note_file.filename)
        except ConversionError as exc:
            raise InvalidInput(str(exc), details={"field": "note_file"}) from None
        note_name = note_name or note_file.filename[:400]
        values.update(note_text=note_text, note_name=note_name)
    result = service.identify_family(
        ctx.session, ctx.viewer, file_name=file_name, note_name=note_name,
        note_text=note_text, contacts=[c for c in contacts.replace(",", "\n").splitlines()])
    decryptors = {k: [_decryptor_view(d, ctx) for d in v] for k, v in result.decryptors.items()}
    return page(ctx, "ransomware/identify.html", {
        **_identify_context(values, result), "decryptors": decryptors})


# ---------------------------------------------------------------- decryptors


@router.get("/decryptors")
def decryptors(ctx: MemberCtx) -> Response:
    rows = service.list_decryptors(ctx.session, ctx.viewer, limit=500)
    return page(ctx, "ransomware/decryptors.html", {
        "decryptors": [_decryptor_view(d, ctx) for d in rows],
        "can_add": access.can_contribute(ctx.viewer)})


def _decryptor_form(values: dict[str, Any], decryptor: SimpleNamespace | None = None
                    ) -> dict[str, Any]:
    return {"form": SimpleNamespace(**values), "decryptor": decryptor}


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not add decryptors. Ask your organisation's "
                                 "admin for the analyst role."))


def _date(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(_("The release date must be a date such as 2024-02-20."),
                           details={"field": "released"}) from None


@router.get("/decryptors/new")
def new_decryptor_form(ctx: MemberCtx,
                       family: Annotated[str, Query(max_length=300)] = "") -> Response:
    _require_contributor(ctx)
    name = ""
    if family:
        name = service.family(ctx.session, ctx.viewer, family).name
    return page(ctx, "ransomware/decryptor_form.html", _decryptor_form(
        {"family_ref": family, "family_name": name, "name": "", "provider": "", "url": "",
         "notes": "", "released": "", "tlp": "CLEAR"}))


Text = Annotated[str, Form(max_length=5001)]


@router.post("/decryptors/new")
def create_decryptor(ctx: MemberCtx, stamp: pace.FormStamp,
                     family_ref: Text = "", name: Text = "", url: Text = "",
                     provider: Text = "", notes: Text = "", released: Text = "",
                     tlp: Text = "CLEAR") -> Response:
    values = {"family_ref": family_ref, "family_name": "", "name": name, "provider": provider,
              "url": url, "notes": notes, "released": released, "tlp": tlp}
    on_error(ctx, "ransomware/decryptor_form.html", _decryptor_form(values))
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    row = service.create_decryptor(ctx.session, ctx.viewer, family_ref=family_ref, name=name,
                                   url=url, provider=provider, notes=notes,
                                   released=_date(released), tlp=tlp)
    return redirect(f"/ransomware/families/{row.family_ref}", "created")


@router.get("/decryptors/{decryptor_id}/edit")
def edit_decryptor_form(ctx: MemberCtx, decryptor_id: str) -> Response:
    d = service.get_decryptor(ctx.session, ctx.viewer, decryptor_id)
    if not _can_edit(d, ctx):
        raise PermissionDenied(_("Only the contributor, the admins of their organisation and "
                                 "hub admins may change this decryptor."))
    values = {"family_ref": d.family_ref, "family_name": d.family_name, "name": d.name,
              "provider": d.provider, "url": d.url, "notes": d.notes,
              "released": d.released.isoformat() if d.released else "", "tlp": d.tlp.value}
    return page(ctx, "ransomware/decryptor_form.html",
                _decryptor_form(values, _decryptor_view(d, ctx)))


@router.post("/decryptors/{decryptor_id}/edit")
def edit_decryptor(ctx: MemberCtx, decryptor_id: str, family_ref: Text = "", name: Text = "",
                   url: Text = "", provider: Text = "", notes: Text = "", released: Text = "",
                   tlp: Text = "CLEAR") -> Response:
    d = service.get_decryptor(ctx.session, ctx.viewer, decryptor_id)
    snapshot = _decryptor_view(d, ctx)
    values = {"family_ref": family_ref, "family_name": d.family_name, "name": name,
              "provider": provider, "url": url, "notes": notes, "released": released,
              "tlp": tlp}
    on_error(ctx, "ransomware/decryptor_form.html", _decryptor_form(values, snapshot))
    row = service.update_decryptor(ctx.session, ctx.viewer, d.id, family_ref=family_ref,
                                   name=name, url=url, provider=provider, notes=notes,
                                   released=_date(released), tlp=tlp)
    return redirect(f"/ransomware/families/{row.family_ref}", "saved")


@router.post("/decryptors/{decryptor_id}/delete")
def delete_decryptor(ctx: MemberCtx, decryptor_id: str) -> Response:
    d = service.get_decryptor(ctx.session, ctx.viewer, decryptor_id)
    family_ref = d.family_ref
    service.delete_decryptor(ctx.session, ctx.viewer, d.id)
    return redirect(f"/ransomware/families/{family_ref}", "deleted")


# Incident reports, report links and trends (pages_incidents.py).
router.include_router(incidents_router)
# The dashboard is the section's front page, /ransomware itself (an empty path cannot be
# included from another router).
router.add_api_route("", dashboard_page, methods=["GET"])

# The readiness self-assessment (pages_readiness.py).
router.include_router(readiness_router)
# Wallets and payments (pages_payments.py).
router.include_router(payments_router)
# Leak-site posts (pages_leakposts.py).
router.include_router(leakposts_router)
