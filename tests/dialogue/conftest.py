"""A Chatham House dialogue convened by Alpha CERT with Beta Bank and Gamma Police invited;
Delta Hosting is not invited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from cyberhub import events
from cyberhub.community.models import User
from tests.api.conftest import Hub, hub  # noqa: F401 - the fixture is used by name


@dataclass
class Room:
    hub: Hub
    id: str
    heard: list[events.Event]

    def post(self, who: str, body: str, **extra: Any) -> Any:
        return self.hub.post(who, f"/dialogues/{self.id}/contributions",
                             {"body": body, **extra})

    def identities(self, *who: str) -> list[str]:
        """Every string that would name a person or an organisation."""
        names = who or ("a_admin", "a_analyst", "b_analyst", "g_analyst")
        found: list[str] = []
        with self.hub.database.transaction() as s:
            for w in names:
                user = s.get(User, self.hub.users[w].id)
                assert user is not None
                found += [user.email, user.display_name, user.organisation.name]
        return sorted(set(found))


@pytest.fixture
def heard() -> Any:
    caught: list[events.Event] = []

    def listener(session, event):  # type: ignore[no-untyped-def]
        caught.append(event)

    events.subscribe(listener)
    yield caught
    events._listeners.remove(listener)


@pytest.fixture
def people(hub: Hub) -> Hub:  # noqa: F811
    gamma = hub.community.org("Gamma Police", kind="law-enforcement", country="DE")
    delta = hub.community.org("Delta Hosting", kind="hosting")
    for name, org in (("g_analyst", gamma), ("d_analyst", delta)):
        user = hub.community.user(org, "analyst", email=f"{name}@example.org")
        hub.users[name] = user
        hub.tokens[name] = hub.community.token(user, scope="write")
    return hub


def make_room(hub: Hub, heard: list[events.Event], rule: str = "chatham_house") -> Room:  # noqa: F811
    r = hub.post("a_admin", "/dialogues", {
        "topic": "Mule accounts in instant payments", "rule": rule,
        "description": "1. What we see\n2. What we do",
        "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T11:00:00Z",
        "audience": {"org_ids": [str(hub.beta.id), str(hub.users["g_analyst"].org_id)]}})
    assert r.status_code == 201, r.text
    room = Room(hub, r.json()["id"], heard)
    assert hub.post("a_admin", f"/dialogues/{room.id}/open").status_code == 200
    return room


@pytest.fixture
def room(people: Hub, heard: list[events.Event]) -> Room:
    return make_room(people, heard)
