"""What each TAXII 2.1 endpoint answers (sections 4 and 5).

A collection's objects are the knowledge-base records that the requester may see
(:func:`cyberhub.access.visible`) and that match the collection's filter. Each record is
one object; its versions are the current one (``stix_objects``) and the earlier ones
(``stix_object_versions``). *Date added* is when the hub stored a version: the record's
``updated_at`` for the current one (an owner's change of marking or vetting state counts
as storing it again, so partners re-read it), the version row's ``created_at`` for the
others. Pages run in that order, ties broken by record id and version row.

Two members may hold copies of one STIX object (one record each, see
:mod:`cyberhub.intel.models`); a requester who sees both gets both, which TAXII clients
take as the same object and version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    UnaryExpression,
    and_,
    cast,
    delete,
    exists,
    false,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.operators import custom_op

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, clean_tlp
from cyberhub.community.models import Role
from cyberhub.config import get_settings
from cyberhub.errors import BadRequest, InvalidInput, NotFound, PermissionDenied
from cyberhub.federation import origins
from cyberhub.federation.models import Peer
from cyberhub.i18n import _
from cyberhub.intel import export, search_index
from cyberhub.intel.models import Import, ImportStatus, StixObject, StixObjectVersion
from cyberhub.sharing import TLP, AudienceEntry
from cyberhub.taxii import media
from cyberhub.taxii.models import TaxiiCollection
from cyberhub.taxii.paging import (
    SPEC_VERSIONS,
    Position,
    Request,
    format_timestamp,
    make_token,
)

API_ROOT: Final = "hub"
# The most objects one POST may carry, and how many of them its status lists by id.
MAX_POST_OBJECTS: Final = 100_000
STATUS_LISTED: Final = 10_000
MAX_NESTING: Final = 250  # levels inside a POSTed object (orjson writes no deeper)
_SENSITIVE: Final = (TLP.RED, TLP.AMBER_STRICT)


# ------------------------------------------------------------------ discovery, API root

def discovery(base_url: str) -> dict[str, Any]:
    settings = get_settings()
    root = f"{base_url}{media.PREFIX}/{API_ROOT}/"
    return {"title": f"{settings.hub_name} TAXII 2.1",
            "description": _("The shared knowledge base of this hub, as TAXII 2.1 "
                             "collections. Every object is served under the sharing rules "
                             "of the hub (TLP 2.0)."),
            "default": root, "api_roots": [root]}


def api_root() -> dict[str, Any]:
    settings = get_settings()
    return {"title": settings.hub_name,
            "description": _("Collections of the hub's knowledge base."),
            "versions": [media.TAXII], "max_content_length": settings.max_taxii_bytes}


def check_api_root(name: str) -> None:
    if name != API_ROOT:
        raise NotFound(_("No API root %(name)r on this server.") % {"name": name[:60]})


# ------------------------------------------------------------------ collections

def list_collections(session: Session) -> list[TaxiiCollection]:
    return list(session.scalars(select(TaxiiCollection).order_by(TaxiiCollection.title)))


def get_collection(session: Session, collection_id: str) -> TaxiiCollection:
    """A collection by id (or alias). Every member may read every collection: what it
    shows each of them is decided per object."""
    try:
        found = session.get(TaxiiCollection, uuid.UUID(collection_id))
    except ValueError:
        found = session.scalar(select(TaxiiCollection).where(
            TaxiiCollection.alias == collection_id[:100]))
    if found is None:
        raise NotFound(_("No collection %(id)r here.") % {"id": collection_id[:60]})
    return found


def can_read(viewer: Viewer) -> bool:
    return viewer.user_id is not None


def can_write(collection: TaxiiCollection, viewer: Viewer, token_writes: bool) -> bool:
    return collection.writable and token_writes and access.can_contribute(viewer)


def collection_resource(collection: TaxiiCollection, viewer: Viewer,
                        token_writes: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(collection.id), "title": collection.title,
                            "can_read": can_read(viewer),
                            "can_write": can_write(collection, viewer, token_writes),
                            "media_types": [media.STIX]}
    if collection.description:
        body["description"] = collection.description
    if collection.alias:
        body["alias"] = collection.alias
    return body


@dataclass(frozen=True)
class CollectionSpec:
    """A collection as a hub admin defines it (checked by :func:`save_collection`)."""

    title: str
    description: str = ""
    alias: str | None = None
    tlps: Sequence[str] = ()
    types: Sequence[str] = ()
    labels: Sequence[str] = ()
    sources: Sequence[str] = ()
    owner_org_ids: Sequence[str] = ()
    audience_ids: Sequence[str] = ()  # organisations or groups the audience names
    writable: bool = False
    write_tlp: str = "amber"


def _require_hub_admin(viewer: Viewer) -> None:
    if viewer.role is not Role.HUB_ADMIN:
        raise PermissionDenied(_("Only hub administrators define TAXII collections."))


def save_collection(session: Session, viewer: Viewer, spec: CollectionSpec,
                    collection: TaxiiCollection | None = None) -> TaxiiCollection:
    """Create (or, given ``collection``, change) a collection. Hub admins only."""
    _require_hub_admin(viewer)
    from cyberhub.community.models import Group, Organisation

    title = spec.title.strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("A collection needs a title of at most 200 characters."),
                           details={"field": "title"})
    alias = (spec.alias or "").strip() or None
    if alias is not None:
        if len(alias) > 100 or not all(c.isalnum() or c in "-_." for c in alias):
            raise InvalidInput(_("An alias is at most 100 letters, digits, '-', '_' or '.'."),
                               details={"field": "alias"})
        try:
            uuid.UUID(alias)
            raise InvalidInput(_("An alias must not look like a collection id."),
                               details={"field": "alias"})
        except ValueError:
            pass
        taken = session.scalar(select(TaxiiCollection.id).where(TaxiiCollection.alias == alias))
        if taken is not None and (collection is None or taken != collection.id):
            raise InvalidInput(_("Another collection has the alias %(alias)r.")
                               % {"alias": alias}, details={"field": "alias"})
    filters = export.make_filters(session, types=list(spec.types), labels=list(spec.labels),
                                  tlps=list(spec.tlps))
    owners: list[str] = []
    for ref in spec.owner_org_ids:
        try:
            oid = uuid.UUID(str(ref))
        except ValueError:
            raise InvalidInput(_("%(ref)r is not an organisation id.") % {"ref": str(ref)[:60]},
                               details={"field": "owner_org_ids"}) from None
        if session.get(Organisation, oid) is None:
            raise InvalidInput(_("No organisation %(ref)r.") % {"ref": str(ref)},
                               details={"field": "owner_org_ids"})
        owners.append(str(oid))
    audience: list[str] = []
    for ref in spec.audience_ids:
        try:
            aid = uuid.UUID(str(ref))
        except ValueError:
            raise InvalidInput(_("%(ref)r is not an organisation or group id.")
                               % {"ref": str(ref)[:60]}, details={"field": "audience_ids"}
                               ) from None
        if session.get(Organisation, aid) is None and session.get(Group, aid) is None:
            raise InvalidInput(_("No organisation or group %(ref)r.") % {"ref": str(ref)},
                               details={"field": "audience_ids"})
        audience.append(str(aid))
    sources = [s.strip() for s in spec.sources if s.strip()]
    if any(len(s) > 200 for s in sources):
        raise InvalidInput(_("A source prefix is at most 200 characters."),
                           details={"field": "sources"})
    write_tlp = clean_tlp(spec.write_tlp)
    target = collection or TaxiiCollection(created_by_id=viewer.user_id)
    target.title = title
    target.description = spec.description.strip()[:5000]
    target.alias = alias
    target.tlps = [t.value for t in filters.tlps]
    target.types = list(filters.types)
    target.labels = list(filters.labels)
    target.sources = sources
    target.owner_org_ids = owners
    target.audience_ids = audience
    target.writable = spec.writable
    target.write_tlp = write_tlp
    if collection is None:
        session.add(target)
    session.flush()
    audit.record(session, viewer.actor,
                 "taxii.collection_create" if collection is None else "taxii.collection_update",
                 target_type="taxii_collections", target_id=target.id,
                 details={"title": target.title, **target.filters(),
                          "writable": target.writable})
    return target


def delete_collection(session: Session, viewer: Viewer, collection: TaxiiCollection) -> None:
    _require_hub_admin(viewer)
    audit.record(session, viewer.actor, "taxii.collection_delete",
                 target_type="taxii_collections", target_id=collection.id,
                 details={"title": collection.title})
    session.delete(collection)
    session.flush()


# ------------------------------------------------------------------ selecting versions

def _record_conditions(collection: TaxiiCollection, viewer: Viewer, req: Request,
                       partner: access.Partner | None = None) -> list[ColumnElement[bool]]:
    """Which records: visible, in the collection, matching id, type and spec_version —
    and, for a partner hub's client, only what may leave to that partner."""
    where: list[ColumnElement[bool]] = [access.visible(StixObject, viewer)]
    if partner is not None:
        where.append(access.may_leave_to(StixObject, partner))
    if collection.tlps:
        where.append(StixObject.tlp.in_([TLP(t) for t in collection.tlps]))
    if collection.types:
        where.append(StixObject.type.in_(collection.types))
    if collection.labels:
        text = cast(StixObject.labels, String)
        where.append(or_(*(text.contains(orjson.dumps(lb).decode(), autoescape=True)
                           for lb in collection.labels)))
    if collection.sources:
        where.append(or_(*(StixObject.source.startswith(s, autoescape=True)
                           for s in collection.sources)))
    if collection.owner_org_ids:
        where.append(StixObject.owner_org_id.in_([uuid.UUID(o)
                                                  for o in collection.owner_org_ids]))
    if collection.audience_ids:
        named = [uuid.UUID(a) for a in collection.audience_ids]
        where.append(exists().where(AudienceEntry.record_id == StixObject.id, or_(
            AudienceEntry.org_id.in_(named), AudienceEntry.group_id.in_(named))))
    if req.ids:
        where.append(StixObject.stix_id.in_(req.ids))
    if req.types:
        where.append(StixObject.type.in_(req.types))
    if req.spec_versions and not set(req.spec_versions) & set(SPEC_VERSIONS):
        # The hub holds STIX 2.1 only.
        where.append(false())
    return where


