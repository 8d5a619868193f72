"""Leak-site group names → ransomware families.

Monitors name a group the way its leak site does ("lockbit3", "LockBit 3.0",
"alphv", "Cl0p^_- LEAKS"); the galaxy names a family and its synonyms. Both are
reduced to a *key* and compared:

1. :func:`key`: Unicode compatibility form (NFKC), accents removed, case folded; every
   run of characters that is not a letter or digit (of any script) separates words;
   the words :data:`NOISE_WORDS` ("ransomware", "team", "group", "gang", "blog", "leak",
   "leaks", "news", "site") are dropped (unless nothing else is left); the rest are
   joined without a separator; trailing words that are all zeros go ("3.0" is version
   3). ``"LockBit 3.0"`` → ``lockbit3``,
   ``"Cl0p^_- LEAKS"`` → ``cl0p``, ``"PLAY Ransomware"`` → ``play``.
2. :func:`stem`: the key without a trailing version (``3``, ``30``, ``v2``):
   ``lockbit3`` → ``lockbit``. Used only when the key itself matches nothing: a family
   whose name or synonym has the stem as its key, else the only family with that stem.

:class:`Matcher` tries, in order (the first family in the index's order wins within a
step): the exact name or synonym (case-insensitive); a family's name by key; a synonym
by key; the leak-site names of :data:`LEAK_SITE_NAMES`; the stem of the key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["LEAK_SITE_NAMES", "NOISE_WORDS", "Matcher", "key", "stem"]

NOISE_WORDS: Final = frozenset({"ransomware", "ransomeware", "team", "group", "gang", "blog",
                                 "leak", "leaks", "news", "site"})
# Names leak sites (and the monitors that read them) use that neither the family's name
# nor its galaxy synonyms give: key → key of the family's name.
LEAK_SITE_NAMES: Final = {
    "lockbitsupp": "lockbit",  # the handle that signs LockBit's leak site
    "alphv": "blackcat",
    "noberus": "blackcat",
    "cl0p": "clop",
    "hunters": "huntersinternational",
}
_SEPARATOR: Final = re.compile(r"[\W_]+")
MAX_KEY: Final = 200
_VERSION: Final = re.compile(r"(?:v?\d+)+\Z")


def key(name: str) -> str:
    """The comparison key of a group or family name (see the module's documentation)."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFKC", text)
    words = [w for w in _SEPARATOR.split(text) if w]
    kept = [w for w in words if w not in NOISE_WORDS] or words
    while len(kept) > 1 and kept[-1].strip("0") == "":
        kept.pop()  # "3.0" is version 3
    return "".join(kept)[:MAX_KEY]


def stem(k: str) -> str:
    """A key without its trailing version number; the key itself when that is all."""
    return _VERSION.sub("", k) or k


@dataclass(frozen=True)
class Match:
    key: str  # the family's key in the index (its STIX id)
    name: str
    how: str  # exact, name, synonym, leak-site name, stem


class Matcher:
    """Built once per import from the families the importer may see: ``(family key,
    family name, synonyms)`` in the index's order (reference families first)."""

    def __init__(self, families: Iterable[tuple[str, str, list[str]]]) -> None:
        self.exact: dict[str, tuple[str, str]] = {}
        self.names: dict[str, tuple[str, str]] = {}
        self.synonyms: dict[str, tuple[str, str]] = {}
        stems: dict[str, set[tuple[str, str]]] = {}
        for fam_key, name, aliases in families:
            fam = (fam_key, name)
            self.exact.setdefault(name.strip().casefold(), fam)
            if k := key(name):
                self.names.setdefault(k, fam)
                stems.setdefault(stem(k), set()).add(fam)
            for alias in aliases:
                self.exact.setdefault(alias.strip().casefold(), fam)
                if k := key(alias):
                    self.synonyms.setdefault(k, fam)
                    stems.setdefault(stem(k), set()).add(fam)
        self.stems = {s: next(iter(f)) for s, f in stems.items() if len(f) == 1}
        self._cache: dict[str, Match | None] = {}

    def match(self, group: str) -> Match | None:
        """The family a leak-site group name stands for, or None."""
        if group in self._cache:
            return self._cache[group]
        found = self._match(group)
        if len(self._cache) < 10_000:
            self._cache[group] = found
        return found

    def _match(self, group: str) -> Match | None:
        if fam := self.exact.get(group.strip().casefold()):
            return Match(fam[0], fam[1], "exact")
        k = key(group)
        if not k:
            return None
        if fam := self.names.get(k):
            return Match(fam[0], fam[1], "name")
        if fam := self.synonyms.get(k):
            return Match(fam[0], fam[1], "synonym")
        alias = LEAK_SITE_NAMES.get(k)
        if alias is not None and (fam := self.names.get(alias) or self.synonyms.get(alias)):
            return Match(fam[0], fam[1], "leak-site name")
        base = stem(k)
        if fam := self.names.get(base) or self.synonyms.get(base) or self.stems.get(base):
            return Match(fam[0], fam[1], "stem")
        return None
