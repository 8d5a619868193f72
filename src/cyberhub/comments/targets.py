"""The record types one may comment on: a small registry that later domains join.

A domain registers its shareable type with a name (used in URLs and the API), how to
link to a record, how to name it in a notification title, and which watch key (if any)
followers of it listen on. ``access`` decides who sees the record; the registry only
says where it lives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cyberhub.sharing import Shareable

UrlBuilder = Callable[[Any], str]
Labeller = Callable[[Any], str]
WatchKey = Callable[[Any], str | None]


@dataclass(frozen=True)
class Target:
    name: str
    model: type[Shareable]
    url: UrlBuilder
    label: Labeller
    watch_key: WatchKey


_targets: dict[str, Target] = {}


def register_target(type_name: str, model: type[Shareable], url_builder: UrlBuilder, *,
                    label: Labeller | None = None, watch_key: WatchKey | None = None) -> None:
    """Make ``model`` commentable as ``type_name`` (idempotent for the same model)."""
    known = _targets.get(type_name)
    if known is not None and known.model is not model:
        raise ValueError(f"comment target {type_name!r} is already registered")
    _targets[type_name] = Target(type_name, model, url_builder,
                                 label or (lambda _record: ""),
                                 watch_key or (lambda _record: None))


def get(type_name: str) -> Target | None:
    _register_builtin()
    return _targets.get(type_name)


def names() -> list[str]:
    _register_builtin()
    return sorted(_targets)


def for_model(model: type[Shareable]) -> Target | None:
    _register_builtin()
    return next((t for t in _targets.values() if t.model is model), None)


_builtin_done = False


def _register_builtin() -> None:
    """The types that existed before comments did. Imported lazily, so that the domains
    themselves (and their models) never depend on this package."""
    global _builtin_done
    if _builtin_done:
        return
    _builtin_done = True
    from cyberhub.insights.models import Insight
    from cyberhub.intel.models import StixObject
    from cyberhub.notes.models import Note
    from cyberhub.packages.models import IntelPackage
    from cyberhub.ransomware.models import Incident

    register_target("stix", StixObject, lambda r: f"/objects/{r.id}",
                    label=lambda r: r.name or r.type, watch_key=lambda r: f"stix:{r.stix_id}")
    register_target("incident", Incident, lambda r: f"/ransomware/incidents/{r.id}",
                    label=lambda r: r.family_name or "ransomware incident",
                    watch_key=lambda r: f"family:{r.family_ref}" if r.family_ref else None)
    register_target("package", IntelPackage, lambda r: f"/packages/{r.id}",
                    label=lambda r: r.title)
    register_target("note", Note, lambda r: f"/notes/{r.id}", label=lambda r: r.title)
    register_target("insight", Insight, lambda r: f"/insights/{r.id}", label=lambda r: r.title)
