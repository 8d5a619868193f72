"""Dialogues: convene, open, close; contribute, react, attach — through the sharing rules.

A dialogue is visible to whom ``access`` says; its contributions, reactions and
attachments are reached only through the dialogue. Only the convening organisation
(``access.can_edit``) changes it; only participants (members who see it, not as
moderators) contribute, and only while it is open.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, events, malware, mentions, quotas
from cyberhub.access import Viewer
from cyberhub.audience import (
    Audience,
    audience_of,
    check_audience,
    clean_pap,
    clean_tlp,
    write_audience,
)
from cyberhub.community.models import Role, User
from cyberhub.community.validation import clean_text
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.dialogue import attribution, files, watches  # noqa: F401 - registers the watch kind
from cyberhub.dialogue.labels import status_label
from cyberhub.dialogue.models import Attachment, Contribution, Dialogue, Reaction, Rule, Status
from cyberhub.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from cyberhub.i18n import _
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = ["MAX_BODY", "REACTIONS", "Audience", "add_attachment", "audience_of",
           "close_dialogue", "create_dialogue", "get_attachment", "get_dialogue",
           "list_attachments", "list_contributions", "list_dialogues", "open_dialogue",
           "post_contribution", "react", "reactions_of", "thread", "update_dialogue"]

MAX_BODY = 20_000
MAX_DESCRIPTION = 50_000
MAX_THREAD = 5_000
# The fixed set of reactions: kind → emoji.
REACTIONS: dict[str, str] = {"+1": "👍", "insightful": "💡", "agree": "✅",
                             "concern": "⚠️", "thanks": "🙏"}


# ---------------------------------------------------------------- checks


def clean_rule(value: str | Rule) -> Rule:
    try:
        return Rule(str(value).lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        raise InvalidInput(_("Unknown rule of the room %(value)r; use open or chatham_house.")
                           % {"value": value}, details={"field": "rule"}) from None


def clean_status(value: str | Status) -> Status:
    try:
        return Status(str(value).lower())
    except ValueError:
        raise InvalidInput(_("Unknown status %(value)r; use planned, open or closed.")
                           % {"value": value}, details={"field": "status"}) from None


def _markdown(text: str | None, field_name: str, limit: int) -> str:
    text = (text or "").replace("\r\n", "\n")
    if len(text) > limit:
        raise PayloadTooLarge(_("The %(field)s is %(have)d characters long; at most %(n)d are "
                                "accepted. Shorten it or split it into several posts.")
                              % {"field": field_name, "have": len(text), "n": limit},
                              details={"field": field_name, "max_length": limit})
    return text


def _schedule(starts_at: datetime | None, ends_at: datetime | None) -> None:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(_("%(field)s needs a time zone (UTC, e.g. 2026-12-05T09:00Z).")
                               % {"field": name}, details={"field": name})
    if starts_at and ends_at and ends_at < starts_at:
        raise InvalidInput(_("The dialogue cannot end before it starts."),
                           details={"field": "ends_at"})


def _require_editor(dialogue: Dialogue, viewer: Viewer) -> None:
    if not access.can_edit(dialogue, viewer):
        raise PermissionDenied(_("Only the convenor and the admins of the convening organisation "
                                 "may change this dialogue."))


def is_participant(session: Session, viewer: Viewer, dialogue: Dialogue) -> bool:
    """A member who sees the dialogue as a member (a hub admin moderating it does not)."""
    if not access.can_contribute(viewer):
        return False
    if viewer.is_hub_admin:
        return access.can_see(session, Dialogue, dialogue.id, replace(viewer, role=Role.ANALYST))
    return True


def can_post(session: Session, viewer: Viewer, dialogue: Dialogue) -> bool:
    return dialogue.status is Status.OPEN and is_participant(session, viewer, dialogue)


def _require_post(session: Session, viewer: Viewer, dialogue: Dialogue) -> None:
    if dialogue.status is not Status.OPEN:
        raise Conflict(_("This dialogue's status is “%(status)s”: contributions are taken only "
                         "while it is open.") % {"status": status_label(dialogue.status)},
                       details={"status": dialogue.status.value})
    if not is_participant(session, viewer, dialogue):
        raise PermissionDenied(_("Only participants may contribute to this dialogue."))


# ---------------------------------------------------------------- dialogues


def create_dialogue(session: Session, viewer: Viewer, *, topic: str, description: str = "",
                    starts_at: datetime | None = None, ends_at: datetime | None = None,
                    rule: str | Rule = Rule.OPEN, tlp: str | TLP = TLP.AMBER,
                    pap: str | PAP | None = None, audience: Audience | None = None,
                    is_demo: bool = False) -> Dialogue:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not convene dialogues."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    _schedule(starts_at, ends_at)
    dialogue = Dialogue(
        topic=clean_text(topic, "topic", max_len=200), tlp=tlp_, pap=clean_pap(pap),
        owner_org_id=viewer.org_id, created_by_id=viewer.user_id, convenor_id=viewer.user_id,
        starts_at=starts_at, ends_at=ends_at, rule=clean_rule(rule), status=Status.PLANNED,
        is_demo=is_demo)
    _set_description(dialogue, description)
    session.add(dialogue)
    session.flush()
    write_audience(session, dialogue.id, aud)
    session.flush()
    audit.record(session, viewer.actor, "dialogue.create", target_type="dialogues",
                 target_id=dialogue.id, details={"tlp": tlp_.value, "rule": dialogue.rule.value})
    return dialogue


def _set_description(dialogue: Dialogue, text: str) -> None:
    dialogue.description_markdown = _markdown(text, "description", MAX_DESCRIPTION)
    dialogue.description_html = attribution.render(dialogue, dialogue.description_markdown)


def get_dialogue(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str,
                 *, purpose: str = "read") -> Dialogue:
    return access.load(session, Dialogue, dialogue_id, viewer, purpose=purpose)


def update_dialogue(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str, *,
                    topic: str | None = None, description: str | None = None,
                    starts_at: datetime | None = None, ends_at: datetime | None = None,
                    schedule_given: bool = False, rule: str | Rule | None = None,
                    tlp: str | TLP | None = None, pap: str | PAP | None = None,
                    audience: Audience | None = None, outcomes: str | None = None) -> Dialogue:
    dialogue = get_dialogue(session, viewer, dialogue_id, purpose="edit")
    _require_editor(dialogue, viewer)
    changes_record = schedule_given or any(
        v is not None for v in (topic, description, rule, tlp, audience))
    if dialogue.status is Status.CLOSED and changes_record:
        raise Conflict(_("A closed dialogue keeps its record; only its outcomes may change."))
    if rule is not None and clean_rule(rule) is not dialogue.rule:
        if dialogue.status is not Status.PLANNED:
            # Contributions were made under the announced rule; it cannot change under them.
            raise Conflict(_("The rule of the room can change only before the dialogue opens."),
                           details={"field": "rule"})
        dialogue.rule = clean_rule(rule)
        _set_description(dialogue, dialogue.description_markdown)
    if topic is not None:
        dialogue.topic = clean_text(topic, "topic", max_len=200)
    if description is not None:
        _set_description(dialogue, description)
    if schedule_given:
        _schedule(starts_at, ends_at)
        dialogue.starts_at, dialogue.ends_at = starts_at, ends_at
    if outcomes is not None:
        if dialogue.status is not Status.CLOSED:
            raise Conflict(_("Outcomes are written when the dialogue closes."),
                           details={"field": "outcomes"})
        _set_outcomes(dialogue, outcomes)
    if pap is not None:
        dialogue.pap = clean_pap(pap)
    if tlp is not None or audience is not None:
        new_tlp = clean_tlp(tlp) if tlp is not None else dialogue.tlp
        aud = check_audience(session, new_tlp, audience if audience is not None
                             else audience_of(session, dialogue.id))
        dialogue.tlp = new_tlp
        write_audience(session, dialogue.id, aud)
    dialogue.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "dialogue.update", target_type="dialogues",
                 target_id=dialogue.id, details={"tlp": dialogue.tlp.value})
    return dialogue


def _set_outcomes(dialogue: Dialogue, text: str) -> None:
    dialogue.outcomes_markdown = _markdown(text, "outcomes", MAX_DESCRIPTION)
    dialogue.outcomes_html = attribution.render(dialogue, dialogue.outcomes_markdown)


def _status_event(session: Session, viewer: Viewer, dialogue: Dialogue, kind: str,
                  title: str) -> None:
    events.publish(session, events.Event(
        kind=kind, title=title, url=f"/dialogues/{dialogue.id}", subject_type=Dialogue,
        subject_id=dialogue.id, actor_user_id=viewer.user_id,
        watch_keys=frozenset({f"dialogue:{dialogue.id}"})))


def open_dialogue(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str) -> Dialogue:
    dialogue = get_dialogue(session, viewer, dialogue_id, purpose="edit")
    _require_editor(dialogue, viewer)
    if dialogue.status is not Status.PLANNED:
        raise Conflict(_("Only a planned dialogue can be opened; this one's status is "
                         "“%(status)s”.") % {"status": status_label(dialogue.status)})
    dialogue.status = Status.OPEN
    dialogue.opened_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "dialogue.open", target_type="dialogues",
                 target_id=dialogue.id)
    _status_event(session, viewer, dialogue, "dialogue.opened",
                  _("The dialogue “%(topic)s” is open") % {"topic": dialogue.topic})
    return dialogue


def close_dialogue(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str,
                   outcomes: str = "") -> Dialogue:
    dialogue = get_dialogue(session, viewer, dialogue_id, purpose="edit")
    _require_editor(dialogue, viewer)
    if dialogue.status is not Status.OPEN:
        raise Conflict(_("Only an open dialogue can be closed; this one's status is "
                         "“%(status)s”.") % {"status": status_label(dialogue.status)})
    _set_outcomes(dialogue, outcomes)
    dialogue.status = Status.CLOSED
    dialogue.closed_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "dialogue.close", target_type="dialogues",
                 target_id=dialogue.id)
    _status_event(session, viewer, dialogue, "dialogue.closed",
                  _("The dialogue “%(topic)s” is closed") % {"topic": dialogue.topic})
    return dialogue


def list_dialogues(session: Session, viewer: Viewer, *, cursor: str | None = None,
                   limit: int = 50, status: Iterable[Status] | None = None,
                   q: str | None = None) -> Page[Dialogue]:
    """Visible dialogues, newest first; ``q`` searches topics and contribution texts."""
    query = access.select_visible(Dialogue, viewer)
    statuses = list(status or [])
    if statuses:
        query = query.where(Dialogue.status.in_(statuses))
    needle = _needle(q)
    if needle:
        query = query.where(or_(
            func.lower(Dialogue.topic).like(needle, escape="\\"),
            Dialogue.id.in_(select(Contribution.dialogue_id).where(
                func.lower(Contribution.body_markdown).like(needle, escape="\\")))))
    page = paginate(session, query, Dialogue.created_at, Dialogue.id, cursor=cursor,
                    limit=limit)
    access.audit_listing(session, Dialogue, page.items, viewer)
    return page


def _needle(q: str | None) -> str | None:
    q = (q or "").strip().lower()[:200]
    if not q:
        return None
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching_contributions(session: Session, dialogues: list[Dialogue], q: str | None,
                           per_dialogue: int = 3) -> dict[uuid.UUID, list[Contribution]]:
    """For search results: the first few contributions of each (already visible) dialogue
    whose text matches. Under the Chatham House Rule a mention is masked before matching,
    so an address cannot be found by searching for it."""
    needle = _needle(q)
    result: dict[uuid.UUID, list[Contribution]] = {d.id: [] for d in dialogues}
    if not needle or not dialogues:
        return result
    rule = {d.id: d for d in dialogues}
    rows = session.scalars(select(Contribution).where(
        Contribution.dialogue_id.in_(list(rule)),
        func.lower(Contribution.body_markdown).like(needle, escape="\\"),
    ).order_by(Contribution.created_at, Contribution.id))
    plain = (q or "").strip().lower()[:200]
    for c in rows:
        found = result[c.dialogue_id]
        shown = attribution.mask_mentions(rule[c.dialogue_id], c.body_markdown).lower()
        if len(found) < per_dialogue and plain in shown:
            found.append(c)
    return result


def topic_matches(dialogue: Dialogue, q: str | None) -> bool:
    plain = (q or "").strip().lower()
    return bool(plain) and plain in dialogue.topic.lower()


# ---------------------------------------------------------------- contributions


@dataclass
class Posted:
    contribution: Contribution
    # Handles mentioned but not told: unknown, inactive, or unable to see the dialogue —
    # deliberately not told apart.
    not_notified: list[str] = field(default_factory=list)


def _contribution_in(session: Session, dialogue: Dialogue,
                     contribution_id: uuid.UUID | str | None, field_name: str
                     ) -> Contribution | None:
    if contribution_id is None or contribution_id == "":
        return None
    try:
        cid = uuid.UUID(str(contribution_id))
    except ValueError:
        cid = None
    found = session.get(Contribution, cid) if cid else None
    if found is None or found.dialogue_id != dialogue.id:
        raise InvalidInput(_("No contribution %(id)s in this dialogue.") % {"id": contribution_id},
                           details={"field": field_name})
    return found


def post_contribution(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str, *,
                      body: str, parent_id: uuid.UUID | str | None = None,
                      quote_id: uuid.UUID | str | None = None, is_demo: bool = False) -> Posted:
    dialogue = get_dialogue(session, viewer, dialogue_id)
    _require_post(session, viewer, dialogue)
    assert viewer.user_id is not None
    text = _markdown(body, "body", MAX_BODY)
    if not text.strip():
        raise InvalidInput(_("The contribution is empty."), details={"field": "body"})
    parent = _contribution_in(session, dialogue, parent_id, "parent_id")
    quoted = _contribution_in(session, dialogue, quote_id, "quote_id")
    kind = attribution.org_kind_of(session, viewer.user_id)
    c = Contribution(dialogue_id=dialogue.id, parent_id=parent.id if parent else None,
                     quote_id=quoted.id if quoted else None, author_id=viewer.user_id,
                     author_org_kind=kind, body_markdown=text,
                     body_html=attribution.render(dialogue, text), is_demo=is_demo)
    session.add(c)
    session.flush()
    # Who wrote it is kept here, for abuse handling, and never serialised under the rule.
    audit.record(session, viewer.actor, "dialogue.contribute",
                 target_type="dialogue_contributions", target_id=c.id,
                 details={"dialogue_id": str(dialogue.id), "rule": dialogue.rule.value,
                          "author_id": str(viewer.user_id)})
    not_notified = _announce(session, viewer, dialogue, c, parent)
    return Posted(c, not_notified)


def _announce(session: Session, viewer: Viewer, dialogue: Dialogue, c: Contribution,
              parent: Contribution | None) -> list[str]:
    """Publish the contribution's events; return the mentioned handles not notified."""
    who = attribution.Attributor(session, dialogue, viewer)
    url = f"/dialogues/{dialogue.id}#c-{c.id}"
    summary = attribution.excerpt(dialogue, c.body_markdown, 200)
    common = {"url": url, "subject_type": Dialogue, "subject_id": dialogue.id,
              "summary": summary, "actor_user_id": viewer.user_id}
    users, unknown = mentions.resolve(session, c.body_markdown)
    told: set[uuid.UUID] = set()
    refused: set[str] = set(unknown)
    for user in users:
        if user.id == viewer.user_id:
            continue
        if access.can_see(session, Dialogue, dialogue.id, access.viewer_for(session, user)):
            told.add(user.id)
        else:
            refused.add(user.email.lower())
    replied_to = ({parent.author_id} if parent is not None and parent.author_id != viewer.user_id
                  else set())
    events.publish(session, events.Event(
        kind="dialogue.contribution",
        title=attribution.contribution_title(who, c.author_id, c.author_org_kind),
        watch_keys=frozenset({f"dialogue:{dialogue.id}"}),
        quiet=frozenset(told | replied_to), **common))  # type: ignore[arg-type]
    if replied_to:
        events.publish(session, events.Event(
            kind="dialogue.reply",
            title=attribution.reply_title(who, c.author_id, c.author_org_kind),
            recipients=frozenset(replied_to), **common))  # type: ignore[arg-type]
    if told:
        events.publish(session, events.Event(
            kind="mention", title=attribution.mention_title(who, c.author_id, c.author_org_kind),
            recipients=frozenset(told), **common))  # type: ignore[arg-type]
    return [h for h in mentions.handles(c.body_markdown) if h in refused]


