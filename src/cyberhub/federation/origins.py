"""Where an object entered the network of hubs.

A hub serving its partners adds ``x_cyberhub_origins`` to each TAXII envelope (a custom
property of the envelope, which TAXII clients ignore): STIX id → the address of the hub
where that object entered the network, for the objects it did not receive from a partner
itself. The receiving hub keeps it on its record (``StixObject.origin_hub``); an object
without an entry entered the network at the sender. Pushes carry the same map.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import update
from sqlalchemy.orm import Session

from cyberhub.intel.models import StixObject

PROPERTY: Final = "x_cyberhub_origins"
MAX_LENGTH: Final = 300
_CHUNK: Final = 500


def hub_address(url: str) -> str:
    """A partner's address from its collection URL (what precedes /taxii2/ or the API
    root's /collections/)."""
    for marker in ("/taxii2/", "/collections/"):
        if marker in url:
            return url.split(marker)[0].rstrip("/")[:MAX_LENGTH]
    return url.rstrip("/")[:MAX_LENGTH]


def read(envelope: Mapping[str, Any]) -> dict[str, str]:
    """The origins an envelope states for the objects it carries; anything else, or
    malformed, is ignored (the sender is then taken as the origin)."""
    found = envelope.get(PROPERTY)
    objects = envelope.get("objects")
    if not isinstance(found, dict) or not isinstance(objects, list):
        return {}
    carried = {o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)}
    return {k: v[:MAX_LENGTH] for k, v in found.items()
            if k in carried and isinstance(v, str) and v}


def record(session: Session, import_id: uuid.UUID, stated: Mapping[str, str],
           sender: str) -> None:
    """Keep the origin of what an import from a partner stored: as stated, or the
    sender's address."""
    groups: dict[str, list[str]] = {}
    for stix_id, origin in stated.items():
        groups.setdefault(origin, []).append(stix_id)
    for origin, ids in groups.items():
        for start in range(0, len(ids), _CHUNK):
            session.execute(update(StixObject).where(
                StixObject.import_id == import_id,
                StixObject.stix_id.in_(ids[start:start + _CHUNK]))
                .values(origin_hub=origin, updated_at=StixObject.updated_at))
    session.execute(update(StixObject).where(
        StixObject.import_id == import_id, StixObject.origin_hub.is_(None),
        StixObject.source.startswith("peer:"))
        .values(origin_hub=sender[:MAX_LENGTH], updated_at=StixObject.updated_at))
