"""STIX 2.1 indicator patterns: a fast path for simple patterns, stix2-patterns for the rest.

Most indicators in the wild are one observation expression of ``=`` comparisons on
string literals, such as ``[ipv4-addr:value = '198.51.100.7']`` or
``[file:hashes.'SHA-256' = '…' OR url:value = 'http://x.example/']``. Those are
recognised by one precompiled regular expression and checked here (object type and
property names as stix2-validator checks them, hash values as stix2-patterns checks
them). Anything else — other operators, qualifiers, several observation expressions,
unusual whitespace, escapes we are not sure about, other pattern versions — goes to
the OASIS ANTLR validator (``stix2patterns.validator.run_validator``). The fast path
is conservative: it only answers when its answer is certain, otherwise it defers.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, Final

from cyberhub.i18n import _, get_locale

__all__ = ["pattern_problems", "simple_comparisons"]

_WS: Final = r"[ \t\r\n]*"
_TYPE: Final = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_IDENT: Final = r"[a-z_][a-z0-9_]*"
# Later path components may hold capitals (``file:hashes.MD5``, the spec's own spelling);
# stix2-validator checks the first one's name only.
_KEY: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_QKEY: Final = r"'[^'\\]*'"
_PATH: Final = rf"{_IDENT}(?:{_WS}\.{_WS}(?:{_KEY}|{_QKEY}))*"
# A quoted literal; "unrolled" (runs of plain characters, then an escape), which the
# regex engine matches several times faster than one alternation per character.
_LIT: Final = r"'[^'\\]*(?:\\['\\][^'\\]*)*'"
_CMP: Final = (rf"{_WS}(?P<type>{_TYPE}){_WS}:{_WS}(?P<path>{_PATH}){_WS}={_WS}"
               rf"(?P<lit>{_LIT}){_WS}")
_CMP_BARE: Final = re.sub(r"\(\?P<\w+>", "(?:", _CMP)

# One observation expression: "[" cmp (AND|OR cmp)* "]". A keyword must be followed by
# whitespace, or the lexer would glue it to the next object type ("ORfile").
_SIMPLE_RE: Final = re.compile(
    rf"{_WS}\[(?P<body>{_CMP_BARE}(?:(?:AND|OR)[ \t\r\n]+{_CMP_BARE})*)\]{_WS}")
_CMP_RE: Final = re.compile(_CMP)
# The commonest pattern, one comparison: matched once, with its groups.
_SINGLE_RE: Final = re.compile(rf"{_WS}\[{_CMP}\]{_WS}")
_KEY_RE: Final = re.compile(_KEY)
_JOIN_RE: Final = re.compile(r"(?:AND|OR)[ \t\r\n]+")
_HAS_WS: Final = re.compile(r"[ \t\r\n]")


# Words the pattern lexer turns into keywords or literals, not identifiers.
_RESERVED: Final = frozenset({
    "true", "false", "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET",
    "ISSUBSET", "EXISTS", "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS",
    "TIMES"})

# stix2-patterns' hash check (v21/object_validator.py): the last path component of a
# path through "hashes", upper-cased without "-" and quotes, names the algorithm.
_HASHES: Final = {
    "MD5": re.compile(r"^[a-fA-F0-9]{32}$"),
    "RIPEMD160": re.compile(r"^[a-fA-F0-9]{40}$"),
    "SHA1": re.compile(r"^[a-fA-F0-9]{40}$"),
    "SHA224": re.compile(r"^[a-fA-F0-9]{56}$"),
    "SHA256": re.compile(r"^[a-fA-F0-9]{64}$"),
    "SHA384": re.compile(r"^[a-fA-F0-9]{96}$"),
    "SHA512": re.compile(r"^[a-fA-F0-9]{128}$"),
    "SHA3224": re.compile(r"^[a-fA-F0-9]{56}$"),
    "SHA3256": re.compile(r"^[a-fA-F0-9]{64}$"),
    "SHA3384": re.compile(r"^[a-fA-F0-9]{96}$"),
    "SHA3512": re.compile(r"^[a-fA-F0-9]{128}$"),
    "SSDEEP": re.compile(r"^[a-zA-Z0-9/+:.]{1,128}$"),
    "WHIRLPOOL": re.compile(r"^[a-fA-F0-9]{128}$"),
}
_DEFER_HASHES: Final = frozenset({"MD6"})  # its upstream regex is irregular; let it decide


class _Unsure(Exception):
    """The fast path cannot decide; the full validator must."""


def _split_path(path: str) -> list[str]:
    if "'" not in path and not _HAS_WS.search(path):  # the common case: a.b.c
        return path.split(".")
    parts: list[str] = []
    rest = path
    while rest:
        if rest[0] == "'":
            end = rest.index("'", 1)
            parts.append(rest[: end + 1])
            rest = rest[end + 1:]
        else:
            m = _KEY_RE.match(rest)
            assert m is not None
            parts.append(m.group(0))
            rest = rest[m.end():]
        rest = rest.lstrip(" \t\r\n")
        if rest.startswith("."):
            rest = rest[1:].lstrip(" \t\r\n")
    return parts


def _unescape(literal: str) -> str:
    body = literal[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r"\\(['\\])", r"\1", body)


def _fast(pattern: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Comparisons and problems of a simple pattern; raises _Unsure otherwise."""
    problems: list[str] = []
    one = _SINGLE_RE.fullmatch(pattern)
    if one is not None:
        return [_pair(one, problems)], problems
    m = _SIMPLE_RE.fullmatch(pattern)
    if m is None:
        raise _Unsure
    body = m.group("body")
    pairs: list[tuple[str, str]] = []
    pos = 0
    while True:
        c = _CMP_RE.match(body, pos)
        if c is None:  # pragma: no cover - the full match guarantees a comparison here
            raise _Unsure
        pairs.append(_pair(c, problems))
        pos = c.end()
        if pos >= len(body):
            break
        j = _JOIN_RE.match(body, pos)
        if j is None:  # pragma: no cover
            raise _Unsure
        pos = j.end()
    return pairs, problems


