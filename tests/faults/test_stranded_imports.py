"""An import whose job never reached the queue (the queue went away between the check
before the commit and the hand-over after it) is queued again by the worker's sweep once
the queue is back, and runs once; imports that are merely waiting their turn are left
alone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from cyberhub import jobs
from cyberhub.community.models import User
from cyberhub.db import utcnow
from cyberhub.intel import imports
from cyberhub.intel.models import Import, ImportStatus
from cyberhub.intel.synthetic import bundle_bytes
from tests.factories import Community, bearer
from tests.intel.test_import import sample


@pytest.fixture
def analyst(community: Community) -> User:
    return community.user(community.org("Alpha CERT"))


def test_an_import_the_queue_never_got_is_queued_again(client, database, community, analyst,
                                                       monkeypatch: pytest.MonkeyPatch):
    bundle = bundle_bytes(sample(12))
    lost: list[tuple[object, ...]] = []

    def gone(self, *args, **kwargs):  # the queue vanished right after the commit
        lost.append(args)
        raise ConnectionError("Redis went away")

    with monkeypatch.context() as patched:
        patched.setattr(type(jobs.run_import), "__call__", gone)
        r = client.post("/api/v1/import", params={"tlp": "GREEN"}, content=bundle,
                        headers=bearer(community.token(analyst, "write")))
    assert r.status_code == 202, r.text
    assert lost, "the hand-over to the queue was attempted"
    import_id = uuid.UUID(r.json()["id"])
    with database.transaction() as s:
        assert s.get(Import, import_id).status is ImportStatus.QUEUED
    # Too recent: it may be about to start.
    assert jobs.requeue_stranded_imports.call_local() == []
    with database.transaction() as s:
        s.execute(update(Import).values(created_at=utcnow() - timedelta(minutes=3)))
    assert jobs.requeue_stranded_imports.call_local() == [str(import_id)]
    with database.transaction() as s:
        job = s.get(Import, import_id)
        assert job.status is ImportStatus.SUCCEEDED, job.message
        assert job.objects_stored == 12
    assert jobs.requeue_stranded_imports.call_local() == []
    # Queued twice by mistake, an import still runs once.
    again = imports.run(database, job.id)
    assert again.status is ImportStatus.SUCCEEDED and again.objects_stored == 12


def test_an_import_waiting_in_the_queue_is_not_queued_twice(database, community, analyst):
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(analyst), filename="x.json", tlp="GREEN")
        job.created_at -= timedelta(minutes=10)
        import_id = job.id
    with database.transaction() as s:
        assert imports.stranded(s, waiting={str(import_id)}) == []
        assert imports.stranded(s, waiting=set()) == [import_id]
