"""Web pages: intelligence packages — the boxes, a package with its actions by state and
role, the draft form, and the print view. Every read and write goes through the service."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from cyberhub import access, i18n
from cyberhub.audience import audience_of
from cyberhub.community import service as community
from cyberhub.community.models import OrgKind
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.intel.labels import VETTING_LABELS
from cyberhub.intel.pages import display_name, type_category, type_label
from cyberhub.packages import export, service, views
from cyberhub.packages.models import IntelPackage, PackageStatus
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view
from cyberhub.web.render import env

router = APIRouter()

FLASH = {
    "package-created": lambda: _("The package is created as a draft."),
    "object-added": lambda: _("The object is added to the package."),
    "object-removed": lambda: _("The object is removed from the package."),
    "submitted": lambda: _("The package is submitted for review."),
    "approved": lambda: _("The package is approved and may be released."),
    "returned": lambda: _("The package is back in draft."),
    "released": lambda: _("The package is released to its recipients."),
    "acknowledged": lambda: _("Receipt is acknowledged."),
    "saved": lambda: _("Saved."),
}

REPORT_CSS = (Path(__file__).resolve().parent.parent / "web" / "templates" / "packages"
              / "report.css").read_text()
_CSS_HASH = base64.b64encode(hashlib.sha256(REPORT_CSS.encode()).digest()).decode()
# The report is a document of its own (saved, mailed, printed): its style travels inside
# it, allowed by hash; nothing else runs or loads.
REPORT_CSP = (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


# ---------------------------------------------------------------- views


def _rows(ctx: Ctx, packages: Sequence[IntelPackage]) -> list[SimpleNamespace]:
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)} \
        if packages else {}
    return [view(p, "id", "title", "target", "tlp", "status", "is_demo", "updated_at",
                 "released_at", owner=orgs.get(p.owner_org_id, ""),
                 status_label=views.status_label(p)) for p in packages]


def _user_name(ctx: Ctx, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    u = community.get_user(ctx.session, ctx.viewer, user_id)
    return f"{u.display_name} ({u.organisation.name})"


def _object_view(row: Any) -> SimpleNamespace:
    return view(row, "id", "stix_id", "type", "tlp", "vetting", name=display_name(row),
                type_label=type_label(row.type), category=type_category(row.type),
                vetting_label=VETTING_LABELS[row.vetting]())


def _release_options(ctx: Ctx, package: IntelPackage) -> SimpleNamespace:
    orgs = [o for o in community.list_organisations(ctx.session, ctx.viewer)
            if o.kind is OrgKind.LAW_ENFORCEMENT and o.id != package.owner_org_id]
    le = {o.id: o.name for o in orgs}
    users = [u for u in community.list_users(ctx.session, ctx.viewer)
             if u.is_active and u.org_id in le]
    return SimpleNamespace(
        orgs=[SimpleNamespace(id=str(o.id), label=o.name) for o in orgs],
        users=[SimpleNamespace(id=str(u.id), label=f"{u.display_name} · {u.email} "
                                                   f"({le[u.org_id]})") for u in users])


def _release_form(tlp: str = "AMBER", org_ids: Sequence[str] = (),
                  user_ids: Sequence[str] = ()) -> SimpleNamespace:
    return SimpleNamespace(tlp=tlp, org_ids=set(org_ids), user_ids=set(user_ids))


def package_context(ctx: Ctx, ref: str) -> dict[str, Any]:
    p = service.get_package(ctx.session, ctx.viewer, ref)
    found = service.contents(ctx.session, ctx.viewer, p)
    owner = community.get_organisation(ctx.session, ctx.viewer, p.owner_org_id)
    aud = audience_of(ctx.session, p.id)
    names = {r.stix_id: display_name(r) for r in found.objects}
    relationships = []
    for rel in found.relationships:
        data = orjson.loads(rel.data)
        relationships.append(SimpleNamespace(
            id=rel.id, kind=str(data.get("relationship_type", "")), tlp=rel.tlp,
            source=names.get(str(data.get("source_ref")), str(data.get("source_ref"))),
            target=names.get(str(data.get("target_ref")), str(data.get("target_ref")))))
    key = service.recipient_key(ctx.session, p, ctx.viewer)
    acks = service.acknowledgements(ctx.session, p)
    draft = p.status is PackageStatus.DRAFT
    editable = draft and access.can_edit(p, ctx.viewer)
    objects = [_object_view(r) for r in found.objects]
    return {
        "pkg": view(p, "id", "title", "target", "narrative_html", "narrative_markdown", "tlp",
                    "status", "is_demo", "created_at", "submitted_at", "reviewed_at",
                    "review_comment", "released_at",
                    status_label=views.status_label(p), owner=owner.name,
                    owner_is_demo=owner.is_demo, author=_user_name(ctx, p.created_by_id),
                    reviewer=_user_name(ctx, p.reviewed_by_id),
                    releaser=_user_name(ctx, p.released_by_id),
                    approved=p.reviewed_by_id is not None),
        "recipients": [community.get_organisation(ctx.session, ctx.viewer, i).name
                       for i in aud.org_ids] + [_user_name(ctx, i) for i in aud.user_ids],
        "objects": objects, "relationships": relationships, "hidden": found.hidden,
        "not_vetted": [o for o in objects if o.vetting.value != "vetted"],
        "acks": [SimpleNamespace(who=_user_name(ctx, a.user_id), at=a.at,
                                 recipient=a.recipient) for a in acks],
        "rule": access.describe_rule(p.tlp),
        "can_edit": editable,
        "can_submit": editable,
        "can_review": service.can_review(p, ctx.viewer) and p.reviewed_by_id is None,
        "can_release": service.can_release(p, ctx.viewer),
        "release_options": _release_options(ctx, p) if service.can_release(p, ctx.viewer)
        else None,
        "release_form": _release_form(),
        "recipient": key is not None,
        "acknowledged": any(a.recipient == key for a in acks),
        "form": SimpleNamespace(object=""),
        **_flash(ctx),
    }


def _flash(ctx: Ctx) -> dict[str, str]:
    key = ctx.request.query_params.get("flash", "")
    return {"flash": FLASH[key]()} if key in FLASH else {}


# ---------------------------------------------------------------- lists


@router.get("/packages")
def list_packages(ctx: MemberCtx) -> Response:
    boxes = [
        SimpleNamespace(key="drafts", title=_("My drafts"),
                        empty=_("You have no package in preparation.")),
        SimpleNamespace(key="review", title=_("To review"),
                        empty=_("No colleague's package waits for your review.")),
        SimpleNamespace(key="received", title=_("Received"),
                        empty=_("No package has been released to you.")),
        SimpleNamespace(key="released", title=_("Released by my organisation"),
                        empty=_("Your organisation has released no package yet.")),
    ]
    for box in boxes:
        box.rows = _rows(ctx, service.list_packages(ctx.session, ctx.viewer, box.key))
    return page(ctx, "packages/list.html", {
        "boxes": boxes, "can_write": access.can_contribute(ctx.viewer), **_flash(ctx)})


# ---------------------------------------------------------------- create and edit


def _form(title: str = "", target: str = "", narrative: str = "",
          object_id: str = "") -> SimpleNamespace:
    return SimpleNamespace(title=title, target=target, narrative=narrative, object=object_id)


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not assemble packages. Ask your organisation's "
                                 "admin for the analyst role."))


@router.get("/packages/new")
def new_form(ctx: MemberCtx, object: Annotated[str, Query(max_length=300)] = "") -> Response:
    _require_contributor(ctx)
    return page(ctx, "packages/form.html", {"form": _form(object_id=object), "pkg": None})


NarrativeField = Annotated[str, Form(max_length=service.MAX_NARRATIVE + 1)]


@router.post("/packages/new")
def create(ctx: MemberCtx, stamp: pace.FormStamp, title: Annotated[str, Form(max_length=1000)] = "",
           target: Annotated[str, Form(max_length=1000)] = "", narrative: NarrativeField = "",
           object: Annotated[str, Form(max_length=300)] = "") -> Response:
    on_error(ctx, "packages/form.html", {"form": _form(title, target, narrative, object),
                                         "pkg": None})
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    p = service.create_package(ctx.session, ctx.viewer, title=title, target=target,
                               narrative=narrative)
    if object.strip():
        service.add_object(ctx.session, ctx.viewer, p.id, object)
    return redirect(f"/packages/{p.id}", "package-created")


@router.get("/packages/{package_id}")
def show(ctx: MemberCtx, package_id: str) -> Response:
    return page(ctx, "packages/show.html", package_context(ctx, package_id))


@router.get("/packages/{package_id}/edit")
def edit_form(ctx: MemberCtx, package_id: str) -> Response:
    p = service.get_package(ctx.session, ctx.viewer, package_id)
    return page(ctx, "packages/form.html", {
        "form": _form(p.title, p.target, p.narrative_markdown),
        "pkg": view(p, "id", "title")})


@router.post("/packages/{package_id}/edit")
def edit(ctx: MemberCtx, package_id: str, title: Annotated[str, Form(max_length=1000)] = "",
         target: Annotated[str, Form(max_length=1000)] = "",
         narrative: NarrativeField = "") -> Response:
    p = service.get_package(ctx.session, ctx.viewer, package_id)
    on_error(ctx, "packages/form.html", {"form": _form(title, target, narrative),
                                         "pkg": view(p, "id", "title")})
    service.update_package(ctx.session, ctx.viewer, p.id, title=title, target=target,
                           narrative=narrative)
    return redirect(f"/packages/{p.id}", "saved")


# ---------------------------------------------------------------- actions


def _act(ctx: Ctx, package_id: str, failed: str, **extra: Any) -> dict[str, Any]:
    """Where an action's error re-renders: the package page, the form open."""
    context = {**package_context(ctx, package_id), "failed_form": failed, **extra}
    context.pop("flash", None)
    on_error(ctx, "packages/show.html", context)
    return context


