"""Fixtures for notification tests: the REST hub, publishing an event, loopback servers."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cyberhub import events
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.notes.models import Note
from tests.api.conftest import Hub, hub  # noqa: F401 - the REST hub fixture


def publish(database: Database, kind: str = "comment.new", *, title: str = "Something new",
            url: str = "/notes", subject: Any = None, summary: str = "",
            actor: uuid.UUID | None = None, recipients: set[uuid.UUID] = frozenset(),  # type: ignore[assignment]
            watch_keys: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Publish one event the way a domain does: inside its write's transaction."""
    with database.transaction() as session:
        events.publish(session, events.Event(
            kind=kind, title=title, url=url, summary=summary,
            subject_type=Note if subject is not None else None,
            subject_id=subject.id if subject is not None else None, actor_user_id=actor,
            recipients=frozenset(recipients), watch_keys=frozenset(watch_keys)))


def import_objects(on: Hub, who: str, objects: list[dict[str, Any]], *, tlp: str = "GREEN",
                   audience: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """Import STIX objects through the REST import (run at once: the queue is immediate)."""
    import orjson

    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    r = on.client.post("/api/v1/import", params={"tlp": tlp, "audience": list(audience)},
                       content=orjson.dumps(bundle), headers=on.as_(who))
    assert r.status_code == 202, r.text
    job = on.get(who, f"/imports/{r.json()['id']}").json()
    assert job["status"] == "succeeded", job
    return job  # type: ignore[no-any-return]


def sdo(kind: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": name, **extra}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP server that records what it receives and answers ``status``."""

    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(self.path, {k.lower(): v for k, v in
                                                       self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    settings.webhook_allow = "127.0.0.1"
    settings.webhook_private_addresses = True
    return settings


@dataclass
class Mailbox:
    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Settings) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback; the hub's settings point at it."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = port
    settings.smtp_from = "hub@cyberhub.example"
    settings.public_url = "https://hub.example"
    yield box
    controller.stop()
    settings.smtp_host = ""


__all__ = ["Hub", "Mailbox", "Receiver", "import_objects", "publish", "sdo"]
