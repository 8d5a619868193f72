"""Comments: write, change, delete and read them — always through the record they are on.

A comment has no marking of its own. Every read and write first loads the commented
record through ``access`` (a record the viewer may not see answers 404, exactly like a
record that does not exist), so a comment is visible to exactly those who may see its
record, and a sensitive record's read is audited as any other read of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, events, markdown, mentions
from cyberhub.access import Viewer
from cyberhub.comments import targets
from cyberhub.comments.models import Comment
from cyberhub.community.models import Organisation, Role, User
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from cyberhub.i18n import _
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import Shareable

MAX_BODY = 10_000
# A thread on a page shows at most this many comments (the API pages through all).
MAX_THREAD = 500


@dataclass
class On:
    """The record a comment is on, loaded through ``access``."""

    target: targets.Target
    record: Any

    @property
    def url(self) -> str:
        return self.target.url(self.record)


@dataclass
class Posted:
    comment: Comment
    # Handles the author wrote that nobody was told about: nobody by that address, or
    # someone who may not see the record. The two are not told apart.
    not_notified: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the commented record


def target_of(session: Session, viewer: Viewer, target_type: str, target_id: uuid.UUID | str,
              *, purpose: str = "read") -> On:
    target = targets.get(target_type or "")
    if target is None:
        raise InvalidInput(
            _("Comments can be written on these record types only: %(types)s.")
            % {"types": ", ".join(targets.names())}, details={"field": "target_type"})
    return On(target, access.load(session, target.model, target_id, viewer, purpose=purpose))


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput(_("Write something before posting the comment."),
                           details={"field": "body"})
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(
            _("A comment may be at most %(n)d characters long; this one has %(len)d. Shorten "
              "it, or write a note and link to it.") % {"n": MAX_BODY, "len": len(body)},
            details={"field": "body", "max_length": MAX_BODY})
    return body


def _require_writer(viewer: Viewer) -> None:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not write comments. Ask your organisation's admin "
                                 "for the analyst role."))


# ---------------------------------------------------------------- mentions and events


def _mentions(session: Session, on: On, body: str, *, already: str = ""
              ) -> tuple[list[User], list[str]]:
    """Who of the mentioned may see the record (told), and which handles were not told.
    Handles already mentioned in ``already`` (the text before an edit) are left out."""
    users, unknown = mentions.resolve(session, body)
    before = set(mentions.handles(already))
    told: list[User] = []
    untold = [h for h in unknown if h not in before]
    model: type[Shareable] = on.target.model
    for user in users:
        handle = user.email.lower()
        if handle in before:
            continue
        if access.can_see(session, model, on.record.id, access.viewer_for(session, user)):
            told.append(user)
        else:
            untold.append(handle)
    order = {h: i for i, h in enumerate(mentions.handles(body))}
    return told, sorted(untold, key=lambda h: order.get(h, len(order)))


def _publish(session: Session, viewer: Viewer, on: On, comment: Comment,
             parent: Comment | None, mentioned: list[User]) -> None:
    label = on.target.label(on.record)
    url = f"{on.url}#comment-{comment.id}"
    common: dict[str, Any] = {"url": url, "subject_type": on.target.model,
                              "subject_id": on.record.id, "actor_user_id": viewer.user_id}
    key = on.target.watch_key(on.record)
    specific = {u.id for u in mentioned} | ({parent.author_id} if parent is not None else set())
    events.publish(session, events.Event(
        kind="comment.new", title=_("New comment on %(what)s") % {"what": label},
        watch_keys=frozenset([key] if key else []), quiet=frozenset(specific), **common))
    if parent is not None:
        events.publish(session, events.Event(
            kind="comment.reply", title=_("A reply to your comment on %(what)s") % {"what": label},
            recipients=frozenset([parent.author_id]), **common))
    if mentioned:
        events.publish(session, events.Event(
            kind="mention", title=_("You were mentioned in a comment on %(what)s")
            % {"what": label}, recipients=frozenset(u.id for u in mentioned), **common))


# ---------------------------------------------------------------- write


def create_comment(session: Session, viewer: Viewer, *, target_type: str,
                   target_id: uuid.UUID | str, body: str,
                   parent_id: uuid.UUID | str | None = None, is_demo: bool = False) -> Posted:
    on = target_of(session, viewer, target_type, target_id)
    _require_writer(viewer)
    assert viewer.user_id is not None and viewer.org_id is not None
    text = _clean_body(body)
    replied: Comment | None = None
    thread_parent: uuid.UUID | None = None
    if parent_id:
        replied = _comment_on(session, on, parent_id)
        if replied.is_deleted:
            raise Conflict(_("That comment was deleted; reply to the thread instead."),
                           details={"field": "parent_id"})
        # One level of replies: a reply to a reply joins the same thread.
        thread_parent = replied.parent_id or replied.id
    comment = Comment(target_type=on.target.name, target_id=on.record.id,
                      parent_id=thread_parent, author_id=viewer.user_id,
                      author_org_id=viewer.org_id, body_markdown=text,
                      body_html=markdown.render(text), is_demo=is_demo)
    session.add(comment)
    session.flush()
    told, untold = _mentions(session, on, text)
    audit.record(session, viewer.actor, "comment.create", target_type="comments",
                 target_id=comment.id, details={"on": on.target.name,
                                                "record": str(on.record.id)})
    _publish(session, viewer, on, comment, replied, told)
    return Posted(comment, untold)


def _comment_on(session: Session, on: On, comment_id: uuid.UUID | str) -> Comment:
    try:
        cid = comment_id if isinstance(comment_id, uuid.UUID) else uuid.UUID(str(comment_id))
    except ValueError:
        raise InvalidInput(_("The comment replied to does not exist."),
                           details={"field": "parent_id"}) from None
    row = session.get(Comment, cid)
    if row is None or row.target_type != on.target.name or row.target_id != on.record.id:
        raise InvalidInput(_("The comment replied to does not exist."),
                           details={"field": "parent_id"})
    return row


def get_comment(session: Session, viewer: Viewer, comment_id: uuid.UUID | str, *,
                purpose: str = "read") -> tuple[Comment, On]:
    """A comment and its record, or NotFound when either is missing or not visible."""
    try:
        cid = comment_id if isinstance(comment_id, uuid.UUID) else uuid.UUID(str(comment_id))
    except ValueError:
        raise NotFound() from None
    row = session.get(Comment, cid)
    if row is None or targets.get(row.target_type) is None:
        raise NotFound()
    return row, target_of(session, viewer, row.target_type, row.target_id, purpose=purpose)


def can_edit(comment: Comment, viewer: Viewer) -> bool:
    """Only the author changes the words of a comment."""
    return (not comment.is_deleted and viewer.user_id is not None
            and viewer.user_id == comment.author_id and viewer.role is not Role.READER)


def can_delete(comment: Comment, viewer: Viewer) -> bool:
    """The author; for moderation, the admins of the author's organisation and the hub's
    admins — these only on records they may see (the caller loaded it through access)."""
    if comment.is_deleted or viewer.user_id is None:
        return False
    return viewer.user_id == comment.author_id or viewer.role is Role.HUB_ADMIN or (
        viewer.role is Role.ORG_ADMIN and viewer.org_id == comment.author_org_id)


def edit_comment(session: Session, viewer: Viewer, comment_id: uuid.UUID | str, *,
                 body: str) -> Posted:
    comment, on = get_comment(session, viewer, comment_id, purpose="edit")
    if not can_edit(comment, viewer):
        raise PermissionDenied(_("Only the author may change a comment."))
    text = _clean_body(body)
    before = comment.body_markdown
    comment.body_markdown = text
    comment.body_html = markdown.render(text)
    comment.edited_at = utcnow()
    session.flush()
    told, untold = _mentions(session, on, text, already=before)
    audit.record(session, viewer.actor, "comment.update", target_type="comments",
                 target_id=comment.id, details={"on": on.target.name})
    if told:  # only those newly mentioned hear of it
        events.publish(session, events.Event(
            kind="mention", title=_("You were mentioned in a comment on %(what)s")
            % {"what": on.target.label(on.record)}, url=f"{on.url}#comment-{comment.id}",
            subject_type=on.target.model, subject_id=on.record.id,
            actor_user_id=viewer.user_id, recipients=frozenset(u.id for u in told)))
    return Posted(comment, untold)


def delete_comment(session: Session, viewer: Viewer, comment_id: uuid.UUID | str) -> Comment:
    """Soft delete: the words go, the row stays, so replies keep their thread."""
    comment, on = get_comment(session, viewer, comment_id, purpose="delete")
    if not can_delete(comment, viewer):
        raise PermissionDenied(_("Only the author, an admin of the author's organisation or a "
                                 "hub admin may delete a comment."))
    comment.body_markdown = ""
    comment.body_html = ""
    comment.deleted_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "comment.delete", target_type="comments",
                 target_id=comment.id, details={"on": on.target.name,
                                                "by_author": viewer.user_id == comment.author_id,
                                                "role": viewer.role.value if viewer.role else None})
    return comment


# ---------------------------------------------------------------- read


def list_comments(session: Session, viewer: Viewer, *, target_type: str,
                  target_id: uuid.UUID | str, cursor: str | None = None,
                  limit: int = 50) -> Page[Comment]:
    """Every comment on a record (replies too, with their ``parent_id``), newest first."""
    on = target_of(session, viewer, target_type, target_id)
    query = select(Comment).where(Comment.target_type == on.target.name,
                                  Comment.target_id == on.record.id)
    return paginate(session, query, Comment.created_at, Comment.id, cursor=cursor, limit=limit)


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment]


def threads(session: Session, on: On) -> tuple[list[Thread], bool]:
    """The comments on a record already loaded through ``target_of``, oldest first, grouped
    under their top-level comment; and whether there were more than a page shows."""
    rows = list(session.scalars(
        select(Comment).where(Comment.target_type == on.target.name,
                              Comment.target_id == on.record.id)
        .order_by(Comment.created_at, Comment.id).limit(MAX_THREAD + 1)))
    more = len(rows) > MAX_THREAD
    tops: dict[uuid.UUID, Thread] = {}
    for row in rows[:MAX_THREAD]:
        if row.parent_id is None:
            tops[row.id] = Thread(row, [])
        elif row.parent_id in tops:
            tops[row.parent_id].replies.append(row)
    # A deleted comment without replies leaves nothing worth showing.
    shown = [t for t in tops.values() if not (t.comment.is_deleted and not t.replies)]
    return shown, more


def count(session: Session, on: On) -> int:
    return session.scalar(select(func.count()).select_from(Comment).where(
        Comment.target_type == on.target.name, Comment.target_id == on.record.id,
        Comment.deleted_at.is_(None))) or 0


@dataclass(frozen=True)
class Author:
    name: str
    org: str


def authors(session: Session, comments: list[Comment]) -> dict[uuid.UUID, Author]:
    """The names shown with comments: each author and their organisation."""
    ids = {c.author_id for c in comments}
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.display_name, Organisation.name)
        .join(Organisation, Organisation.id == User.org_id).where(User.id.in_(ids))).all()
    return {r[0]: Author(r[1], r[2]) for r in rows}
