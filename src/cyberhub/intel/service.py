"""The knowledge base as members use it: find, read, correlate, sight, re-mark, revoke.

Every query starts from ``access.visible``: a member finds, correlates and follows
references only through records they may see, and a record they may not see answers
like one that does not exist.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, TextClause, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_pap, clean_tlp, write_audience
from cyberhub.community.models import Organisation
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.intel.importer import value_key
from cyberhub.intel.markings import org_identity_id
from cyberhub.intel.models import ObservableValue, StixObject, StixObjectVersion, StixRef, Vetting
from cyberhub.intel.normalise import KINDS, normalise
from cyberhub.pagination import Page, paginate
from cyberhub.sharing import TLP

# Kinds tried, in order, when someone looks up a bare value without saying its kind.
LOOKUP_KINDS = ("ipv4", "ipv6", "domain", "url", "email", "sha256", "sha1", "md5", "sha512",
                "iban", "phone", "mac")
MAX_QUERY = 200
COUNT_CAP = 10_000


@dataclass
class Filters:
    q: str | None = None
    types: list[str] = field(default_factory=list)
    value: str | None = None
    kind: str | None = None
    tlps: list[TLP] = field(default_factory=list)
    org_id: uuid.UUID | None = None
    labels: list[str] = field(default_factory=list)
    vetting: list[Vetting] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    include_revoked: bool = True


def value_keys(value: str, kind: str | None = None) -> list[tuple[str, str]]:
    """The (kind, normalised value) pairs a typed-in value may mean.

    An unknown ``kind`` is the asker's mistake: it is refused, naming the kinds there are."""
    if kind and kind not in KINDS:
        raise InvalidInput(_("Unknown kind of value %(kind)r; use one of: %(kinds)s.")
                           % {"kind": kind[:40], "kinds": ", ".join(KINDS)},
                           details={"field": "kind"})
    kinds = [kind] if kind else list(LOOKUP_KINDS)
    out = []
    for k in kinds:
        norm = normalise(k, value)
        if norm is not None:
            out.append((k, norm))
    return out


def _value_match(keys: list[tuple[str, str]]) -> ColumnElement[bool]:
    if not keys:
        return and_(False)  # type: ignore[arg-type]
    return exists().where(
        ObservableValue.object_id == StixObject.id,
        or_(*[and_(ObservableValue.key == value_key(k, v), ObservableValue.kind == k,
                   ObservableValue.value == v) for k, v in keys]))


def _search(session: Session, q: str) -> TextClause:
    """Full text over names and descriptions: FTS5 on SQLite, tsvector on PostgreSQL.

    The query is reduced to its words, each prefix-matched and all required, so that
    search syntax in user input is never interpreted and both engines agree. Dotted
    words (``T1059.001``, ``example.com``) stay whole: PostgreSQL indexes them as one
    word, SQLite as its parts, and each matches them that way."""
    words = re.findall(r"\w+(?:\.\w+)*", q[:MAX_QUERY])[:20]
    if session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        if not query:
            return text("false")
        return text("stix_objects.search @@ to_tsquery('simple', :q)").bindparams(q=query)
    # FTS5 without positions (detail=none) has no phrases: a dotted word's parts, each.
    match = " ".join(f'"{p}"*' for w in words for p in w.split("."))
    if not match:
        return text("0")
    return text("stix_objects.id IN (SELECT object_id FROM stix_objects_fts "
                "WHERE stix_objects_fts MATCH :match)").bindparams(match=match)


def _filtered(session: Session, viewer: Viewer, f: Filters) -> Select[Any]:
    query = access.select_visible(StixObject, viewer)
    if f.q:
        query = query.where(_search(session, f.q))
    if f.types:
        query = query.where(StixObject.type.in_(f.types))
    if f.value:
        query = query.where(_value_match(value_keys(f.value, f.kind)))
    if f.tlps:
        query = query.where(StixObject.tlp.in_(f.tlps))
    if f.org_id:
        query = query.where(StixObject.owner_org_id == f.org_id)
    sqlite = session.get_bind().dialect.name == "sqlite"
    for i, label in enumerate(f.labels[:10]):
        # Only the bound parameter's name varies; the label itself is always bound.
        clause = ("EXISTS (SELECT 1 FROM json_each(stix_objects.labels) "  # noqa: S608
                  f"WHERE json_each.value = :label{i})" if sqlite
                  else f"jsonb_exists(stix_objects.labels::jsonb, :label{i})")
        query = query.where(text(clause).bindparams(**{f"label{i}": label}))
    if f.vetting:
        query = query.where(StixObject.vetting.in_(f.vetting))
    if f.since:
        query = query.where(StixObject.created_at >= f.since)
    if f.until:
        query = query.where(StixObject.created_at < f.until)
    if not f.include_revoked:
        query = query.where(StixObject.revoked.is_(False))
    return query


