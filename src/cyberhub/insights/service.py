"""Insights: write, publish, change, delete, list — always through the sharing rules.

A draft is private to its organisation: ``Insight.owner_only_while`` tells ``access`` so,
and every read here goes through ``access``, so nothing in this module filters drafts
by hand. Linked STIX objects are links only: a reader sees the links to the objects
they may see themselves, and no more.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, events, markdown
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
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.insights import sources
from cyberhub.insights.models import Insight, InsightObject, InsightStatus
from cyberhub.intel import service as intel
from cyberhub.intel.models import StixObject
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = ["Audience", "Source", "audience_of", "clean_tlp", "create_insight",
           "delete_insight", "get_insight", "linked_objects", "list_insights",
           "publish_insight", "source_link", "update_insight"]

MAX_BODY = 100_000
MAX_SUMMARY = 2_000
MAX_LINKS = 200
_SOURCE = re.compile(r"^([a-z][a-z_]{0,39}):([0-9a-fA-F-]{32,36})$")


@dataclass(frozen=True)
class Source:
    type: str
    id: str


def _require_writer(viewer: Viewer) -> None:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not write insights. Ask your organisation's "
                                 "admin for the analyst role."))


def _clean_long(text: str, field: str, limit: int) -> str:
    text = (text or "").replace("\r\n", "\n")
    if len(text) > limit:
        raise InvalidInput(_("The %(field)s may be at most %(n)d characters long; this one has "
                             "%(len)d.") % {"field": field, "n": limit, "len": len(text)},
                           details={"field": field, "max_length": limit})
    return text


def clean_source(value: str | None) -> Source | None:
    """``"dialogue:<uuid>"`` → Source; empty → None; anything else is refused."""
    value = (value or "").strip()
    if not value:
        return None
    match = _SOURCE.match(value)
    kind = match.group(1) if match else ""
    if match is None or sources.get(kind) is None:
        raise InvalidInput(_("The source must look like dialogue:<id>."),
                           details={"field": "source"})
    try:
        return Source(kind, str(uuid.UUID(match.group(2))))
    except ValueError:
        raise InvalidInput(_("The source must look like dialogue:<id>."),
                           details={"field": "source"}) from None


def _check_source(session: Session, viewer: Viewer, source: Source | None) -> None:
    """An author may name only a source they may see (when its type is known here)."""
    kind = sources.get(source.type) if source else None
    if source is not None and kind is not None and not access.can_see(
            session, kind.model, uuid.UUID(source.id), viewer):
        raise InvalidInput(_("The source does not exist."), details={"field": "source"})


def source_link(session: Session, viewer: Viewer, insight: Insight) -> str | None:
    """A link back to the source, only when the reader may see it."""
    if not insight.source_type or not insight.source_id:
        return None
    kind = sources.get(insight.source_type)
    if kind is None:
        return None
    try:
        record = access.load(session, kind.model, insight.source_id, viewer)
    except NotFound:
        return None
    return kind.url(record)


# ---------------------------------------------------------------- links to STIX objects


def _objects_to_link(session: Session, viewer: Viewer, refs: Sequence[str]) -> list[StixObject]:
    """Objects by record id or STIX id. Only objects the author may see can be linked; one
    they may not see is reported exactly like one that does not exist."""
    wanted = list(dict.fromkeys(r.strip() for r in refs if r and r.strip()))
    if len(wanted) > MAX_LINKS:
        raise InvalidInput(_("An insight links at most %(n)d objects.") % {"n": MAX_LINKS},
                           details={"field": "object_refs"})
    rows: dict[uuid.UUID, StixObject] = {}
    for ref in wanted:
        try:
            row = intel.get_object(session, viewer, ref[:300])
        except NotFound:
            raise InvalidInput(_("The linked object %(ref)s does not exist.") % {"ref": ref[:300]},
                               details={"field": "object_refs", "ref": ref[:300]}) from None
        rows[row.id] = row
    return list(rows.values())


def _write_links(session: Session, insight: Insight, rows: Iterable[StixObject],
                 *, keep_hidden_from: Viewer | None = None) -> None:
    """Replace the insight's links. Links to objects the editor may not see (another
    author linked them) stay: an editor cannot remove what they cannot see."""
    kept: set[uuid.UUID] = set()
    if keep_hidden_from is not None:
        visible_ids = select(StixObject.id).where(access.visible(StixObject, keep_hidden_from))
        kept = set(session.scalars(select(InsightObject.object_id).where(
            InsightObject.insight_id == insight.id,
            InsightObject.object_id.not_in(visible_ids))))
    session.execute(delete(InsightObject).where(InsightObject.insight_id == insight.id))
    for oid in sorted(kept | {r.id for r in rows}):
        session.add(InsightObject(insight_id=insight.id, object_id=oid))
    session.flush()


def linked_objects(session: Session, viewer: Viewer, insight: Insight) -> list[StixObject]:
    """The linked objects this viewer may see (a listing: sensitive ones are audited)."""
    rows = list(session.scalars(
        access.select_visible(StixObject, viewer)
        .join(InsightObject, InsightObject.object_id == StixObject.id)
        .where(InsightObject.insight_id == insight.id)
        .order_by(StixObject.type, StixObject.name, StixObject.id)))
    access.audit_listing(session, StixObject, rows, viewer)
    return rows


# ---------------------------------------------------------------- write


def create_insight(session: Session, viewer: Viewer, *, title: str, summary: str = "",
                   body: str = "", tlp: str | TLP, pap: str | PAP | None = None,
                   audience: Audience | None = None, object_refs: Sequence[str] = (),
                   source: str | None = None, is_demo: bool = False) -> Insight:
    _require_writer(viewer)
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    src = clean_source(source)
    _check_source(session, viewer, src)
    text = _clean_long(body, "body", MAX_BODY)
    insight = Insight(
        title=clean_text(title, "title", max_len=200),
        summary=_clean_long(summary, "summary", MAX_SUMMARY).strip(), body_markdown=text,
        body_html=markdown.render(text), tlp=tlp_, pap=clean_pap(pap),
        status=InsightStatus.DRAFT, owner_org_id=viewer.org_id, created_by_id=viewer.user_id,
        source_type=src.type if src else None, source_id=src.id if src else None,
        is_demo=is_demo)
    rows = _objects_to_link(session, viewer, object_refs)
    session.add(insight)
    session.flush()
    write_audience(session, insight.id, aud)
    _write_links(session, insight, rows)
    audit.record(session, viewer.actor, "insight.create", target_type="insights",
                 target_id=insight.id, details={"tlp": tlp_.value, "objects": len(rows)})
    return insight


def get_insight(session: Session, viewer: Viewer, insight_id: uuid.UUID | str,
                *, purpose: str = "read") -> Insight:
    return access.load(session, Insight, insight_id, viewer, purpose=purpose)


def _editable(session: Session, viewer: Viewer, insight_id: uuid.UUID | str,
              purpose: str) -> Insight:
    insight = get_insight(session, viewer, insight_id, purpose=purpose)
    if not access.can_edit(insight, viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this insight."))
    return insight


def update_insight(session: Session, viewer: Viewer, insight_id: uuid.UUID | str, *,
                   title: str | None = None, summary: str | None = None,
                   body: str | None = None, tlp: str | TLP | None = None,
                   pap: str | PAP | None = None, audience: Audience | None = None,
                   object_refs: Sequence[str] | None = None) -> Insight:
    insight = _editable(session, viewer, insight_id, "edit")
    if title is not None:
        insight.title = clean_text(title, "title", max_len=200)
    if summary is not None:
        insight.summary = _clean_long(summary, "summary", MAX_SUMMARY).strip()
    if body is not None:
        insight.body_markdown = _clean_long(body, "body", MAX_BODY)
        insight.body_html = markdown.render(insight.body_markdown)
    if pap is not None:  # "" clears the marking
        insight.pap = clean_pap(pap)
    if tlp is not None or audience is not None:
        new_tlp = clean_tlp(tlp) if tlp is not None else insight.tlp
        aud = check_audience(session, new_tlp, audience if audience is not None
                             else audience_of(session, insight.id))
        insight.tlp = new_tlp
        write_audience(session, insight.id, aud)
    if object_refs is not None:
        _write_links(session, insight, _objects_to_link(session, viewer, object_refs),
                     keep_hidden_from=viewer)
    session.flush()
    audit.record(session, viewer.actor, "insight.update", target_type="insights",
                 target_id=insight.id, details={"tlp": insight.tlp.value})
    return insight


def publish_insight(session: Session, viewer: Viewer, insight_id: uuid.UUID | str) -> Insight:
    insight = _editable(session, viewer, insight_id, "edit")
    if insight.status is InsightStatus.PUBLISHED:
        raise Conflict(_("This insight is already published."), details={"field": "status"})
    insight.status = InsightStatus.PUBLISHED
    insight.published_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "insight.publish", target_type="insights",
                 target_id=insight.id, details={"tlp": insight.tlp.value})
    stix_ids = session.scalars(
        select(StixObject.stix_id).join(InsightObject, InsightObject.object_id == StixObject.id)
        .where(InsightObject.insight_id == insight.id))
    keys = {f"stix:{s}" for s in stix_ids}
    if insight.source_type == "dialogue" and insight.source_id:
        keys.add(f"dialogue:{insight.source_id}")
    # Delivery is gated by the insight's own visibility, so the title may name it.
    events.publish(session, events.Event(
        kind="insight.published", title=_("Insight published: %(title)s")
        % {"title": insight.title}, summary=insight.summary[:500],
        url=f"/insights/{insight.id}", subject_type=Insight, subject_id=insight.id,
        actor_user_id=viewer.user_id, watch_keys=frozenset(keys)))
    return insight


def delete_insight(session: Session, viewer: Viewer, insight_id: uuid.UUID | str) -> None:
    insight = _editable(session, viewer, insight_id, "delete")
    session.execute(delete(InsightObject).where(InsightObject.insight_id == insight.id))
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == insight.id))
    session.delete(insight)  # its comments go with it (comments.cleanup)
    audit.record(session, viewer.actor, "insight.delete", target_type="insights",
                 target_id=insight.id, details={"title": insight.title})


# ---------------------------------------------------------------- read


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_insights(session: Session, viewer: Viewer, *, cursor: str | None = None,
                  limit: int = 50, tlp: Iterable[TLP] | None = None, q: str = "",
                  status: InsightStatus | None = None) -> Page[Insight]:
    query = access.select_visible(Insight, viewer)
    tlps = list(tlp or [])
    if tlps:
        query = query.where(Insight.tlp.in_(tlps))
    if status is not None:
        query = query.where(Insight.status == status)
    words = (q or "").strip()[:200].lower().split()
    for word in words[:8]:
        pattern = f"%{_escape_like(word)}%"
        query = query.where(or_(func.lower(Insight.title).like(pattern, escape="\\"),
                                func.lower(Insight.summary).like(pattern, escape="\\"),
                                func.lower(Insight.body_markdown).like(pattern, escape="\\")))
    page = paginate(session, query, Insight.created_at, Insight.id, cursor=cursor, limit=limit)
    access.audit_listing(session, Insight, page.items, viewer)
    return page


def clean_status(value: str) -> InsightStatus:
    try:
        return InsightStatus(value)
    except ValueError:
        raise InvalidInput(_("The status must be draft or published."),
                           details={"field": "status"}) from None
