"""Faults on loopback: a TCP proxy that can be cut and restored (a database or Redis
going away without touching the shared server), and a server that accepts connections
and never answers (a partner hub that hangs)."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

from tests.federation.network import free_port


def _reset(sock: socket.socket) -> None:
    """Close with a reset, as a dead host or a cut cable looks to the peer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Pair:
    """One proxied connection: a client and its upstream, pumped by two threads.

    A socket is closed only once both threads are done with it: closing one that the
    other thread is about to read would free its descriptor for the next connection
    accepted, and that thread would then read (steal) the new connection's bytes. The
    first pump to end shuts both sockets down, which wakes the other."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.sockets = (client, upstream)
        self.frozen = False
        self._running = 2
        self._lock = threading.Lock()

    def cut(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def pump_done(self) -> None:
        self.cut()
        with self._lock:
            self._running -= 1
            last = self._running == 0
        if last:
            for sock in self.sockets:
                _reset(sock)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target. ``cut()`` resets every open connection and
    resets every new one at once until ``restore()``. ``freeze()`` is a partition that
    sends no reset: every open connection stops carrying bytes, for good, without either
    end being told, and new ones are accepted and never answered until ``restore()``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._up = True
        self._frozen = False
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._open: set[_Pair] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener.settimeout(0.2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                up, frozen = self._up, self._frozen
                if frozen:
                    self._held.append(client)
            if frozen:
                continue
            if not up:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            pair = _Pair(client, upstream)
            with self._lock:
                up = self._up  # cut while this one was being connected?
                if up:
                    self._open.add(pair)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(pair, a, b), daemon=True).start()
            if not up:
                pair.cut()

    def _pump(self, pair: _Pair, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not pair.frozen:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(pair)
            pair.pump_done()

    def cut(self) -> None:
        with self._lock:
            self._up = False
            doomed, self._open = self._open, set()
        for pair in doomed:
            pair.cut()

    def freeze(self) -> None:
        with self._lock:
            self._frozen = True
            for pair in self._open:
                pair.frozen = True

    def restore(self) -> None:
        with self._lock:
            self._up, self._frozen = True, False

    def close(self) -> None:
        self._stopped.set()
        self.cut()
        self._listener.close()
        self._thread.join(timeout=5)
        for sock in self._held:
            _reset(sock)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SilentServer:
    """Accepts every connection, reads what is sent, and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._listener.settimeout(0.2)
        self._held: list[socket.socket] = []
        self.accepted = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=5)
        for conn in self._held:
            _reset(conn)

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
