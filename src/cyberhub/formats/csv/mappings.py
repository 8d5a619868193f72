"""Saved CSV column mappings: an organisation's named mappings, reused on every import.

A mapping belongs to the organisation of the member who saved it; its users see and use
it, nobody else does (another organisation's mapping answers like one that does not
exist). Analysts and admins may save (saving under an existing name replaces it) and
delete; readers only use.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.formats.csv.mapping import Mapping
from cyberhub.formats.models import CsvMapping
from cyberhub.i18n import _

__all__ = ["delete_mapping", "get_mapping", "list_mappings", "load", "save_mapping"]

MAX_NAME = 100


def list_mappings(session: Session, viewer: Viewer) -> list[CsvMapping]:
    if viewer.org_id is None:
        return []
    return list(session.scalars(select(CsvMapping).where(CsvMapping.org_id == viewer.org_id)
                                .order_by(CsvMapping.name)))


def get_mapping(session: Session, viewer: Viewer, ref: str) -> CsvMapping:
    """By id or by name, among the viewer's organisation's mappings."""
    ref = (ref or "").strip()
    if viewer.org_id is None or not ref:
        raise NotFound()
    query = select(CsvMapping).where(CsvMapping.org_id == viewer.org_id)
    try:
        found = session.scalar(query.where(CsvMapping.id == uuid.UUID(ref)))
    except ValueError:
        found = None
    found = found or session.scalar(query.where(CsvMapping.name == ref))
    if found is None:
        raise NotFound(_("Your organisation has no CSV mapping %(ref)r.") % {"ref": ref})
    return found


def load(session: Session, viewer: Viewer, ref: str) -> Mapping:
    row = get_mapping(session, viewer, ref)
    return Mapping.from_dict(row.spec, name=row.name)


def save_mapping(session: Session, viewer: Viewer, name: str, mapping: Mapping) -> CsvMapping:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not save mappings."))
    assert viewer.org_id is not None and viewer.user_id is not None
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(_("Give the mapping a name of 1 to %(n)d characters.")
                           % {"n": MAX_NAME}, details={"field": "mapping_name"})
    mapping.check()
    spec = mapping.as_dict()
    row = session.scalar(select(CsvMapping).where(CsvMapping.org_id == viewer.org_id,
                                                  CsvMapping.name == name))
    if row is None:
        row = CsvMapping(org_id=viewer.org_id, name=name, spec=spec,
                         created_by_id=viewer.user_id)
        session.add(row)
    else:
        row.spec = spec
        row.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "csv_mapping.save", target_type="csv_mappings",
                 target_id=row.id, details={"name": name})
    return row


def delete_mapping(session: Session, viewer: Viewer, ref: str) -> None:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not delete mappings."))
    row = get_mapping(session, viewer, ref)
    audit.record(session, viewer.actor, "csv_mapping.delete", target_type="csv_mappings",
                 target_id=row.id, details={"name": row.name})
    session.delete(row)
    session.flush()
