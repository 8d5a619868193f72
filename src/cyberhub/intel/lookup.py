"""Bulk value lookups: which of these values does the hub hold, in objects I may see?

The SIEM's question ("any of these 10,000 addresses known?") in a few queries: keys
are looked up in chunks through the value index, joined to the objects under the
sharing rules.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from sqlalchemy import BigInteger, String, bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.intel.importer import value_key
from cyberhub.intel.models import ObservableValue, StixObject

CHUNK = 500
PG_CHUNK = 2000


def present(session: Session, viewer: Viewer,
            pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (kind, normalised value) pairs that at least one object the viewer may see
    carries (who carries them: ``service.correlate_values``)."""
    wanted = {value_key(k, v): (k, v) for k, v in pairs}
    if session.get_bind().dialect.name == "postgresql":
        return _present_postgresql(session, viewer, wanted)
    found: set[tuple[str, str]] = set()
    items = list(wanted.items())
    # The asked values travel as one JSON parameter, unpacked by json_each: a statement
    # SQLAlchemy compiles once, where a VALUES list of 1,500 parameters was compiled
    # again for every chunk (twenty times the database's own work).
    entry = func.json_each(bindparam("asked", type_=String)).table_valued("value")
    asked = select(func.json_extract(entry.c.value, "$[0]").label("key"),
                   func.json_extract(entry.c.value, "$[1]").label("kind"),
                   func.json_extract(entry.c.value, "$[2]").label("value")).subquery("asked")
    # Each asked value answered by an EXISTS that stops at the first visible object, as
    # on PostgreSQL: joining the keys to every carrier read all million objects of a
    # value they share, for one answer.
    query = select(asked.c.kind, asked.c.value).where(exists().where(
        ObservableValue.key == asked.c.key, ObservableValue.kind == asked.c.kind,
        ObservableValue.value == asked.c.value, StixObject.id == ObservableValue.object_id,
        access.visible(StixObject, viewer)))
    for start in range(0, len(items), CHUNK):
        chunk = orjson.dumps([(key, kind, value)
                              for key, (kind, value) in items[start:start + CHUNK]]).decode()
        found.update((kind, value) for kind, value in session.execute(query, {"asked": chunk}))
    return found


def _present_postgresql(session: Session, viewer: Viewer,
                        wanted: dict[int, tuple[str, str]]) -> set[tuple[str, str]]:
    """PostgreSQL: the asked values as an unnested array, each answered by an EXISTS
    that stops at the first visible object — a value carried by a million objects costs
    what a rare one does."""
    found: set[tuple[str, str]] = set()
    items = list(wanted.items())
    for start in range(0, len(items), PG_CHUNK):
        chunk = items[start:start + PG_CHUNK]
        asked = func.unnest(
            bindparam("keys", [k for k, _ in chunk], type_=ARRAY(BigInteger)),
            bindparam("kinds", [kv[0] for _, kv in chunk], type_=ARRAY(String)),
            bindparam("values", [kv[1] for _, kv in chunk], type_=ARRAY(String)),
        ).table_valued("key", "kind", "value").render_derived(name="asked")
        rows = session.execute(
            select(asked.c.kind, asked.c.value).where(exists().where(
                ObservableValue.key == asked.c.key, ObservableValue.kind == asked.c.kind,
                ObservableValue.value == asked.c.value,
                StixObject.id == ObservableValue.object_id,
                access.visible(StixObject, viewer))))
        found.update((kind, value) for kind, value in rows)
    return found
