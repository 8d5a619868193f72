"""REST: joint operations — participants, the workflow, targets, tasks, the timeline and
the after-action review."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from cyberhub.access import Viewer
from cyberhub.audience import Audience
from cyberhub.deps import ApiCtx
from cyberhub.errors import NotFound
from cyberhub.operations import service
from cyberhub.operations.models import Operation, OperationTask, TimelineEntry
from cyberhub.operations.schemas import (
    NoteIn,
    OperationIn,
    OperationOut,
    OperationPatch,
    ParticipantOut,
    PublishedOut,
    PublishIn,
    ReviewIn,
    ReviewOut,
    StatusIn,
    TargetIn,
    TargetOut,
    TaskIn,
    TaskOut,
    TaskPatch,
    TimelineOut,
)
from cyberhub.schemas import Paged

router = APIRouter(tags=["operations"])


def task_out(task: OperationTask) -> TaskOut:
    return TaskOut(id=task.id, operation_id=task.operation_id, title=task.title,
                   assignee_org_id=task.assignee_org_id, assignee_user_id=task.assignee_user_id,
                   due_at=task.due_at, status=task.status.value,
                   completed_at=task.completed_at, created_by_id=task.created_by_id,
                   created_at=task.created_at)


def target_out(row: service.TargetRow) -> TargetOut:
    t, obj = row.target, row.object
    return TargetOut(id=t.id, object_id=t.object_id, stix_id=obj.stix_id if obj else None,
                     type=obj.type if obj else None, name=obj.name if obj else None,
                     note=t.note, added_by_id=t.added_by_id, created_at=t.created_at)


def _timeline(session: Session, viewer: Viewer, operation: Operation) -> list[TimelineOut]:
    entries = service.timeline_of(session, operation)
    seen = service.visible_objects(session, viewer, [e.object_id for e in entries])
    return [_entry_out(e, seen) for e in entries]


def _entry_out(e: TimelineEntry, seen: Mapping[uuid.UUID, object] | None = None) -> TimelineOut:
    return TimelineOut(id=e.id, at=e.at, kind=e.kind, text=e.text,
                       object_id=e.object_id if seen and e.object_id in seen else None,
                       author_id=e.author_id)


def review_out(op: Operation) -> ReviewOut:
    return ReviewOut(
        planned_markdown=op.aar_planned_markdown, planned_html=op.aar_planned_html,
        happened_markdown=op.aar_happened_markdown, happened_html=op.aar_happened_html,
        worked_markdown=op.aar_worked_markdown, worked_html=op.aar_worked_html,
        improve_markdown=op.aar_improve_markdown, improve_html=op.aar_improve_html,
        complete=service.review_complete(op), written_at=op.aar_written_at,
        written_by_id=op.aar_written_by_id, lesson_id=op.lesson_id)


def _out(session: Session, viewer: Viewer, op: Operation, *, full: bool = False) -> OperationOut:
    nxt = service.next_status(op)
    return OperationOut(
        id=op.id, name=op.name, status=op.status.value, next_status=nxt.value if nxt else None,
        status_changed_at=op.status_changed_at, legal_basis=op.legal_basis,
        objectives_markdown=op.objectives_markdown, objectives_html=op.objectives_html,
        lead_org_id=op.owner_org_id, lead_user_id=op.lead_user_id,
        participants=[ParticipantOut(org_id=o.id, name=o.name, is_lead=o.id == op.owner_org_id)
                      for o in service.participants_of(session, op)],
        member_ids=service.members_of(session, op), tlp=op.tlp, pap=op.pap,
        created_by_id=op.created_by_id, created_at=op.created_at, updated_at=op.updated_at,
        is_demo=op.is_demo,
        targets=[target_out(r) for r in service.targets_of(session, viewer, op)]
        if full else None,
        tasks=[task_out(t) for t in service.tasks_of(session, op)] if full else None,
        timeline=_timeline(session, viewer, op) if full else None,
        review=review_out(op) if full else None)


@router.get("/operations", response_model=Paged[OperationOut])
def list_operations(
    ctx: ApiCtx,
    status: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Paged[OperationOut]:
    page = service.list_operations(ctx.session, ctx.viewer, status=status, q=q, cursor=cursor,
                                   limit=limit)
    return Paged(items=[_out(ctx.session, ctx.viewer, o) for o in page.items],
                 next_cursor=page.next_cursor)


@router.post("/operations", response_model=OperationOut, status_code=201)
def create_operation(body: OperationIn, ctx: ApiCtx) -> OperationOut:
    op = service.create_operation(
        ctx.session, ctx.viewer, name=body.name, legal_basis=body.legal_basis,
        objectives=body.objectives, participant_org_ids=body.participant_org_ids, tlp=body.tlp,
        pap=body.pap, member_ids=body.member_ids, lead_user_id=body.lead_user_id)
    return _out(ctx.session, ctx.viewer, op, full=True)


@router.get("/operations/{operation_id}", response_model=OperationOut)
def get_operation(operation_id: str, ctx: ApiCtx) -> OperationOut:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    return _out(ctx.session, ctx.viewer, op, full=True)


@router.patch("/operations/{operation_id}", response_model=OperationOut)
def update_operation(operation_id: str, body: OperationPatch, ctx: ApiCtx) -> OperationOut:
    # An explicit "pap": null clears the marking; leaving the field out keeps it.
    pap = (body.pap or "") if "pap" in body.model_fields_set else None
    op = service.update_operation(
        ctx.session, ctx.viewer, operation_id, name=body.name, legal_basis=body.legal_basis,
        objectives=body.objectives, participant_org_ids=body.participant_org_ids,
        member_ids=body.member_ids, lead_user_id=body.lead_user_id, pap=pap, tlp=body.tlp)
    return _out(ctx.session, ctx.viewer, op, full=True)


@router.delete("/operations/{operation_id}", status_code=204)
def delete_operation(operation_id: str, ctx: ApiCtx) -> Response:
    service.delete_operation(ctx.session, ctx.viewer, operation_id)
    return Response(status_code=204)


@router.post("/operations/{operation_id}/status", response_model=OperationOut)
def change_status(operation_id: str, body: StatusIn, ctx: ApiCtx) -> OperationOut:
    op = service.change_status(ctx.session, ctx.viewer, operation_id, body.status)
    return _out(ctx.session, ctx.viewer, op, full=True)


@router.get("/operations/{operation_id}/targets", response_model=list[TargetOut])
def list_targets(operation_id: str, ctx: ApiCtx) -> list[TargetOut]:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    return [target_out(r) for r in service.targets_of(ctx.session, ctx.viewer, op)]


@router.post("/operations/{operation_id}/targets", response_model=TargetOut, status_code=201)
def add_target(operation_id: str, body: TargetIn, ctx: ApiCtx) -> TargetOut:
    target = service.add_target(ctx.session, ctx.viewer, operation_id, object_id=body.object_id,
                                note=body.note)
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    row = next(r for r in service.targets_of(ctx.session, ctx.viewer, op)
               if r.target.id == target.id)
    return target_out(row)


@router.delete("/operations/{operation_id}/targets/{target_id}", status_code=204)
def remove_target(operation_id: str, target_id: str, ctx: ApiCtx) -> Response:
    service.remove_target(ctx.session, ctx.viewer, operation_id, target_id)
    return Response(status_code=204)


@router.get("/operations/{operation_id}/tasks", response_model=list[TaskOut])
def list_tasks(operation_id: str, ctx: ApiCtx) -> list[TaskOut]:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    return [task_out(t) for t in service.tasks_of(ctx.session, op)]


@router.post("/operations/{operation_id}/tasks", response_model=TaskOut, status_code=201)
def add_task(operation_id: str, body: TaskIn, ctx: ApiCtx) -> TaskOut:
    return task_out(service.add_task(
        ctx.session, ctx.viewer, operation_id, title=body.title,
        assignee_org_id=body.assignee_org_id, assignee_user_id=body.assignee_user_id,
        due=body.due))


def _task_of(task: OperationTask, operation_id: str) -> OperationTask:
    if str(task.operation_id) != operation_id.strip().lower():
        raise NotFound()
    return task


@router.get("/operations/{operation_id}/tasks/{task_id}", response_model=TaskOut)
def get_task(operation_id: str, task_id: str, ctx: ApiCtx) -> TaskOut:
    task, _op = service.get_task(ctx.session, ctx.viewer, task_id)
    return task_out(_task_of(task, operation_id))


@router.patch("/operations/{operation_id}/tasks/{task_id}", response_model=TaskOut)
def update_task(operation_id: str, task_id: str, body: TaskPatch, ctx: ApiCtx) -> TaskOut:
    task, _op = service.get_task(ctx.session, ctx.viewer, task_id)
    _task_of(task, operation_id)
    fields = body.model_fields_set
    task, _op = service.update_task(
        ctx.session, ctx.viewer, task_id, title=body.title, status=body.status,
        assignee_org_id=body.assignee_org_id, assignee_user_id=body.assignee_user_id,
        reassign=bool({"assignee_org_id", "assignee_user_id"} & fields), due=body.due,
        clear_due="due" in fields and body.due is None)
    return task_out(task)


@router.get("/operations/{operation_id}/timeline", response_model=list[TimelineOut])
def timeline(operation_id: str, ctx: ApiCtx) -> list[TimelineOut]:
    op = service.get_operation(ctx.session, ctx.viewer, operation_id)
    return _timeline(ctx.session, ctx.viewer, op)


@router.post("/operations/{operation_id}/timeline", response_model=TimelineOut,
             status_code=201)
def add_note(operation_id: str, body: NoteIn, ctx: ApiCtx) -> TimelineOut:
    return _entry_out(service.add_note(ctx.session, ctx.viewer, operation_id, text=body.text,
                                       at=body.at))


@router.get("/operations/{operation_id}/review", response_model=ReviewOut)
def get_review(operation_id: str, ctx: ApiCtx) -> ReviewOut:
    return review_out(service.get_operation(ctx.session, ctx.viewer, operation_id))


@router.put("/operations/{operation_id}/review", response_model=ReviewOut)
def write_review(operation_id: str, body: ReviewIn, ctx: ApiCtx) -> ReviewOut:
    return review_out(service.write_review(
        ctx.session, ctx.viewer, operation_id, planned=body.planned, happened=body.happened,
        worked=body.worked, improve=body.improve))


@router.post("/operations/{operation_id}/review/publish", response_model=PublishedOut,
             status_code=201)
def publish_review(operation_id: str, body: PublishIn, ctx: ApiCtx) -> PublishedOut:
    lesson = service.publish_review(
        ctx.session, ctx.viewer, operation_id, tlp=body.tlp, pap=body.pap, tags=body.tags,
        title=body.title, audience=Audience(body.audience.org_ids, body.audience.group_ids,
                                            body.audience.user_ids))
    return PublishedOut(lesson_id=lesson.id, tlp=lesson.tlp, url=f"/lessons/{lesson.id}")
