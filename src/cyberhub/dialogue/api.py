"""REST: dialogues, contributions, reactions, attachments and transcripts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response

from cyberhub.deps import ApiCtx
from cyberhub.dialogue import files, service, views
from cyberhub.dialogue.schemas import (
    AttachmentOut,
    CloseIn,
    ContributionCreated,
    ContributionIn,
    ContributionOut,
    DialogueIn,
    DialogueOut,
    DialoguePatch,
    ReactionIn,
    ReactionsOut,
    TranscriptOut,
)
from cyberhub.schemas import AudienceModel, Paged

router = APIRouter(tags=["dialogues"])


def _audience(model: AudienceModel) -> service.Audience:
    return service.Audience(model.org_ids, model.group_ids, model.user_ids)


@router.get("/dialogues", response_model=Paged[DialogueOut])
def list_dialogues(ctx: ApiCtx, cursor: Annotated[str | None, Query(max_length=500)] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   status: Annotated[list[str] | None, Query(max_length=3)] = None,
                   q: Annotated[str | None, Query(
                       max_length=200, description="Search topics and contribution texts.")]
                   = None) -> Paged[DialogueOut]:
    statuses = [service.clean_status(s) for s in status or []]
    page = service.list_dialogues(ctx.session, ctx.viewer, cursor=cursor, limit=limit,
                                  status=statuses, q=q)
    return Paged(items=views.dialogue_list(ctx.session, ctx.viewer, page.items, q),
                 next_cursor=page.next_cursor)


@router.post("/dialogues", response_model=DialogueOut, status_code=201)
def create_dialogue(body: DialogueIn, ctx: ApiCtx) -> DialogueOut:
    d = service.create_dialogue(
        ctx.session, ctx.viewer, topic=body.topic, description=body.description,
        starts_at=body.starts_at, ends_at=body.ends_at, rule=body.rule, tlp=body.tlp,
        pap=body.pap, audience=_audience(body.audience))
    return views.dialogue_out(ctx.session, ctx.viewer, d)


@router.get("/dialogues/{dialogue_id}", response_model=DialogueOut)
def get_dialogue(dialogue_id: str, ctx: ApiCtx) -> DialogueOut:
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id)
    return views.dialogue_out(ctx.session, ctx.viewer, d)


@router.patch("/dialogues/{dialogue_id}", response_model=DialogueOut)
def update_dialogue(dialogue_id: str, body: DialoguePatch, ctx: ApiCtx) -> DialogueOut:
    given = body.model_fields_set
    pap = (body.pap or "") if "pap" in given else None
    d = service.update_dialogue(
        ctx.session, ctx.viewer, dialogue_id, topic=body.topic, description=body.description,
        starts_at=body.starts_at, ends_at=body.ends_at,
        schedule_given=bool({"starts_at", "ends_at"} & given), rule=body.rule, tlp=body.tlp,
        pap=pap, audience=_audience(body.audience) if body.audience is not None else None,
        outcomes=body.outcomes)
    return views.dialogue_out(ctx.session, ctx.viewer, d)


@router.post("/dialogues/{dialogue_id}/open", response_model=DialogueOut)
def open_dialogue(dialogue_id: str, ctx: ApiCtx) -> DialogueOut:
    d = service.open_dialogue(ctx.session, ctx.viewer, dialogue_id)
    return views.dialogue_out(ctx.session, ctx.viewer, d)


@router.post("/dialogues/{dialogue_id}/close", response_model=DialogueOut)
def close_dialogue(dialogue_id: str, body: CloseIn, ctx: ApiCtx) -> DialogueOut:
    d = service.close_dialogue(ctx.session, ctx.viewer, dialogue_id, body.outcomes)
    return views.dialogue_out(ctx.session, ctx.viewer, d)


@router.get("/dialogues/{dialogue_id}/contributions", response_model=Paged[ContributionOut])
def list_contributions(dialogue_id: str, ctx: ApiCtx,
                       cursor: Annotated[str | None, Query(max_length=500)] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50
                       ) -> Paged[ContributionOut]:
    d, page = service.list_contributions(ctx.session, ctx.viewer, dialogue_id, cursor=cursor,
                                         limit=limit)
    return Paged(items=views.contributions_out(ctx.session, ctx.viewer, d, page.items),
                 next_cursor=page.next_cursor)


def _created(ctx: ApiCtx, posted: service.Posted) -> ContributionCreated:
    c = posted.contribution
    d = service.get_dialogue(ctx.session, ctx.viewer, c.dialogue_id)
    out = views.contributions_out(ctx.session, ctx.viewer, d, [c])[0]
    return ContributionCreated(**out.model_dump(), not_notified=posted.not_notified)


@router.post("/dialogues/{dialogue_id}/contributions", response_model=ContributionCreated,
             status_code=201)
def contribute(dialogue_id: str, body: ContributionIn, ctx: ApiCtx) -> ContributionCreated:
    """Post a contribution (Markdown, at most 20,000 characters). ``not_notified`` lists
    the mentioned handles that were not told."""
    posted = service.post_contribution(ctx.session, ctx.viewer, dialogue_id, body=body.body,
                                       quote_id=body.quote_id)
    return _created(ctx, posted)


@router.post("/dialogues/{dialogue_id}/contributions/{contribution_id}/replies",
             response_model=ContributionCreated, status_code=201)
def reply(dialogue_id: str, contribution_id: str, body: ContributionIn,
          ctx: ApiCtx) -> ContributionCreated:
    service.get_contribution(ctx.session, ctx.viewer, dialogue_id, contribution_id)
    posted = service.post_contribution(ctx.session, ctx.viewer, dialogue_id, body=body.body,
                                       parent_id=contribution_id, quote_id=body.quote_id)
    return _created(ctx, posted)


@router.post("/dialogues/{dialogue_id}/contributions/{contribution_id}/reactions",
             response_model=ReactionsOut)
def react(dialogue_id: str, contribution_id: str, body: ReactionIn,
          ctx: ApiCtx) -> ReactionsOut:
    """Toggle one of your reactions (``+1``, ``insightful``, ``agree``, ``concern``,
    ``thanks``)."""
    r = service.react(ctx.session, ctx.viewer, dialogue_id, contribution_id, body.kind)
    return ReactionsOut(reactions=r.counts, my_reactions=r.mine)


@router.get("/dialogues/{dialogue_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(dialogue_id: str, ctx: ApiCtx) -> list[AttachmentOut]:
    from cyberhub.dialogue import attribution

    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id)
    who = attribution.Attributor(ctx.session, d, ctx.viewer)
    return [views.attachment_out(who, a) for a in service.list_attachments(ctx.session, d)]


@router.post("/dialogues/{dialogue_id}/attachments", response_model=AttachmentOut,
             status_code=201)
async def upload_attachment(dialogue_id: str, ctx: ApiCtx, file: Annotated[UploadFile, File()],
                            contribution_id: Annotated[str, Form(max_length=40)] = ""
                            ) -> AttachmentOut:
    """Attach a file (multipart ``file``): PDF, PNG, JPEG, plain text or CSV, at most
    10 MB, its content matching its name. Executables, scripts and archives are refused,
    and so is a file the hub's virus scanner recognises (422 ``malware_found``)."""
    from cyberhub.dialogue import attribution

    data = await file.read(files.MAX_BYTES + 1)
    att = service.add_attachment(ctx.session, ctx.viewer, dialogue_id, data=data,
                                 filename=file.filename or "", declared_type=file.content_type,
                                 contribution_id=contribution_id or None)
    d = service.get_dialogue(ctx.session, ctx.viewer, att.dialogue_id)
    return views.attachment_out(attribution.Attributor(ctx.session, d, ctx.viewer), att)


