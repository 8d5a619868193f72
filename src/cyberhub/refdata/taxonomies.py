"""TLP, PAP and the admiralty scale, from the MISP taxonomies shipped by ``pytaxonomies``.

The vocabulary the hub speaks with MISP: machine tags such as ``tlp:amber``,
``PAP:RED`` or ``admiralty-scale:source-reliability="b"``. Everything here is built from
the taxonomies' own definitions (their predicates, entries, descriptions and numerical
values), read from the three files the hub needs rather than from all ~180 taxonomies
(which take seconds to load).

Public API (used by the MISP importer and exporter):

- :func:`tlp_of_tag` — ``"tlp:amber"`` → ``TLP.AMBER`` (``tlp:white`` is TLP 1.0's name
  for ``CLEAR``); None for a tag that names no TLP level (``tlp:ex:chr``, ``tlp:unclear``,
  other namespaces).
- :func:`pap_of_tag` — ``"PAP:RED"`` → ``PAP.RED`` (``PAP:WHITE`` → ``CLEAR``).
- :func:`admiralty_of_tag` — ``admiralty-scale:source-reliability="b"`` → the
  :class:`Grade` (axis, code, label, the taxonomy's numerical value).
- :func:`confidence_of_tags` — the STIX ``confidence`` (0–100) that a set of tags
  states through the admiralty scale, or None.
- :func:`markings_of_tags` — all three at once, for an event's or attribute's tags.
- :func:`tlp_tag`, :func:`pap_tag`, :func:`admiralty_tag` — the tags to write for MISP.
- :func:`tlp_terms`, :func:`pap_terms`, :func:`admiralty_terms` — the vocabulary with the
  taxonomies' descriptions, for forms and help texts.

Tags are matched as MISP matches machine tags: namespace and predicate without regard
to case (``TLP:AMBER`` and ``tlp:amber`` are the same), surrounding spaces ignored, the
value with or without its double quotes.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from cyberhub.sharing import PAP, TLP

__all__ = ["Grade", "Markings", "Term", "admiralty_of_tag", "admiralty_tag",
           "admiralty_terms", "confidence_of_tags", "markings_of_tags", "pap_of_tag",
           "pap_tag", "pap_terms", "tlp_of_tag", "tlp_tag", "tlp_terms"]

SOURCE_RELIABILITY: Final = "source-reliability"
INFORMATION_CREDIBILITY: Final = "information-credibility"
# Grades that say "cannot be judged": they carry no confidence (STIX's "not present").
_UNJUDGED: Final = {(SOURCE_RELIABILITY, "f"), (INFORMATION_CREDIBILITY, "6")}
# TLP 1.0 and PAP 1.0 call CLEAR "white".
_ALIASES: Final = {"white": "clear"}
_TAG: Final = re.compile(r'^\s*([^:\s]+)\s*:\s*([^=]+?)\s*(?:=\s*"?([^"]*)"?\s*)?$')


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary: the tag, its label and its description."""

    tag: str
    label: str
    description: str


@dataclass(frozen=True)
class Grade:
    """One grade of the admiralty scale."""

    axis: str  # "source-reliability" or "information-credibility"
    code: str  # "a"–"g" or "1"–"6"
    label: str  # "Usually reliable"
    value: int | None  # the taxonomy's numerical value (0–100)
    judged: bool  # False for "cannot be judged"

    @property
    def tag(self) -> str:
        return admiralty_tag(self.axis, self.code)


@dataclass(frozen=True)
class Markings:
    """What a set of MISP tags says about sharing and confidence."""

    tlp: TLP | None = None
    pap: PAP | None = None
    confidence: int | None = None
    grades: tuple[Grade, ...] = ()


# ---------------------------------------------------------------- the taxonomies


def _taxonomy_file(name: str) -> Path:
    spec = importlib.util.find_spec("pytaxonomies")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise RuntimeError("pytaxonomies is not installed")
    return (Path(spec.origin).resolve().parent / "data" / "misp-taxonomies" / name
            / "machinetag.json")


@dataclass(frozen=True)
class _Entry:
    expanded: str | None
    description: str | None
    numerical_value: int | float | None


@dataclass(frozen=True)
class _Predicate:
    expanded: str | None
    description: str | None
    entries: dict[str, _Entry]


@dataclass(frozen=True)
class _Taxonomy:
    name: str
    predicates: dict[str, _Predicate]


@cache
def _taxonomy(name: str) -> _Taxonomy:
    """One taxonomy, as pytaxonomies models it (``Taxonomy``: predicates with their
    entries), read from its machinetag.json here: importing pytaxonomies' API imports
    jsonschema, which takes a second, in every process that converts MISP data."""
    data = json.loads(_taxonomy_file(name).read_bytes())
    entries: dict[str, list[dict[str, Any]]] = {}
    for value in data.get("values") or []:
        entries.setdefault(value["predicate"], []).extend(value["entry"])
    return _Taxonomy(data["namespace"], {
        p["value"]: _Predicate(p.get("expanded"), p.get("description"), {
            e["value"]: _Entry(e.get("expanded"), e.get("description"),
                               e.get("numerical_value"))
            for e in entries.get(p["value"], [])})
        for p in data["predicates"] if not isinstance(p, str)})


def _split(tag: str) -> tuple[str, str, str | None] | None:
    m = _TAG.match(tag) if isinstance(tag, str) else None
    if m is None:
        return None
    return m.group(1).casefold(), m.group(2).casefold(), m.group(3)


