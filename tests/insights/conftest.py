from __future__ import annotations

import pytest

from tests.vetting.world import World


@pytest.fixture
def world(client, database, community, tmp_path) -> World:  # type: ignore[no-untyped-def]
    return World(client, database, community, tmp_path)
