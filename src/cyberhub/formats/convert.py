"""Formats other than STIX arrive through a converter: source file → STIX 2.1 bundle.

Every import ends in the one STIX pipeline (validation, markings, versions, value index,
one transaction), so a MISP event or a CSV row is held to the same rules as a bundle.
A converter streams: it reads the source and writes the bundle to ``target`` without
holding either whole. It raises ``ConversionError`` when the file as a whole cannot be
read (the import fails, nothing is stored) and returns ``Notice`` items for what it
kept but wants the user to know (an unknown MISP attribute type kept as a custom
property, a CSV row skipped because its value is empty…).

A format may also have an *object converter* (``STREAMED``), which hands each object to
a function as it makes it instead of writing JSON: a large source of that format is
converted inside the importer's reading process, each object validated and prepared as
it is made (``intel/importer.py``, ``import_converted``), while the first process
stores. What it handed over before it raises is then already stored in the import's one
transaction, which is rolled back.

Converters are registered below by dotted path and imported on first use, so a format's
dependencies load only when someone imports that format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol


class ConversionError(Exception):
    """The source cannot be read in this format; the message says what is wrong."""


@dataclass(frozen=True)
class Notice:
    """Something a converter kept, changed or skipped, reported with the import."""

    index: int  # position in the source (event, row, line…), 0-based
    ref: str | None  # the source's own id for the item, if it has one
    path: str  # where in the item, e.g. "Attribute[3].type"
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.ref, "path": self.path,
                "message": self.message}


@dataclass(frozen=True)
class ConvertContext:
    """What a converter may know about the import it serves."""

    org_name: str
    identity_id: str  # the importing organisation's STIX identity (created_by_ref)
    filename: str = ""
    # Format-specific choices made when the import was started (a CSV column mapping…).
    options: Mapping[str, Any] = field(default_factory=dict)
    # Told the share of the source read so far (0–1) as the converter goes, by the
    # object converters (STREAMED): the import's progress while it converts.
    progress: Callable[[float], None] | None = None


class Converter(Protocol):
    def __call__(self, source: Path, target: BinaryIO,
                 context: ConvertContext) -> list[Notice]: ...


# Receives each STIX object an object converter makes, which is not changed afterwards.
Emit = Callable[[dict[str, Any]], None]


class ObjectConverter(Protocol):
    def __call__(self, source: Path, emit: Emit,
                 context: ConvertContext) -> list[Notice]: ...


# format name → "module:function". Keep one line per format.
_CONVERTERS: dict[str, str] = {
    "misp": "cyberhub.formats.misp.to_stix:convert",
    "csv": "cyberhub.formats.csv.to_stix:convert",
    "text": "cyberhub.formats.text.to_stix:convert",
}


# Formats that also have an object converter, which reports its progress
# (ConvertContext.progress): a large source of theirs is converted while the import
# stores, each object validated as it is made, and no bundle is written.
_OBJECT_CONVERTERS: dict[str, str] = {
    "misp": "cyberhub.formats.misp.to_stix:objects",
}


# Formats whose options the hub itself prepares (the free-text values an analyst ticked
# on /import/text): never imported straight from a file through the API or the CLI.
PREPARED_ONLY: frozenset[str] = frozenset({"text"})


def names() -> tuple[str, ...]:
    return tuple(_CONVERTERS)


def file_formats() -> tuple[str, ...]:
    """The converted formats a file can be imported in as it is."""
    return tuple(name for name in _CONVERTERS if name not in PREPARED_ONLY)


def converter_for(fmt: str) -> Converter:
    found: Converter = _load(_CONVERTERS[fmt])
    return found


def streamed(fmt: str) -> bool:
    """Whether the format has an object converter."""
    return fmt in _OBJECT_CONVERTERS


def object_converter_for(fmt: str) -> ObjectConverter:
    found: ObjectConverter = _load(_OBJECT_CONVERTERS[fmt])
    return found


def _load(path: str) -> Any:
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)
