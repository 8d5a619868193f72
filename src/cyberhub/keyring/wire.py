"""The key service's protocol: frames over a Unix stream socket.

A frame is a 4-byte big-endian length, then that many bytes of JSON. A request is
``{"op": ..., "key": name, "sealed": token, "data": [...]}`` (bytes in base64), an answer
``{"data": [...]}`` or ``{"error": message, "kind": "unavailable" | "invalid"}``. One
connection carries any number of requests, one at a time.
"""

from __future__ import annotations

import base64
import socket
import struct
from typing import Any, Final

import orjson

MAX_FRAME: Final = 64 * 1024 * 1024
MAX_ITEMS: Final = 100_000
OPS: Final = frozenset({"named", "mac", "candidates", "encrypt", "decrypt", "reencrypt",
                        "check"})
_LENGTH: Final = struct.Struct(">I")


class Closed(Exception):
    """The other end closed the connection."""


class BadFrame(Closed):
    """The other end sent a frame that cannot be read: the connection cannot go on."""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    body = orjson.dumps(message)
    if len(body) > MAX_FRAME:
        raise ValueError(f"a key service frame is limited to {MAX_FRAME} bytes")
    sock.sendall(_LENGTH.pack(len(body)) + body)


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks: list[bytes] = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise Closed("the connection was closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> dict[str, Any]:
    (length,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    if length > MAX_FRAME:
        raise BadFrame(f"a frame of {length} bytes is over the limit of {MAX_FRAME}")
    try:
        message = orjson.loads(_exactly(sock, length))
    except orjson.JSONDecodeError as exc:
        raise BadFrame(f"a frame is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise BadFrame("a frame is not a JSON object")
    return message
