"""The demo hub's joint operations: one reviewed with its lesson published, one active
with tasks and targets from the demo knowledge base; outsiders see neither."""

from __future__ import annotations

from sqlalchemy import select

from cyberhub import access, demo
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.lessons.models import Lesson
from cyberhub.operations import service
from cyberhub.operations.demo import demo_operations
from cyberhub.operations.models import OperationStatus, TaskStatus


def _user(s, org_name: str) -> User:  # type: ignore[no-untyped-def]
    user = s.scalar(select(User).join(Organisation, Organisation.id == User.org_id).where(
        Organisation.name == f"{org_name} (demo)", User.is_demo.is_(True)).order_by(User.email))
    assert user is not None
    return user  # type: ignore[no-any-return]


def test_demo_operations(database: Database) -> None:
    with database.transaction() as s:
        demo.load(s)
    with database.transaction() as s:
        ops = demo_operations(s)
        assert [o.name for o in ops] == ["[DEMO] Operation Glass Harbour",
                                         "[DEMO] Operation Paper Lantern"]
        glass, lantern = ops
        assert all(o.is_demo and o.tlp.value == "AMBER+STRICT" for o in ops)
        assert glass.status is OperationStatus.REVIEWED and service.review_complete(glass)
        lesson = s.get(Lesson, glass.lesson_id)
        assert lesson is not None and lesson.is_demo and lesson.source_type == "operation"
        assert lesson.source_id == glass.id and lesson.tlp.value == "GREEN"
        assert lantern.status is OperationStatus.ACTIVE
        tasks = service.tasks_of(s, lantern)
        assert len(tasks) == 3 and any(t.status is TaskStatus.DONE for t in tasks)
        viewer = access.viewer_for(s, _user(s, "Gendarmerie Cyber Command"))
        targets = service.targets_of(s, viewer, lantern)
        assert {r.object.type for r in targets if r.object} >= {
            "intrusion-set", "x-cyberhub-cryptocurrency-wallet", "x-cyberhub-bank-account"}
        times = [e.at for e in service.timeline_of(s, lantern)]
        assert times == sorted(times) and len(times) >= 8
        # The hoster takes part in neither; a participant sees its own.
        outsider = access.viewer_for(s, _user(s, "Harbour Hosting"))
        assert service.list_operations(s, outsider).items == []
        bank = access.viewer_for(s, _user(s, "Northern Savings Bank"))
        assert [o.id for o in service.list_operations(s, bank).items] == [glass.id]
    with database.transaction() as s:
        demo.load(s)  # idempotent
        assert len(demo_operations(s)) == 2
