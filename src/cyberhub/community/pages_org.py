"""Web pages: an organisation's admins manage their organisation and its users."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.access import Viewer
from cyberhub.community import privacy, reference, service
from cyberhub.community.models import Organisation, Role, User
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view

router = APIRouter()

ORG_FIELDS = ("id", "name", "kind", "country", "sector", "require_2fa", "is_demo", "created_at")
USER_FIELDS = ("id", "email", "display_name", "role", "is_active", "totp_enabled", "is_demo",
               "created_at", "org_id")

# ---------------------------------------------------------------- shared with hub admin


def org_view(org: Organisation) -> SimpleNamespace:
    return view(org, *ORG_FIELDS)


def user_view(user: User, viewer: Viewer) -> SimpleNamespace:
    return view(user, *USER_FIELDS, org_name=user.organisation.name,
                second_factor=user.has_second_factor,
                is_self=user.id == viewer.user_id, is_erased=privacy.is_erased(user))


def role_choices(viewer: Viewer) -> list[Role]:
    """The roles this admin may hand out."""
    return [r for r in Role if viewer.is_hub_admin or r is not Role.HUB_ADMIN]


def reference_lists() -> dict[str, Any]:
    return {"sectors": reference.sectors(), "countries": reference.countries()}


def checkbox(value: str | None) -> bool:
    return value in ("on", "1", "true", "yes")


def parse_active(value: str) -> bool:
    if value not in ("0", "1"):
        raise InvalidInput(_("Choose to activate or deactivate the user."),
                           details={"field": "active"})
    return value == "1"


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(_("Choose an existing entry for %(field)s.") % {"field": field},
                           details={"field": field}) from None


def new_user_form(email: str = "", display_name: str = "", role: str = "analyst",
                  org: str = "") -> dict[str, str]:
    return {"email": email, "display_name": display_name, "role": role, "org": org}


# ---------------------------------------------------------------- own organisation


def _own_org(ctx: Ctx) -> Organisation:
    org_id = ctx.viewer.org_id
    if org_id is None or not service.can_manage_org_users(ctx.viewer, org_id):
        raise PermissionDenied(_("Only your organisation's admins may open this page."))
    service.require_admin_factor(ctx.viewer)
    return service.get_organisation(ctx.session, ctx.viewer, org_id)


def _org_data(ctx: Ctx, org: Organisation) -> dict[str, Any]:
    return {"org": org_view(org), "form": org_view(org),
            "users": [user_view(u, ctx.viewer)
                      for u in service.list_users(ctx.session, ctx.viewer, org_id=org.id)],
            "roles": role_choices(ctx.viewer), "new_user": new_user_form(),
            "action_base": "/org/users", **reference_lists()}


@router.get("/org")
def org_page(ctx: MemberCtx) -> Response:
    return page(ctx, "community/org.html", _org_data(ctx, _own_org(ctx)))


@router.post("/org")
def update_org(ctx: MemberCtx, name: Annotated[str, Form(max_length=1000)] = "",
               country: Annotated[str, Form(max_length=8)] = "",
               sector: Annotated[str, Form(max_length=200)] = "",
               require_2fa: Annotated[str | None, Form(max_length=8)] = None) -> Response:
    org = _own_org(ctx)
    data = _org_data(ctx, org)
    data["form"] = SimpleNamespace(**{**vars(data["form"]), "name": name, "country": country,
                                      "sector": sector, "require_2fa": checkbox(require_2fa)})
    on_error(ctx, "community/org.html", data)
    service.update_organisation(ctx.session, ctx.viewer, org.id, name=name, country=country,
                                sector=sector, require_2fa=checkbox(require_2fa))
    return redirect("/org", "saved")


@router.post("/org/users")
def add_user(ctx: MemberCtx, email: Annotated[str, Form(max_length=1000)] = "",
             role: Annotated[str, Form(max_length=32)] = "",
             password: Annotated[str, Form(max_length=2048)] = "",
             display_name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    org = _own_org(ctx)
    data = _org_data(ctx, org)
    data["new_user"] = new_user_form(email, display_name, role)
    on_error(ctx, "community/org.html", data)
    service.create_user(ctx.session, ctx.viewer, email=email, org_id=org.id, role=role,
                        display_name=display_name or None, password=password)
    return redirect("/org", "user-added")


@router.post("/org/users/{user_id}/role")
def change_role(ctx: MemberCtx, user_id: str, role: Annotated[str, Form(max_length=32)]
                ) -> Response:
    org = _own_org(ctx)
    on_error(ctx, "community/org.html", _org_data(ctx, org))
    user = _member_of(ctx, org, user_id)
    service.update_user(ctx.session, ctx.viewer, user.id, role=role)
    return redirect("/org", "saved")


@router.post("/org/users/{user_id}/active")
def set_active(ctx: MemberCtx, user_id: str, active: Annotated[str, Form(max_length=1)]
               ) -> Response:
    org = _own_org(ctx)
    on_error(ctx, "community/org.html", _org_data(ctx, org))
    user = _member_of(ctx, org, user_id)
    service.update_user(ctx.session, ctx.viewer, user.id, is_active=parse_active(active))
    return redirect("/org", "saved")


@router.post("/org/users/{user_id}/erase")
def erase_user(ctx: MemberCtx, user_id: str,
               confirm: Annotated[str, Form(max_length=1000)] = "") -> Response:
    org = _own_org(ctx)
    on_error(ctx, "community/org.html", _org_data(ctx, org))
    user = _member_of(ctx, org, user_id)
    privacy.erase_user(ctx.session, ctx.viewer, user.id, confirm=confirm)
    return redirect("/org", "user-erased")


def _member_of(ctx: Ctx, org: Organisation, user_id: str) -> User:
    """A user of this organisation; others are not found from this page."""
    from cyberhub.errors import NotFound

    user = service.get_user(ctx.session, ctx.viewer, user_id)
    if user.org_id != org.id:
        raise NotFound()
    return user