def list_contributions(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str, *,
                       cursor: str | None = None, limit: int = 50
                       ) -> tuple[Dialogue, Page[Contribution]]:
    """One page of a dialogue's contributions, newest first."""
    dialogue = get_dialogue(session, viewer, dialogue_id)
    query = select(Contribution).where(Contribution.dialogue_id == dialogue.id)
    return dialogue, paginate(session, query, Contribution.created_at, Contribution.id,
                              cursor=cursor, limit=limit)


def thread(session: Session, dialogue: Dialogue) -> list[Contribution]:
    """Every contribution of a dialogue already loaded through access, oldest first."""
    return list(session.scalars(select(Contribution).where(
        Contribution.dialogue_id == dialogue.id).order_by(
        Contribution.created_at, Contribution.id).limit(MAX_THREAD)))


def contributions_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID,
                                                                           Contribution]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(select(Contribution).where(
        Contribution.id.in_(wanted)))}


def get_contribution(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str,
                     contribution_id: uuid.UUID | str) -> tuple[Dialogue, Contribution]:
    dialogue = get_dialogue(session, viewer, dialogue_id)
    try:
        cid = uuid.UUID(str(contribution_id))
    except ValueError:
        raise NotFound() from None
    c = session.get(Contribution, cid)
    if c is None or c.dialogue_id != dialogue.id:
        raise NotFound()
    return dialogue, c