def list_objects(session: Session, viewer: Viewer, filters: Filters, *, cursor: str | None,
                 limit: int) -> Page[StixObject]:
    page: Page[StixObject] = paginate(session, _filtered(session, viewer, filters),
                                      StixObject.created_at, StixObject.id, cursor=cursor,
                                      limit=limit)
    access.audit_listing(session, StixObject, page.items, viewer)
    return page


def get_object(session: Session, viewer: Viewer, ref: str) -> StixObject:
    """By the hub's record id, or by STIX id (then the viewer's own copy first, else the
    most recently added visible one)."""
    if "--" not in ref:
        return access.load(session, StixObject, ref, viewer)
    row = session.scalars(
        access.select_visible(StixObject, viewer).where(StixObject.stix_id == ref[:300])
        .order_by((StixObject.owner_org_id == viewer.org_id).desc(),
                  StixObject.created_at.desc()).limit(1)).first()
    if row is None:
        raise NotFound()
    return access.load(session, StixObject, row.id, viewer)


def _resolve(session: Session, viewer: Viewer, ref: str | StixObject) -> StixObject:
    """A record already loaded through ``get_object`` in this request is used as is (its
    read is audited once); a reference is loaded, and audited, now."""
    return ref if isinstance(ref, StixObject) else get_object(session, viewer, ref)


def as_stix(row: StixObject) -> dict[str, Any]:
    return dict(orjson.loads(row.data))


# ---------------------------------------------------------------- versions


def history_visible_to(row: StixObject, viewer: Viewer) -> bool:
    """Earlier versions keep no marking of their own (a version may have been stored under
    a stricter marking than the record's current one), so only the owning organisation's
    members see them; everyone else who may see the record sees its current version."""
    return viewer.org_id is not None and viewer.org_id == row.owner_org_id


def versions(session: Session, viewer: Viewer, ref: str | StixObject) -> list[dict[str, Any]]:
    """The versions of a visible object the viewer may see, oldest first."""
    row = _resolve(session, viewer, ref)
    if not history_visible_to(row, viewer):
        return [as_stix(row)]
    older = session.scalars(select(StixObjectVersion.data).where(
        StixObjectVersion.object_id == row.id).order_by(StixObjectVersion.stix_modified)).all()
    return [orjson.loads(d) for d in older] + [as_stix(row)]


# ---------------------------------------------------------------- relationships


@dataclass
class Link:
    direction: str  # "out" (this object → other) or "in"
    kind: str  # relationship:<type>, sighting_of_ref, object_refs, …
    via: StixObject  # the record that carries the reference
    other_stix_id: str
    other: StixObject | None  # the other end, when visible here


def relationships(session: Session, viewer: Viewer, ref: str | StixObject,
                  limit: int = 200) -> list[Link]:
    row = _resolve(session, viewer, ref)
    carrier = aliased(StixObject)
    edges = session.execute(
        select(StixRef, carrier)
        .join(carrier, carrier.id == StixRef.object_id)
        .where(or_(StixRef.source_stix_id == row.stix_id, StixRef.target_stix_id == row.stix_id),
               access.visible(carrier, viewer))
        .order_by(StixRef.id).limit(limit)).all()
    others = {e.StixRef.target_stix_id if e.StixRef.source_stix_id == row.stix_id
              else e.StixRef.source_stix_id for e in edges}
    visible_others: dict[str, StixObject] = {}
    if others:
        for other in session.scalars(access.select_visible(StixObject, viewer).where(
                StixObject.stix_id.in_(others))):
            current = visible_others.get(other.stix_id)
            if current is None or other.owner_org_id == viewer.org_id:
                visible_others[other.stix_id] = other
    links = []
    for edge, via in edges:
        out = edge.source_stix_id == row.stix_id
        other_id = edge.target_stix_id if out else edge.source_stix_id
        links.append(Link("out" if out else "in", edge.kind, via, other_id,
                          visible_others.get(other_id)))
    return links