def _after(added: Any, rid: Any, seq: Any, position: Position | None,
           added_after: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if added_after is not None:
        where.append(added > added_after)
    if position is not None:
        where.append(or_(added > position.added, and_(added == position.added, or_(
            rid > position.record_id, and_(rid == position.record_id, seq > position.seq)))))
    return where


def _version_conditions(req: Request) -> tuple[ColumnElement[bool] | None,
                                              ColumnElement[bool] | None]:
    """(current versions, earlier versions) that ``match[version]`` selects; None for a
    table that contributes nothing."""
    wanted = set(req.versions)
    if "all" in wanted:
        return true(), true()
    stamps = req.version_timestamps
    history = aliased(StixObjectVersion)
    current: list[ColumnElement[bool]] = []
    earlier: list[ColumnElement[bool]] = []
    if "last" in wanted:
        current.append(true())
    if stamps:
        current.append(StixObject.stix_modified.in_(stamps))
        earlier.append(StixObjectVersion.stix_modified.in_(stamps))
    if "first" in wanted:
        current.append(~exists().where(history.object_id == StixObject.id))
        earlier.append(~exists().where(
            history.object_id == StixObjectVersion.object_id,
            history.stix_modified < StixObjectVersion.stix_modified))
    return (or_(*current) if current else None, or_(*earlier) if earlier else None)


@dataclass(frozen=True)
class Item:
    """One object version on a page."""

    added: datetime
    record_id: uuid.UUID
    seq: int
    stix_id: str
    version: datetime | None
    tlp: TLP
    data: str
    origin: str | None = None  # where it entered the network, if not here

    @property
    def version_text(self) -> str:
        return format_timestamp(self.version or self.added)


@dataclass(frozen=True)
class Page:
    items: list[Item]
    more: bool
    next: str | None

    def headers(self) -> dict[str, str]:
        if not self.items:
            return {}
        return {"X-TAXII-Date-Added-First": format_timestamp(self.items[0].added),
                "X-TAXII-Date-Added-Last": format_timestamp(self.items[-1].added)}


def _versions_first(column: Any, dialect: str) -> Any:
    """The earlier versions' record id, as their join to the records uses it. On SQLite
    a unary ``+`` keeps the planner from looking versions up by record (an index it
    has): without statistics it would otherwise scan every record for each page and look
    for its versions, where scanning the versions (rarely many) and fetching each one's
    record by key is what a page needs."""
    if dialect != "sqlite":
        return column
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _selects(collection: TaxiiCollection, viewer: Viewer, req: Request, with_data: bool,
             partner: access.Partner | None, dialect: str) -> list[Any]:
    where = _record_conditions(collection, viewer, req, partner)
    current_cond, earlier_cond = _version_conditions(req)
    if partner is not None or viewer.org_id is None:
        # Earlier versions keep no marking of their own: one stored under a stricter
        # marking than the record's current one must not travel. Only the owner's
        # members see them (see history_visible_to in intel.service).
        earlier_cond = None
    elif earlier_cond is not None:
        earlier_cond = and_(earlier_cond, StixObject.owner_org_id == viewer.org_id)
    version = StixObject.stix_modified.label("version")
    created = StixObject.stix_created.label("created")
    parts: list[Any] = []
    if current_cond is not None:
        data = StixObject.data if with_data else literal("", String)
        parts.append(
            select(StixObject.updated_at.label("added"), StixObject.id.label("rid"),
                   literal(0, BigInteger).label("seq"), StixObject.stix_id, version, created,
                   StixObject.tlp, data.label("data"), StixObject.origin_hub)
            .where(*where, current_cond,
                   *_after(StixObject.updated_at, StixObject.id, literal(0, BigInteger),
                           req.after, req.added_after))
            .order_by(StixObject.updated_at, StixObject.id).limit(req.limit + 1))
    if earlier_cond is not None:
        v = StixObjectVersion
        data = v.data if with_data else literal("", String)
        parts.append(
            select(v.created_at.label("added"), v.object_id.label("rid"),
                   cast(v.id, BigInteger).label("seq"), StixObject.stix_id,
                   v.stix_modified.label("version"), created, StixObject.tlp,
                   data.label("data"), StixObject.origin_hub)
            .join(StixObject, StixObject.id == _versions_first(v.object_id, dialect))
            .where(*where, earlier_cond,
                   *_after(v.created_at, v.object_id, v.id, req.after, req.added_after))
            .order_by(v.created_at, v.object_id, v.id).limit(req.limit + 1))
    return parts


def page(session: Session, viewer: Viewer, collection: TaxiiCollection, req: Request, *,
         with_data: bool = True, partner: access.Partner | None = None) -> Page:
    """One page of object versions, oldest date added first."""
    parts = _selects(collection, viewer, req, with_data, partner,
                     session.get_bind().dialect.name)
    if not parts:
        return Page([], False, None)
    if len(parts) == 1:
        rows = session.execute(parts[0]).all()
    else:
        both = union_all(*(select(p.subquery()) for p in parts)).subquery()
        rows = session.execute(select(both).order_by(both.c.added, both.c.rid, both.c.seq)
                               .limit(req.limit + 1)).all()
    more = len(rows) > req.limit
    items = [Item(r.added, r.rid if isinstance(r.rid, uuid.UUID) else uuid.UUID(str(r.rid)),
                  int(r.seq), r.stix_id, r.version or r.created, TLP(r.tlp), r.data,
                  r.origin_hub)
             for r in rows[:req.limit]]
    token = None
    if more:
        last = items[-1]
        token = make_token(Position(last.added, last.record_id, last.seq), req.fingerprint)
    sensitive = [str(i.record_id) for i in items if i.tlp in _SENSITIVE]
    if sensitive:
        audit.record(session, viewer.actor, "taxii.read", target_type="stix_objects",
                     details={"collection": str(collection.id),
                              "ids": list(dict.fromkeys(sensitive))})
    return Page(items, more, token)


def object_exists(session: Session, viewer: Viewer, collection: TaxiiCollection,
                  stix_id: str, partner: access.Partner | None = None) -> bool:
    """Is any version of ``stix_id`` in the collection for this requester?"""
    where = _record_conditions(collection, viewer, Request(ids=(stix_id,)), partner)
    return session.scalar(select(exists().where(*where))) is True


# ------------------------------------------------------------------ rendering

def envelope(p: Page, *, with_origins: bool = False) -> bytes:
    """The TAXII envelope of a page; for a partner hub, with where each object that did
    not enter the network here came from (see ``federation.origins``)."""
    if not p.items:
        return b"{}"
    head = b'{"more":' + (b"true" if p.more else b"false")
    if p.next:
        head += b',"next":' + orjson.dumps(p.next)
    stated = {i.stix_id: i.origin for i in p.items if i.origin} if with_origins else {}
    if stated:
        head += b',"' + origins.PROPERTY.encode() + b'":' + orjson.dumps(stated)
    return head + b',"objects":[' + b",".join(
        export.with_hub_marking(i.data, i.tlp) for i in p.items) + b"]}"


def manifest(p: Page) -> dict[str, Any]:
    if not p.items:
        return {}
    body: dict[str, Any] = {"more": p.more}
    if p.next:
        body["next"] = p.next
    body["objects"] = [{"id": i.stix_id, "date_added": format_timestamp(i.added),
                        "version": i.version_text, "media_type": media.STIX}
                       for i in p.items]
    return body


def versions(p: Page) -> dict[str, Any]:
    if not p.items:
        return {}
    body: dict[str, Any] = {"more": p.more}
    if p.next:
        body["next"] = p.next
    body["versions"] = [i.version_text for i in p.items]
    return body


# ------------------------------------------------------------------ deleting

def delete_object(session: Session, viewer: Viewer, collection: TaxiiCollection,
                  stix_id: str, req: Request) -> int:
    """Delete the versions ``req`` selects of the requester's organisation's copies of an
    object. Returns how many versions went. An object the requester may not see in the
    collection is not found; one they see but may not change is forbidden."""
    if not object_exists(session, viewer, collection, stix_id):
        raise NotFound(_("No object %(id)r in this collection.") % {"id": stix_id[:100]})
    if not can_write(collection, viewer, token_writes=True):
        raise PermissionDenied(_("You may not change this collection."))
    found = page(session, viewer, collection, Request(
        ids=(stix_id,), versions=req.versions, spec_versions=req.spec_versions,
        limit=10_000), with_data=False).items
    records = {r.id: r for r in session.scalars(select(StixObject).where(
        StixObject.id.in_({i.record_id for i in found})))}
    mine = [i for i in found if access.can_edit(records[i.record_id], viewer)]
    if found and not mine:
        raise PermissionDenied(_("Only the contributor and the admins of the owning "
                                 "organisation may delete this object."))
    removed = 0
    for record_id in {i.record_id for i in mine}:
        record = records[record_id]
        gone = [i for i in mine if i.record_id == record_id]
        earlier = [i.seq for i in gone if i.seq]
        if earlier:
            session.execute(delete(StixObjectVersion).where(StixObjectVersion.id.in_(earlier)))
        if any(i.seq == 0 for i in gone):
            _drop_current(session, record)
        removed += len(gone)
        audit.record(session, viewer.actor, "object.delete", target_type="stix_objects",
                     target_id=record_id, details={
                         "stix_id": stix_id, "versions": [i.version_text for i in gone],
                         "via": f"taxii:{collection.id}"})
    session.flush()
    return removed


def _drop_current(session: Session, record: StixObject) -> None:
    """The current version goes: the newest earlier one takes its place, or, if there is
    none, the record goes with its values, references and audience.

    The version that takes its place keeps the date it was added: deleting another
    version does not add it again (its ``date_added``, its place in the collection's
    order and what ``added_after`` selects stay as they were)."""
    from cyberhub.intel.importer import restore_version

    newest = session.scalars(select(StixObjectVersion).where(
        StixObjectVersion.object_id == record.id)
        .order_by(StixObjectVersion.stix_modified.desc()).limit(1)).first()
    if newest is not None:
        restore_version(session, record, newest.data)
        record.updated_at = newest.created_at
        session.delete(newest)
        return
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == record.id))
    search_index.remove(session, [record.id])
    session.delete(record)


