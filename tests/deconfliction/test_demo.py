"""The demo hub: two demo agencies registered the same demo wallet; each sees the hit
and a notice in its inbox with only the other's point of contact."""

from __future__ import annotations

from sqlalchemy import func, select

from cyberhub import access, demo
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.deconfliction import service
from cyberhub.deconfliction.demo import WALLET
from cyberhub.deconfliction.models import Hit, Registration
from cyberhub.notifications import service as notifications


def test_demo_agencies_share_a_wallet_hit(database: Database) -> None:
    with database.transaction() as s:
        demo.load(s)
    with database.transaction() as s:
        regs = list(s.scalars(select(Registration).order_by(Registration.created_at)))
        assert len(regs) == 2 and all(r.is_demo for r in regs)
        assert all(r.case_reference.startswith("[DEMO]") for r in regs)
        [hit] = s.scalars(select(Hit))
        assert hit.is_demo
        for mine, theirs in ((regs[0], regs[1]), (regs[1], regs[0])):
            user = s.get(User, mine.user_id)
            assert user is not None and user.is_demo
            viewer = access.viewer_for(s, user)
            [view] = service.hits_of(s, viewer)
            assert view.other_contact == theirs.contact and view.is_demo
            [notice] = [n for n in notifications.inbox(s, viewer).items
                        if n.kind == "deconfliction.hit"]
            assert theirs.contact in notice.summary and mine.case_reference in notice.summary
            assert theirs.case_reference not in notice.summary
            assert WALLET not in notice.summary
    with database.transaction() as s:
        demo.load(s)  # a second run changes nothing
        assert s.scalar(select(func.count()).select_from(Registration)) == 2
