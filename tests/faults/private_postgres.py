"""A PostgreSQL server of the test's own (initdb in a temporary directory, its own port),
so that a fault test can really restart or crash it while the shared server stays up.

The server runs as the ``postgres`` system account when the tests run as root (PostgreSQL
refuses to run as root); without PostgreSQL's programs on the machine the test is
skipped with the reason."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.postgres_programs import free_port, server_binaries


class PrivatePostgres:
    def __init__(self) -> None:
        bin_dir = server_binaries()
        if bin_dir is None:
            pytest.skip("PostgreSQL's programs (initdb, pg_ctl) are not installed")
        self.bin = bin_dir
        self.port = free_port()
        # Not under pytest's tmp_path: that is private to root, and the server's account
        # must reach its data directory.
        self.root = Path(tempfile.mkdtemp(prefix="cyberhub-pg-"))
        os.chmod(self.root, 0o755)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.account = self._account()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\nfsync = on\n"
                       "max_connections = 50\n")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "cyberhub")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/cyberhub"

    def _account(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres account to run a server")
        shutil.chown(self.root, "postgres")
        return "postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.account:
            command = ["runuser", "-u", self.account, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              cwd=self.root)
        if done.returncode != 0:
            raise AssertionError(f"{program} failed: {done.stdout}\n{done.stderr}\n"
                                 f"{self.log.read_text() if self.log.exists() else ''}")

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """What an operator does: a fast shutdown (sessions ended, a checkpoint) and a
        start."""
        self._ctl("restart", "-m", "fast")

    def crash(self) -> None:
        """What a power cut does to the server: every process gone without a checkpoint;
        the next start replays the write-ahead log."""
        self._ctl("stop", "-m", "immediate")

    def close(self) -> None:
        with contextlib.suppress(AssertionError):  # already stopped
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)
