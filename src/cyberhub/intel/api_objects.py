"""REST: objects of the knowledge base — list and search, read, versions, relationships,
correlations, sightings, owners' changes and revocation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from cyberhub.audience import Audience, audiences_of, clean_tlp
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel import service
from cyberhub.intel.models import StixObject, Vetting
from cyberhub.schemas import AudienceModel, Paged
from cyberhub.sharing import PAP, TLP

router = APIRouter(tags=["knowledge base"])


class ObjectOut(BaseModel):
    id: uuid.UUID = Field(description="The hub's record id (one per owner and STIX id).")
    stix_id: str
    type: str
    name: str | None
    tlp: TLP
    pap: PAP | None
    audience: AudienceModel
    owner_org_id: uuid.UUID
    created_by_id: uuid.UUID
    vetting: Vetting
    revoked: bool
    source: str
    origin_hub: str | None = Field(default=None, description="The hub where the object "
                                   "entered the network, when a partner hub sent it.")
    import_id: uuid.UUID | None
    added: datetime = Field(description="When the hub stored it (TAXII date_added).")
    modified: datetime | None
    stix: dict[str, Any] = Field(description="The STIX object as contributed (current version).")


class ObjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tlp: str | None = Field(default=None, max_length=16)
    pap: str | None = Field(default=None, max_length=16)
    audience: AudienceModel | None = None
    vetting: str | None = Field(default=None, max_length=16)


class LinkOut(BaseModel):
    direction: str
    kind: str
    via: uuid.UUID = Field(description="Record carrying the reference (e.g. the relationship).")
    other_stix_id: str
    other: uuid.UUID | None = Field(description="The other end's record, if you may see it.")
    other_type: str | None
    other_name: str | None


class Occurrence(BaseModel):
    id: uuid.UUID
    stix_id: str
    type: str
    name: str | None
    tlp: TLP
    owner_org_id: uuid.UUID
    added: datetime


class CorrelationOut(BaseModel):
    kind: str
    value: str
    likely_benign: bool = Field(description="The value is on a MISP warning list.")
    warning_lists: list[str]
    total: int = Field(description="Visible objects carrying the value, counted up to "
                                   "10,001 (more reads as 10,001).")
    objects: list[Occurrence]


class SightingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(default=1, ge=1, le=999_999_999)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    tlp: str = Field(default="GREEN", max_length=16)
    description: str | None = Field(default=None, max_length=10_000)


def object_out(row: StixObject, audience: Audience) -> ObjectOut:
    return ObjectOut(
        id=row.id, stix_id=row.stix_id, type=row.type, name=row.name, tlp=row.tlp, pap=row.pap,
        audience=AudienceModel(org_ids=audience.org_ids, group_ids=audience.group_ids,
                               user_ids=audience.user_ids),
        owner_org_id=row.owner_org_id, created_by_id=row.created_by_id, vetting=row.vetting,
        revoked=row.revoked, source=row.source, origin_hub=row.origin_hub,
        import_id=row.import_id, added=row.created_at,
        modified=row.stix_modified, stix=orjson.loads(row.data))


def _one(session: Session, row: StixObject) -> ObjectOut:
    return object_out(row, audiences_of(session, [row.id])[row.id])


def _occurrence(row: StixObject) -> Occurrence:
    return Occurrence(id=row.id, stix_id=row.stix_id, type=row.type, name=row.name,
                      tlp=row.tlp, owner_org_id=row.owner_org_id, added=row.created_at)


Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=200)]
Many = Annotated[list[str] | None, Query(max_length=20)]


@router.get("/objects", response_model=Paged[ObjectOut])
def list_objects(
    ctx: ApiCtx, cursor: Cursor = None, limit: Limit = 50,
    q: Annotated[str | None, Query(max_length=200, description="Full text: names and "
                                                               "descriptions.")] = None,
    type: Many = None,
    value: Annotated[str | None, Query(max_length=2048, description="An observable value "
                                       "(normalised before lookup).")] = None,
    kind: Annotated[str | None, Query(max_length=32, description="The value's kind, if "
                                      "ambiguous (ipv4, domain, url, sha256, iban, …).")] = None,
    tlp: Many = None, org_id: uuid.UUID | None = None, label: Many = None,
    vetting: Many = None, since: datetime | None = None, until: datetime | None = None,
) -> Paged[ObjectOut]:
    try:
        vet = [Vetting(v) for v in vetting or []]
    except ValueError:
        raise InvalidInput(_("Unknown vetting state; use unverified, corroborated, vetted or "
                             "disputed."), details={"field": "vetting"}) from None
    for moment, name in ((since, "since"), (until, "until")):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(_("%(field)s needs a time zone, e.g. 2026-01-01T00:00:00Z.")
                               % {"field": name}, details={"field": name})
    filters = service.Filters(q=q, types=type or [], value=value, kind=kind,
                              tlps=[clean_tlp(t) for t in tlp or []], org_id=org_id,
                              labels=label or [], vetting=vet, since=since, until=until)
    page = service.list_objects(ctx.session, ctx.viewer, filters, cursor=cursor, limit=limit)
    audiences = audiences_of(ctx.session, [r.id for r in page.items])
    return Paged(items=[object_out(r, audiences[r.id]) for r in page.items],
                 next_cursor=page.next_cursor)


@router.get("/objects/{ref}", response_model=ObjectOut)
def get_object(ref: str, ctx: ApiCtx) -> ObjectOut:
    """``ref`` is the record id, or a STIX id (your own copy first)."""
    return _one(ctx.session, service.get_object(ctx.session, ctx.viewer, ref))


@router.patch("/objects/{ref}", response_model=ObjectOut)
def update_object(ref: str, body: ObjectPatch, ctx: ApiCtx) -> ObjectOut:
    aud = (Audience(body.audience.org_ids, body.audience.group_ids, body.audience.user_ids)
           if body.audience is not None else None)
    row = service.update_object(ctx.session, ctx.viewer, ref, tlp=body.tlp, pap=body.pap,
                                audience=aud, vetting=body.vetting)
    return _one(ctx.session, row)


@router.post("/objects/{ref}/revoke", response_model=ObjectOut)
def revoke_object(ref: str, ctx: ApiCtx) -> ObjectOut:
    return _one(ctx.session, service.revoke(ctx.session, ctx.viewer, ref))


@router.get("/objects/{ref}/versions", response_model=list[dict[str, Any]])
def object_versions(ref: str, ctx: ApiCtx) -> list[dict[str, Any]]:
    """Every version the hub holds, oldest first (STIX JSON)."""
    return service.versions(ctx.session, ctx.viewer, ref)


@router.get("/objects/{ref}/relationships", response_model=list[LinkOut])
def object_relationships(ref: str, ctx: ApiCtx) -> list[LinkOut]:
    return [LinkOut(direction=link.direction, kind=link.kind, via=link.via.id,
                    other_stix_id=link.other_stix_id,
                    other=link.other.id if link.other else None,
                    other_type=link.other.type if link.other else None,
                    other_name=link.other.name if link.other else None)
            for link in service.relationships(ctx.session, ctx.viewer, ref)]


def _correlations(found: list[service.Correlation]) -> list[CorrelationOut]:
    return [CorrelationOut(kind=c.kind, value=c.value, likely_benign=bool(c.warning_lists),
                           warning_lists=c.warning_lists, total=c.total,
                           objects=[_occurrence(o) for o in c.objects]) for c in found]


@router.get("/objects/{ref}/correlations", response_model=list[CorrelationOut])
def object_correlations(ref: str, ctx: ApiCtx) -> list[CorrelationOut]:
    """For each value the object carries: the other objects you may see that carry it."""
    return _correlations(service.correlations(ctx.session, ctx.viewer, ref))


@router.get("/values", response_model=list[CorrelationOut])
def lookup_value(ctx: ApiCtx, value: Annotated[str, Query(max_length=2048)],
                 kind: Annotated[str | None, Query(max_length=32)] = None
                 ) -> list[CorrelationOut]:
    """Who else has seen this value: every object you may see that carries it."""
    keys = service.value_keys(value, kind)
    if not keys:
        raise InvalidInput(_("That value is not a valid observable of any kind the hub "
                             "indexes%(k)s.") % {"k": f" ({kind})" if kind else ""},
                           details={"field": "value"})
    return _correlations(service.correlate_values(ctx.session, ctx.viewer, keys))


@router.get("/objects/{ref}/sightings", response_model=list[ObjectOut])
def object_sightings(ref: str, ctx: ApiCtx) -> list[ObjectOut]:
    rows = service.sightings(ctx.session, ctx.viewer, ref)
    audiences = audiences_of(ctx.session, [r.id for r in rows])
    return [object_out(r, audiences[r.id]) for r in rows]


@router.post("/objects/{ref}/sightings", response_model=ObjectOut, status_code=201)
def report_sighting(ref: str, body: SightingIn, ctx: ApiCtx) -> ObjectOut:
    for moment, name in ((body.first_seen, "first_seen"), (body.last_seen, "last_seen")):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(_("%(field)s needs a time zone, e.g. 2026-01-01T00:00:00Z.")
                               % {"field": name}, details={"field": name})
    row = service.report_sighting(ctx.session, ctx.viewer, ref, count=body.count,
                                  first_seen=body.first_seen, last_seen=body.last_seen,
                                  tlp=body.tlp, description=body.description)
    return _one(ctx.session, row)


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: list[str] = Field(max_length=10_000, description="Observable values, any kinds.")
    kind: str | None = Field(default=None, max_length=32,
                             description="The kind of every value, if known.")


class LookupHit(BaseModel):
    value: str = Field(description="As sent.")
    kind: str
    normalised: str = Field(description="GET /values?value=… says who carries it.")


@router.post("/values/lookup", response_model=list[LookupHit])
def bulk_lookup(body: LookupIn, ctx: ApiCtx) -> list[LookupHit]:
    """Which of these values (up to 10,000) the hub holds in objects you may see."""
    from cyberhub.intel import lookup

    asked: dict[tuple[str, str], list[str]] = {}
    for raw in body.values:
        for pair in service.value_keys(raw[:2048], body.kind):
            asked.setdefault(pair, []).append(raw)
    found = lookup.present(ctx.session, ctx.viewer, asked)
    return [LookupHit(value=raw, kind=kind, normalised=value)
            for (kind, value), raws in asked.items() if (kind, value) in found for raw in raws]
