"""The demo hub's dialogues: a planned open one and a Chatham House one under way, with
contributions from several kinds of organisation; loading twice adds nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cyberhub import access, demo
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.dialogue import service, views
from cyberhub.dialogue.models import Contribution, Dialogue, Rule, Status
from tests.ransomware.conftest import families  # noqa: F401 - fixture used by name


def test_demo_dialogues_are_loaded_once_and_keep_the_rule(families: Database,  # noqa: F811
                                                           settings: Any) -> None:
    with families.transaction() as s:
        demo.load(s)
    with families.transaction() as s:
        demo.load(s)
    with families.transaction() as s:
        rows = list(s.scalars(select(Dialogue).order_by(Dialogue.created_at)))
        assert [(d.rule, d.status) for d in rows] == [(Rule.OPEN, Status.PLANNED),
                                                      (Rule.CHATHAM_HOUSE, Status.OPEN)]
        assert all(d.is_demo and d.topic.startswith("[DEMO]") for d in rows)
        ch = rows[1]
        posts = list(s.scalars(select(Contribution).where(Contribution.dialogue_id == ch.id)))
        assert len(posts) == 5 and all(p.is_demo for p in posts)
        assert len({p.author_org_kind for p in posts}) >= 4
        # A bank analyst reads the room: kinds only, no names.
        bank_user = s.scalars(select(User).where(
            User.email == "lea.nsb@demo.cyberhub.example")).one()
        viewer = access.viewer_for(s, bank_user)
        t = views.transcript(s, viewer, service.get_dialogue(s, viewer, ch.id))
        text = views.transcript_markdown(t) + t.model_dump_json()
        authors = s.scalars(select(User).where(User.id.in_([p.author_id for p in posts])))
        for u in authors:
            if u.id != bank_user.id:
                for ident in (u.email, u.display_name, u.organisation.name):
                    assert ident not in text
        assert "@participant" in text
