"""The OASIS reference TAXII 2.1 server, ``medallion`` (memory back end), in a subprocess
on a loopback port: for differential tests against the hub.

Its configuration is written beside its data file: one API root (``hub``), the given
collections, one Basic user. Medallion serves API roots at ``/<name>/`` (not under
``/taxii2/``) and keeps everything in memory; stopping it forgets it all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.live import HOST, free_port

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
USER, PASSWORD = "analyst", "medallion-test-password"


def collection(collection_id: str, title: str, *, can_read: bool = True,
               can_write: bool = True) -> dict[str, Any]:
    return {"id": collection_id, "title": title, "can_read": can_read, "can_write": can_write,
            "media_types": [STIX], "objects": [], "manifest": []}


class Medallion:
    def __init__(self, url: str, root: str, process: subprocess.Popen[bytes],
                 log: Path) -> None:
        self.url = url  # http://127.0.0.1:port
        self.root = root  # the API root URL, with its trailing slash
        self.process = process
        self.log = log
        self.auth = (USER, PASSWORD)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Accept": TAXII, **extra}


@contextmanager
def running(workdir: Path, collections: list[dict[str, Any]], *, max_page_size: int = 1000,
            max_content_length: int = 10 * 1024 * 1024) -> Iterator[Medallion]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://{HOST}:{port}"
    root = f"{url}/hub/"
    data = {
        "/discovery": {"title": "medallion (reference)", "description": "differential test",
                       "default": root, "api_roots": [root]},
        "hub": {"information": {"title": "hub", "description": "the API root",
                                "versions": [TAXII],
                                "max_content_length": max_content_length},
                "status": [], "collections": collections},
    }
    data_file = workdir / "medallion-data.json"
    data_file.write_text(json.dumps(data))
    config = workdir / "medallion-config.json"
    config.write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(data_file)},
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": max_page_size}}))
    log = workdir / "medallion.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "medallion.scripts.run", "--host", HOST, "--port",
             str(port), "--log-level", "ERROR", str(config)],
            stdout=sink, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"medallion exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(f"{url}/taxii2/", auth=(USER, PASSWORD),
                                headers={"Accept": TAXII}, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"medallion did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        yield Medallion(url, root, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