# ---------------------------------------------------------------- correlations


@dataclass
class Correlation:
    kind: str
    value: str
    warning_lists: list[str]
    objects: list[StixObject]
    total: int


def correlate_values(session: Session, viewer: Viewer, keys: list[tuple[str, str]], *,
                     exclude: uuid.UUID | None = None, limit: int = 50) -> list[Correlation]:
    """For each (kind, value): the visible objects carrying it, newest first, and who
    contributed them; values on a MISP warning list are flagged as likely benign."""
    from cyberhub.intel import warninglists

    result = []
    for kind, value in keys:
        base = (select(StixObject)
                .join(ObservableValue, ObservableValue.object_id == StixObject.id)
                .where(ObservableValue.key == value_key(kind, value),
                       ObservableValue.kind == kind, ObservableValue.value == value,
                       access.visible(StixObject, viewer)))
        if exclude is not None:
            base = base.where(StixObject.id != exclude)
        # Newest first by record id (time-ordered): the (key, object_id) index serves
        # the order, so the first page costs a page whatever the value's popularity.
        objects = list(session.scalars(base.order_by(ObservableValue.object_id.desc())
                                       .limit(limit)))
        total = len(objects)
        if total == limit:  # counted up to a cap: "10,000+" is all anyone needs
            # Walked in the first page's order, so the count goes on where it stopped.
            total = session.scalar(select(func.count()).select_from(
                base.with_only_columns(ObservableValue.id)
                .order_by(ObservableValue.object_id.desc())
                .limit(COUNT_CAP + 1).subquery())) or 0
        access.audit_listing(session, StixObject, objects, viewer)
        result.append(Correlation(kind, value, warninglists.check(kind, value), objects, total))
    return result


def object_values(session: Session, row: StixObject) -> list[tuple[str, str]]:
    return [(k, v) for k, v in session.execute(
        select(ObservableValue.kind, ObservableValue.value)
        .where(ObservableValue.object_id == row.id).order_by(ObservableValue.id))]


def correlations(session: Session, viewer: Viewer, ref: str | StixObject,
                 limit: int = 50) -> list[Correlation]:
    row = _resolve(session, viewer, ref)
    return correlate_values(session, viewer, object_values(session, row), exclude=row.id,
                            limit=limit)


# ---------------------------------------------------------------- sightings


def sightings(session: Session, viewer: Viewer, ref: str | StixObject,
              limit: int = 200) -> list[StixObject]:
    row = _resolve(session, viewer, ref)
    return list(session.scalars(
        access.select_visible(StixObject, viewer)
        .where(StixObject.type == "sighting",
               exists().where(StixRef.object_id == StixObject.id,
                              StixRef.kind == "sighting_of_ref",
                              StixRef.target_stix_id == row.stix_id))
        .order_by(StixObject.created_at.desc()).limit(limit)))


def report_sighting(session: Session, viewer: Viewer, ref: str, *, count: int = 1,
                    first_seen: datetime | None = None, last_seen: datetime | None = None,
                    tlp: str = "GREEN", description: str | None = None) -> StixObject:
    """A member says they saw an object: a STIX sighting owned by their organisation."""
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not report sightings."))
    assert viewer.org_id is not None and viewer.user_id is not None
    target = get_object(session, viewer, ref)
    if not 1 <= count <= 999_999_999:
        raise InvalidInput(_("count must be between 1 and 999999999."), details={"field": "count"})
    if first_seen and last_seen and last_seen < first_seen:
        raise InvalidInput(_("last_seen must not be before first_seen."),
                           details={"field": "last_seen"})
    tlp_ = clean_tlp(tlp)
    now = utcnow()
    stamp = _stix_ts(now)
    sighting: dict[str, Any] = {
        "type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "sighting_of_ref": target.stix_id,
        "count": count, "where_sighted_refs": [org_identity_id(viewer.org_id)],
        "created_by_ref": org_identity_id(viewer.org_id),
    }
    if first_seen:
        sighting["first_seen"] = _stix_ts(first_seen)
    if last_seen:
        sighting["last_seen"] = _stix_ts(last_seen)
    if description:
        sighting["description"] = description[:10_000]
    row = StixObject(
        stix_id=sighting["id"], type="sighting", spec_version="2.1", stix_created=now,
        stix_modified=now, name=None, description=sighting.get("description"),
        data=orjson.dumps(sighting).decode(), tlp=tlp_, owner_org_id=viewer.org_id,
        created_by_id=viewer.user_id, source="api", labels=[])
    session.add(row)
    session.flush()
    session.add(StixRef(object_id=row.id, source_stix_id=row.stix_id,
                        target_stix_id=target.stix_id, kind="sighting_of_ref"))
    audit.record(session, viewer.actor, "sighting.create", target_type="stix_objects",
                 target_id=row.id, details={"of": target.stix_id})
    return row


