"""Property: the landscape from the roll-up plus what a viewer sees beyond it equals the
landscape computed live, for every viewer and period, over worlds of copies held by
several organisations under every marking, audiences, revocations and vetting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from cyberhub import access
from cyberhub.atlas import landscape, landscape_rollup
from cyberhub.atlas import landscape_figures as figures
from cyberhub.intel.models import StixObject, StixRef, Vetting
from cyberhub.sharing import TLP, AudienceEntry
from tests.factories import Community


def _sid(kind: str, n: int) -> str:
    return f"{kind}--{uuid.UUID(int=n + 1)}"


ACTORS = [_sid("intrusion-set", i) for i in range(3)] + [_sid("campaign", 9)]
SECTORS = [_sid("identity", i) for i in range(2)]
PLACES = {_sid("location", i): code for i, code in enumerate(("FR", "BR"))}
TOOLS = [_sid("malware", i) for i in range(2)] + [_sid("domain-name", 5)]
ENTITIES = ACTORS + SECTORS + list(PLACES) + TOOLS
# Relationship and sighting ids fix what they link, as a STIX id does.
RELATIONSHIPS = [(_sid("relationship", i), a, t, k) for i, (a, t, k) in enumerate(
    [(a, t, "targets") for a in ACTORS[:3] for t in (*SECTORS, *PLACES)]
    + [(a, p, "originates-from") for a in ACTORS[1:] for p in PLACES]
    + [(a, t, "uses") for a in ACTORS for t in TOOLS])]
SIGHTINGS = [(_sid("sighting", i), target) for i, target in enumerate(ACTORS[:2] + TOOLS)]

_tlp = st.sampled_from(list(TLP))
# Days ago (a few in the future), from few values: copies held by several organisations
# share their week as often as copies of one STIX object do.
_days = st.one_of(st.sampled_from([-2, 0, 3, 40, 100, 400, 700]),
                  st.integers(min_value=-3, max_value=800))
_audience = st.lists(st.sampled_from(["org:1", "org:2", "user:1", "group"]), max_size=2,
                     unique=True)
_row = st.fixed_dictionaries({
    "owner": st.integers(0, 2), "tlp": _tlp, "audience": _audience, "days": _days,
    "changed": _days, "revoked": st.booleans(), "vetted": st.booleans()})
# Each drawn object is held by one to three organisations (copies of one STIX object),
# which often agree on its moments.
_copies = st.tuples(st.integers(0, len(ENTITIES) + len(RELATIONSHIPS) + len(SIGHTINGS) - 1),
                    st.lists(_row, min_size=1, max_size=3), st.booleans())
_world = st.lists(_copies, min_size=1, max_size=20).map(lambda drawn: [
    (pick, {**row, **({"days": rows[0]["days"], "changed": rows[0]["changed"]} if same else {})})
    for pick, rows, same in drawn for row in rows])


def _store(s: Any, world: list[tuple[int, dict[str, Any]]], now: datetime,
           orgs: list[Any], users: list[Any], group: Any) -> None:
    held: set[tuple[str, int]] = set()
    for pick, row in world:
        if pick < len(ENTITIES):
            stix_id, edges = ENTITIES[pick], []
        elif pick < len(ENTITIES) + len(RELATIONSHIPS):
            stix_id, source, target, kind = RELATIONSHIPS[pick - len(ENTITIES)]
            edges = [(source, target, f"relationship:{kind}")]
        else:
            stix_id, target = SIGHTINGS[pick - len(ENTITIES) - len(RELATIONSHIPS)]
            edges = [(stix_id, target, "sighting_of_ref")]
        if (stix_id, row["owner"]) in held:
            continue
        held.add((stix_id, row["owner"]))
        stix_type = stix_id.split("--")[0]
        moment = now - timedelta(days=row["days"], hours=row["days"] % 24)
        data: dict[str, Any] = {"type": stix_type, "id": stix_id}
        if stix_id in PLACES:
            data["country"] = PLACES[stix_id]
        record = StixObject(
            id=uuid.uuid4(), stix_id=stix_id, type=stix_type, tlp=row["tlp"],
            owner_org_id=orgs[row["owner"]].id, created_by_id=users[row["owner"]].id,
            stix_created=None if stix_type == "domain-name" else moment,
            stix_modified=None if stix_type == "domain-name" else moment,
            created_at=moment, updated_at=now - timedelta(days=row["changed"]),
            revoked=row["revoked"], name=stix_id.split("--")[0] + str(pick),
            data=orjson.dumps(data).decode(),
            vetting=Vetting.VETTED if row["vetted"] else Vetting.UNVERIFIED)
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


def cast(community: Community) -> tuple[Any, ...]:
    """Three organisations with an analyst each, a hub administrator, and a group of the
    second organisation and the third analyst: made once per test, for every example."""
    if not hasattr(community, "_rollup_cast"):
        orgs = [community.org(f"Org {i}") for i in range(3)]
        users = [community.user(o) for o in orgs]
        admin = community.user(orgs[2], role="hub-admin")
        group = community.group(orgs=[orgs[1]], users=[users[2]])
        community._rollup_cast = (orgs, users, admin, group)  # type: ignore[attr-defined]
    return community._rollup_cast  # type: ignore[attr-defined,no-any-return]


def _held(pick: int, owner: int, tlp: TLP, **row: Any) -> tuple[int, dict[str, Any]]:
    return pick, {"owner": owner, "tlp": tlp, "audience": [], "days": 10, "changed": 10,
                  "revoked": False, "vetted": False, **row}


def _pick(stix_id: str) -> int:
    ids = ENTITIES + [r[0] for r in RELATIONSHIPS] + [s[0] for s in SIGHTINGS]
    return ids.index(stix_id)


# An actor outside the roll-up's first place that what the viewer (organisation 1) sees
# beyond it lifts into that place: its rolled-up activity must be looked up, not guessed.
_LIFTED = [_held(0, 0, TLP.GREEN), _held(1, 0, TLP.GREEN),
           _held(_pick(SIGHTINGS[0][0]), 0, TLP.GREEN), _held(_pick(SIGHTINGS[0][0]), 2, TLP.GREEN),
           _held(_pick(SIGHTINGS[1][0]), 0, TLP.GREEN), _held(_pick(SIGHTINGS[1][0]), 1, TLP.AMBER),
           _held(_pick(next(r[0] for r in RELATIONSHIPS
                            if r[1] == ACTORS[1] and r[3] == "uses")), 1, TLP.AMBER)]


# What a group of organisation 1 receives is in that organisation's own roll-up.
_GROUP = [_held(0, 0, TLP.AMBER, audience=["group"]), _held(1, 1, TLP.AMBER),
          _held(_pick(SIGHTINGS[0][0]), 0, TLP.AMBER_STRICT, audience=["group"])]


@example(world=_LIFTED, periods=["2y"])
@example(world=_GROUP, periods=["90d"])
@settings(max_examples=12, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=_world, periods=st.lists(st.sampled_from(list(landscape.PERIODS)), min_size=1,
                                      max_size=2, unique=True))
def test_rolled_up_figures_equal_live_ones(database, community: Community, monkeypatch: Any,
                                           world: list[tuple[int, dict[str, Any]]],
                                           periods: list[str]) -> None:
    orgs, users, admin, group = cast(community)
    viewers = [community.viewer(u) for u in (*users, admin)]
    # Few ranked places, so that what a viewer adds can lift an object into them.
    monkeypatch.setattr(figures, "PLACES", 1)
    # Every organisation holding a restricted record gets roll-ups of its own.
    monkeypatch.setattr(landscape_rollup, "ORG_ROLLUP_ROWS", 1)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        with database.transaction() as s:
            _store(s, world, now, orgs, users, group)
        with database.snapshot() as s:
            computed = landscape_rollup.compute(s, now)
        with database.transaction() as s:
            landscape_rollup.store(s, computed)
        with database.snapshot() as s:
            assert landscape_rollup.is_current(s, now)
            for viewer in viewers:
                for period in periods:
                    since = landscape.window(period, now)[0]
                    scopes = access.scopes_of(StixObject, viewer)
                    assert any(landscape_rollup.stored(s, scope, period, since)
                               for scope in scopes)
                    rolled = landscape.compute(s, viewer, period, now=now).as_json()
                    live = landscape.compute(s, viewer, period, now=now, rollup=False).as_json()
                    assert rolled == live, (viewer.label, period)
    finally:
        with database.transaction() as s:
            s.execute(delete(AudienceEntry))
            s.execute(delete(StixRef))
            s.execute(delete(StixObject))