@cache
def _levels(name: str) -> dict[str, tuple[str, str, str]]:
    """casefolded predicate → (canonical predicate, label, description)."""
    taxonomy = _taxonomy(name)
    out = {}
    for p, pred in taxonomy.predicates.items():
        # "(TLP:CLEAR) Recipients can spread…": the label is the part in brackets.
        expanded = str(pred.expanded or p)
        m = re.match(r"^\(([^)]+)\)", expanded)
        out[p.casefold()] = (p, m.group(1) if m else expanded, str(pred.description or ""))
    return out


# ---------------------------------------------------------------- TLP and PAP


def tlp_of_tag(tag: str) -> TLP | None:
    parts = _split(tag)
    if parts is None or parts[0] != "tlp" or parts[2] is not None:
        return None
    if parts[1] not in _levels("tlp"):
        return None
    level = _ALIASES.get(parts[1], parts[1]).upper()
    return TLP(level) if level in {t.value for t in TLP} else None


def pap_of_tag(tag: str) -> PAP | None:
    parts = _split(tag)
    if parts is None or parts[0] != "pap" or parts[2] is not None:
        return None
    if parts[1] not in _levels("PAP"):
        return None
    level = _ALIASES.get(parts[1], parts[1]).upper()
    return PAP(level) if level in {p.value for p in PAP} else None


def tlp_tag(tlp: TLP) -> str:
    """``TLP.AMBER_STRICT`` → ``tlp:amber+strict`` (the taxonomy's own spelling)."""
    return f"{_taxonomy('tlp').name}:{_levels('tlp')[tlp.value.casefold()][0]}"


def pap_tag(pap: PAP) -> str:
    return f"{_taxonomy('PAP').name}:{_levels('PAP')[pap.value.casefold()][0]}"


def tlp_terms() -> list[Term]:
    """The TLP 2.0 levels (the hub's), with the taxonomy's descriptions."""
    levels = _levels("tlp")
    return [Term(tlp_tag(t), levels[t.value.casefold()][1], levels[t.value.casefold()][2])
            for t in TLP]


def pap_terms() -> list[Term]:
    levels = _levels("PAP")
    return [Term(pap_tag(p), levels[p.value.casefold()][1], levels[p.value.casefold()][2])
            for p in PAP]


# ---------------------------------------------------------------- admiralty scale


@cache
def _grades() -> dict[tuple[str, str], Grade]:
    taxonomy = _taxonomy("admiralty-scale")
    out: dict[tuple[str, str], Grade] = {}
    for axis, predicate in taxonomy.predicates.items():
        for code, entry in (predicate.entries or {}).items():
            value = getattr(entry, "numerical_value", None)
            key = (axis.casefold(), code.casefold())
            out[key] = Grade(axis=axis, code=code, label=entry.expanded or code,
                             value=int(value) if value is not None else None,
                             judged=key not in _UNJUDGED)
    return out


def admiralty_of_tag(tag: str) -> Grade | None:
    parts = _split(tag)
    if parts is None or parts[0] != "admiralty-scale" or parts[2] is None:
        return None
    return _grades().get((parts[1], parts[2].strip().casefold()))


def admiralty_tag(axis: str, code: str) -> str:
    return f'admiralty-scale:{axis}="{code}"'


def admiralty_terms() -> list[Grade]:
    return list(_grades().values())


def confidence_of_tags(tags: Iterable[str]) -> int | None:
    """The STIX confidence (0–100) a set of tags states through the admiralty scale.

    Each axis contributes the taxonomy's numerical value of its grade (A/1 = 100,
    B/2 = 75, C/3 = 50, D/4 = 25, E/5 and G = 0). With both axes the confidence is
    their mean, rounded: ``B2`` → 75, ``A5`` → 50, ``E1`` → 50. Grades that say the
    source or the information "cannot be judged" (F, 6) state nothing, like STIX's
    "not present": alone they give None, as do tags without a grade. When a set holds
    several grades on one axis, the lowest counts."""
    return _confidence([g for g in (admiralty_of_tag(t) for t in tags) if g is not None])


def _confidence(grades: list[Grade]) -> int | None:
    by_axis: dict[str, int] = {}
    for grade in grades:
        if grade.judged and grade.value is not None:
            axis = grade.axis.casefold()
            by_axis[axis] = min(by_axis.get(axis, 100), grade.value)
    if not by_axis:
        return None
    return int(sum(by_axis.values()) / len(by_axis) + 0.5)


def markings_of_tags(tags: Iterable[str]) -> Markings:
    """TLP, PAP and confidence stated by a set of MISP tags. Several TLP (or PAP) tags:
    the strictest wins, as the importer never shares more widely than the data says."""
    from cyberhub.intel.markings import strictest

    tag_list = [t for t in tags if isinstance(t, str)]
    tlps = [t for t in (tlp_of_tag(x) for x in tag_list) if t is not None]
    paps = [p for p in (pap_of_tag(x) for x in tag_list) if p is not None]
    grades = tuple(g for g in (admiralty_of_tag(x) for x in tag_list) if g is not None)
    pap_order = list(PAP)
    return Markings(tlp=strictest(tlps) if tlps else None,
                    pap=max(paps, key=pap_order.index) if paps else None,
                    confidence=_confidence(list(grades)), grades=grades)
