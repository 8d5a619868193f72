"""MISP feeds for the subscription tests: written by PyMISP as MISP writes them, served
from a directory or by an HTTP server on 127.0.0.1 (no other network is reachable)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent, MISPOrganisation

from cyberhub.community.models import Organisation, User
from cyberhub.config import Settings
from tests.factories import Community

BASE_TIME = 1740830400  # 2025-03-01T12:00:00Z


class Feed:
    """A MISP feed directory: manifest.json and one <uuid>.json per event."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.manifest: dict[str, Any] = {}
        self.write_manifest()

    def add(self, timestamp: int, value: str, info: str = "Carding shop") -> str:
        event = MISPEvent()
        event.uuid = str(uuid.uuid4())
        event.info = info
        event.date = "2025-03-01"
        event.timestamp = timestamp
        event.distribution = 3
        org = MISPOrganisation()
        org.name, org.uuid = "CIRCL", "55f6ea5e-2c60-40e5-964f-47a8950d210f"
        event.Orgc = org
        event.add_tag("tlp:green")
        event.add_attribute("domain", value, to_ids=True, timestamp=timestamp)
        event.add_attribute("ip-dst", "192.0.2.10", to_ids=False, timestamp=timestamp)
        (self.root / f"{event.uuid}.json").write_text(json.dumps(event.to_feed(with_meta=False)))
        self.manifest.update(event.manifest)
        self.write_manifest()
        return str(event.uuid)

    def write_manifest(self) -> None:
        (self.root / "manifest.json").write_text(json.dumps(self.manifest))


Route = tuple[int, dict[str, str], bytes] | Callable[[SimpleHTTPRequestHandler], None]


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)  # type: ignore[attr-defined]
        if route is None:
            super().do_GET()
        elif callable(route):
            route(self)
        else:
            status, headers, body = route
            self.send_response(status)
            for key, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FeedServer:
    """Serves ``root`` on 127.0.0.1; ``routes`` override single paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.httpd.routes = {}  # type: ignore[attr-defined]
        self.routes: dict[str, Route] = self.httpd.routes  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed(tmp_path: Path) -> Feed:
    return Feed(tmp_path / "www" / "feed")


@pytest.fixture
def server(tmp_path: Path, settings: Settings) -> Iterator[FeedServer]:
    (tmp_path / "www").mkdir(exist_ok=True)
    settings.misp_feed_private_addresses = True  # the test server is on loopback
    settings.misp_feed_read_timeout = 5.0
    s = FeedServer(tmp_path / "www")
    yield s
    s.close()


@pytest.fixture
def alpha(community: Community) -> Organisation:
    return community.org("Alpha CERT")


@pytest.fixture
def analyst(community: Community, alpha: Organisation) -> User:
    return community.user(alpha, role="analyst", email="ana@alpha.example")


@pytest.fixture
def admin(community: Community, alpha: Organisation) -> User:
    return community.user(alpha, role="org-admin", email="adm@alpha.example")


@pytest.fixture
def reader(community: Community, alpha: Organisation) -> User:
    return community.user(alpha, role="reader", email="rea@alpha.example")


@pytest.fixture
def outsider(community: Community) -> User:
    return community.user(community.org("Beta Bank", kind="financial"), role="org-admin",
                          email="adm@beta.example")

# The small two-organisation community of the TAXII tests, for the network tests here.
from tests.taxii.conftest import hub  # noqa: E402, F401
