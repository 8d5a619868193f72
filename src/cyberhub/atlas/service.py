"""Analyses of the threat map, for one viewer at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cyberhub.access import Viewer
from cyberhub.atlas import attack, attack_rollup, chokepoints, graph
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _

CATEGORIES = tuple(sorted({c for c in graph.CATEGORIES.values() if c != graph.ACTOR}))


def choke_points(session: Session, viewer: Viewer, *, depth: int = chokepoints.DEFAULT_DEPTH,
                 limit: int = 25, category: str | None = None) -> list[chokepoints.ChokePoint]:
    """The viewer's choke points: computed over what this viewer may see, nothing else."""
    if not 1 <= depth <= chokepoints.MAX_DEPTH:
        raise InvalidInput(_("depth must be between 1 and %(max)d.")
                           % {"max": chokepoints.MAX_DEPTH}, details={"field": "depth"})
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(_("Unknown category %(value)r; use one of: %(choices)s")
                           % {"value": category, "choices": ", ".join(CATEGORIES)},
                           details={"field": "category"})
    return chokepoints.rank(graph.load(session, viewer), depth=depth, limit=limit,
                            category=category)


def attack_heatmap(session: Session, viewer: Viewer, *, actor: str | None = None,
                   sector: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> attack.Heatmap:
    """The viewer's ATT&CK heatmap (only what the viewer may see counts)."""
    for value, field in ((actor, "actor"), (sector, "sector")):
        if value is not None and ("--" not in value or len(value) > 300):
            raise InvalidInput(_("%(field)s must be a STIX id, e.g. intrusion-set--…")
                               % {"field": field}, details={"field": field})
    for moment, field in ((since, "since"), (until, "until")):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(_("%(field)s needs a time zone, e.g. 2026-01-01T00:00:00Z.")
                               % {"field": field}, details={"field": field})
    return attack_rollup.heatmap(session, viewer, attack.Filters(
        actor=actor, sector=sector, since=since, until=until))


def attack_actor(session: Session, viewer: Viewer, value: str) -> tuple[str, str]:
    """The heatmap's actor filter as (STIX id, name): ``value`` is a STIX id or the name of
    exactly one visible actor; empty for none. An actor the viewer may not see is refused
    as one that does not exist."""
    if not value:
        return "", ""
    if "--" in value:
        named = attack.names(session, viewer, attack.ACTOR_TYPES, [value])
        if value in named:
            return value, named[value]
        raise InvalidInput(_("No actor you may see has the id %(value)s.") % {"value": value},
                           details={"field": "actor"})
    matches = attack.actors_named(session, viewer, value, exact=True, limit=2)
    if not matches:
        raise InvalidInput(_("No actor you may see is named %(value)s; pick one from the "
                             "suggestions.") % {"value": value}, details={"field": "actor"})
    if len(matches) > 1:
        raise InvalidInput(_("Several actors are named %(value)s; pick one from the "
                             "suggestions.") % {"value": value}, details={"field": "actor"})
    return matches[0]


def attack_actor_suggestions(session: Session, viewer: Viewer,
                             text: str) -> list[tuple[str, str]]:
    """Up to 20 visible actors whose name holds ``text``, for the heatmap's actor field."""
    return attack.actors_named(session, viewer, text) if len(text.strip()) >= 2 else []


def attack_actor_named_alone(session: Session, viewer: Viewer, name: str) -> bool:
    """Whether ``name`` names one visible actor alone (so the field may show the name)."""
    return len(attack.actors_named(session, viewer, name, exact=True, limit=2)) == 1


def attack_sectors(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """The sectors the viewer's heatmap can be narrowed to: (STIX id, name), by name."""
    return attack_rollup.sectors(session, viewer)
