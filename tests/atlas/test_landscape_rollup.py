"""The landscape's roll-up: every write to the shared objects is noticed, the worker rolls
the figures up, requests use them while they are current, and never once they are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from cyberhub import generations, jobs
from cyberhub.atlas import landscape_figures, landscape_rollup
from cyberhub.intel.models import StixObject, Vetting
from cyberhub.intel.synthetic import bundle_bytes
from cyberhub.notes.models import Note
from cyberhub.sharing import TLP
from tests.atlas.test_landscape import check, fetch, landscape_data  # noqa: F401 - fixture
from tests.factories import Community, bearer
from tests.intel.test_import import run_import


def _generation(database: Any) -> int:
    with database.snapshot() as s:
        return generations.current(s)


def test_every_write_to_the_shared_objects_raises_the_generation(
        database, community: Community, tmp_path: Path) -> None:
    org = community.org()
    ana = community.user(org)
    start = _generation(database)
    bundle = bundle_bytes([{"type": "intrusion-set", "spec_version": "2.1",
                            "id": "intrusion-set--8a2c5e6e-0f0d-4a8e-9a6e-1f2b3c4d5e6f",
                            "created": "2026-01-01T00:00:00.000Z",
                            "modified": "2026-01-01T00:00:00.000Z", "name": "Gen One"}])
    assert run_import(database, community, ana, bundle, tmp_path, tlp="GREEN").objects_stored
    after_import = _generation(database)  # the importer writes through the driver
    assert after_import > start
    with database.transaction() as s:  # an ORM change, flushed at commit
        record = s.scalars(select(StixObject)).one()
        record.vetting = Vetting.VETTED
    after_flush = _generation(database)
    assert after_flush > after_import
    with database.transaction() as s:  # an UPDATE statement
        s.execute(update(StixObject).values(tlp=TLP.AMBER))
    after_update = _generation(database)
    assert after_update > after_flush
    with pytest.raises(RuntimeError), database.transaction() as s:
        s.execute(update(StixObject).values(tlp=TLP.RED))
        raise RuntimeError("rolled back")
    with database.transaction() as s:  # reads, and writes elsewhere, change nothing
        s.scalars(select(StixObject)).all()
        s.add(Note(title="Not shared knowledge", tlp=TLP.GREEN, owner_org_id=org.id,
                   created_by_id=ana.id))
    assert _generation(database) == after_update


def test_the_worker_rolls_up_and_requests_answer_from_it(
        client, community, landscape_data, monkeypatch) -> None:  # noqa: F811
    assert jobs.refresh_landscape_now() is True
    assert jobs.refresh_landscape_now() is False  # current: nothing to do
    live = {p: fetch(client, community, landscape_data["gina"], period=p).json()
            for p in ("30d", "2y")}

    def not_live(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("computed live although the roll-up is current")

    monkeypatch.setattr(landscape_figures, "parts", not_live)
    for who in ("gina", "ana", "ben"):
        for period in ("30d", "2y"):
            r = fetch(client, community, landscape_data[who], period=period)
            assert r.status_code == 200, r.text
            if who == "gina":
                assert {**r.json(), "until": ""} == {**live[period], "until": ""}
                check(r.json(), landscape_data)
    ben = fetch(client, community, landscape_data["ben"], period="2y").json()
    gina = fetch(client, community, landscape_data["gina"], period="2y").json()
    assert sum(ben["sightings"]) > sum(gina["sightings"])  # Beta's AMBER, added live


def test_a_change_is_counted_at_once_and_rolled_up_again(
        database, client, community, landscape_data) -> None:  # noqa: F811
    assert jobs.refresh_landscape_now() is True
    before = fetch(client, community, landscape_data["gina"], period="2y").json()
    top = before["top"]["actors"][0]["stix_id"]
    # The most active actor turns out to be RED: no one else may count it any longer.
    with database.transaction() as s:
        s.execute(update(StixObject).where(StixObject.stix_id == top).values(tlp=TLP.RED))
    with database.snapshot() as s:
        assert not landscape_rollup.is_current(s)
    after = fetch(client, community, landscape_data["gina"], period="2y").json()
    assert top not in {r["stix_id"] for r in after["top"]["actors"]}
    assert sum(map(sum, (s["counts"] for s in after["new_objects"]))) == sum(
        map(sum, (s["counts"] for s in before["new_objects"]))) - 1
    assert jobs.refresh_landscape_now() is True
    again = fetch(client, community, landscape_data["gina"], period="2y").json()
    assert {**again, "until": ""} == {**after, "until": ""}


def test_a_period_that_moves_on_needs_a_new_rollup(database, community) -> None:
    assert jobs.refresh_landscape_now() is True
    with database.snapshot() as s:
        assert landscape_rollup.is_current(s)
        assert not landscape_rollup.is_current(s, datetime.now(UTC) + timedelta(days=8))
    assert jobs.refresh_landscape_now(datetime.now(UTC) + timedelta(days=8)) is True


def test_a_viewer_with_much_restricted_knowledge_gets_it_counted_whole(
        client, community, landscape_data, monkeypatch) -> None:  # noqa: F811
    from cyberhub.atlas import landscape

    assert jobs.refresh_landscape_now() is True
    before = fetch(client, community, landscape_data["ben"], period="2y").json()
    monkeypatch.setattr(landscape, "LIVE_BEYOND", 1)  # Beta holds AMBER objects

    def not_added(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("added to the roll-up although computing whole is cheaper")

    monkeypatch.setattr(landscape_figures, "add_beyond", not_added)
    whole = fetch(client, community, landscape_data["ben"], period="2y").json()
    assert {**whole, "until": ""} == {**before, "until": ""}

    def not_live(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("counted whole although the roll-up holds everything")

    # Gamma holds nothing restricted: the roll-up alone is its landscape.
    monkeypatch.setattr(landscape_figures, "parts", not_live)
    assert fetch(client, community, landscape_data["gina"], period="2y").status_code == 200
    with pytest.raises(AssertionError, match="counted whole"):
        fetch(client, community, landscape_data["ben"], period="2y")


def test_an_organisation_holding_much_amber_gets_roll_ups_of_its_own(
        client, community, landscape_data, monkeypatch) -> None:  # noqa: F811
    from cyberhub.atlas import attack, attack_rollup, landscape

    ben = landscape_data["ben"]  # Beta Bank holds AMBER objects
    before = fetch(client, community, ben, period="2y").json()
    heatmap_before = client.get("/api/v1/atlas/attack",
                                headers=bearer(community.token(ben))).json()
    # As on a hub where Beta holds more than the members' roll-up can take on.
    monkeypatch.setattr(landscape, "LIVE_BEYOND", 1)
    monkeypatch.setattr(attack_rollup, "LIVE_BEYOND", 1)
    monkeypatch.setattr(landscape_rollup, "ORG_ROLLUP_ROWS", 1)
    assert jobs.refresh_landscape_now() is True and jobs.refresh_attack_now() is True
    with community.db.snapshot() as s:
        scopes = landscape_rollup.organisation_scopes(s)
        assert ben.org_id in {scope.org_id for scope in scopes}
        assert landscape_rollup.is_current(s) and attack_rollup.is_current(s)

    def not_live(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("counted live although the organisation's roll-up is current")

    monkeypatch.setattr(landscape_figures, "parts", not_live)
    monkeypatch.setattr(attack, "heatmap", not_live)
    after = fetch(client, community, ben, period="2y").json()
    assert {**after, "until": ""} == {**before, "until": ""}
    assert client.get("/api/v1/atlas/attack",
                      headers=bearer(community.token(ben))).json() == heatmap_before