# ------------------------------------------------------------------ adding, status

def add_objects(session: Session, viewer: Viewer, collection: TaxiiCollection,
                body: bytes, peer: Peer | None = None) -> Import:
    """Stage a POSTed envelope as an import job of its objects (run in the background).
    A partner hub's objects are imported as from a partner (see ``federation.sync``)."""
    from cyberhub.intel import imports

    try:
        envelope_in = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(_("The body is not JSON: %(error)s")
                         % {"error": str(exc)[:200]}) from None
    if not isinstance(envelope_in, dict) or not isinstance(envelope_in.get("objects"), list):
        raise BadRequest(_("The body must be a TAXII envelope: a JSON object with an "
                           "\"objects\" list."))
    objects: list[Any] = envelope_in["objects"]
    if not objects:
        raise BadRequest(_("The envelope holds no objects."))
    if len(objects) > MAX_POST_OBJECTS:
        raise BadRequest(_("Send at most %(n)d objects in one request.")
                         % {"n": MAX_POST_OBJECTS})
    try:
        bundle = orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                               "objects": objects})
    except orjson.JSONEncodeError:  # deeper than orjson writes (it reads deeper)
        raise BadRequest(_("An object of the envelope is nested too deeply: its arrays and "
                           "objects may go at most %(n)d levels down.")
                         % {"n": MAX_NESTING}) from None
    listed = [[o.get("id") if isinstance(o, dict) and isinstance(o.get("id"), str) else "",
               _version_of(o)] for o in objects[:STATUS_LISTED]]
    options: dict[str, Any] = {"taxii": {"collection": str(collection.id),
                                         "total": len(objects), "objects": listed}}
    tlp, audience = collection.write_tlp.value, Audience()
    if peer is not None:
        options.update(peer_id=str(peer.id), peer=peer.name,
                       sender=origins.hub_address(peer.url),
                       origins=origins.read(envelope_in))
        tlp = peer.tlp.value
        audience = Audience(org_ids=[uuid.UUID(i) for i in peer.audience.get("org_ids", [])])
    job = imports.new_import(
        session, viewer, filename=f"taxii-{collection.alias or collection.id}.json",
        tlp=tlp, audience=audience, mode="lenient", options=options)
    path = imports.staging_dir() / f"{job.id}.upload"
    path.write_bytes(bundle)
    job.staged_path = str(path)
    job.bytes_total = len(bundle)
    session.flush()
    return job


