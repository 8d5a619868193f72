"""Web pages: the hub administrators' console — organisations, users, groups, audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from cyberhub import audit
from cyberhub.community import privacy, service
from cyberhub.community.models import Group
from cyberhub.community.pages_org import (
    checkbox,
    new_user_form,
    org_view,
    parse_active,
    parse_uuid,
    reference_lists,
    role_choices,
    user_view,
)
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.web.common import MemberCtx, is_htmx, on_error, page, redirect, view

router = APIRouter()

AUDIT_PAGE = 50


def _admin(ctx: Ctx) -> Ctx:
    service.require_hub_admin(ctx.viewer)
    return ctx


# ---------------------------------------------------------------- overview


@router.get("/admin")
def overview(ctx: MemberCtx) -> Response:
    _admin(ctx)
    orgs = service.list_organisations(ctx.session, ctx.viewer)
    users = service.list_users(ctx.session, ctx.viewer)
    groups = service.list_groups(ctx.session, ctx.viewer)
    recent = audit.search(ctx.session, limit=8).entries
    return page(ctx, "admin/overview.html", {
        "counts": SimpleNamespace(orgs=len(orgs), users=sum(u.is_active for u in users),
                                  groups=len(groups)),
        "recent": [_entry_view(e) for e in recent]})


# ---------------------------------------------------------------- organisations


def _org_form(name: str = "", kind: str = "cert", country: str = "", sector: str = "",
              require_2fa: bool = False) -> SimpleNamespace:
    from cyberhub.community.models import OrgKind

    try:
        kind_ = OrgKind(kind)
    except ValueError:
        kind_ = OrgKind.OTHER
    return SimpleNamespace(name=name, kind=kind_, country=country, sector=sector,
                           require_2fa=require_2fa)


def _orgs_data(ctx: Ctx) -> dict[str, Any]:
    users = service.list_users(ctx.session, ctx.viewer)
    per_org: dict[Any, int] = {}
    for u in users:
        per_org[u.org_id] = per_org.get(u.org_id, 0) + 1
    orgs = [view(o, "id", "name", "kind", "country", "sector", "require_2fa", "is_demo",
                 users=per_org.get(o.id, 0))
            for o in service.list_organisations(ctx.session, ctx.viewer)]
    return {"orgs": orgs, "form": _org_form(), **reference_lists()}


@router.get("/admin/orgs")
def orgs(ctx: MemberCtx) -> Response:
    _admin(ctx)
    return page(ctx, "admin/orgs.html", _orgs_data(ctx))


@router.post("/admin/orgs")
def create_org(ctx: MemberCtx, name: Annotated[str, Form(max_length=1000)] = "",
               kind: Annotated[str, Form(max_length=64)] = "",
               country: Annotated[str, Form(max_length=8)] = "",
               sector: Annotated[str, Form(max_length=200)] = "",
               require_2fa: Annotated[str | None, Form(max_length=8)] = None) -> Response:
    _admin(ctx)
    on_error(ctx, "admin/orgs.html", {
        **_orgs_data(ctx), "form": _org_form(name, kind, country, sector, checkbox(require_2fa))})
    org = service.create_organisation(ctx.session, ctx.viewer, name=name, kind=kind,
                                      country=country or None, sector=sector or None,
                                      require_2fa=checkbox(require_2fa))
    return redirect(f"/admin/orgs/{org.id}", "created")


def _org_data(ctx: Ctx, org_id: str) -> dict[str, Any]:
    org = service.get_organisation(ctx.session, ctx.viewer, org_id)
    users = service.list_users(ctx.session, ctx.viewer, org_id=org.id)
    return {"org": org_view(org), "form": org_view(org),
            "users": [user_view(u, ctx.viewer) for u in users], **reference_lists()}


@router.get("/admin/orgs/{org_id}")
def org_detail(ctx: MemberCtx, org_id: str) -> Response:
    _admin(ctx)
    return page(ctx, "admin/org.html", _org_data(ctx, org_id))


@router.post("/admin/orgs/{org_id}")
def update_org(ctx: MemberCtx, org_id: str, name: Annotated[str, Form(max_length=1000)] = "",
               kind: Annotated[str, Form(max_length=64)] = "",
               country: Annotated[str, Form(max_length=8)] = "",
               sector: Annotated[str, Form(max_length=200)] = "",
               require_2fa: Annotated[str | None, Form(max_length=8)] = None) -> Response:
    _admin(ctx)
    data = _org_data(ctx, org_id)
    data["form"] = SimpleNamespace(**{**vars(data["form"]), **vars(
        _org_form(name, kind, country, sector, checkbox(require_2fa)))})
    on_error(ctx, "admin/org.html", data)
    service.update_organisation(ctx.session, ctx.viewer, data["org"].id, name=name, kind=kind,
                                country=country, sector=sector,
                                require_2fa=checkbox(require_2fa))
    return redirect(f"/admin/orgs/{data['org'].id}", "saved")


# ---------------------------------------------------------------- users


def _users_data(ctx: Ctx, org: str) -> dict[str, Any]:
    orgs = service.list_organisations(ctx.session, ctx.viewer)
    org_id = parse_uuid(org, "org") if org else None
    users = service.list_users(ctx.session, ctx.viewer, org_id=org_id)
    return {"users": [user_view(u, ctx.viewer) for u in users],
            "orgs": [view(o, "id", "name") for o in orgs], "org_filter": org,
            "roles": role_choices(ctx.viewer), "new_user": new_user_form(org=org),
            "action_base": "/admin/users", "show_org": True}


def _back_to_users(org: str) -> str:
    return "/admin/users" + ("?" + urlencode({"org": org}) if org else "")


@router.get("/admin/users")
def users(ctx: MemberCtx, org: Annotated[str, Query(max_length=64)] = "") -> Response:
    _admin(ctx)
    return page(ctx, "admin/users.html", _users_data(ctx, org))


@router.post("/admin/users")
def create_user(ctx: MemberCtx, org: Annotated[str, Form(max_length=64)] = "",
                email: Annotated[str, Form(max_length=1000)] = "",
                role: Annotated[str, Form(max_length=32)] = "",
                password: Annotated[str, Form(max_length=2048)] = "",
                display_name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    _admin(ctx)
    data = _users_data(ctx, "")
    data["new_user"] = new_user_form(email, display_name, role, org)
    on_error(ctx, "admin/users.html", data)
    if not org:
        raise InvalidInput(_("Choose the user's organisation."), details={"field": "org"})
    service.create_user(ctx.session, ctx.viewer, email=email, org_id=parse_uuid(org, "org"),
                        role=role, display_name=display_name or None, password=password)
    return redirect(_back_to_users(org), "user-added")


@router.post("/admin/users/{user_id}/role")
def change_role(ctx: MemberCtx, user_id: str, role: Annotated[str, Form(max_length=32)] = "",
                org: Annotated[str, Form(max_length=64)] = "") -> Response:
    _admin(ctx)
    on_error(ctx, "admin/users.html", _users_data(ctx, org))
    service.update_user(ctx.session, ctx.viewer, parse_uuid(user_id, "user"), role=role)
    return redirect(_back_to_users(org), "saved")


@router.post("/admin/users/{user_id}/active")
def set_active(ctx: MemberCtx, user_id: str, active: Annotated[str, Form(max_length=1)] = "",
               org: Annotated[str, Form(max_length=64)] = "") -> Response:
    _admin(ctx)
    on_error(ctx, "admin/users.html", _users_data(ctx, org))
    service.update_user(ctx.session, ctx.viewer, parse_uuid(user_id, "user"),
                        is_active=parse_active(active))
    return redirect(_back_to_users(org), "saved")


@router.post("/admin/users/{user_id}/erase")
def erase_user(ctx: MemberCtx, user_id: str, confirm: Annotated[str, Form(max_length=1000)] = "",
               org: Annotated[str, Form(max_length=64)] = "") -> Response:
    _admin(ctx)
    on_error(ctx, "admin/users.html", _users_data(ctx, org))
    privacy.erase_user(ctx.session, ctx.viewer, parse_uuid(user_id, "user"), confirm=confirm)
    return redirect(_back_to_users(org), "user-erased")


# ---------------------------------------------------------------- groups


def _group_view(group: Group) -> SimpleNamespace:
    return view(group, "id", "name", "description", "is_demo", "created_at",
                org_ids={str(m.org_id) for m in group.members if m.org_id},
                user_ids={str(m.user_id) for m in group.members if m.user_id})


def _member_options(ctx: Ctx) -> SimpleNamespace:
    orgs = service.list_organisations(ctx.session, ctx.viewer)
    names = {o.id: o.name for o in orgs}
    return SimpleNamespace(
        orgs=[SimpleNamespace(id=str(o.id), label=o.name) for o in orgs],
        users=[SimpleNamespace(id=str(u.id),
                               label=f"{u.display_name} · {u.email} ({names.get(u.org_id, '')})")
               for u in service.list_users(ctx.session, ctx.viewer)])


def _groups_data(ctx: Ctx) -> dict[str, Any]:
    groups = [_group_view(g) for g in service.list_groups(ctx.session, ctx.viewer)]
    return {"groups": groups, "options": _member_options(ctx),
            "form": SimpleNamespace(name="", description="", org_ids=set(), user_ids=set())}


@router.get("/admin/groups")
def groups(ctx: MemberCtx) -> Response:
    _admin(ctx)
    return page(ctx, "admin/groups.html", _groups_data(ctx))


@router.post("/admin/groups")
def create_group(ctx: MemberCtx, name: Annotated[str, Form(max_length=1000)] = "",
                 description: Annotated[str, Form(max_length=5000)] = "",
                 org_ids: Annotated[list[str], Form(max_length=2000)] = [],  # noqa: B006
                 user_ids: Annotated[list[str], Form(max_length=2000)] = []  # noqa: B006
                 ) -> Response:
    _admin(ctx)
    on_error(ctx, "admin/groups.html", {**_groups_data(ctx), "form": SimpleNamespace(
        name=name, description=description, org_ids=set(org_ids), user_ids=set(user_ids))})
    group = service.create_group(
        ctx.session, ctx.viewer, name=name, description=description,
        org_ids=[parse_uuid(i, "org_ids") for i in org_ids],
        user_ids=[parse_uuid(i, "user_ids") for i in user_ids])
    return redirect(f"/admin/groups/{group.id}", "created")


def _group_data(ctx: Ctx, group_id: str) -> dict[str, Any]:
    group = _group_view(service.get_group(ctx.session, ctx.viewer, group_id))
    return {"group": group, "form": group, "options": _member_options(ctx)}


@router.get("/admin/groups/{group_id}")
def group_detail(ctx: MemberCtx, group_id: str) -> Response:
    _admin(ctx)
    return page(ctx, "admin/group.html", _group_data(ctx, group_id))


@router.post("/admin/groups/{group_id}")
def update_group(ctx: MemberCtx, group_id: str, name: Annotated[str, Form(max_length=1000)] = "",
                 description: Annotated[str, Form(max_length=5000)] = "",
                 org_ids: Annotated[list[str], Form(max_length=2000)] = [],  # noqa: B006
                 user_ids: Annotated[list[str], Form(max_length=2000)] = []  # noqa: B006
                 ) -> Response:
    _admin(ctx)
    data = _group_data(ctx, group_id)
    data["form"] = SimpleNamespace(name=name, description=description, org_ids=set(org_ids),
                                   user_ids=set(user_ids))
    on_error(ctx, "admin/group.html", data)
    service.update_group(
        ctx.session, ctx.viewer, data["group"].id, name=name, description=description,
        org_ids=[parse_uuid(i, "org_ids") for i in org_ids],
        user_ids=[parse_uuid(i, "user_ids") for i in user_ids])
    return redirect(f"/admin/groups/{data['group'].id}", "saved")


# ---------------------------------------------------------------- audit log


def _entry_view(e: audit.AuditEntry) -> SimpleNamespace:
    import orjson

    details = orjson.dumps(e.details, option=orjson.OPT_SORT_KEYS).decode() if e.details else ""
    return view(e, "seq", "at", "actor_label", "action", "target_type", "target_id", "ip",
                details=details)


def _parse_day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Enter the date as YYYY-MM-DD."), details={"field": field}) from None


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@router.get("/admin/audit")
def audit_log(ctx: MemberCtx, action: Annotated[str, Query(max_length=64)] = "",
              actor: Annotated[str, Query(max_length=300)] = "",
              since: Annotated[str, Query(alias="from", max_length=10)] = "",
              until: Annotated[str, Query(alias="to", max_length=10)] = "",
              before: Annotated[int | None, Query(ge=1)] = None) -> Response:
    _admin(ctx)
    filters = {"action": action, "actor": actor, "from": since, "to": until}
    on_error(ctx, "admin/audit.html", {"filters": filters, "entries": [], "older": None,
                                       "actions": audit.actions(ctx.session), "paged": False})
    day_from, day_to = _parse_day(since, "from"), _parse_day(until, "to")
    result = audit.search(
        ctx.session, action=action.strip() or None, actor=actor.strip() or None,
        since=_start_of(day_from) if day_from else None,
        until=_start_of(day_to) + timedelta(days=1) if day_to else None,
        before_seq=before, limit=AUDIT_PAGE)
    query = {k: v for k, v in filters.items() if v}
    older = ("/admin/audit?" + urlencode({**query, "before": result.next_before})
             if result.next_before else None)
    newest = "/admin/audit" + ("?" + urlencode(query) if query else "")
    return page(ctx, "admin/audit.html", {
        "filters": filters, "entries": [_entry_view(e) for e in result.entries],
        "older": older, "newest": newest, "paged": before is not None,
        "actions": audit.actions(ctx.session)})


@router.post("/admin/audit/verify")
def audit_verify(ctx: MemberCtx) -> Response:
    _admin(ctx)
    result = audit.verify(ctx.session)
    data = {"result": SimpleNamespace(ok=result.ok, entries=result.entries,
                                      problems=result.problems)}
    if is_htmx(ctx):
        return page(ctx, "admin/_verify_result.html", data)
    return page(ctx, "admin/verify.html", data)
