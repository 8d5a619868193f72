"""Where PostgreSQL's server programs are, for tests that run servers of their own
(tests/replica, tests/faults/private_postgres.py)."""

from __future__ import annotations

import glob
import shutil
import socket
from pathlib import Path


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout, then PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
