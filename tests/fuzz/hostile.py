"""Hostile input for the HTTP fuzz tests: real, valid documents spoilt one way or another.

A document is mutated structurally (a field deleted, replaced by a hostile or wrongly
typed value, nested a thousand deep), then written out, and the written bytes may be
spoilt again (cut short, a byte flipped, invalid UTF-8, another encoding). Every
strategy is deterministic under ``derandomize=True``.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import tarfile
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

Path = tuple[str | int, ...]


def scaled(examples: int) -> int:
    """``examples``, times ``CYBERHUB_FUZZ_SCALE`` (default 1): raise it to fuzz longer."""
    return max(1, round(examples * float(os.environ.get("CYBERHUB_FUZZ_SCALE", "1"))))

# Strings that break naive code: NUL and control characters, lone surrogates, right-to-left
# marks, formulas, huge ones, markup, path tricks, what looks like a number or a date.
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x20), max_size=20),
    st.sampled_from([
        "", " ", "\x00", "a\x00b", "\ud800", "\udfff x", "\u202e\u0644\u0627", "\ufeff",
        "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "../../etc/passwd", "%s%n%x",
        "{{7*7}}", "NaN", "-0", "1e999", "2026-02-30T25:61:61Z", "9999-12-31T23:59:59.999Z",
        "0000-01-01T00:00:00Z", "indicator--00000000-0000-0000-0000-000000000000",
        "indicator--not-a-uuid", "x" * 70_000, "é" * 5000, "\r\n" * 100, "'; DROP TABLE x;--",
    ]),
)
# What fits in a URL (servers refuse request lines past some kilobytes before the hub sees
# them): for query parameters and path segments.
short_text = hostile_text.map(lambda t: t[:2000])
huge_numbers = st.sampled_from([
    2**63, -(2**63) - 1, 2**64, 10**40, -(10**300), 10**4000, 1e308, -1e308, 5e-324, -0.0,
    float("nan"), float("inf"),
])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), hostile_text,
                    huge_numbers)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12)


def paths(doc: Any, prefix: Path = ()) -> list[Path]:
    """Every path inside ``doc`` (the root is ``()``), depth first."""
    found: list[Path] = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(paths(value, (*prefix, index)))
    return found


def _parent(doc: Any, path: Path) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


class Deep:
    """A value nested ``levels`` deep, written out only by :func:`dumps` (a Python object
    that deep would exhaust the recursion of every printer and encoder on the way)."""

    def __init__(self, levels: int, leaf: Any) -> None:
        self.levels, self.leaf = levels, leaf

    def __repr__(self) -> str:
        return f"Deep({self.levels}, {self.leaf!r})"

    def text(self) -> str:
        half = self.levels // 2
        return '{"x": [' * half + json.dumps(self.leaf) + "]}" * half


def has_deep(doc: Any) -> bool:
    if isinstance(doc, Deep):
        return True
    if isinstance(doc, dict):
        return any(has_deep(v) for v in doc.values())
    if isinstance(doc, list):
        return any(has_deep(v) for v in doc)
    return False


@st.composite
def mutated(draw: st.DrawFn, doc: Any, max_mutations: int = 3) -> Any:
    """``doc`` with up to ``max_mutations`` structural mutations (possibly none)."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(0, max_mutations))):
        path = draw(st.sampled_from(paths(doc)))
        how = draw(st.sampled_from(["delete", "replace", "retype", "nest", "add", "dup"]))
        if how == "replace":
            new: Any = draw(json_values)
        elif how == "retype":
            new = draw(st.sampled_from([None, True, 0, -1, "", [], {}, "1", [None], {"": ""}]))
        elif how == "nest":
            new = Deep(draw(st.sampled_from([20, 300, 5000])), draw(scalars))
        else:
            new = None
        if not path:  # the root itself
            if how in ("replace", "retype", "nest"):
                doc = new
            continue
        parent, key = _parent(doc, path), path[-1]
        if how == "delete":
            del parent[key]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(hostile_text)] = draw(json_values)
        elif how == "dup" and isinstance(parent, list):
            parent.insert(int(key), copy.deepcopy(parent[key]))
        elif how in ("replace", "retype", "nest"):
            parent[key] = new
    return doc


def dumps(doc: Any) -> bytes:
    """JSON as a careless writer makes it: NaN, Infinity, lone surrogates, integers of
    thousands of digits and nesting thousands deep pass."""
    deep: dict[str, str] = {}

    def mark(value: Any) -> str:
        if not isinstance(value, Deep):
            raise TypeError(type(value))
        key = f"@@deep{len(deep)}@@"
        deep[f'"{key}"'] = value.text()
        return key

    text = json.dumps(doc, ensure_ascii=True, default=mark)
    for key, nested in deep.items():
        text = text.replace(key, nested, 1)
    return text.encode()


def form(fields: dict[str, Any]) -> bytes:
    """An urlencoded form or query, lone surrogates and all (as a hostile client sends)."""
    return urlencode(fields, doseq=True, encoding="utf-8", errors="surrogatepass").encode()


@st.composite
def spoilt_bytes(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` as it was, or cut short, flipped, mis-encoded or padded with junk."""
    how = draw(st.sampled_from(["keep", "keep", "keep", "truncate", "flip", "invalid-utf8",
                                "utf16", "latin1", "bom", "nul", "junk-prefix", "gzip"]))
    if how == "truncate":
        return body[:draw(st.integers(0, max(0, len(body) - 1)))]
    if how == "flip" and body:
        at = draw(st.integers(0, len(body) - 1))
        return body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1:]
    if how == "invalid-utf8" and body:
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf",
                                                  b"\xf8\x88\x80\x80\x80"])) + body[at:]
    if how == "utf16":
        return body.decode("utf-8", "replace").encode("utf-16")
    if how == "latin1":
        return body.decode("utf-8", "replace").encode("latin-1", "replace")
    if how == "bom":
        return b"\xef\xbb\xbf" + body
    if how == "nul" and body:
        at = draw(st.integers(0, len(body)))
        return body[:at] + b"\x00" * draw(st.integers(1, 3)) + body[at:]
    if how == "junk-prefix":
        return draw(st.binary(min_size=1, max_size=16)) + body
    if how == "gzip":
        return gzip.compress(body)
    return body


def tar_gz(members: dict[str, bytes], *, extra: list[tarfile.TarInfo] | None = None) -> bytes:
    """A .tar.gz holding ``members`` (name → content) and any special ``extra`` entries."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(content))
        for info in extra or []:
            archive.addfile(info)
    return out.getvalue()