def _version_of(obj: Any) -> str:
    if isinstance(obj, dict):
        for key in ("modified", "created"):
            if isinstance(obj.get(key), str):
                return str(obj[key])
    return ""


def get_status(session: Session, viewer: Viewer, status_id: str) -> Import:
    from cyberhub.intel import imports

    job = imports.get_import(session, viewer, status_id)
    if "taxii" not in (job.options or {}):
        raise NotFound()
    return job


def status_resource(job: Import) -> dict[str, Any]:
    """The TAXII status of a POST (section 4.3.1), from its import job."""
    taxii = job.options["taxii"]
    total = int(taxii["total"])
    listed = [{"id": i, "version": v} if v else {"id": i} for i, v in taxii["objects"]]
    body: dict[str, Any] = {"id": str(job.id),
                            "request_timestamp": format_timestamp(job.created_at),
                            "total_count": total}
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return {**body, "status": "pending", "success_count": 0, "failure_count": 0,
                "pending_count": total, "pendings": listed}
    if job.status is not ImportStatus.SUCCEEDED:
        failures = [{**o, "message": job.message} for o in listed]
        return {**body, "status": "complete", "success_count": 0, "failure_count": total,
                "pending_count": 0, "failures": failures}
    problems: dict[str, str] = {}
    for error in job.errors:
        if error.get("id"):
            problems.setdefault(str(error["id"]), str(error.get("message", "")))
    failed = min(int(job.objects_invalid), total)
    failures = [{**o, "message": problems[o["id"]]} for o in listed if o["id"] in problems]
    successes = [o for o in listed if o["id"] and o["id"] not in problems]
    return {**body, "status": "complete", "success_count": total - failed,
            "failure_count": failed, "pending_count": 0, "successes": successes,
            "failures": failures}