def _pair(c: re.Match[str], problems: list[str]) -> tuple[str, str]:
    """The (path, value) of one matched comparison; a hash that cannot be one is a problem."""
    obj_type, lit = c.group("type"), c.group("lit")
    parts = _split_path(c.group("path"))
    if obj_type in _RESERVED or len(obj_type) < 3 or len(obj_type) > 250:
        raise _Unsure
    first = parts[0]
    if len(first) < 3 or len(first) > 250:
        raise _Unsure
    if not _RESERVED.isdisjoint(parts) or "'hashes'" in parts:
        raise _Unsure
    if "hashes" in parts:
        algo = parts[-1].upper().replace("-", "").replace("'", "")
        if algo in _DEFER_HASHES or "\\" in lit:
            raise _Unsure
        rx = _HASHES.get(algo)
        if rx is not None and not rx.match(lit[1:-1]):
            problems.append(_("'%(value)s' is not a valid %(algorithm)s hash")
                            % {"value": lit[1:-1], "algorithm": parts[-1]})
    return f"{obj_type}:{'.'.join(parts)}", _unescape(lit)


def simple_comparisons(pattern: str) -> list[tuple[str, str]] | None:
    """The ``(object-type:property.path, value)`` pairs of a valid simple pattern.

    ``None`` when the pattern is not a single observation expression of ``=``
    comparisons on string literals joined by AND/OR (or is not valid). Quoted path
    keys keep their quotes (``file:hashes.'SHA-256'``); values are unescaped.
    """
    try:
        pairs, problems = _fast(pattern)
    except _Unsure:
        return None
    return None if problems else pairs


def _full(pattern: str, version: str) -> list[str]:
    from stix2patterns.validator import run_validator

    try:
        return [str(e) for e in run_validator(pattern, version)]
    except Exception as exc:  # the ANTLR runtime can fail on hostile input
        return [_("the pattern could not be parsed: %(error)s") % {"error": exc}]


