"""Property: whoever does not take part in an operation never sees it nor any of its
parts — through REST (the operation, its list, tasks, targets, timeline, review, a task
by id), the web pages, comments, watches and notifications — for every set of
participants, marking and members Hypothesis draws. Those who take part see all of it.

The oracle is the rule itself, not ``access``: under AMBER+STRICT the users of the
participating organisations; under RED the named members (and the lead, who proposed)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cyberhub.notifications.models import Notification
from tests.factories import sign_in
from tests.operations.conftest import Ops

ORGS = ("bravo", "charlie", "delta", "echo")
# user key -> organisation key (ops fixture + the world's one analyst per organisation)
PEOPLE = {"alpha_admin": "alpha", "alpha": "alpha", "bravo": "bravo", "bravo_admin": "bravo",
          "charlie": "charlie", "delta": "delta", "delta_admin": "delta", "echo": "echo",
          "echo_hub": "echo"}


def _sees(who: str, tlp: str, participants: frozenset[str], members: frozenset[str]) -> bool:
    if tlp == "RED":
        return who == "alpha_admin" or who in members
    return PEOPLE[who] == "alpha" or PEOPLE[who] in participants


def test_non_participants_never_see_an_operation_or_its_parts(ops: Ops) -> None:
    obj = ops.indicator("alpha", tlp="GREEN", name="Shared kit panel")
    browsers: dict[str, Any] = {}
    for who in PEOPLE:
        client = ops.client.__class__(ops.client.app, base_url="http://testserver")
        assert sign_in(client, ops.users[who].email).status_code == 303
        browsers[who] = client

    @settings(max_examples=8, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(tlp=st.sampled_from(["AMBER+STRICT", "RED"]),
           participants=st.frozensets(st.sampled_from(ORGS), max_size=3),
           member_pick=st.frozensets(st.sampled_from(sorted(PEOPLE)), max_size=4))
    def check(tlp: str, participants: frozenset[str], member_pick: frozenset[str]) -> None:
        members = frozenset(m for m in member_pick
                            if PEOPLE[m] in participants | {"alpha"}) if tlp == "RED" \
            else frozenset()
        op = ops.propose(tlp=tlp, participant_org_ids=[str(ops.orgs[o].id)
                                                       for o in sorted(participants)],
                         member_ids=[str(ops.users[m].id) for m in sorted(members)])
        oid = op["id"]
        base = f"/operations/{oid}"
        task_org = sorted(participants)[0] if participants else "alpha"
        task = ops.post("alpha_admin", f"{base}/tasks",
                        {"title": "Secret task", "assignee_org_id": str(ops.orgs[task_org].id)})
        assert task.status_code == 201, task.text
        assert ops.post("alpha_admin", f"{base}/targets", {"object_id": obj}).status_code == 201
        assert ops.post("alpha_admin", f"{base}/timeline",
                        {"text": "Secret note"}).status_code == 201
        assert ops.post("alpha_admin", "/comments", {
            "target_type": "operation", "target_id": oid,
            "body": "Secret comment"}).status_code == 201
        ops.move(op, "approved")
        rest = [base, f"{base}/tasks", f"{base}/targets", f"{base}/timeline", f"{base}/review",
                f"{base}/tasks/{task.json()['id']}"]
        for who in PEOPLE:
            sees = _sees(who, tlp, participants, members)
            code = 200 if sees else 404
            for path in rest:
                assert ops.get(who, path).status_code == code, (who, path, tlp, participants)
            listed = {o["id"] for o in ops.get(who, "/operations").json()["items"]}
            assert (oid in listed) is sees, (who, tlp, participants, members)
            comments = ops.get(who, "/comments", params={"target_type": "operation",
                                                         "target_id": oid})
            assert comments.status_code == code, who
            browser = browsers[who]
            assert browser.get(base).status_code == code, who
            assert (base in browser.get("/operations").text) is sees, who
            assert browser.get(f"/comments/on/operation/{oid}").status_code == code, who
            assert browser.get(f"/watch/operation/{oid}").status_code == code, who
        # Notifications of it (proposal, task, status) reached participants only.
        with ops.database.transaction() as s:
            told = set(s.scalars(select(Notification.user_id).where(
                Notification.url.startswith(base))))
        for who in PEOPLE:
            if ops.users[who].id in told:
                assert _sees(who, tlp, participants, members), (who, tlp, participants)

    check()
