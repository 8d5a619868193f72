"""Property: a user sees a comment if and only if they may see the record it is on, for
every target type and every marking and audience Hypothesis draws."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from cyberhub import access
from cyberhub.audience import Audience, write_audience
from cyberhub.comments import targets
from cyberhub.community.models import User
from cyberhub.sharing import TLP
from tests.ransomware.conftest import LOCKBIT, families  # noqa: F401 - a fixture
from tests.vetting.world import ORGS, World

NAMES = [name for name, _kind in ORGS]


def _targets(world: World) -> dict[str, str]:
    """One record of each type, owned by alpha, each with one comment by alpha."""
    made: dict[str, str] = {"stix": world.indicator("alpha")}
    made["note"] = str(world.community.note(world.users["alpha"]).id)
    r = world.post("alpha", "/packages", {"title": "Package", "objects": []})
    assert r.status_code == 201, r.text
    made["package"] = r.json()["id"]
    r = world.post("alpha", "/insights", {"title": "Insight", "tlp": "GREEN"})
    made["insight"] = r.json()["id"]
    world.post("alpha", f"/insights/{made['insight']}/publish")
    r = world.post("alpha", "/ransomware/incidents", {
        "discovered": "2026-03-14", "family": LOCKBIT, "access_vector": "phishing",
        "tlp": "GREEN"})
    assert r.status_code == 201, r.text
    made["incident"] = r.json()["id"]
    assert set(made) >= {"stix", "note", "package", "insight", "incident"}
    for kind, rid in made.items():
        r = world.post("alpha", "/comments", {"target_type": kind, "target_id": rid,
                                              "body": f"on the {kind}"})
        assert r.status_code == 201, r.text
    return made


def test_a_comment_is_visible_exactly_when_its_target_is(world: World, families: Any  # noqa: F811
                                                         ) -> None:
    made = _targets(world)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(kind=st.sampled_from(sorted(made)), tlp=st.sampled_from(list(TLP)),
           orgs=st.frozensets(st.sampled_from(NAMES), max_size=2),
           users=st.frozensets(st.sampled_from(NAMES), max_size=2))
    def check(kind: str, tlp: TLP, orgs: frozenset[str], users: frozenset[str]) -> None:
        target = targets.get(kind)
        assert target is not None
        rid = uuid.UUID(made[kind])
        with world.database.transaction() as s:
            s.execute(update(target.model).where(target.model.id == rid).values(tlp=tlp))
            write_audience(s, rid, Audience([world.orgs[o].id for o in sorted(orgs)], [],
                                            [world.users[u].id for u in sorted(users)]))
        for who in NAMES:
            with world.database.transaction() as s:
                viewer = access.viewer_for(s, s.get(User, world.users[who].id))  # type: ignore[arg-type]
                may_see = access.can_see(s, target.model, rid, viewer)
            r = world.get(who, "/comments", params={"target_type": kind,
                                                    "target_id": str(rid)})
            assert r.status_code == (200 if may_see else 404), (kind, tlp, orgs, users, who)
            if may_see:
                items = r.json()["items"]
                assert [c["body_markdown"] for c in items] == [f"on the {kind}"]
                one = world.get(who, f"/comments/{items[0]['id']}")
                assert one.status_code == 200

    check()