def _stix_ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- owners' changes


def update_object(session: Session, viewer: Viewer, ref: str, *, tlp: str | None = None,
                  pap: str | None = None, audience: Audience | None = None,
                  vetting: str | None = None) -> StixObject:
    """Owners change the sharing of their copy; the content changes only by a new version."""
    row = get_object(session, viewer, ref)
    if not access.can_edit(row, viewer):
        raise PermissionDenied(_("Only the contributor and the admins of the owning "
                                 "organisation may change this object."))
    changes: dict[str, Any] = {}
    if pap is not None:
        row.pap = clean_pap(pap)
        changes["pap"] = pap
    if vetting is not None:
        try:
            state = Vetting(vetting)
        except ValueError:
            raise InvalidInput(_("Unknown vetting state %(v)r; use unverified, corroborated, "
                                 "vetted or disputed.") % {"v": vetting},
                               details={"field": "vetting"}) from None
        from cyberhub.vetting.service import has_verdicts

        if state is not row.vetting and has_verdicts(session, row.id):
            # While other organisations' verdicts stand, they decide the state (ADR 0014).
            raise Conflict(_("Other organisations have cast verdicts on this object, so its "
                             "vetting state follows them; it changes when they change or "
                             "withdraw their verdicts."), details={"field": "vetting"})
        row.vetting = state
        changes["vetting"] = vetting
    if tlp is not None or audience is not None:
        from cyberhub.audience import audience_of

        new_tlp = clean_tlp(tlp) if tlp is not None else row.tlp
        aud = check_audience(session, new_tlp, audience if audience is not None
                             else audience_of(session, row.id))
        row.tlp = new_tlp
        write_audience(session, row.id, aud)
        changes["tlp"] = new_tlp.value
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "object.update", target_type="stix_objects",
                 target_id=row.id, details=changes)
    return row


def revoke(session: Session, viewer: Viewer, ref: str) -> StixObject:
    """Revoke an object (STIX ``revoked: true`` in a new version); observables, which
    have no versions, cannot be revoked."""
    row = get_object(session, viewer, ref)
    if not access.can_edit(row, viewer):
        raise PermissionDenied(_("Only the contributor and the admins of the owning "
                                 "organisation may revoke this object."))
    current = as_stix(row)
    if "modified" not in current:
        raise InvalidInput(_("Observables have no versions and cannot be revoked; change their "
                           "marking or vetting state instead."))
    if current.get("revoked") is True:
        return row
    session.add(StixObjectVersion(object_id=row.id, stix_modified=row.stix_modified,
                                  data=row.data, import_id=row.import_id,
                                  created_at=row.updated_at))
    now = utcnow()
    modified = now if row.stix_modified is None or now > row.stix_modified \
        else row.stix_modified + timedelta(milliseconds=1)
    current["revoked"] = True
    current["modified"] = _stix_ts(modified)
    row.data = orjson.dumps(current).decode()
    row.revoked = True
    row.stix_modified = datetime.fromisoformat(current["modified"].rstrip("Z") + "+00:00")
    row.updated_at = now
    session.flush()
    audit.record(session, viewer.actor, "object.revoke", target_type="stix_objects",
                 target_id=row.id, details={"stix_id": row.stix_id})
    return row


def organisations_by_id(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Organisation]:
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organisation).where(
        Organisation.id.in_(ids)))}
