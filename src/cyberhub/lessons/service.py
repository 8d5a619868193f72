"""The lessons library: write, change, delete and search lessons — through the sharing
rules, always.

Search is the knowledge base's approach (``intel.service._search``): the query is
reduced to its words, each prefix-matched and all required, so that search syntax in
user input is never interpreted and both engines agree. PostgreSQL matches a generated
tsvector column with a GIN index; SQLite an FTS5 table this module keeps in step.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, delete, func, select, text
from sqlalchemy.orm import Session

from cyberhub import access, audit, markdown, source_links
from cyberhub.access import Viewer
from cyberhub.audience import (
    Audience,
    audience_of,
    check_audience,
    clean_pap,
    clean_tlp,
    write_audience,
)
from cyberhub.community.validation import clean_text
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.intel.search_index import fts_rowid
from cyberhub.lessons.models import Lesson, LessonTag
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = [
    "SECTIONS",
    "SOURCE_TYPES",
    "Audience",
    "TagCount",
    "clean_tags",
    "create_lesson",
    "delete_lesson",
    "get_lesson",
    "search_lessons",
    "tag_cloud",
    "tags_of",
    "update_lesson",
]

MAX_MARKDOWN = 100_000
MAX_TAGS = 20
MAX_TAG_LEN = 40
MAX_QUERY = 500
SOURCE_TYPES = ("dialogue", "operation", "incident", "meeting")
SECTIONS = ("what_happened", "what_worked", "what_to_change")
_TAG = re.compile(r"^[\w][\w.+#-]*$")


# ---------------------------------------------------------------- cleaning input


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Lowercase, trimmed, inner spaces as hyphens; at most 20 of at most 40 characters
    each, of letters, digits and ``. _ - + #``. Duplicates fold into one."""
    out: list[str] = []
    for raw in tags:
        tag = "-".join(unicodedata.normalize("NFC", raw or "").strip().lower().split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LEN:
            raise InvalidInput(_("The tag %(tag)r is longer than %(n)d characters.")
                               % {"tag": tag[:60], "n": MAX_TAG_LEN}, details={"field": "tags"})
        if not _TAG.match(tag):
            raise InvalidInput(_("The tag %(tag)r may hold only letters, digits and . _ - + #.")
                               % {"tag": tag}, details={"field": "tags"})
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise InvalidInput(_("A lesson may have at most %(n)d tags; it has %(count)d.")
                           % {"n": MAX_TAGS, "count": len(out)}, details={"field": "tags"})
    return sorted(out)


def _clean_markdown(value: str | None, field: str) -> str:
    value = (value or "").replace("\r\n", "\n")
    if len(value) > MAX_MARKDOWN:
        raise InvalidInput(_("%(field)s must be at most %(n)d characters long.")
                           % {"field": field, "n": MAX_MARKDOWN}, details={"field": field})
    return value


def _set_section(lesson: Lesson, name: str, value: str) -> None:
    value = _clean_markdown(value, name)
    setattr(lesson, f"{name}_markdown", value)
    setattr(lesson, f"{name}_html", markdown.render(value))


# ---------------------------------------------------------------- the search index


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _index(session: Session, lesson: Lesson) -> None:
    """Keep the SQLite FTS5 row in step (PostgreSQL's generated column needs nothing)."""
    if not _sqlite(session):
        return
    body = "\n".join((lesson.what_happened_markdown, lesson.what_worked_markdown,
                      lesson.what_to_change_markdown))
    session.execute(text("INSERT OR REPLACE INTO lessons_fts(rowid, lesson_id, title, body) "
                         "VALUES (:rowid, :lesson_id, :title, :body)"),
                    {"rowid": fts_rowid(lesson.id), "lesson_id": lesson.id.hex,
                     "title": lesson.title, "body": body})


def _unindex(session: Session, lesson_id: uuid.UUID) -> None:
    if _sqlite(session):
        session.execute(text("DELETE FROM lessons_fts WHERE rowid = :rowid"),
                        {"rowid": fts_rowid(lesson_id)})


def _matches(session: Session, q: str) -> TextClause:
    words = re.findall(r"\w+(?:\.\w+)*", q[:MAX_QUERY])[:20]
    if not _sqlite(session):
        query = " & ".join(f"{w}:*" for w in words)
        if not query:
            return text("false")
        return text("lessons.search @@ to_tsquery('simple', :q)").bindparams(q=query)
    # FTS5 without positions (detail=none) has no phrases: a dotted word's parts, each.
    match = " ".join(f'"{p}"*' for w in words for p in w.split("."))
    if not match:
        return text("0")
    # The index holds the ids as SQLAlchemy stores UUIDs on SQLite: 32 hex digits.
    return text("lessons.id IN (SELECT lesson_id FROM lessons_fts "
                "WHERE lessons_fts MATCH :match)").bindparams(match=match)


# ---------------------------------------------------------------- writing


def _write_tags(session: Session, lesson_id: uuid.UUID, tags: Sequence[str]) -> None:
    session.execute(delete(LessonTag).where(LessonTag.lesson_id == lesson_id))
    session.add_all([LessonTag(lesson_id=lesson_id, tag=t) for t in tags])


def _require_edit(lesson: Lesson, viewer: Viewer) -> None:
    if not access.can_edit(lesson, viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this lesson."))


def create_lesson(session: Session, viewer: Viewer, *, title: str, what_happened: str = "",
                  what_worked: str = "", what_to_change: str = "", tlp: str | TLP = TLP.GREEN,
                  pap: str | PAP | None = None, audience: Audience | None = None,
                  tags: Iterable[str] = (), source_type: str | None = None,
                  source_id: uuid.UUID | str | None = None, is_demo: bool = False) -> Lesson:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not write lessons."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    tag_list = clean_tags(tags)
    stype, sid = source_links.clean_source(source_type, source_id, SOURCE_TYPES)
    lesson = Lesson(title=clean_text(title, "title", max_len=200), tlp=tlp_, pap=clean_pap(pap),
                    source_type=stype, source_id=sid, owner_org_id=viewer.org_id,
                    created_by_id=viewer.user_id, is_demo=is_demo)
    for name, value in zip(SECTIONS, (what_happened, what_worked, what_to_change), strict=True):
        _set_section(lesson, name, value)
    session.add(lesson)
    session.flush()
    write_audience(session, lesson.id, aud)
    _write_tags(session, lesson.id, tag_list)
    _index(session, lesson)
    session.flush()
    audit.record(session, viewer.actor, "lesson.create", target_type="lessons",
                 target_id=lesson.id, details={"tlp": tlp_.value})
    return lesson


def get_lesson(session: Session, viewer: Viewer, lesson_id: uuid.UUID | str) -> Lesson:
    return access.load(session, Lesson, lesson_id, viewer)


def update_lesson(session: Session, viewer: Viewer, lesson_id: uuid.UUID | str, *,
                  title: str | None = None, what_happened: str | None = None,
                  what_worked: str | None = None, what_to_change: str | None = None,
                  tlp: str | TLP | None = None, pap: str | PAP | None = None,
                  audience: Audience | None = None, tags: Iterable[str] | None = None,
                  source_type: str | None = None, source_id: uuid.UUID | str | None = None,
                  change_source: bool = False) -> Lesson:
    lesson = access.load(session, Lesson, lesson_id, viewer, purpose="edit")
    _require_edit(lesson, viewer)
    if title is not None:
        lesson.title = clean_text(title, "title", max_len=200)
    for name, value in zip(SECTIONS, (what_happened, what_worked, what_to_change), strict=True):
        if value is not None:
            _set_section(lesson, name, value)
    if pap is not None:  # "" clears the marking
        lesson.pap = clean_pap(pap)
    if tags is not None:
        _write_tags(session, lesson.id, clean_tags(tags))
    if change_source:
        lesson.source_type, lesson.source_id = source_links.clean_source(
            source_type, source_id, SOURCE_TYPES)
    if tlp is not None or audience is not None:
        new_tlp = clean_tlp(tlp) if tlp is not None else lesson.tlp
        aud = check_audience(session, new_tlp, audience if audience is not None
                             else audience_of(session, lesson.id))
        lesson.tlp = new_tlp
        write_audience(session, lesson.id, aud)
    session.flush()
    _index(session, lesson)
    audit.record(session, viewer.actor, "lesson.update", target_type="lessons",
                 target_id=lesson.id, details={"tlp": lesson.tlp.value})
    return lesson


def delete_lesson(session: Session, viewer: Viewer, lesson_id: uuid.UUID | str) -> None:
    lesson = access.load(session, Lesson, lesson_id, viewer, purpose="delete")
    _require_edit(lesson, viewer)
    session.execute(delete(LessonTag).where(LessonTag.lesson_id == lesson.id))
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == lesson.id))
    _unindex(session, lesson.id)
    session.delete(lesson)
    audit.record(session, viewer.actor, "lesson.delete", target_type="lessons",
                 target_id=lesson.id, details={"title": lesson.title})


