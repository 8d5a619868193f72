"""Links from a record back to where it came from (a dialogue, an operation, an
incident, a meeting), stored as ``source_type``/``source_id`` pointers.

The pointer needs none of the source's code: the source's model is found by its table
in the shared metadata, so a type whose package is not installed (yet) is simply never
linked. A link is shown only to a reader who may see the source, decided by ``access``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.db import Base
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.sharing import Shareable

# source type → (candidate table names, the page that shows one)
_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "dialogue": (("dialogues",), "/dialogues/{id}"),
    "operation": (("operations", "joint_operations"), "/operations/{id}"),
    "incident": (("ransomware_incidents",), "/ransomware/incidents/{id}"),
    "meeting": (("meetings",), "/meetings/{id}"),
}


@dataclass(frozen=True)
class SourceLink:
    type: str
    id: uuid.UUID
    url: str


def clean_source(source_type: str | None, source_id: uuid.UUID | str | None,
                 allowed: tuple[str, ...]) -> tuple[str | None, uuid.UUID | None]:
    """Both or neither; a known type; a well-formed id. Whether the source exists is
    not checked: a pointer must not become a way to probe for records."""
    source_type = (source_type or "").strip().lower() or None
    if source_id in (None, ""):
        source_id = None
    if source_type is None and source_id is None:
        return None, None
    if source_type is None or source_id is None:
        raise InvalidInput(_("Give both the source type and the source id, or neither."),
                           details={"field": "source_type" if source_type is None
                                    else "source_id"})
    if source_type not in allowed:
        raise InvalidInput(_("Unknown source type %(value)r; use one of: %(allowed)s.")
                           % {"value": source_type, "allowed": ", ".join(allowed)},
                           details={"field": "source_type"})
    try:
        sid = source_id if isinstance(source_id, uuid.UUID) else uuid.UUID(str(source_id))
    except ValueError:
        raise InvalidInput(_("The source id must be a UUID."),
                           details={"field": "source_id"}) from None
    return source_type, sid


def _model(source_type: str) -> type[Shareable] | None:
    tables, _url = _SOURCES[source_type]
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__tablename__", None) in tables and issubclass(cls, Shareable):
            return cls
    return None


def link_for(session: Session, viewer: Viewer, source_type: str | None,
             source_id: uuid.UUID | None) -> SourceLink | None:
    """The link back to the source, when the viewer may see it; otherwise None."""
    if not source_type or source_id is None or source_type not in _SOURCES:
        return None
    model = _model(source_type)
    if model is None or not access.can_see(session, model, source_id, viewer):
        return None
    return SourceLink(source_type, source_id, _SOURCES[source_type][1].format(id=source_id))
