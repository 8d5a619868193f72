"""The app's side of the key service: requests over one connection per thread."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from typing import Any, cast

from cyberhub.errors import KeyServiceUnavailable
from cyberhub.keyring import KeyName, KeyUnavailable, wire

log = logging.getLogger("cyberhub.keyring")


class ServiceKey:
    """A key the service holds: one of its named keys, or a sealed key it opens."""

    __slots__ = ("_client", "_name", "_sealed")

    def __init__(self, client: ServiceClient, name: KeyName | None = None,
                 sealed: str | None = None) -> None:
        self._client, self._name, self._sealed = client, name, sealed

    def mac(self, message: bytes) -> bytes:
        return self.macs([message])[0]

    def macs(self, messages: Sequence[bytes]) -> list[bytes]:
        out: list[bytes] = []
        # Batches well below the service's limits, so a million values stream through.
        for start in range(0, len(messages), 10_000):
            data = self._client.call({"op": "mac", "key": self._name, "sealed": self._sealed,
                                      "data": [wire.b64(m) for m in
                                               messages[start:start + 10_000]]})
            out.extend(wire.unb64(mac) for mac in data)
        return out


class ServiceClient:
    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self._local = threading.local()

    def _connection(self) -> socket.socket:
        held: tuple[int, socket.socket] | None = getattr(self._local, "held", None)
        # A forked child (an import process, a uvicorn worker) opens its own: sharing the
        # parent's would interleave their frames.
        if held is None or held[0] != os.getpid():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.path)
            except OSError:
                sock.close()
                raise
            held = (os.getpid(), sock)
            self._local.held = held
        return held[1]

    def _drop(self) -> None:
        held: tuple[int, socket.socket] | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            held[1].close()

    def call(self, request: dict[str, Any]) -> list[Any]:
        # Every operation may be repeated safely, so a connection the service closed (it
        # was restarted) is opened again once before the request fails.
        for attempt in (1, 2):
            try:
                sock = self._connection()
                wire.send(sock, request)
                answer = wire.receive(sock)
                break
            except (OSError, wire.Closed) as exc:
                self._drop()
                if attempt == 2:
                    # The reason (a path, an errno) is for the operators' log, not the user.
                    log.warning("the key service at %s cannot be reached: %s", self.path, exc)
                    raise KeyServiceUnavailable() from exc
        if "error" in answer:
            if answer.get("kind") == "unavailable":
                raise KeyUnavailable(str(answer["error"]))
            if answer.get("kind") == "failed":
                log.warning("the key service at %s failed a %r request: %s", self.path,
                            request.get("op"), answer["error"])
                raise KeyServiceUnavailable()
            raise ValueError(f"the key service refused a request: {answer['error']}")
        return cast(list[Any], answer["data"])

    # -------------------------------------------------------------- the Backend protocol

    def named(self, name: KeyName) -> ServiceKey | None:
        present = self.call({"op": "named", "key": name})[0]
        return ServiceKey(self, name=name) if present else None

    def sealed(self, token: str) -> ServiceKey | None:
        try:
            self.call({"op": "mac", "sealed": token, "data": []})
        except KeyUnavailable:
            return None
        return ServiceKey(self, sealed=token)

    def candidates(self, name: KeyName, message: bytes) -> list[bytes]:
        return [wire.unb64(mac) for mac in
                self.call({"op": "candidates", "key": name, "data": [wire.b64(message)]})]

    def encrypt(self, values: Sequence[str]) -> list[str]:
        return cast(list[str], self.call({"op": "encrypt", "data": list(values)}))

    def decrypt(self, tokens: Sequence[str]) -> list[str | None]:
        return cast(list[str | None], self.call({"op": "decrypt", "data": list(tokens)}))

    def reencrypt(self, tokens: Sequence[str]) -> list[str | None]:
        return cast(list[str | None], self.call({"op": "reencrypt", "data": list(tokens)}))

    def check(self) -> None:
        self.call({"op": "check"})


_clients: dict[tuple[str, float], ServiceClient] = {}
_lock = threading.Lock()


def for_socket(path: str, timeout: float) -> ServiceClient:
    with _lock:
        client = _clients.get((path, timeout))
        if client is None:
            client = _clients[(path, timeout)] = ServiceClient(path, timeout)
        return client


def reset() -> None:
    with _lock:
        _clients.clear()
