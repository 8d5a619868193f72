"""The demo hub's meetings and lessons: marked demo, one overdue item, tagged lessons."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from cyberhub import access, demo
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.lessons import service as lessons
from cyberhub.lessons.models import Lesson
from cyberhub.meetings import reminders, service
from cyberhub.meetings.models import ActionItem, Meeting


def test_demo_meetings_and_lessons(database: Database) -> None:
    with database.transaction() as s:
        demo.load(s)
    with database.transaction() as s:
        ms = list(s.scalars(select(Meeting)))
        ls = list(s.scalars(select(Lesson)))
        assert len(ms) >= 2 and all(m.is_demo and m.title.startswith("[DEMO]") for m in ms)
        assert len(ls) >= 4 and all(x.is_demo and x.title.startswith("[DEMO]") for x in ls)
        now = datetime.now(UTC)
        items = list(s.scalars(select(ActionItem)))
        overdue = [i for i in items if service.is_overdue(i, now)]
        assert len(overdue) == 1
        owner = s.get(User, overdue[0].owner_id)
        assert owner is not None and owner.is_demo
        viewer = access.viewer_for(s, owner)
        mine = service.list_action_items(s, viewer, mine=True)
        assert overdue[0].id in {r.item.id for r in mine}
        assert any(i.status == "done" for i in items)
        tags = {t.tag for t in lessons.tag_cloud(s, viewer)}
        assert {"ransomware", "money-mules", "phishing"} <= tags
        found = lessons.search_lessons(s, viewer, q="bank contact").items
        assert [x.title for x in found] == ["[DEMO] Agree bank contacts before a mule operation"]
        sent = reminders.send_due(s)
        assert sent.count(reminders.OVERDUE) == 1 and sent.count(reminders.DUE) == 1
        counts = (len(ms), len(ls), len(items))
    with database.transaction() as s:
        demo.load(s)  # a second load adds nothing
        assert (s.scalar(select(func.count()).select_from(Meeting)),
                s.scalar(select(func.count()).select_from(Lesson)),
                s.scalar(select(func.count()).select_from(ActionItem))) == counts
