"""Bulk value lookups: which of these values does the hub hold, in objects I may see?

The SIEM's question ("any of these 10,000 addresses known?") in a few queries: keys
are looked up in chunks through the value index, joined to the objects under the
sharing rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.intel.importer import value_key
from cyberhub.intel.models import ObservableValue, StixObject

CHUNK = 500


def present(session: Session, viewer: Viewer,
            pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """For each (kind, normalised value) the viewer may see somewhere: how many visible
    objects carry it. Values nobody visible carries are absent from the result."""
    wanted = {value_key(k, v): (k, v) for k, v in pairs}
    keys = list(wanted)
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        rows = session.execute(
            select(ObservableValue.key, ObservableValue.kind, ObservableValue.value)
            .join(StixObject, StixObject.id == ObservableValue.object_id)
            .where(ObservableValue.key.in_(chunk), access.visible(StixObject, viewer)))
        for key, kind, value in rows:
            if wanted.get(key) == (kind, value):  # a 63-bit collision never matches
                found[(kind, value)] = found.get((kind, value), 0) + 1
    return found