def count_contributions(session: Session, dialogue_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not dialogue_ids:
        return {}
    rows = session.execute(select(Contribution.dialogue_id, func.count()).where(
        Contribution.dialogue_id.in_(dialogue_ids)).group_by(Contribution.dialogue_id))
    counts = {i: 0 for i in dialogue_ids}
    counts.update({r[0]: r[1] for r in rows})
    return counts


# ---------------------------------------------------------------- reactions


@dataclass
class Reactions:
    counts: dict[str, int]
    mine: list[str]


def react(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str,
          contribution_id: uuid.UUID | str, kind: str) -> Reactions:
    """Toggle the viewer's reaction of ``kind`` on a contribution."""
    dialogue, c = get_contribution(session, viewer, dialogue_id, contribution_id)
    _require_post(session, viewer, dialogue)
    if kind not in REACTIONS:
        raise InvalidInput(_("Unknown reaction %(kind)r; use one of: %(kinds)s")
                           % {"kind": kind, "kinds": ", ".join(REACTIONS)},
                           details={"field": "kind"})
    existing = session.scalars(select(Reaction).where(
        Reaction.contribution_id == c.id, Reaction.user_id == viewer.user_id,
        Reaction.kind == kind)).one_or_none()
    if existing is not None:
        session.delete(existing)
    else:
        assert viewer.user_id is not None
        session.add(Reaction(contribution_id=c.id, user_id=viewer.user_id, kind=kind))
    session.flush()
    return reactions_of(session, [c.id], viewer)[c.id]


def reactions_of(session: Session, contribution_ids: list[uuid.UUID], viewer: Viewer
                 ) -> dict[uuid.UUID, Reactions]:
    """Counts per kind, and the viewer's own — never who else reacted."""
    result = {i: Reactions({}, []) for i in contribution_ids}
    if not contribution_ids:
        return result
    for cid, kind, n in session.execute(
            select(Reaction.contribution_id, Reaction.kind, func.count()).where(
                Reaction.contribution_id.in_(contribution_ids)).group_by(
                Reaction.contribution_id, Reaction.kind)):
        result[cid].counts[kind] = n
    if viewer.user_id is not None:
        for cid, kind in session.execute(select(Reaction.contribution_id, Reaction.kind).where(
                Reaction.contribution_id.in_(contribution_ids),
                Reaction.user_id == viewer.user_id)):
            result[cid].mine.append(kind)
    for r in result.values():
        r.counts = {k: r.counts[k] for k in REACTIONS if k in r.counts}
        r.mine = [k for k in REACTIONS if k in r.mine]
    return result


# ---------------------------------------------------------------- attachments


def add_attachment(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str, *,
                   data: bytes, filename: str, declared_type: str | None = None,
                   contribution_id: uuid.UUID | str | None = None) -> Attachment:
    """Check a file by its content and keep it; nothing is stored when it is refused."""
    dialogue = get_dialogue(session, viewer, dialogue_id)
    _require_post(session, viewer, dialogue)
    assert viewer.user_id is not None
    checked = files.check(data, filename, declared_type)
    c = _contribution_in(session, dialogue, contribution_id, "contribution_id")
    if c is not None and c.author_id != viewer.user_id:
        raise PermissionDenied(_("Attach files to your own contributions only."))
    settings = get_settings()
    quotas.check(session, owner=Attachment.uploader_id, size=Attachment.size,
                 user_id=viewer.user_id, adding=len(data),
                 max_files=settings.attachment_quota_files,
                 max_bytes=settings.attachment_quota_bytes)
    digest = hashlib.sha256(data).hexdigest()
    found = malware.scan(data)
    if found is not None:
        # Kept although the upload is refused: who tried to share what, and where.
        audit.record(session, viewer.actor, "dialogue.attach_refused",
                     target_type="dialogues", target_id=dialogue.id,
                     details={"filename": checked.filename, "sha256": digest,
                              "size": len(data), "signature": found})
        raise malware.refusal(found)
    storage = files.store(data)
    att = Attachment(dialogue_id=dialogue.id, contribution_id=c.id if c else None,
                     uploader_id=viewer.user_id,
                     uploader_org_kind=attribution.org_kind_of(session, viewer.user_id),
                     filename=checked.filename, media_type=checked.media_type, size=len(data),
                     sha256=digest, storage_name=storage)
    session.add(att)
    try:
        session.flush()
    except Exception:
        files.remove(storage)
        raise
    audit.record(session, viewer.actor, "dialogue.attach", target_type="dialogue_attachments",
                 target_id=att.id, details={"dialogue_id": str(dialogue.id),
                                            "sha256": att.sha256, "size": att.size})
    return att


def list_attachments(session: Session, dialogue: Dialogue) -> list[Attachment]:
    """The attachments of a dialogue already loaded through access."""
    return list(session.scalars(select(Attachment).where(
        Attachment.dialogue_id == dialogue.id).order_by(Attachment.created_at, Attachment.id)))


def get_attachment(session: Session, viewer: Viewer, dialogue_id: uuid.UUID | str,
                   attachment_id: uuid.UUID | str) -> tuple[Attachment, Path]:
    dialogue = get_dialogue(session, viewer, dialogue_id, purpose="download")
    try:
        aid = uuid.UUID(str(attachment_id))
    except ValueError:
        raise NotFound() from None
    att = session.get(Attachment, aid)
    if att is None or att.dialogue_id != dialogue.id:
        raise NotFound()
    return att, files.path_of(att.storage_name)


def delete_demo(session: Session) -> None:
    """Used by the demo loader only: nothing else removes dialogues."""
    ids = list(session.scalars(select(Dialogue.id).where(Dialogue.is_demo.is_(True))))
    if ids:
        session.execute(delete(AudienceEntry).where(AudienceEntry.record_id.in_(ids)))
        session.execute(delete(Dialogue).where(Dialogue.id.in_(ids)))


def convenor_user(session: Session, dialogue: Dialogue) -> User | None:
    return session.get(User, dialogue.convenor_id)