@router.post("/packages/{package_id}/objects")
def add_object(ctx: MemberCtx, package_id: str,
               object: Annotated[str, Form(max_length=300)] = "") -> Response:
    context = _act(ctx, package_id, "add", form=SimpleNamespace(object=object))
    if not object.strip():
        raise InvalidInput(_("Give the record id or STIX id of the object to add."),
                           details={"field": "object"})
    service.add_object(ctx.session, ctx.viewer, context["pkg"].id, object)
    return redirect(f"/packages/{context['pkg'].id}", "object-added")


@router.post("/packages/add")
def add_from_object_page(ctx: MemberCtx, package: Annotated[str, Form(max_length=64)] = "",
                         object: Annotated[str, Form(max_length=300)] = "") -> Response:
    """The object page's "Add to a package": the package is chosen in the form."""
    from cyberhub.intel.pages import _object_context

    context = _object_context(ctx, object)
    context["failed_form"] = "package"
    on_error(ctx, "intel/object.html", context)
    p = service.get_package(ctx.session, ctx.viewer, package)
    service.add_object(ctx.session, ctx.viewer, p.id, str(context["obj"].id))
    return redirect(f"/packages/{p.id}", "object-added")


@router.post("/packages/{package_id}/objects/{object_id}/remove")
def remove_object(ctx: MemberCtx, package_id: str, object_id: str) -> Response:
    context = _act(ctx, package_id, "objects")
    service.remove_object(ctx.session, ctx.viewer, context["pkg"].id, object_id)
    return redirect(f"/packages/{context['pkg'].id}", "object-removed")


