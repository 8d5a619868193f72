"""The REST tests' small hub (tests/api/conftest.py), and a recorder of bus events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from cyberhub import events
from tests.api.conftest import hub  # noqa: F401 - the fixture, shared


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    """Every event published while the test runs."""
    captured: list[events.Event] = []

    def listener(session: Session, event: events.Event) -> None:
        captured.append(event)

    events.subscribe(listener)
    try:
        yield captured
    finally:
        events._listeners.remove(listener)