_TYPE_NAME_RE: Final = re.compile(r"-?[a-z0-9]+(?:-[a-z0-9]+)*-?")
_PROP_NAME_RE: Final = re.compile(r"[a-z0-9_]{3,250}")
_KNOWN_SCO: Final = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
    "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
    "network-traffic", "process", "software", "url", "user-account",
    "windows-registry-key", "x509-certificate",
})


def _names_problems(comparisons: dict[str, Any]) -> list[str]:
    """stix2-validator's checks of object type and property names in a valid pattern."""
    problems: list[str] = []
    for obj_type, exprs in comparisons.items():
        if obj_type not in _KNOWN_SCO and (
                not _TYPE_NAME_RE.fullmatch(obj_type) or not 3 <= len(obj_type) <= 250):
            problems.append(_("'%(type)s' is not a valid observable type name")
                            % {"type": obj_type})
        for exp in exprs:
            prop = exp[0][0]
            if obj_type in _KNOWN_SCO and prop == "id":
                continue
            if not isinstance(prop, str) or not _PROP_NAME_RE.fullmatch(prop):
                problems.append(_("'%(property)s' is not a valid observable property name")
                                % {"property": prop})
    return problems


def _full21(pattern: str) -> list[str]:
    """What ``run_validator(pattern, "2.1")`` reports, plus the name checks, parsing once."""
    from stix2patterns.exceptions import ParseException
    from stix2patterns.helpers import brackets_check
    from stix2patterns.v21 import object_validator
    from stix2patterns.v21.pattern import Pattern
    from stix2patterns.v21.validator import DuplicateQualifierTypeError, ValidationListener

    try:
        parsed = Pattern(pattern)
    except ParseException as exc:
        return [f"FAIL: {exc}"]
    except Exception as exc:  # the ANTLR runtime can fail on hostile input
        return [_("the pattern could not be parsed: %(error)s") % {"error": exc}]
    problems: list[str] = []
    if not brackets_check(pattern):
        problems.append(_("the pattern is missing square brackets"))
    data = parsed.inspect()
    problems.extend(object_validator.verify_object(data))
    try:
        parsed.walk(ValidationListener())
    except DuplicateQualifierTypeError as exc:
        problems.append(f"FAIL: {exc.args[0]}")
    if not problems:
        problems = _names_problems(data.comparisons)
    return problems


_cache: dict[tuple[str, str], list[str]] = {}
_CACHE_SIZE: Final = 8192

# The comparisons of the last simple pattern found valid: the importer validates an
# indicator, then indexes the values its pattern names (normalise.pattern_values), which
# then need not read the pattern again.
_last_valid: tuple[str, list[tuple[str, str]]] | None = None


def checked_comparisons(pattern: str) -> list[tuple[str, str]] | None:
    """``simple_comparisons(pattern)`` when ``pattern`` is the last that pattern_problems
    found valid on its fast path; otherwise None, without reading the pattern."""
    last = _last_valid
    return last[1] if last is not None and last[0] == pattern else None


def pattern_problems(pattern: str, version: str = "2.1") -> list[str]:
    """What is wrong with a STIX pattern (empty when it is valid)."""
    if version != "2.1":
        problems = _full(pattern, version)
        if not problems:
            from stix2patterns.v21.pattern import Pattern

            # A 2.0 pattern the 2.1 grammar cannot read keeps its (empty) verdict.
            with contextlib.suppress(Exception):
                problems = _names_problems(Pattern(pattern).inspect().comparisons)
        return problems
    global _last_valid
    try:
        pairs, problems = _fast(pattern)
    except _Unsure:
        pass
    else:
        if not problems:
            _last_valid = (pattern, pairs)
        return problems
    # Keyed by language too: the problems are written in the language of the import.
    key = (pattern, get_locale())
    hit = _cache.get(key)
    if hit is None:
        hit = _full21(pattern)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = hit
    return list(hit)
