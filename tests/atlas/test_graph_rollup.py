"""The graph's roll-up of hub nodes: an expansion from it plus what the viewer sees
beyond it counts exactly what counting live counts, and is never used once stale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from sqlalchemy import delete, update

from cyberhub import access, jobs
from cyberhub.atlas import explore, graph_rollup, landscape_rollup
from cyberhub.intel.models import StixObject, StixRef
from cyberhub.sharing import TLP, AudienceEntry
from tests.atlas.test_landscape_rollup_property import (
    _GROUP,
    _LIFTED,
    ACTORS,
    PLACES,
    SECTORS,
    TOOLS,
    _store,
    _world,
    cast,
)
from tests.factories import Community

NODES = (ACTORS[0], ACTORS[1], TOOLS[0], SECTORS[0], next(iter(PLACES)))


def _counts(groups: list[explore.Aggregate]) -> dict[tuple[str, str, str], int]:
    return {(g.direction, g.kind, g.type): g.count for g in groups}


@example(world=_LIFTED)
@example(world=_GROUP)
@settings(max_examples=8, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=_world)
def test_rolled_up_neighbours_equal_live_ones(database, community: Community, monkeypatch: Any,
                                              world: list[tuple[int, dict[str, Any]]]) -> None:
    orgs, users, admin, group = cast(community)
    viewers = [community.viewer(u) for u in (*users, admin)]
    monkeypatch.setattr(graph_rollup, "HUB_DEGREE", 0)  # every node is a hub here
    # Every organisation holding a restricted record gets counts of its own.
    monkeypatch.setattr(landscape_rollup, "ORG_ROLLUP_ROWS", 1)
    try:
        with database.transaction() as s:
            _store(s, world, datetime.now(UTC), orgs, users, group)
        assert jobs.refresh_graph_now() is True
        with database.snapshot() as s:
            assert graph_rollup.is_current(s)
            hubs = graph_rollup.hub_nodes(s)
            for viewer in viewers:
                scopes = access.scopes_of(StixObject, viewer)
                for node in NODES:
                    rolled = explore.groups(s, viewer, node, explore.Filters())
                    live = explore.groups(s, viewer, node, explore.Filters(), rollup=False)
                    assert _counts(rolled) == _counts(live), (viewer.label, node)
                    if node in hubs:
                        assert all(graph_rollup.stored(s, scope, node) is not None
                                   for scope in scopes
                                   if scope in landscape_rollup.scopes(s)), viewer.label
    finally:
        with database.transaction() as s:
            s.execute(delete(AudienceEntry))
            s.execute(delete(StixRef))
            s.execute(delete(StixObject))


def test_a_change_is_counted_at_once_and_rolled_up_again(database, community: Community,
                                                        monkeypatch: Any) -> None:
    orgs, users, _admin, group = cast(community)
    viewer = community.viewer(users[1])
    monkeypatch.setattr(graph_rollup, "HUB_DEGREE", 0)
    # The viewer's organisation holds restricted records: answered from its own counts.
    monkeypatch.setattr(landscape_rollup, "ORG_ROLLUP_ROWS", 1)
    with database.transaction() as s:
        _store(s, _LIFTED, datetime.now(UTC), orgs, users, group)
    assert jobs.refresh_graph_now() is True
    assert jobs.refresh_graph_now() is False  # current: nothing to do

    def not_live(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("counted live although the roll-up is current")

    with monkeypatch.context() as m:
        m.setattr(explore, "count_groups", not_live)
        # Its organisation's AMBER record is in the organisation's own counts: nothing
        # is added live (over the members' counts, it would be).
        m.setattr(explore, "beyond_counts", not_live)
        with database.snapshot() as s:
            before = _counts(explore.groups(s, viewer, ACTORS[0], explore.Filters()))
    assert sum(before.values()) > 0
    with database.snapshot() as s:
        assert before == _counts(explore.groups(s, viewer, ACTORS[0], explore.Filters(),
                                                rollup=False))
    with database.transaction() as s:  # every record now RED: only its author sees it
        s.execute(update(StixObject).values(tlp=TLP.RED))
    with database.snapshot() as s:
        assert not graph_rollup.is_current(s)
        assert explore.groups(s, viewer, ACTORS[0], explore.Filters()) == []
    assert jobs.refresh_graph_now() is True
    with database.snapshot() as s:
        assert explore.groups(s, viewer, ACTORS[0], explore.Filters()) == []
