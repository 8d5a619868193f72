"""A guard on JSON nesting, for streams read by ijson's item builder.

ijson names every value by its path ("item.item.item…"), so a file of nested brackets
costs time quadratic in its depth: a 200 KB file of "[" keeps a core busy for minutes.
:class:`NestingGuard` wraps the stream and refuses, as the bytes are read, any nesting
deeper than a limit, before the parser meets it.

It works on the few bytes that decide nesting (quotes and brackets), with
bytes methods rather than a loop per byte: escapes are dropped, then strings, and
matched bracket pairs are peeled off level by level. Only a chunk whose peeled form
could reach the limit is counted exactly, bracket by bracket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

_KEEP = b'"[]{}'
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_OPEN = frozenset(b"[{")


class NestingGuard:
    """A readable binary stream that raises ``refuse(limit)`` once the JSON it carries
    nests deeper than ``limit``; reading, seeking and telling pass through."""

    def __init__(self, raw: IO[bytes], limit: int,
                 refuse: Callable[[int], Exception]) -> None:
        self.raw, self.limit, self.refuse = raw, limit, refuse
        self.depth = 0
        self.tail = b""  # the kept bytes of a string that runs past the last chunk
        self.escaped = b""  # backslashes at the last chunk's end

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if data:
            self._check(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        self.depth, self.tail, self.escaped = 0, b"", b""
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def _check(self, data: bytes) -> None:
        # An escape cut by the chunk's end is read again whole with the next chunk.
        data, self.escaped = self.escaped + data, b""
        if data.endswith(b"\\"):
            run = len(data) - len(data.rstrip(b"\\"))
            data, self.escaped = data[:-run], data[-run:]
        if b"\\" in data:
            # Escaped backslashes go first, left to right as JSON reads them; then every
            # backslash left starts an escape, and only an escaped quote could mislead.
            data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        kept = data.translate(None, _DROP)  # the other escapes' backslashes go here
        # Quotes now alternate, opening and closing. Dropping two adjacent ones removes an
        # empty string or joins two strings: what is inside stays inside.
        kept = (self.tail + kept).replace(b'""', b"")
        if b'"' in kept:
            parts = kept.split(b'"')
            brackets = b"".join(parts[0::2])
            # An odd count of quotes: the last part is a string that runs on.
            self.tail = b'"' + parts[-1] if len(parts) % 2 == 0 else b""
        else:
            brackets, self.tail = kept, b""
        peeled, passes = brackets, 0
        while passes <= self.limit:
            inner = peeled.replace(b"[]", b"").replace(b"{}", b"")
            if inner == peeled:
                break
            peeled, passes = inner, passes + 1
        opened = peeled.count(b"[") + peeled.count(b"{")
        # A pass peels one level, or two ("{[]}"): a bound on the depth reached.
        if self.depth + opened + 2 * passes <= self.limit:
            self.depth += 2 * opened - len(peeled)
            return
        depth = self.depth
        for byte in brackets:
            depth += 1 if byte in _OPEN else -1
            if depth > self.limit:
                raise self.refuse(self.limit)
        self.depth = depth


__all__ = ["NestingGuard"]
