"""The nesting guard that MISP event files stream through: it refuses a file exactly when
the JSON nests deeper than the limit, however the file is cut into chunks and whatever
its strings hold (quotes, backslashes, brackets, escapes)."""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.formats.nesting import NestingGuard


class TooDeep(Exception):
    pass


# Strings made of what decides nesting, and what could fool a scan of it.
_text = st.text(alphabet=st.sampled_from(['"', "\\", "[", "]", "{", "}", "a", "\n", "é",
                                          "\x01", "/", "u"]), max_size=8)
_json = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=40)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _refused(data: bytes, limit: int, chunk: int) -> bool:
    guard = NestingGuard(io.BytesIO(data), limit, lambda _n: TooDeep())
    try:
        while guard.read(chunk):
            pass
    except TooDeep:
        return True
    return False


@settings(max_examples=400)
@given(value=_json, nest=st.integers(0, 12), limit=st.integers(1, 16),
       chunk=st.integers(1, 64), ascii_only=st.booleans(), spaced=st.booleans())
def test_refused_exactly_when_too_deep(value: Any, nest: int, limit: int, chunk: int,
                                       ascii_only: bool, spaced: bool) -> None:
    for _ in range(nest):
        value = [value]
    data = json.dumps(value, ensure_ascii=ascii_only).encode() if spaced \
        else orjson.dumps(value)
    assert _refused(data, limit, chunk) == (_depth(value) > limit)


def test_a_bracket_bomb_is_refused_at_once_and_seeking_starts_afresh() -> None:
    bomb = io.BytesIO(b"[" * 1_000_000)
    guard = NestingGuard(bomb, 64, lambda _n: TooDeep())
    try:
        guard.read(65536)
    except TooDeep:
        pass
    else:
        raise AssertionError("a bomb passed")
    guard.seek(0)
    assert guard.tell() == 0 and guard.depth == 0
    deep_but_fine = b"[" * 64 + b"]" * 64
    assert not _refused(deep_but_fine, 64, 7) and _refused(b"[" + deep_but_fine + b"]", 64, 7)
