"""A key service for tests: the real server, in a thread of the test process."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from cyberhub.config import Settings
from cyberhub.keyring import local, server


def short_dir() -> Path:
    # A Unix socket's path is limited to about 100 bytes: pytest's tmp paths can be longer.
    return Path(tempfile.mkdtemp(prefix="ks-", dir="/tmp"))


class Service:
    """A key service in a thread of this process, on its own socket."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = short_dir()
        self.path = self.root / "keys.sock"
        self.backend = local.LocalBackend(settings)
        self._server: server.KeyServer | None = None

    def start(self) -> None:
        self._server = server.make_server(self.settings, self.path)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
