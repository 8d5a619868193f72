"""Hubs as separate processes on loopback ports, set up and driven through the command
line, as an operator would; each keeps a record of every payload it sends out."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import orjson

from cyberhub import migrate
from cyberhub.taxii.media import TAXII
from tests.cache import share_template_cache, warninglists_index

PASSWORD = "a quiet harbour under seven lanterns"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Command:
    """One ``cyberhub`` command, for :meth:`HubProcess.setup`."""

    args: tuple[str, ...]
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    gives_token: bool = False


def command(*args: str, env: dict[str, str] | None = None) -> Command:
    return Command(args, env=env or {})


def org(name: str, kind: str = "cert") -> Command:
    return Command(("org", "create", name, "--kind", kind))


def user(email: str, org: str, role: str = "analyst") -> Command:
    return Command(("user", "create", email, "--org", org, "--role", role),
                   stdin=PASSWORD + "\n")


def token(email: str, scope: str = "read") -> Command:
    """Prints the token: :meth:`HubProcess.setup` returns it."""
    return Command(("token", "create", email, "--scope", scope), gives_token=True)


def collection(title: str, *extra: str) -> Command:
    return Command(("taxii", "add", title, *extra))


CLI_BATCH = Path(__file__).with_name("clibatch.py")


class HubProcess:
    def __init__(self, name: str, root: Path, database_url: str) -> None:
        self.name = name
        self.root = root
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.wire = root / "wire"
        self.env = {**os.environ,
                    "CYBERHUB_DATABASE_URL": database_url, "CYBERHUB_VAR_DIR": str(root / "var"),
                    "CYBERHUB_SECRET_KEY": f"secret-of-{name}-{uuid.uuid4()}",
                    "CYBERHUB_HUB_NAME": name, "CYBERHUB_WIRE_LOG": str(self.wire),
                    "CYBERHUB_ARGON2_TIME_COST": "1", "CYBERHUB_ARGON2_MEMORY_KIB": "8192",
                    "CYBERHUB_QUEUE_NAME": f"net-{name}-{uuid.uuid4().hex[:8]}",
                    "CYBERHUB_REDIS_URL": "", "CYBERHUB_SYNC_LEASE_SECONDS": "2"}
        index = warninglists_index()
        (root / "var" / "warninglists").mkdir(parents=True, exist_ok=True)
        try:
            os.link(index, root / "var" / "warninglists" / index.name)
        except OSError:  # another file system
            shutil.copyfile(index, root / "var" / "warninglists" / index.name)
        share_template_cache(root / "var")
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        migrate.upgrade(database_url)

    # -------------------------------------------------------------- command line

    def cli(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "cyberhub", *args], input=stdin,
                              capture_output=True, text=True, env={**self.env, **(env or {})},
                              timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"{self.name}: cyberhub {' '.join(args)} failed:\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def setup(self, *commands: Command) -> list[str]:
        """Run ``commands`` in order through the command line, in one process (see
        ``clibatch.py``: the hub's start-up is paid once); the tokens printed, in order."""
        done = subprocess.run(
            [sys.executable, str(CLI_BATCH)], capture_output=True, text=True, env=self.env,
            input=json.dumps([{"args": list(c.args), "stdin": c.stdin, "env": c.env}
                              for c in commands]), timeout=600)
        assert done.returncode == 0, f"{self.name}: the commands did not run:\n{done.stderr}"
        tokens = []
        for given, result in zip(commands, json.loads(done.stdout), strict=True):
            if result["code"] != 0:
                raise AssertionError(f"{self.name}: cyberhub {' '.join(given.args)} failed:\n"
                                     f"{result['stdout']}\n{result['stderr']}")
            if given.gives_token:
                tokens.append(result["stdout"].strip())
        return tokens

    def token(self, email: str, scope: str = "read") -> str:
        return self.setup(token(email, scope))[0]

    def importing(self, objects: list[dict[str, Any]], email: str, tlp: str,
                  audience: str | None = None) -> Command:
        """``cyberhub import`` of a bundle of ``objects`` (written beside the hub)."""
        path = self.root / f"import-{uuid.uuid4().hex}.json"
        path.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                       "objects": objects}))
        args = ["import", str(path), "--as", email, "--tlp", tlp]
        if audience:
            args += ["--audience", audience]
        return Command(tuple(args))

    # -------------------------------------------------------------- processes

    def start(self, worker: bool = False, workers: int = 1) -> None:
        # What the processes print is kept beside the hub, for a failing test to be read.
        with open(self.root / "server.log", "ab") as log:
            self.server = subprocess.Popen(
                [sys.executable, "-m", "cyberhub", "serve", "--no-worker", "--port",
                 str(self.port), "--workers", str(workers)], env=self.env,
                stdout=log, stderr=subprocess.STDOUT)
        if worker and self.worker is None:
            with open(self.root / "worker.log", "ab") as log:
                self.worker = subprocess.Popen([sys.executable, "-m", "cyberhub", "worker"],
                                               env=self.env, stdout=log,
                                               stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(self.url + "/signin", timeout=1).status_code < 500:
                    return
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline or self.server.poll() is not None:
                raise AssertionError(f"{self.name} did not start")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no clean shutdown."""
        if self.server is not None:
            self.server.send_signal(signal.SIGKILL)
            self.server.wait(timeout=10)
            self.server = None

    def stop(self) -> None:
        for proc in (self.server, self.worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.server = self.worker = None

    # -------------------------------------------------------------- reading

    def taxii_objects(self, collection: str, email: str, token: str) -> list[dict[str, Any]]:
        """Everything a member sees in a collection (every page)."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            response = httpx2.get(f"{self.url}/taxii2/hub/collections/{collection}/objects/",
                                  params=params, auth=(email, token),
                                  headers={"Accept": TAXII}, timeout=30)
            assert response.status_code == 200, response.text
            body = response.json()
            found += body.get("objects", [])
            if not body.get("more"):
                return found
            params = {"next": body["next"]}

    def payloads(self) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """(header, objects) of every payload this hub sent out."""
        if not self.wire.exists():
            return
        for path in sorted(self.wire.iterdir()):
            head, _sep, body = path.read_bytes().partition(b"\n")
            parsed = orjson.loads(body) if body.strip() else {}
            yield orjson.loads(head), list(parsed.get("objects", []))
