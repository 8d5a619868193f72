"""What may be watched, and who may watch it: a registry of target kinds.

Each kind has a checker that answers whether a viewer may see a target (and gives the
target's canonical spelling). Domains register their kinds at import time, e.g. the
dialogues package: ``register_watch_target("dialogue", check_dialogue)``. A watch on a
target the viewer cannot see is refused exactly like a target that does not exist."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.errors import HubError, NotFound

# (session, viewer, target) -> the target's canonical form, or None when the viewer may
# not see it (or it does not exist).
Checker = Callable[[Session, Viewer, str], "str | None"]
_checkers: dict[str, Checker] = {}
KIND = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
MAX_TARGET = 300


def register_watch_target(kind: str, checker: Checker) -> None:
    """Let users watch ``<kind>:<target>``; ``checker`` decides visibility (idempotent)."""
    if not KIND.match(kind):
        raise ValueError(f"watch kind {kind!r}: lower-case letters, digits, _ (16 at most)")
    _checkers[kind] = checker


def kinds() -> list[str]:
    return sorted(_checkers)


def check(session: Session, viewer: Viewer, kind: str, target: str) -> str:
    """The canonical target, or NotFound when the kind is unknown or the viewer may not
    see the target."""
    checker = _checkers.get(kind)
    target = (target or "").strip()
    if checker is None or not target or len(target) > MAX_TARGET:
        raise NotFound()
    try:
        found = checker(session, viewer, target)
    except HubError:
        found = None
    if found is None:
        raise NotFound()
    return found


# ---------------------------------------------------------------- built-in kinds


def _stix_visible(session: Session, viewer: Viewer, stix_id: str,
                  types: tuple[str, ...] | None = None) -> str | None:
    from cyberhub.intel.models import StixObject

    if "--" not in stix_id:
        return None
    query = exists().where(StixObject.stix_id == stix_id,
                           access.visible(StixObject, viewer))
    if types is not None:
        query = query.where(StixObject.type.in_(types))
    return stix_id if session.scalar(select(query)) is True else None


def _check_stix(session: Session, viewer: Viewer, target: str) -> str | None:
    return _stix_visible(session, viewer, target)


def _check_actor(session: Session, viewer: Viewer, target: str) -> str | None:
    return _stix_visible(session, viewer, target, ("intrusion-set", "threat-actor"))


def _check_family(session: Session, viewer: Viewer, target: str) -> str | None:
    from cyberhub.ransomware import service as ransomware

    if not target.startswith("malware--"):
        return None
    return ransomware.known_family(session, viewer, target).key


def _check_sector(session: Session, viewer: Viewer, target: str) -> str | None:
    # Sectors are public vocabulary (the MISP sector galaxy): anyone signed in may
    # watch one, spelled as incidents record it.
    from cyberhub.community.validation import clean_sector

    return clean_sector(target) if viewer.user_id else None


register_watch_target("stix", _check_stix)
register_watch_target("actor", _check_actor)
register_watch_target("family", _check_family)
register_watch_target("sector", _check_sector)
