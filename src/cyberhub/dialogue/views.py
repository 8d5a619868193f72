"""Dialogues as a viewer may see them: the one serialisation used by the API, the pages
and the transcripts, so that the Chatham House Rule holds in every output."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.db import utcnow
from cyberhub.dialogue import attribution, service
from cyberhub.dialogue.labels import status_label
from cyberhub.dialogue.models import Attachment, Contribution, Dialogue
from cyberhub.dialogue.schemas import (
    AttachmentOut,
    AuthorOut,
    ContributionOut,
    DialogueOut,
    MatchOut,
    QuoteOut,
    TranscriptOut,
)
from cyberhub.schemas import AudienceModel


def author_out(a: attribution.Attribution) -> AuthorOut:
    return AuthorOut(label=a.label, is_you=a.is_you, org_kind=a.org_kind, user_id=a.user_id,
                     organisation=a.organisation)


def dialogue_out(session: Session, viewer: Viewer, d: Dialogue, *,
                 count: int | None = None, matches: Sequence[Contribution] = ()
                 ) -> DialogueOut:
    who = attribution.Attributor(session, d, viewer)
    can_edit = access.can_edit(d, viewer)
    audience = None
    # Under the rule the invitation list would tell kinds back into names: the
    # convening organisation, who wrote it, alone sees it.
    if can_edit or not d.chatham_house:
        aud = service.audience_of(session, d.id)
        audience = AudienceModel(org_ids=aud.org_ids, group_ids=aud.group_ids,
                                 user_ids=aud.user_ids)
    if count is None:
        count = service.count_contributions(session, [d.id])[d.id]
    return DialogueOut(
        id=d.id, topic=d.topic, description_markdown=who.text(d.description_markdown),
        description_html=d.description_html, rule=d.rule, status=d.status,
        convenor=author_out(who.convenor()), starts_at=d.starts_at, ends_at=d.ends_at,
        opened_at=d.opened_at, closed_at=d.closed_at,
        outcomes_markdown=who.text(d.outcomes_markdown), outcomes_html=d.outcomes_html,
        tlp=d.tlp, pap=d.pap, owner_org_id=None if d.chatham_house else d.owner_org_id,
        audience=audience, contribution_count=count, can_edit=can_edit,
        can_contribute=service.can_post(session, viewer, d), created_at=d.created_at,
        updated_at=d.updated_at, is_demo=d.is_demo,
        matches=[MatchOut(contribution_id=c.id,
                          author=author_out(who.author(c.author_id, c.author_org_kind)),
                          excerpt=attribution.excerpt(d, c.body_markdown, 200))
                 for c in matches])


def dialogue_list(session: Session, viewer: Viewer, dialogues: Sequence[Dialogue],
                  q: str | None = None) -> list[DialogueOut]:
    counts = service.count_contributions(session, [d.id for d in dialogues])
    matches = service.matching_contributions(session, list(dialogues), q)
    return [dialogue_out(session, viewer, d, count=counts[d.id], matches=matches[d.id])
            for d in dialogues]


def attachment_out(who: attribution.Attributor, a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.id, filename=a.filename, media_type=a.media_type, size=a.size, sha256=a.sha256,
        contribution_id=a.contribution_id,
        uploaded_by=author_out(who.author(a.uploader_id, a.uploader_org_kind)),
        created_at=a.created_at,
        url=f"/api/v1/dialogues/{a.dialogue_id}/attachments/{a.id}")


def contributions_out(session: Session, viewer: Viewer, d: Dialogue,
                      rows: Sequence[Contribution],
                      attachments: Sequence[Attachment] | None = None
                      ) -> list[ContributionOut]:
    who = attribution.Attributor(session, d, viewer)
    ids = [c.id for c in rows]
    reactions = service.reactions_of(session, ids, viewer)
    known = {c.id: c for c in rows}
    missing = {c.quote_id for c in rows if c.quote_id and c.quote_id not in known}
    known.update(service.contributions_by_id(session, missing))
    files: dict[uuid.UUID, list[AttachmentOut]] = {}
    for a in attachments if attachments is not None else service.list_attachments(session, d):
        if a.contribution_id is not None:
            files.setdefault(a.contribution_id, []).append(attachment_out(who, a))
    out = []
    for c in rows:
        quote = None
        q = known.get(c.quote_id) if c.quote_id else None
        if q is not None:
            quote = QuoteOut(id=q.id, author=author_out(who.author(q.author_id,
                                                                   q.author_org_kind)),
                             excerpt=attribution.excerpt(d, q.body_markdown))
        out.append(ContributionOut(
            id=c.id, dialogue_id=c.dialogue_id, parent_id=c.parent_id, quote=quote,
            author=author_out(who.author(c.author_id, c.author_org_kind)),
            body_markdown=who.text(c.body_markdown), body_html=c.body_html,
            created_at=c.created_at, reactions=reactions[c.id].counts,
            my_reactions=reactions[c.id].mine, attachments=files.get(c.id, []),
            is_demo=c.is_demo))
    return out


def transcript(session: Session, viewer: Viewer, d: Dialogue) -> TranscriptOut:
    rows = service.thread(session, d)
    atts = service.list_attachments(session, d)
    who = attribution.Attributor(session, d, viewer)
    return TranscriptOut(dialogue=dialogue_out(session, viewer, d, count=len(rows)),
                         contributions=contributions_out(session, viewer, d, rows, atts),
                         attachments=[attachment_out(who, a) for a in atts],
                         exported_at=utcnow())


def transcript_markdown(t: TranscriptOut) -> str:
    """The transcript as Markdown, built from the same attributed view as the JSON."""
    from cyberhub.i18n import _

    d = t.dialogue
    lines = [f"# {d.topic}", ""]
    rule = (_("Chatham House Rule: contributions are attributed to the kind of organisation "
              "only.") if d.rule.value == "chatham_house" else _("Open dialogue."))
    lines += [f"- {_('Marking')}: TLP:{d.tlp.value}", f"- {_('Rule of the room')}: {rule}",
              f"- {_('Status')}: {status_label(d.status)}",
              f"- {_('Convened by')}: {d.convenor.label}"]
    if d.starts_at:
        lines.append(f"- {_('Starts')}: {d.starts_at.isoformat()}")
    if d.ends_at:
        lines.append(f"- {_('Ends')}: {d.ends_at.isoformat()}")
    lines.append(f"- {_('Exported')}: {t.exported_at.isoformat()}")
    if d.description_markdown.strip():
        lines += ["", f"## {_('Agenda')}", "", d.description_markdown.strip()]
    lines += ["", f"## {_('Contributions')}", ""]
    number = {c.id: i for i, c in enumerate(t.contributions, 1)}
    for c in t.contributions:
        head = f"### {number[c.id]}. {c.author.label} — {c.created_at.isoformat()}"
        lines.append(head)
        if c.parent_id and c.parent_id in number:
            lines.append(f"*{_('In reply to')} {number[c.parent_id]}*")
        if c.quote is not None:
            lines.append(f"> {c.quote.author.label}: {c.quote.excerpt}")
        lines += ["", c.body_markdown.strip(), ""]
        for a in c.attachments:
            lines.append(f"- {_('Attachment')}: {a.filename} ({a.media_type}, {a.size} B, "
                         f"sha256 {a.sha256})")
    if d.outcomes_markdown.strip():
        lines += ["", f"## {_('Outcomes')}", "", d.outcomes_markdown.strip()]
    return "\n".join(lines).rstrip() + "\n"
