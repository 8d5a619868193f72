"""A small community for the operations tests: five organisations with an analyst each
(tests/vetting/world.py), admins for two of them, an outsider, and helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cyberhub import events
from tests.state import VOLATILE, snapshot
from tests.vetting.world import World

# Reads of AMBER+STRICT and RED records are audited, and tokens note their last use: a
# refused request may write those, and nothing else.
READ_TRACES = VOLATILE | {"audit_entries", "audit_head", "api_tokens"}


class Ops(World):
    """``alpha`` leads; ``bravo`` and ``charlie`` take part; ``delta`` and ``echo`` do not."""

    def state(self) -> dict[str, list[Any]]:
        return snapshot(self.database, skip=READ_TRACES)

    def propose(self, who: str = "alpha_admin", **fields: Any) -> dict[str, Any]:
        body = {"name": "Operation Lantern", "legal_basis": "Joint investigation team agreement",
                "objectives": "Take down the **phishing kit** infrastructure.",
                "participant_org_ids": [str(self.orgs["bravo"].id),
                                        str(self.orgs["charlie"].id)]} | fields
        r = self.post(who, "/operations", body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def move(self, op: dict[str, Any], *statuses: str, who: str = "alpha_admin") -> Any:
        r = None
        for status in statuses:
            r = self.post(who, f"/operations/{op['id']}/status", {"status": status})
            assert r.status_code == 200, r.text
        return r

    def put(self, who: str, path: str, json: Any) -> Any:
        from tests.factories import bearer

        return self.client.put("/api/v1" + path, headers=bearer(self.tokens[who]), json=json)


@pytest.fixture
def ops(client, database, community, tmp_path) -> Ops:  # type: ignore[no-untyped-def]
    world = Ops(client, database, community, tmp_path)
    world.add_user("alpha_admin", "alpha", role="org-admin")
    world.add_user("bravo_admin", "bravo", role="org-admin")
    world.add_user("alpha_reader", "alpha", role="reader")
    world.add_user("bravo_two", "bravo")
    world.add_user("delta_admin", "delta", role="org-admin")
    world.add_user("echo_hub", "echo", role="hub-admin")
    return world


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
