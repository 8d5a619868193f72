"""The REST tests' small hub plus two law-enforcement agencies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from cyberhub import events
from tests.api.conftest import Hub
from tests.api.conftest import hub as base_hub  # noqa: F401 - the fixture, shared

# A valid bech32 wallet held by no one, and other spellings of it.
WALLET = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


@pytest.fixture
def hub(base_hub: Hub) -> Hub:  # noqa: F811
    """Adds police_a, police_a2, police_a_admin (Police One) and police_b (Police Two)."""
    one = base_hub.community.org("Police One", kind="law-enforcement", country="NL")
    two = base_hub.community.org("Police Two", kind="law-enforcement", country="DE")
    for name, org, role in [("police_a", one, "analyst"), ("police_a2", one, "analyst"),
                            ("police_a_admin", one, "org-admin"), ("police_b", two, "analyst"),
                            ("police_b_reader", two, "reader")]:
        user = base_hub.community.user(org, role, email=f"{name}@police.example")
        base_hub.users[name] = user
        base_hub.tokens[name] = base_hub.community.token(user, scope="write")
        base_hub.tokens[name + ":read"] = base_hub.community.token(user, scope="read")
        assert base_hub.get(name, "/me").status_code == 200
    return base_hub


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    captured: list[events.Event] = []

    def listener(session: Session, event: events.Event) -> None:
        captured.append(event)

    events.subscribe(listener)
    try:
        yield captured
    finally:
        events._listeners.remove(listener)