# ---------------------------------------------------------------- reading


def tags_of(session: Session, lesson_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The tags of lessons the caller has already loaded through ``access``."""
    result: dict[uuid.UUID, list[str]] = {i: [] for i in lesson_ids}
    if lesson_ids:
        for row in session.execute(select(LessonTag.lesson_id, LessonTag.tag)
                                   .where(LessonTag.lesson_id.in_(lesson_ids))
                                   .order_by(LessonTag.tag)):
            result[row.lesson_id].append(row.tag)
    return result


def search_lessons(session: Session, viewer: Viewer, *, q: str = "",
                   tags: Sequence[str] = (), cursor: str | None = None,
                   limit: int = 50) -> Page[Lesson]:
    """Visible lessons matching every word of ``q`` and carrying every tag, newest first."""
    query = access.select_visible(Lesson, viewer)
    if q.strip():
        query = query.where(_matches(session, q))
    for tag in clean_tags(tags)[:5]:
        query = query.where(select(LessonTag.lesson_id).where(
            LessonTag.lesson_id == Lesson.id, LessonTag.tag == tag).exists())
    page = paginate(session, query, Lesson.created_at, Lesson.id, cursor=cursor, limit=limit)
    access.audit_listing(session, Lesson, page.items, viewer)
    return page


@dataclass(frozen=True)
class TagCount:
    tag: str
    count: int


def tag_cloud(session: Session, viewer: Viewer, *, limit: int = 40) -> list[TagCount]:
    """The most used tags among the lessons the viewer may see."""
    rows = session.execute(
        select(LessonTag.tag, func.count().label("n"))
        .join(Lesson, Lesson.id == LessonTag.lesson_id)
        .where(access.visible(Lesson, viewer))
        .group_by(LessonTag.tag).order_by(func.count().desc(), LessonTag.tag).limit(limit))
    return [TagCount(r.tag, r.n) for r in rows]
