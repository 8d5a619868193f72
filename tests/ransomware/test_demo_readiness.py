"""The demo hub's readiness assessments: fictional, with history, enough generated banks
for Northern Savings Bank's benchmark to show and too few police forces for theirs;
loading twice adds nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cyberhub import access, demo
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.ransomware import readiness
from cyberhub.ransomware.readiness_models import ReadinessAssessment


def _member(s: Any, org: str) -> access.Viewer:
    user = s.scalars(select(User).join(Organisation).where(
        Organisation.name == f"{org} (demo)", User.password_hash.is_not(None))
        .order_by(User.email)).first()
    assert user is not None
    return access.viewer_for(s, user)


def test_demo_assessments_show_history_and_a_benchmark(database: Database,
                                                       settings: Any) -> None:
    with database.transaction() as s:
        _created, signins = demo.load(s)
    with database.transaction() as s:
        count = s.scalar(select(func.count()).select_from(ReadinessAssessment))
        demo.load(s)  # idempotent
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ReadinessAssessment)) == count
        rows = list(s.scalars(select(ReadinessAssessment)))
        assert rows and all(r.is_demo and r.status == "completed" for r in rows)
        orgs = {o.id: o for o in s.scalars(select(Organisation))}
        assert all(orgs[r.org_id].is_demo and orgs[r.org_id].name.endswith("(demo)")
                   for r in rows)
        assert len({r.org_id for r in rows}) == 17  # 13 demo organisations and 4 banks
        # Generated banks have no password: they are not offered as sign-ins.
        assert not [x for x in signins if "riverside" in x.email]
        bank = _member(s, "Northern Savings Bank")
        history = readiness.history(s, bank)
        dates = [h.completed_at for h in history]
        assert dates and dates == sorted(dates, reverse=True)
        result = readiness.result(s, bank, history[0])
        assert result.benchmark is not None and result.benchmark.overall is not None
        police = _member(s, "National Cybercrime Unit")
        latest = readiness.history(s, police)[0]
        bench = readiness.result(s, police, latest).benchmark
        assert bench is not None and bench.overall is None  # two peers only
        # Another organisation's assessments stay invisible to the demo operator.
        operator = _member(s, "International Cyber Task Force")
        assert {a.org_id for a in readiness.history(s, operator)} == {operator.org_id}
