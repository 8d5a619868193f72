"""An insight as STIX 2.1: a ``report`` about its linked objects, or a ``note``.

Both STIX types require at least one ``object_refs`` entry. A ``report`` names the linked
objects the exporter may see, and is refused when there are none (a report about
nothing says nothing). A ``note`` names those objects too; when there are none, it
names the authoring organisation's identity, which the bundle always carries — the
insight is then a note by that organisation. Objects the exporter may not see are
neither named nor included. The insight is loaded through ``access`` by the caller.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from cyberhub import audit
from cyberhub.access import Viewer
from cyberhub.community.models import Organisation
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput
from cyberhub.i18n import _
from cyberhub.insights import service
from cyberhub.insights.models import Insight
from cyberhub.intel import extensions
from cyberhub.intel.export import effective_marking_refs
from cyberhub.intel.markings import MARKING_BY_TLP, TLP2, TLP2_DEFINITIONS, org_identity_id

_NAMESPACE = uuid.UUID("3c1d7f0e-8a4b-4e58-9a3f-51b6c2d9e7a4")
AS = ("report", "note")


def _ts(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stix_id(insight: Insight, kind: str) -> str:
    """Stable across exports of one insight."""
    return f"{kind}--{uuid.uuid5(_NAMESPACE, str(insight.id))}"


def bundle(session: Session, viewer: Viewer, insight: Insight, as_: str | None = None) -> bytes:
    """``as_`` is "report", "note", or None: a report when the exporter may see a linked
    object, else a note."""
    if as_ not in (None, *AS):
        raise InvalidInput(_("Export as report or note."), details={"field": "as"})
    rows = service.linked_objects(session, viewer, insight)
    kind = as_ or ("report" if rows else "note")
    if kind == "report" and not rows:
        raise Conflict(_("A STIX report must name at least one object, and you may see none "
                         "linked to this insight. Link objects, or export it as a note."),
                       details={"field": "as"})
    objects: list[dict[str, Any]] = []
    markings = {MARKING_BY_TLP[insight.tlp]}
    types: set[str] = set()
    for row in rows:
        data = orjson.loads(row.data)
        refs = effective_marking_refs(data.get("object_marking_refs"), row.tlp)
        if refs is not None:
            data["object_marking_refs"] = refs
        markings.update(r for r in data.get("object_marking_refs", []) if r in TLP2_DEFINITIONS)
        types.add(str(data.get("type", "")))
        objects.append(data)
    owner = session.get(Organisation, insight.owner_org_id)
    identity_id = org_identity_id(insight.owner_org_id)
    created = _ts(insight.created_at)
    identity = {"type": "identity", "spec_version": "2.1", "id": identity_id,
                "created": created, "modified": created, "name": owner.name if owner else "",
                "identity_class": "organization"}
    refs = list(dict.fromkeys(str(o["id"]) for o in objects)) or [identity_id]
    common: dict[str, Any] = {
        "spec_version": "2.1", "id": stix_id(insight, kind), "created": created,
        "modified": _ts(max(insight.updated_at, insight.created_at)),
        "created_by_ref": identity_id, "object_refs": refs,
        "object_marking_refs": [MARKING_BY_TLP[insight.tlp]], "labels": ["insight"],
    }
    if kind == "report":
        sdo: dict[str, Any] = {
            "type": "report", **common, "name": insight.title, "report_types": ["threat-report"],
            # A draft exported by its organisation has not been published: it is dated now.
            "published": _ts(insight.published_at or utcnow())}
        description = "\n\n".join(p for p in (insight.summary, insight.body_markdown) if p)
        if description.strip():
            sdo["description"] = description
    else:
        sdo = {"type": "note", **common, "abstract": insight.title,
               "content": insight.body_markdown or insight.summary or insight.title}
    definitions = extensions.definitions_for(types)
    leading: list[dict[str, Any]] = [TLP2_DEFINITIONS[m] for m in TLP2 if m in markings]
    if definitions:
        leading += [extensions.IDENTITY, *definitions]
    result = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
              "objects": [*leading, identity, sdo, *objects]}
    audit.record(session, viewer.actor, "insight.export", target_type="insights",
                 target_id=insight.id, details={"as": kind, "objects": len(rows)})
    return orjson.dumps(result)
