"""MISP sharing groups → hub audiences, after an import has stored its objects.

The converter cannot see the hub's organisations, so it marks each item of a sharing
group (distribution 4) with a marking definition naming the group and its member
organisations (``x_misp_sharing_group``) and marks the item AMBER. This step, run in the
import's transaction, adds the members that are hub organisations — matched by
organisation id (a MISP organisation uuid that is the hub organisation's id) or by
name, case-insensitively — to the audience of the AMBER and AMBER+STRICT objects of
the import that carry the marking. Members that are not on the hub are reported.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.community.models import Organisation
from cyberhub.db import new_id
from cyberhub.formats.convert import Notice
from cyberhub.i18n import ngettext
from cyberhub.intel.models import StixObject
from cyberhub.sharing import TLP, AudienceEntry

MAX_AUDIENCE = 500


def _groups(session: Session, org_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    rows = session.execute(
        select(StixObject.stix_id, StixObject.data).where(
            StixObject.owner_org_id == org_id, StixObject.type == "marking-definition",
            StixObject.data.contains("x_misp_sharing_group", autoescape=True)))
    found = []
    for stix_id, data in rows:
        group = orjson.loads(data).get("x_misp_sharing_group")
        if isinstance(group, dict):
            found.append((stix_id, group))
    return found


def apply_sharing_groups(session: Session, import_id: uuid.UUID,
                         org_id: uuid.UUID) -> list[Notice]:
    notices: list[Notice] = []
    groups = _groups(session, org_id)
    if not groups:
        return notices
    by_id = {o.id: o.id for o in session.scalars(select(Organisation))}
    by_name = {name.casefold(): oid for oid, name in session.execute(
        select(Organisation.id, Organisation.name))}
    for marking_id, group in groups:
        members: list[uuid.UUID] = []
        missing: list[str] = []
        for org in group.get("organisations") or []:
            if not isinstance(org, dict):
                continue
            match = None
            with contextlib.suppress(ValueError):
                match = by_id.get(uuid.UUID(str(org.get("uuid"))))
            if match is None:
                match = by_name.get(str(org.get("name") or "").casefold())
            if match is None:
                missing.append(str(org.get("name") or org.get("uuid") or "?"))
            elif match != org_id and match not in members:
                members.append(match)
        members = members[:MAX_AUDIENCE]
        records = list(session.scalars(select(StixObject.id).where(
            StixObject.import_id == import_id, StixObject.owner_org_id == org_id,
            StixObject.tlp.in_((TLP.AMBER, TLP.AMBER_STRICT)),
            StixObject.data.contains(marking_id, autoescape=True))))
        if not records:
            continue
        if missing:
            message = ngettext(
                "Sharing group %(group)r: %(missing)s is not an organisation of this hub; "
                "it was not added to the audience.",
                "Sharing group %(group)r: %(missing)s are not organisations of this hub; "
                "they were not added to the audience.", len(missing))
            notices.append(Notice(-1, marking_id, "x_misp_sharing_group", message % {
                "group": group.get("name"), "missing": ", ".join(sorted(missing))[:500]}))
        if not members:
            continue
        for start in range(0, len(records), 1000):
            chunk = records[start:start + 1000]
            have = {tuple(row) for row in session.execute(
                select(AudienceEntry.record_id, AudienceEntry.org_id).where(
                    AudienceEntry.record_id.in_(chunk),
                    AudienceEntry.org_id.in_(members)))}
            session.add_all(AudienceEntry(id=new_id(), record_id=rid, org_id=oid)
                            for rid in chunk for oid in members if (rid, oid) not in have)
    session.flush()
    return notices
