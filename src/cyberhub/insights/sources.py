"""Where an insight may come from: record types that link back (a dialogue, first).

A source is a shareable record of another domain. The insight keeps only its type and
id; a reader sees the link back only when ``access`` lets them see the source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cyberhub.sharing import Shareable


@dataclass(frozen=True)
class SourceType:
    name: str
    model: type[Shareable]
    url: Callable[[Any], str]


_sources: dict[str, SourceType] = {}
_builtin_done = False


def register_source(type_name: str, model: type[Shareable],
                    url_builder: Callable[[Any], str]) -> None:
    _sources[type_name] = SourceType(type_name, model, url_builder)


def get(type_name: str) -> SourceType | None:
    _register_builtin()
    return _sources.get(type_name)


def _register_builtin() -> None:
    """Imported lazily: the source domains never depend on insights."""
    global _builtin_done
    if _builtin_done:
        return
    _builtin_done = True
    from cyberhub.dialogue.models import Dialogue

    register_source("dialogue", Dialogue, lambda r: f"/dialogues/{r.id}")
