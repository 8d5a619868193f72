"""Background jobs through Redis, the job store of scaled deployments: an import
enqueued by one process is run by a `cyberhub worker` in another, with nothing shared
but Redis and the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.models import Import, ImportStatus
from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.conftest import redis_test_url
from tests.factories import Community

pytestmark = pytest.mark.redis

ENQUEUE = """
import sys, huey
from cyberhub import jobs
assert isinstance(jobs.huey, huey.RedisHuey), type(jobs.huey)
jobs.run_import(sys.argv[1])
"""


@pytest.fixture
def redis_url() -> str:
    return redis_test_url()


@pytest.fixture
def worker_env(database: Database, redis_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    import redis

    queue = f"cyberhub-test-{uuid.uuid4().hex[:12]}"
    yield {**os.environ, "CYBERHUB_DATABASE_URL": database.url, "CYBERHUB_REDIS_URL": redis_url,
           "CYBERHUB_QUEUE_NAME": queue, "CYBERHUB_VAR_DIR": str(tmp_path / "worker-var"),
           "CYBERHUB_SECRET_KEY": "test-secret-key"}
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)


def test_an_import_runs_through_the_redis_queue(database, community: Community, worker_env,
                                                tmp_path):
    user = community.user(community.org("Alpha CERT"), role="analyst")
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle_bytes(list(Generator(seed=5).objects(30))))
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename=path.name, tlp="GREEN")
        imports.stage_file(job, path)
        job_id = job.id
    subprocess.run([sys.executable, "-c", ENQUEUE, str(job_id)], env=worker_env, check=True,
                   timeout=60)
    with database.transaction() as s:
        assert s.get(Import, job_id).status is ImportStatus.QUEUED, "nothing ran it yet"

    worker = subprocess.Popen([sys.executable, "-m", "cyberhub", "worker"], env=worker_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with database.transaction() as s:
                found = s.get(Import, job_id)
                assert found is not None
                status, stored = found.status, found.objects_stored
            if status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert status is ImportStatus.SUCCEEDED, output
    assert stored == 30
