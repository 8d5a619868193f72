"""Web pages: joint operations — the index, a proposal, and the operation's page with its
participants, targets, tasks, timeline and after-action review. Always through the
service: a non-participant meets the same 404 as for an operation that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from cyberhub import access
from cyberhub.audience import Audience
from cyberhub.comments import pages as comments_pages
from cyberhub.comments import service as comments
from cyberhub.community import service as community
from cyberhub.community.models import User
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.operations import service
from cyberhub.operations.labels import status_labels, task_labels
from cyberhub.operations.models import (
    WORKFLOW,
    Operation,
    OperationStatus,
    OperationTask,
    TaskStatus,
)
from cyberhub.sharing import TLP
from cyberhub.web import pace
from cyberhub.web.common import MemberCtx, is_htmx, on_error, page, redirect, view

router = APIRouter()

PAGE_SIZE = 25
IdList = Annotated[list[str], Form(max_length=500)]
Markdown = Annotated[str, Form(max_length=service.MAX_MARKDOWN + 1)]
Short = Annotated[str, Form(max_length=1000)]


def move_labels() -> dict[str, str]:
    """The button that moves an operation to each status."""
    return {OperationStatus.APPROVED: _("Approve"), OperationStatus.ACTIVE: _("Start"),
            OperationStatus.CONCLUDED: _("Conclude"),
            OperationStatus.REVIEWED: _("Mark reviewed")}


def _uuids(values: Sequence[str], field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The form names a recipient that does not exist."),
                           details={"field": field}) from None


def _due(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the due date as a date, e.g. 2026-12-20."),
                           details={"field": "due"}) from None


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not propose operations. Ask your organisation's "
                                 "admin for the analyst role."))


# ---------------------------------------------------------------- list


@router.get("/operations")
def list_operations(ctx: MemberCtx,
                    status: Annotated[str, Query(max_length=20)] = "",
                    q: Annotated[str, Query(max_length=200)] = "",
                    cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    q = q.strip()
    result = service.list_operations(ctx.session, ctx.viewer, status=status or None,
                                     q=q or None, cursor=cursor or None, limit=PAGE_SIZE)
    orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
    rows = []
    for op in result.items:
        tasks = service.tasks_of(ctx.session, op)
        rows.append(view(op, "id", "name", "status", "tlp", "pap", "is_demo",
                         "status_changed_at", lead=orgs.get(op.owner_org_id, ""),
                         participants=len(service.participant_ids(ctx.session, op.id)),
                         open_tasks=sum(1 for t in tasks if t.status in (
                             TaskStatus.OPEN, TaskStatus.IN_PROGRESS))))
    query = urlencode([(k, v) for k, v in (("status", status), ("q", q)) if v])
    query += "&" if query else ""
    return page(ctx, "operations/list.html", {
        "operations": rows, "status": status, "q": q, "statuses": WORKFLOW,
        "labels": status_labels(), "paged": bool(cursor),
        "older": f"/operations?{query}cursor={result.next_cursor}"
        if result.next_cursor else None,
        "can_write": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- propose and edit


def _form_values(name: str = "", legal_basis: str = "", objectives: str = "",
                 tlp: str = TLP.AMBER_STRICT.value, participant_org_ids: Sequence[str] = (),
                 member_ids: Sequence[str] = ()) -> SimpleNamespace:
    return SimpleNamespace(name=name, legal_basis=legal_basis, objectives=objectives, tlp=tlp,
                           participant_org_ids=set(participant_org_ids),
                           member_ids=set(member_ids))


def _form_context(ctx: Ctx, values: SimpleNamespace, *,
                  operation: SimpleNamespace | None = None) -> dict[str, Any]:
    orgs = community.list_organisations(ctx.session, ctx.viewer)
    names = {o.id: o.name for o in orgs}
    users = [u for u in community.list_users(ctx.session, ctx.viewer) if u.is_active]
    return {
        "form": values, "operation": operation,
        "orgs": [SimpleNamespace(id=str(o.id), label=o.name) for o in orgs
                 if o.id != ctx.viewer.org_id],
        "users": [SimpleNamespace(id=str(u.id), label=f"{u.display_name} · {u.email} "
                                                      f"({names.get(u.org_id, '')})")
                  for u in users if u.id != ctx.viewer.user_id],
        "markings": [SimpleNamespace(value=t.value, who=access.describe_rule(t)["who"])
                     for t in service.MARKINGS]}


class OperationForm:
    def __init__(self, name: Short = "", legal_basis: Annotated[str, Form(max_length=6000)] = "",
                 objectives: Markdown = "", tlp: Annotated[str, Form(max_length=16)] = "",
                 participant_org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                 member_ids: IdList = []) -> None:  # noqa: B006
        self.values = _form_values(name, legal_basis, objectives, tlp or TLP.AMBER_STRICT.value,
                                   participant_org_ids, member_ids)


@router.get("/operations/new")
def new_operation_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "operations/form.html", _form_context(ctx, _form_values()))


@router.post("/operations/new")
def create_operation(ctx: MemberCtx, stamp: pace.FormStamp,
                     form: Annotated[OperationForm, Depends()]) -> Response:
    on_error(ctx, "operations/form.html", _form_context(ctx, form.values))
    pace.check(ctx, stamp)
    _require_contributor(ctx)
    v = form.values
    op = service.create_operation(
        ctx.session, ctx.viewer, name=v.name, legal_basis=v.legal_basis,
        objectives=v.objectives, tlp=v.tlp,
        participant_org_ids=_uuids(sorted(v.participant_org_ids), "participant_org_ids"),
        member_ids=_uuids(sorted(v.member_ids), "member_ids") if v.tlp == TLP.RED else [])
    return redirect(f"/operations/{op.id}", "created")


# ---------------------------------------------------------------- add as target (from an object)


def _target_context(ctx: Ctx, object_id: str, operation_id: str = "",
                    note: str = "") -> dict[str, Any]:
    from cyberhub.intel import service as intel
    from cyberhub.intel.pages import display_name

    row = intel.get_object(ctx.session, ctx.viewer, object_id)  # 404 unless visible
    return {"obj": SimpleNamespace(id=row.id, name=display_name(row, intel.as_stix(row)),
                                   type=row.type),
            "operations": [SimpleNamespace(id=str(o.id), name=o.name, tlp=o.tlp,
                                           status=status_labels()[o.status])
                           for o in service.open_operations(ctx.session, ctx.viewer)],
            "form": SimpleNamespace(operation_id=operation_id, note=note)}


@router.get("/operations/add-target")
def add_target_form(ctx: MemberCtx, object: Annotated[str, Query(max_length=300)] = ""
                    ) -> Response:
    _require_contributor(ctx)
    return page(ctx, "operations/add_target.html", _target_context(ctx, object))


@router.post("/operations/add-target")
def add_target_from_object(ctx: MemberCtx, object_id: Annotated[str, Form(max_length=300)] = "",
                           operation_id: Annotated[str, Form(max_length=100)] = "",
                           note: Annotated[str, Form(max_length=600)] = "") -> Response:
    _require_contributor(ctx)
    on_error(ctx, "operations/add_target.html",
             _target_context(ctx, object_id, operation_id, note))
    if not operation_id:
        raise InvalidInput(_("Choose the operation."), details={"field": "operation_id"})
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    service.add_target(ctx.session, ctx.viewer, op.id, object_id=object_id, note=note)
    return redirect(f"/operations/{op.id}#targets", "saved")


def _leading(ctx: Ctx, operation_id: str) -> Operation:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    if not service.can_lead(op, ctx.viewer):
        raise PermissionDenied(_("Only the lead organisation's admins and the operation's lead "
                                 "may do this."))
    return op


@router.get("/operations/{operation_id}/edit")
def edit_operation_form(ctx: MemberCtx, operation_id: str) -> Response:
    op = _leading(ctx, operation_id)
    values = _form_values(op.name, op.legal_basis, op.objectives_markdown, op.tlp.value,
                          [str(i) for i in service.participant_ids(ctx.session, op.id)],
                          [str(i) for i in service.members_of(ctx.session, op)])
    return page(ctx, "operations/form.html",
                _form_context(ctx, values, operation=view(op, "id", "name", "tlp")))


@router.post("/operations/{operation_id}/edit")
def edit_operation(ctx: MemberCtx, operation_id: str,
                   form: Annotated[OperationForm, Depends()]) -> Response:
    op = _leading(ctx, operation_id)
    on_error(ctx, "operations/form.html",
             _form_context(ctx, form.values, operation=view(op, "id", "name", "tlp")))
    v = form.values
    service.update_operation(
        ctx.session, ctx.viewer, op.id, name=v.name, legal_basis=v.legal_basis,
        objectives=v.objectives, tlp=v.tlp or op.tlp,
        participant_org_ids=_uuids(sorted(v.participant_org_ids), "participant_org_ids"),
        member_ids=_uuids(sorted(v.member_ids), "member_ids")
        if (v.tlp or op.tlp.value) == TLP.RED.value else None)
    return redirect(f"/operations/{op.id}", "saved")


# ---------------------------------------------------------------- the operation's page


def _label(user: User | None) -> str:
    return f"{user.display_name} ({user.organisation.name})" if user else ""


def task_view(ctx: Ctx, task: OperationTask, op: Operation, orgs: dict[uuid.UUID, str],
              users: dict[uuid.UUID, User]) -> SimpleNamespace:
    now = datetime.now(UTC)
    may_change = op.status not in service.CLOSED and access.can_contribute(ctx.viewer) and (
        service.can_lead(op, ctx.viewer) or task.created_by_id == ctx.viewer.user_id
        or task.assignee_org_id == ctx.viewer.org_id)
    return view(task, "id", "title", "due_at", "status", "completed_at",
                operation_id=op.id, org=orgs.get(task.assignee_org_id, ""),
                user=users[task.assignee_user_id].display_name
                if task.assignee_user_id in users else "",
                overdue=bool(task.due_at and task.due_at <= now
                             and task.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),
                may_change=may_change)


def _show_context(ctx: Ctx, op: Operation, *, error_section: str = "",
                  values: dict[str, str] | None = None) -> dict[str, Any]:
    orgs = {o.id: o for o in community.list_organisations(ctx.session, ctx.viewer)}
    names = {i: o.name for i, o in orgs.items()}
    participants = service.participants_of(ctx.session, op)
    users = {u.id: u for u in community.list_users(ctx.session, ctx.viewer)}
    lead = service.can_lead(op, ctx.viewer)
    work = access.can_contribute(ctx.viewer)
    open_ = op.status not in service.CLOSED
    targets = service.targets_of(ctx.session, ctx.viewer, op)
    entries = service.timeline_of(ctx.session, op)
    seen = service.visible_objects(ctx.session, ctx.viewer, [e.object_id for e in entries])
    nxt = service.next_status(op)
    assignees = []
    if work and open_:
        eligible = service.who_can_see(ctx.session, op, [
            u for u in users.values() if u.org_id in {p.id for p in participants}])
        assignees = [SimpleNamespace(id=f"{u.org_id}:{u.id}", label=_label(u))
                     for u in sorted(eligible, key=lambda u: (names.get(u.org_id, ""),
                                                              u.display_name))]
    # The comments section is rendered with the page rather than loaded by htmx: a second
    # audited read racing the page's own on SQLite could be refused as busy.
    on = comments.target_of(ctx.session, ctx.viewer, "operation", str(op.id))
    return comments_pages.section_context(ctx, on) | {
        "op": view(op, "id", "name", "status", "tlp", "pap", "is_demo", "legal_basis",
                   "objectives_html", "status_changed_at", "created_at",
                   "aar_planned_html", "aar_happened_html", "aar_worked_html",
                   "aar_improve_html", "aar_planned_markdown", "aar_happened_markdown",
                   "aar_worked_markdown", "aar_improve_markdown", "aar_written_at",
                   "lesson_id", lead_org=names.get(op.owner_org_id, ""),
                   lead_user=_label(users.get(op.lead_user_id)) if op.lead_user_id else ""),
        "labels": status_labels(), "task_labels": task_labels(), "statuses": WORKFLOW,
        "next": nxt, "next_label": move_labels().get(nxt, "") if nxt else "",
        "review_complete": service.review_complete(op),
        "participants": [SimpleNamespace(name=p.name, is_lead=p.id == op.owner_org_id,
                                         is_demo=p.is_demo) for p in participants],
        "members": [_label(users.get(u)) for u in service.members_of(ctx.session, op)],
        "targets": [SimpleNamespace(
            id=r.target.id, note=r.target.note, object_id=r.target.object_id,
            name=(r.object.name or r.object.stix_id) if r.object else None,
            type=r.object.type if r.object else None,
            may_remove=open_ and (lead or (work and r.target.added_by_id == ctx.viewer.user_id)))
            for r in targets],
        "tasks": [task_view(ctx, t, op, names, users) for t in service.tasks_of(ctx.session, op)],
        "timeline": [SimpleNamespace(
            at=e.at, kind=e.kind, text=e.text,
            author=users[e.author_id].display_name if e.author_id in users else "",
            object=(seen[e.object_id].name or seen[e.object_id].stix_id)
            if e.object_id in seen else None) for e in reversed(entries)],
        "assignees": assignees,
        "org_choices": [SimpleNamespace(id=str(p.id), label=p.name) for p in participants],
        "all_orgs": [SimpleNamespace(id=str(o.id), label=o.name) for o in orgs.values()],
        "can_lead": lead, "can_work": work and open_,
        "can_note": work and op.status is not OperationStatus.REVIEWED,
        "can_review": lead and op.status is OperationStatus.CONCLUDED,
        "can_publish": lead and op.status in service.CLOSED and op.lesson_id is None
        and service.review_complete(op),
        "publish_tlps": [t.value for t in TLP],
        # RED lessons go to named people: those of the participating organisations.
        "publish_people": [SimpleNamespace(id=str(u.id), label=_label(u)) for u in sorted(
            (u for u in users.values()
             if u.is_active and u.org_id in {p.id for p in participants}),
            key=lambda u: (names.get(u.org_id, ""), u.display_name))]
        if lead and op.lesson_id is None else [],
        "rule": access.describe_rule(op.tlp),
        "error_section": error_section, "values": values or {},
    }


@router.get("/operations/{operation_id}")
def show_operation(ctx: MemberCtx, operation_id: str) -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    return page(ctx, "operations/show.html", _show_context(ctx, op))


def _on_error(ctx: Ctx, op: Operation, section: str, **values: str) -> None:
    on_error(ctx, "operations/show.html",
             _show_context(ctx, op, error_section=section, values=values))


@router.post("/operations/{operation_id}/status")
def change_status(ctx: MemberCtx, operation_id: str,
                  status: Annotated[str, Form(max_length=20)] = "") -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "status")
    service.change_status(ctx.session, ctx.viewer, op.id, status)
    return redirect(f"/operations/{op.id}", "saved")


@router.post("/operations/{operation_id}/targets")
def add_target(ctx: MemberCtx, operation_id: str,
               object_id: Annotated[str, Form(max_length=300)] = "",
               note: Annotated[str, Form(max_length=600)] = "") -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "targets", object_id=object_id, note=note)
    service.add_target(ctx.session, ctx.viewer, op.id, object_id=object_id, note=note)
    return redirect(f"/operations/{op.id}#targets", "saved")


@router.post("/operations/{operation_id}/targets/{target_id}/remove")
def remove_target(ctx: MemberCtx, operation_id: str, target_id: str) -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "targets")
    service.remove_target(ctx.session, ctx.viewer, op.id, target_id)
    return redirect(f"/operations/{op.id}#targets", "saved")


@router.post("/operations/{operation_id}/tasks")
def add_task(ctx: MemberCtx, operation_id: str,
             title: Annotated[str, Form(max_length=400)] = "",
             assignee: Annotated[str, Form(max_length=100)] = "",
             due: Annotated[str, Form(max_length=20)] = "") -> Response:
    """``assignee`` is "<org id>" or "<org id>:<user id>"."""
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "tasks", title=title, assignee=assignee, due=due)
    org_id, _sep, user_id = assignee.partition(":")
    service.add_task(ctx.session, ctx.viewer, op.id, title=title, assignee_org_id=org_id,
                     assignee_user_id=user_id or None, due=_due(due))
    return redirect(f"/operations/{op.id}#tasks", "saved")


@router.post("/operations/{operation_id}/tasks/{task_id}/status")
def task_status(ctx: MemberCtx, operation_id: str, task_id: str,
                status: Annotated[str, Form(max_length=20)] = "") -> Response:
    """htmx swaps the task's row; without JavaScript, back to the page."""
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "tasks")
    task, op = service.get_task(ctx.session, ctx.viewer, task_id)
    if task.operation_id != uuid.UUID(str(operation_id)):
        raise InvalidInput(_("This task belongs to another operation."),
                           details={"field": "task_id"})
    task, op = service.update_task(ctx.session, ctx.viewer, task.id, status=status)
    if is_htmx(ctx):
        orgs = {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}
        users = {u.id: u for u in community.list_users(ctx.session, ctx.viewer)}
        return page(ctx, "operations/_task.html", {
            "t": task_view(ctx, task, op, orgs, users), "task_labels": task_labels()})
    return redirect(f"/operations/{op.id}#task-{task.id}", "saved")


