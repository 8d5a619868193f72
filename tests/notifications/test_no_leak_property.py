"""No notification ever carries content the recipient may not see (a property).

Hypothesis draws a note under any marking and audience, watchers and named recipients
among users of three organisations (and a group), and an event about the note. Every
notification made must belong to a user whom ``access`` lets see the note, carry only
the event's own words, and every user who sees the note and was a candidate (named or
watching, not the actor) must get exactly one. Each example runs in its own transaction,
rolled back afterwards."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cyberhub import access, events
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.notes import service as notes
from cyberhub.notes.models import Note
from cyberhub.notifications.models import Notification, Watch
from cyberhub.sharing import TLP
from tests.factories import Community

ROLES = ("org-admin", "analyst", "reader")


@dataclass
class World:
    users: list[User]
    org_ids: list
    group_id: object


@pytest.fixture
def world(community: Community) -> World:
    orgs = [community.org(f"Org {i}") for i in range(3)]
    # No second factor: no notice of an enrolment in the inboxes compared below.
    users = [community.user(orgs[i % 3], ROLES[i % 3], second_factor=False) for i in range(6)]
    group = community.group(orgs=[orgs[2]], users=[users[0]])
    return World(users, [o.id for o in orgs], group.id)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_notifications_reach_exactly_those_who_may_see(database: Database, world: World,
                                                        data: st.DataObject) -> None:
    n = len(world.users)
    tlp = data.draw(st.sampled_from(list(TLP)))
    author = world.users[data.draw(st.sampled_from([0, 1, 3, 4]))]  # not the readers
    org_ids = data.draw(st.sets(st.sampled_from(world.org_ids), max_size=2)) \
        if tlp in (TLP.AMBER, TLP.AMBER_STRICT) else set()
    user_ids = {world.users[i].id for i in data.draw(st.sets(st.integers(0, n - 1), max_size=2))} \
        if tlp in (TLP.AMBER, TLP.RED) else set()
    group_ids = {world.group_id} if tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED) \
        and data.draw(st.booleans()) else set()
    named = {world.users[i].id for i in data.draw(st.sets(st.integers(0, n - 1), max_size=n))}
    watching = {world.users[i].id for i in data.draw(st.sets(st.integers(0, n - 1), max_size=n))}
    actor = data.draw(st.sampled_from([None, author.id]))

    session = database.sessionmaker()
    try:
        viewer = access.viewer_for(session, session.get(User, author.id))  # type: ignore[arg-type]
        note = notes.create_note(session, viewer, title="Private title", body="private body",
                                 tlp=tlp, audience=notes.Audience(
                                     sorted(org_ids), sorted(group_ids), sorted(user_ids)))  # type: ignore[arg-type]
        for uid in watching:
            session.add(Watch(user_id=uid, kind="sector", target="finance", key="sector:finance"))
        session.flush()
        events.publish(session, events.Event(
            kind="comment.new", title="A new comment", summary="safe summary",
            url=f"/notes/{note.id}", subject_type=Note, subject_id=note.id,
            actor_user_id=actor, recipients=frozenset(named),
            watch_keys=frozenset({"sector:finance"})))
        made = list(session.scalars(select(Notification)))
        by_user = {}
        for row in made:
            assert row.user_id not in by_user, "one notification per user and event"
            by_user[row.user_id] = row
            assert (row.title, row.summary, row.url) == (
                "A new comment", "safe summary", f"/notes/{note.id}")
        for user in world.users:
            sees = access.can_see(session, Note, note.id,
                                  access.viewer_for(session, session.get(User, user.id)))  # type: ignore[arg-type]
            candidate = (user.id in named or user.id in watching) and user.id != actor
            assert (user.id in by_user) == (sees and candidate), (user.email, tlp)
    finally:
        session.rollback()
        session.close()
