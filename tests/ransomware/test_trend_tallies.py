"""The running tallies behind the unfiltered trends publish exactly what the incidents
read one by one publish, for every viewer, after incidents are added, edited and
deleted with any marking and audience; the quartiles read from a histogram equal
``statistics.quantiles``; the migration counts incidents stored before it. Both engines.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cyberhub import access, migrate
from cyberhub.audience import Audience
from cyberhub.db import Database
from cyberhub.ransomware import incidents, trend_tallies, trends
from cyberhub.ransomware.models import Incident, IncidentFigure, IncidentTally
from cyberhub.sharing import TLP
from tests.factories import Community
from tests.ransomware.conftest import DHARMA, LOCKBIT

TLPS = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


@dataclass
class World:
    viewers: list[access.Viewer]  # three analysts of three organisations, one admin
    org_ids: list[Any]
    group_ids: list[Any]
    user_ids: list[Any]


def make_world(community: Community) -> World:
    orgs = [community.org(f"Reporter {i}") for i in range(4)]
    users = [community.user(o) for o in orgs]
    admin = community.user(orgs[0], role="hub-admin")
    group = community.group(orgs=orgs[1:3])
    crew = community.group(users=users[2:])
    return World(viewers=[community.viewer(u) for u in [*users, admin]],
                 org_ids=[o.id for o in orgs], group_ids=[group.id, crew.id],
                 user_ids=[u.id for u in users])


incident_st = st.fixed_dictionaries({
    "who": st.integers(0, 3),
    "tlp": st.sampled_from(TLPS),
    "orgs": st.sets(st.integers(0, 3), max_size=2),
    "groups": st.sets(st.integers(0, 1), max_size=1),
    "users": st.sets(st.integers(0, 3), max_size=2),
    "family": st.sampled_from(["", LOCKBIT, DHARMA]),
    "sector": st.sampled_from(["", "Bank", "Health"]),
    "country": st.sampled_from(["", "NL", "FR"]),
    "days": st.integers(0, 70),
    "demand": st.one_of(st.none(), st.sampled_from([50_000, 120_000, 250_000])),
    "currency": st.sampled_from(["EUR", "USD"]),
    "paid": st.one_of(st.none(), st.booleans()),
    "recovery": st.one_of(st.none(), st.integers(0, 30)),
})


def audience_for(world: World, tlp: TLP, spec: dict[str, Any]) -> Audience:
    if tlp in (TLP.CLEAR, TLP.GREEN):
        return Audience()
    if tlp is TLP.RED:
        return Audience(group_ids=[world.group_ids[1]] if spec["groups"] else [],
                        user_ids=[world.user_ids[i] for i in sorted(spec["users"])])
    return Audience(org_ids=[world.org_ids[i] for i in sorted(spec["orgs"])],
                    group_ids=[world.group_ids[0]] if spec["groups"] else [])


def report(database: Database, world: World, spec: dict[str, Any]) -> Any:
    viewer = world.viewers[spec["who"]]
    paid = spec["paid"] if spec["demand"] else None
    raw = incidents.IncidentInput(
        discovered=date(2026, 10, 30) - timedelta(days=spec["days"]), family=spec["family"],
        access_vector="phishing", sector=spec["sector"], country=spec["country"],
        demand_amount=spec["demand"], demand_currency=spec["currency"] if spec["demand"] else "",
        paid=paid, paid_amount=spec["demand"] // 2 if paid else None,
        recovery_days=spec["recovery"])
    with database.transaction() as s:
        row = incidents.create_incident(s, viewer, raw, tlp=spec["tlp"],
                                        audience=audience_for(world, spec["tlp"], spec))
        return row.id


def assert_same_for_everyone(database: Database, world: World, k: int) -> None:
    for viewer in world.viewers:
        with database.snapshot() as s:
            asker = str(viewer.org_id)
            groups, names = trend_tallies.tallied(s, viewer)
            fast = trends.publish(groups, trends.Groups(), k=k, asker=asker,
                                  labels={"family": {trends.UNKNOWN: "unknown", **names}})
            rows, labels = trends.visible_rows(s, viewer)
            slow = trends.compute(rows, k=k, asker=asker, labels={"family": labels})
        assert fast == slow, viewer


def test_tallies_publish_what_the_incidents_publish(families, community) -> None:  # type: ignore[no-untyped-def]
    world = make_world(community)

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.lists(incident_st, min_size=1, max_size=14), st.data(), st.integers(1, 3))
    def check(specs: list[dict[str, Any]], data: st.DataObject, k: int) -> None:
        ids = [report(families, world, spec) for spec in specs]
        left = set(range(len(ids)))

        def delete(i: int) -> None:
            with families.transaction() as s:
                incidents.delete_incident(s, world.viewers[specs[i]["who"]], ids[i])
            left.discard(i)

        try:
            assert_same_for_everyone(families, world, k)
            # Delete some (as their reporters), then the others: nothing stays counted.
            for i in sorted(data.draw(st.sets(st.sampled_from(range(len(ids)))))):
                delete(i)
            assert_same_for_everyone(families, world, k)
        finally:  # each example starts from no incident
            for i in sorted(left):
                delete(i)
        with families.snapshot() as s:
            assert not s.scalar(select(func.sum(IncidentTally.count)))
            assert not s.scalar(select(func.sum(IncidentFigure.count)))

    check()


def test_rebuild_recounts_the_same(families, community) -> None:  # type: ignore[no-untyped-def]
    world = make_world(community)
    for i, tlp in enumerate(TLPS * 3):
        report(families, world, {"who": i % 4, "tlp": tlp, "orgs": {1, 2}, "groups": {0},
                                 "users": {3}, "family": LOCKBIT if i % 2 else "",
                                 "sector": "Bank", "country": "NL", "days": i,
                                 "demand": 120_000, "currency": "EUR", "paid": i % 3 == 0,
                                 "recovery": i})

    def snapshot() -> Counter[tuple[str, str]]:
        with families.snapshot() as s:
            return Counter({(d, v): n for d, v, n in s.execute(select(
                IncidentTally.dimension, IncidentTally.value, func.sum(IncidentTally.count)
            ).group_by(IncidentTally.dimension, IncidentTally.value)) if n})

    before = snapshot()
    assert before[("family", LOCKBIT)] == 7 and before[("paid", "yes")] == 5
    with families.transaction() as s:
        assert trend_tallies.rebuild(s) == 15
    assert snapshot() == before
    assert_same_for_everyone(families, world, 2)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=60))
def test_quartiles_from_a_histogram_equal_statistics(values: list[int]) -> None:
    got = trends._quartiles(Counter(values))
    if len(values) == 1:
        assert (got.p25, got.median, got.p75) == (values[0],) * 3
    else:
        assert [got.p25, got.median, got.p75] == statistics.quantiles(
            sorted(values), n=4, method="inclusive")


def test_the_migration_counts_incidents_stored_before_it(database_url, community,  # type: ignore[no-untyped-def]
                                                         families) -> None:
    world = make_world(community)
    for i, tlp in enumerate(TLPS):
        report(families, world, {"who": i % 4, "tlp": tlp, "orgs": {2}, "groups": set(),
                                 "users": {1}, "family": LOCKBIT, "sector": "Health",
                                 "country": "FR", "days": 3 * i, "demand": 50_000,
                                 "currency": "EUR", "paid": True, "recovery": 5})
    with families.snapshot() as s:
        expected = {v: trends.trends(s, v) for v in world.viewers}
    # The third organisation sees four incidents from three others: a published total.
    assert expected[world.viewers[2]].total == 4
    migrate.downgrade(database_url, migrate.previous("0017"))
    with families.snapshot() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 5
    migrate.upgrade(database_url)
    with families.snapshot() as s:
        for viewer, before in expected.items():
            assert trends.trends(s, viewer) == before