@router.post("/operations/{operation_id}/timeline")
def add_note(ctx: MemberCtx, operation_id: str,
             text: Annotated[str, Form(max_length=service.MAX_NOTE + 1)] = "") -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "timeline", text=text)
    service.add_note(ctx.session, ctx.viewer, op.id, text=text)
    return redirect(f"/operations/{op.id}#timeline", "saved")


@router.post("/operations/{operation_id}/review")
def write_review(ctx: MemberCtx, operation_id: str, planned: Markdown = "",
                 happened: Markdown = "", worked: Markdown = "",
                 improve: Markdown = "") -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "review", planned=planned, happened=happened, worked=worked,
              improve=improve)
    service.write_review(ctx.session, ctx.viewer, op.id, planned=planned, happened=happened,
                         worked=worked, improve=improve)
    return redirect(f"/operations/{op.id}#review", "saved")


@router.post("/operations/{operation_id}/review/publish")
def publish_review(ctx: MemberCtx, operation_id: str,
                   tlp: Annotated[str, Form(max_length=16)] = "",
                   org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                   user_ids: IdList = [],  # noqa: B006
                   tags: Annotated[str, Form(max_length=1000)] = "") -> Response:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    _on_error(ctx, op, "publish", tlp=tlp, tags=tags)
    lesson = service.publish_review(
        ctx.session, ctx.viewer, op.id, tlp=tlp,
        audience=Audience(org_ids=_uuids(org_ids, "audience"),
                          user_ids=_uuids(user_ids, "audience")),
        tags=[t for t in tags.replace(";", ",").split(",") if t.strip()])
    return redirect(f"/lessons/{lesson.id}", "created")
