"""Property: the heatmap (and its sector list) from the roll-up plus what a viewer sees
beyond it equals the heatmap counted live, for every viewer, unfiltered and narrowed by
actor, sector and period, over worlds of copies held by several organisations under every
marking, with audiences, revocations, copies that describe a technique differently, and
copies that do not describe one at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from cyberhub import access
from cyberhub.atlas import attack, attack_rollup, landscape_rollup
from cyberhub.intel.models import StixObject, StixRef
from cyberhub.sharing import TLP, AudienceEntry
from tests.atlas.test_landscape_rollup_property import cast
from tests.factories import Community


def _sid(kind: str, n: int) -> str:
    return f"{kind}--{uuid.UUID(int=n + 1)}"


ACTORS = [_sid("intrusion-set", i) for i in range(2)] + [_sid("campaign", 7)]
TECHNIQUES = [_sid("attack-pattern", i) for i in range(2)]
SECTORS = [_sid("identity", i) for i in range(2)]
ENTITIES = ACTORS + TECHNIQUES + SECTORS
# Relationship and report ids fix what they link, as a STIX id does.
USES = [(_sid("relationship", i), a, t) for i, (a, t) in enumerate(
    (a, t) for a in ACTORS for t in TECHNIQUES)]
REPORTS = [(_sid("report", 0), TECHNIQUES), (_sid("report", 1), TECHNIQUES[1:] + ACTORS[:1])]
TARGETS = [(_sid("relationship", 50 + i), a, t) for i, (a, t) in enumerate(
    (a, t) for a in ACTORS[:2] for t in SECTORS)]
ALL = ENTITIES + [u[0] for u in USES] + [r[0] for r in REPORTS] + [t[0] for t in TARGETS]

_row = st.fixed_dictionaries({
    "owner": st.integers(0, 2), "tlp": st.sampled_from(list(TLP)),
    "audience": st.lists(st.sampled_from(["org:1", "org:2", "user:1", "group"]), max_size=2,
                         unique=True),
    "days": st.sampled_from([0, 5, 30]), "revoked": st.booleans(),
    # A copy of a technique without its ATT&CK id describes no technique.
    "broken": st.integers(0, 5).map(lambda n: n == 0)})
_world = st.lists(st.tuples(st.integers(0, len(ALL) - 1), st.lists(_row, min_size=1,
                                                                    max_size=3)),
                  min_size=1, max_size=20).map(
    lambda drawn: [(pick, row) for pick, rows in drawn for row in rows])
# Filters as (actor, sector, from so many days back, until so many days back); the rows
# are 0, 5 or 30 days old.
Narrowing = tuple[str | None, str | None, int | None, int | None]
_narrowings = st.lists(st.tuples(st.sampled_from([None, *ACTORS]),
                                 st.sampled_from([None, *SECTORS]),
                                 st.sampled_from([None, 1, 10, 40]),
                                 st.sampled_from([None, -1, 3, 20])), max_size=3)


def _filters(narrowing: Narrowing, now: datetime) -> attack.Filters:
    actor, sector, since, until = narrowing
    return attack.Filters(
        actor=actor, sector=sector,
        since=None if since is None else now - timedelta(days=since),
        until=None if until is None else now - timedelta(days=until))


def _technique_data(stix_id: str, owner: int, broken: bool) -> dict[str, Any]:
    n = TECHNIQUES.index(stix_id)
    refs = [] if broken else [{"source_name": "mitre-attack", "external_id": f"T100{n}"}]
    # Each holder names and places it its own way: the newest copy must describe it.
    return {"name": f"Technique {n} as held by {owner}", "external_references": refs,
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack",
                                   "phase_name": ("execution", "impact")[(n + owner) % 2]}]}


def _store(s: Any, world: list[tuple[int, dict[str, Any]]], now: datetime,
           orgs: list[Any], users: list[Any], group: Any) -> None:
    held: set[tuple[str, int]] = set()
    for pick, row in world:
        stix_id = ALL[pick]
        if (stix_id, row["owner"]) in held:
            continue
        held.add((stix_id, row["owner"]))
        stix_type = stix_id.split("--")[0]
        data: dict[str, Any] = {"type": stix_type, "id": stix_id}
        edges: list[tuple[str, str, str]] = []
        if stix_id in TECHNIQUES:
            data.update(_technique_data(stix_id, row["owner"], row["broken"]))
        for rel, source, target in USES:
            if rel == stix_id:
                edges.append((source, target, "relationship:uses"))
        for rel, source, target in TARGETS:
            if rel == stix_id:
                edges.append((source, target, "relationship:targets"))
        if stix_id in SECTORS:  # each holder names it its own way
            data["name"] = f"Sector {SECTORS.index(stix_id)} as held by {row['owner']}"
        for report, refs in REPORTS:
            if report == stix_id:
                edges += [(report, target, "object_refs") for target in refs]
        moment = now - timedelta(days=row["days"])
        record = StixObject(
            id=uuid.uuid4(), stix_id=stix_id, type=stix_type, tlp=row["tlp"],
            owner_org_id=orgs[row["owner"]].id, created_by_id=users[row["owner"]].id,
            stix_created=moment, stix_modified=moment, created_at=moment, updated_at=moment,
            revoked=row["revoked"], name=str(data.get("name", f"{stix_type} {pick}")),
            data=orjson.dumps(data).decode())
        s.add(record)
        s.flush()
        for source, target, kind in edges:
            s.add(StixRef(object_id=record.id, source_stix_id=source, target_stix_id=target,
                          kind=kind))
        for entry in row["audience"]:
            kind, _sep, which = entry.partition(":")
            s.add(AudienceEntry(record_id=record.id, **(
                {"group_id": group.id} if kind == "group" else
                {"org_id": orgs[int(which)].id} if kind == "org" else
                {"user_id": users[int(which)].id})))
    s.flush()


def _held(stix_id: str, owner: int, tlp: TLP, **row: Any) -> tuple[int, dict[str, Any]]:
    return ALL.index(stix_id), {"owner": owner, "tlp": tlp, "audience": [], "days": 5,
                                "revoked": False, "broken": False, **row}


def _figures(found: attack.Heatmap) -> dict[str, tuple[Any, ...]]:
    return {t.stix_id: (t.attack_id, t.name, t.tactics, t.actors, t.reports)
            for t in found.techniques}


# Organisation 1 sees, beyond the roll-up: a newer copy of a technique, an actor only it
# may see, a relationship only it may see between actors and techniques the roll-up
# already counts together, and a copy of a report the roll-up already counts.
_BEYOND = [_held(TECHNIQUES[0], 0, TLP.GREEN, days=30), _held(TECHNIQUES[0], 1, TLP.AMBER),
           _held(TECHNIQUES[1], 0, TLP.GREEN), _held(ACTORS[0], 0, TLP.GREEN),
           _held(ACTORS[1], 1, TLP.AMBER), _held(USES[0][0], 0, TLP.GREEN),
           _held(USES[0][0], 1, TLP.RED), _held(USES[3][0], 0, TLP.GREEN),
           _held(REPORTS[0][0], 0, TLP.GREEN), _held(REPORTS[0][0], 1, TLP.AMBER),
           # A sector the roll-up lists, named anew by a newer copy only it sees, and one
           # it lists only through a relationship only it sees.
           _held(SECTORS[0], 0, TLP.GREEN, days=30), _held(SECTORS[0], 1, TLP.AMBER),
           _held(TARGETS[0][0], 0, TLP.GREEN), _held(SECTORS[1], 0, TLP.GREEN),
           _held(TARGETS[1][0], 1, TLP.AMBER)]


# Organisation 1 sees a sector and a technique only through its own AMBER copies, which
# relationships every member sees point at: the roll-up has neither.
_ONLY_BEYOND = [_held(ACTORS[0], 0, TLP.GREEN), _held(SECTORS[1], 1, TLP.AMBER),
                _held(TARGETS[1][0], 0, TLP.GREEN), _held(TECHNIQUES[1], 1, TLP.AMBER),
                _held(USES[1][0], 0, TLP.GREEN), _held(REPORTS[1][0], 0, TLP.GREEN)]


# What a group of organisation 1 receives is in that organisation's own roll-up.
_GROUP = [_held(ACTORS[0], 0, TLP.AMBER, audience=["group"]), _held(TECHNIQUES[0], 1, TLP.AMBER),
          _held(USES[0][0], 0, TLP.AMBER_STRICT, audience=["group"])]


# Narrowed to a sector that organisation 1 sees an actor target only through its own
# relationship, and to a period that only its newer copy of a relationship falls in.
_SECTOR_BEYOND = [(None, SECTORS[1], None, None), (None, None, 10, None),
                  (ACTORS[0], None, 40, 3), (None, SECTORS[0], 40, None)]


# A relationship and a report every member sees, last changed a month ago, and newer RED
# copies of them that only their author (of organisation 1) sees: only those fall in the
# last 10 days.
_PERIOD_BEYOND = [_held(ACTORS[0], 0, TLP.GREEN), _held(TECHNIQUES[0], 0, TLP.GREEN),
                  _held(USES[0][0], 0, TLP.GREEN, days=30), _held(USES[0][0], 1, TLP.RED, days=0),
                  _held(REPORTS[0][0], 0, TLP.GREEN, days=30),
                  _held(REPORTS[0][0], 1, TLP.RED, days=0)]


@example(world=_GROUP, narrowings=[(ACTORS[0], None, None, None), (None, None, 1, -1)])
@example(world=_BEYOND, narrowings=_SECTOR_BEYOND)
@example(world=_ONLY_BEYOND, narrowings=_SECTOR_BEYOND)
@example(world=_PERIOD_BEYOND, narrowings=[(None, None, 10, None), (None, None, 40, 10)])
@settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=_world, narrowings=_narrowings)
def test_rolled_up_heatmap_equals_the_live_one(database, community: Community, monkeypatch: Any,
                                               world: list[tuple[int, dict[str, Any]]],
                                               narrowings: list[Narrowing]) -> None:
    orgs, users, admin, group = cast(community)
    # Every organisation holding a restricted record gets roll-ups of its own.
    monkeypatch.setattr(landscape_rollup, "ORG_ROLLUP_ROWS", 1)
    viewers = [community.viewer(u) for u in (*users, admin)]
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        with database.transaction() as s:
            _store(s, world, now, orgs, users, group)
        with database.snapshot() as s:
            computed = attack_rollup.compute(s)
        with database.transaction() as s:
            attack_rollup.store(s, computed)
        with database.snapshot() as s:
            assert attack_rollup.is_current(s)
            for viewer in viewers:
                assert any(attack_rollup.stored(s, scope) is not None
                           for scope in access.scopes_of(StixObject, viewer))
                rolled = _figures(attack_rollup.heatmap(s, viewer))
                live = _figures(attack.heatmap(s, viewer))
                assert rolled == live, viewer.label
                for narrowing in narrowings:
                    f = _filters(narrowing, now)
                    rolled = _figures(attack_rollup.heatmap(s, viewer, f))
                    live = _figures(attack.heatmap(s, viewer, f))
                    assert rolled == live, (viewer.label, narrowing)
                assert attack_rollup.sectors(s, viewer) == attack.targeted_sectors(s, viewer)
    finally:
        with database.transaction() as s:
            s.execute(delete(AudienceEntry))
            s.execute(delete(StixRef))
            s.execute(delete(StixObject))
