"""The key service: a process that holds the hub's keys and answers the app's requests.

Run by ``cyberhub secrets serve`` as its own user, with the keys in its own settings (or
var directory), on a Unix socket only the app's group may open (docs/deployment.md, "Key
service"). It answers with MACs, sealed and opened values — never with a key.
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import os
import socket
import socketserver
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from cyberhub.config import Settings
from cyberhub.keyring import NAMES, KeyName, wire
from cyberhub.keyring.local import LocalBackend

log = logging.getLogger("cyberhub.keyring")


class Refused(Exception):
    """A request the service will not answer; the message says why."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def _strings(request: dict[str, Any]) -> list[str]:
    data = request.get("data", [])
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise Refused("data must be a list of strings")
    if len(data) > wire.MAX_ITEMS:
        raise Refused(f"at most {wire.MAX_ITEMS} items per request")
    return cast(list[str], data)


def _messages(request: dict[str, Any]) -> list[bytes]:
    try:
        return [wire.unb64(item) for item in _strings(request)]
    except (binascii.Error, ValueError):
        raise Refused("data must hold base64 strings") from None


def _name(request: dict[str, Any]) -> KeyName:
    name = request.get("key")
    if name not in NAMES:
        raise Refused(f"no key is named {name!r}; the names are {', '.join(sorted(NAMES))}")
    return cast(KeyName, name)


def answer(backend: LocalBackend, request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one request (an error answer for a request that cannot be served)."""
    try:
        return {"data": _serve(backend, request)}
    except Refused as exc:
        return {"error": str(exc), "kind": exc.kind}
    except Exception:  # a key file gone bad, say: the service stays up and says so
        log.exception("the key service could not answer a %r request", request.get("op"))
        return {"error": "the key service failed; its log says why", "kind": "failed"}


def _serve(backend: LocalBackend, request: dict[str, Any]) -> list[Any]:
    op = request.get("op")
    if op not in wire.OPS:
        raise Refused(f"unknown operation {op!r}; the operations are {', '.join(sorted(wire.OPS))}")
    if op == "check":
        backend.check()
        return []
    if op == "named":
        return [backend.named(_name(request)) is not None]
    if op == "candidates":
        messages = _messages(request)
        if len(messages) != 1:
            raise Refused("candidates takes exactly one message")
        return [wire.b64(mac) for mac in backend.candidates(_name(request), messages[0])]
    if op == "mac":
        sealed = request.get("sealed")
        if sealed is not None:
            if not isinstance(sealed, str):
                raise Refused("sealed must be a string")
            key = backend.sealed(sealed)
            if key is None:
                raise Refused("the sealed key opens with none of the service's keys",
                              "unavailable")
        else:
            key = backend.named(_name(request))
            if key is None:
                raise Refused(f"the {request.get('key')} key is not configured", "unavailable")
        return [wire.b64(mac) for mac in key.macs(_messages(request))]
    values = _strings(request)
    if op == "encrypt":
        return list(backend.encrypt(values))
    if op == "decrypt":
        return list(backend.decrypt(values))
    return list(backend.reencrypt(values))


class _Handler(socketserver.BaseRequestHandler):
    server: KeyServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        with self.server.tracking(sock):
            self._serve(sock)

    def _serve(self, sock: socket.socket) -> None:
        while True:
            try:
                request = wire.receive(sock)
            except wire.BadFrame as exc:
                with contextlib.suppress(OSError):
                    wire.send(sock, {"error": str(exc), "kind": "invalid"})
                return
            except (wire.Closed, OSError):
                return
            try:
                wire.send(sock, answer(self.server.backend, request))
            except OSError:
                return


class KeyServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, backend: LocalBackend, mode: int = 0o660) -> None:
        self.backend = backend
        self.path = path
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        _clear_stale(path)
        old = os.umask(0o777 & ~mode)
        try:
            super().__init__(str(path), _Handler)
        finally:
            os.umask(old)
        os.chmod(path, mode)

    @contextlib.contextmanager
    def tracking(self, sock: socket.socket) -> Iterator[None]:
        with self._lock:
            self._open.add(sock)
        try:
            yield
        finally:
            with self._lock:
                self._open.discard(sock)

    def server_close(self) -> None:
        """Stop listening, and end the connections still open: a stopped service
        answers nothing more."""
        super().server_close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _clear_stale(path: Path) -> None:
    """Remove a socket left by a service that died; refuse when one still answers."""
    if not path.exists() and not path.is_symlink():
        return
    if not stat.S_ISSOCK(path.lstat().st_mode):
        raise RuntimeError(f"{path} exists and is not a socket: choose another path")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()
    else:
        raise RuntimeError(f"a key service already answers on {path}")
    finally:
        probe.close()


def make_server(settings: Settings, path: Path, mode: int = 0o660) -> KeyServer:
    """A key service on ``path`` with the keys of ``settings`` (made now when missing)."""
    backend = LocalBackend(settings)
    backend.check()
    path.parent.mkdir(parents=True, exist_ok=True)
    return KeyServer(path, backend, mode)
