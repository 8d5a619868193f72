"""The demo hub's insights and comments: marked demo, one linked to demo STIX objects, a
draft its organisation alone sees, a thread with a reply."""

from __future__ import annotations

from sqlalchemy import func, select

from cyberhub import access, demo
from cyberhub.comments.models import Comment
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.insights import service
from cyberhub.insights.models import Insight, InsightStatus


def _member(s, org_name: str, other: bool = False) -> access.Viewer:  # type: ignore[no-untyped-def]
    cond = Organisation.name != f"{org_name} (demo)" if other else \
        Organisation.name == f"{org_name} (demo)"
    user = s.scalar(select(User).join(Organisation, Organisation.id == User.org_id)
                    .where(cond, User.is_demo.is_(True)).order_by(User.email))
    return access.viewer_for(s, user)


def test_demo_insights_and_comments(database: Database) -> None:
    with database.transaction() as s:
        demo.load(s)
    with database.transaction() as s:
        rows = list(s.scalars(select(Insight)))
        assert len(rows) == 3 and all(i.is_demo and i.title.startswith("[DEMO]") for i in rows)
        published = [i for i in rows if i.status is InsightStatus.PUBLISHED]
        assert len(published) == 2
        cert = _member(s, "National CERT")
        linked = [i for i in published if service.linked_objects(s, cert, i)]
        assert linked, "one demo insight links demo STIX objects"
        draft = next(i for i in rows if i.status is InsightStatus.DRAFT)
        assert access.can_see(s, Insight, draft.id, _member(s, "Northern Savings Bank"))
        assert not access.can_see(s, Insight, draft.id, _member(s, "Northern Savings Bank",
                                                                other=True))
        notes = list(s.scalars(select(Comment)))
        assert len(notes) >= 3 and all(c.is_demo for c in notes)
        assert any(c.parent_id is not None for c in notes)
        assert any(c.target_type == "stix" for c in notes)
        counts = (len(rows), len(notes))
    with database.transaction() as s:
        demo.load(s)  # a second load adds nothing
        assert (s.scalar(select(func.count()).select_from(Insight)),
                s.scalar(select(func.count()).select_from(Comment))) == counts