def file_response(att_filename: str, media_type: str, path: str) -> Response:
    """An attachment as a download: never rendered inline, never sniffed."""
    from urllib.parse import quote

    ascii_name = att_filename.encode("ascii", "replace").decode().replace("?", "_")
    return FileResponse(path, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(att_filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.get("/dialogues/{dialogue_id}/attachments/{attachment_id}",
            response_class=FileResponse)
def download_attachment(dialogue_id: str, attachment_id: str, ctx: ApiCtx) -> Response:
    att, path = service.get_attachment(ctx.session, ctx.viewer, dialogue_id, attachment_id)
    return file_response(att.filename, att.media_type, str(path))


def transcript_response(t: TranscriptOut, fmt: str) -> Response:
    name = f"dialogue-{t.dialogue.id}"
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if fmt == "md":
        headers["Content-Disposition"] = f'attachment; filename="{name}.md"'
        return Response(views.transcript_markdown(t), media_type="text/markdown; charset=utf-8",
                        headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return Response(t.model_dump_json(indent=2), media_type="application/json",
                    headers=headers)


@router.get("/dialogues/{dialogue_id}/transcript")
def transcript(dialogue_id: str, ctx: ApiCtx,
               format: Annotated[Literal["md", "json"], Query()] = "json") -> Response:
    """The whole dialogue as a download, attributed exactly as the pages show it."""
    d = service.get_dialogue(ctx.session, ctx.viewer, dialogue_id, purpose="export")
    return transcript_response(views.transcript(ctx.session, ctx.viewer, d), format)