@router.post("/packages/{package_id}/submit")
def submit(ctx: MemberCtx, package_id: str) -> Response:
    context = _act(ctx, package_id, "actions")
    service.submit(ctx.session, ctx.viewer, context["pkg"].id)
    return redirect(f"/packages/{context['pkg'].id}", "submitted")


@router.post("/packages/{package_id}/review")
def review(ctx: MemberCtx, package_id: str, decision: Annotated[str, Form(max_length=16)] = "",
           comment: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    context = _act(ctx, package_id, "review")
    if decision not in ("approve", "return"):
        raise InvalidInput(_("Choose to approve the package or to send it back."),
                           details={"field": "decision"})
    service.review(ctx.session, ctx.viewer, context["pkg"].id, approve=decision == "approve",
                   comment=comment)
    return redirect(f"/packages/{context['pkg'].id}",
                    "approved" if decision == "approve" else "returned")


IdList = Annotated[list[str], Form(max_length=500)]


def _uuids(values: Sequence[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The recipients name someone who does not exist."),
                           details={"field": "recipients"}) from None


@router.post("/packages/{package_id}/release")
def release(ctx: MemberCtx, package_id: str, tlp: Annotated[str, Form(max_length=16)] = "AMBER",
            org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
            user_ids: IdList = []) -> Response:  # noqa: B006
    context = _act(ctx, package_id, "release",
                   release_form=_release_form(tlp, org_ids, user_ids))
    # Organisations go with AMBER and AMBER+STRICT, people with RED: the form offers both.
    red = tlp.upper() == "RED"
    service.release(ctx.session, ctx.viewer, context["pkg"].id, tlp=tlp,
                    org_ids=[] if red else _uuids(org_ids),
                    user_ids=_uuids(user_ids) if red else [])
    return redirect(f"/packages/{context['pkg'].id}", "released")


@router.post("/packages/{package_id}/acknowledge")
def acknowledge(ctx: MemberCtx, package_id: str) -> Response:
    context = _act(ctx, package_id, "ack")
    service.acknowledge(ctx.session, ctx.viewer, context["pkg"].id)
    return redirect(f"/packages/{context['pkg'].id}", "acknowledged")


# ---------------------------------------------------------------- print view


def report_response(ctx: Ctx, data: export.Report) -> HTMLResponse:
    html = env.get_template("packages/report.html").render({
        "r": data, "css": REPORT_CSS, "request": ctx.request,
        "locale": i18n.get_locale(), "direction": i18n.direction()})
    response = HTMLResponse(html)
    response.headers["content-security-policy"] = REPORT_CSP
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/packages/{package_id}/print")
def print_view(ctx: MemberCtx, package_id: str) -> Response:
    p = service.get_package(ctx.session, ctx.viewer, package_id)
    return report_response(ctx, export.report(ctx.session, ctx.viewer, p, "html"))
