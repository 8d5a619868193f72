"""Two agencies registering one value at the same moment still meet (PostgreSQL: the
second waits on the digest's advisory lock until the first commits)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.deconfliction import service
from cyberhub.deconfliction.models import Hit
from tests.deconfliction.conftest import WALLET
from tests.factories import Community


def _viewer(database: Database, user: User) -> access.Viewer:
    with database.transaction() as s:
        return access.viewer_for(s, s.get(User, user.id))  # type: ignore[arg-type]


def test_simultaneous_registrations_make_one_hit(database: Database,
                                                 community: Community) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the lock is PostgreSQL's")
    a = community.user(community.org("Race Police A", kind="law-enforcement"))
    b = community.user(community.org("Race Police B", kind="law-enforcement"))
    va, vb = _viewer(database, a), _viewer(database, b)
    value = service.Value("wallet", f"btc:{WALLET}")
    registered, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with database.transaction() as s:
                service.register(s, va, value, case_reference="A", contact="desk a",
                                 rate_limited=False)
                registered.set()
                release.wait(10)  # holds the lock, uncommitted, while B registers
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            registered.set()

    def second() -> None:
        try:
            with database.transaction() as s:
                service.register(s, vb, value, case_reference="B", contact="desk b",
                                 rate_limited=False)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    t1 = threading.Thread(target=first)
    t1.start()
    registered.wait(10)
    t2 = threading.Thread(target=second)
    t2.start()
    time.sleep(0.5)  # let B reach the lock (the outcome must not depend on it)
    release.set()
    t1.join(20)
    t2.join(20)
    assert not errors, errors
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Hit)) == 1
