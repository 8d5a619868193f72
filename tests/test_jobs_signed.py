"""Job messages are signed: a message written straight into the queue (Redis or
var/jobs.sqlite3) by someone without the secret key is refused before it is unpickled,
and a key rotation keeps the messages already queued."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from huey import SqliteHuey

from cyberhub.config import Settings, set_settings
from cyberhub.jobs import SignedPickle


class _Planted:
    """What an attacker's pickle does when loaded: here, leave a file behind."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (Path.touch, (self.path,))


def _queue(tmp_path: Path) -> tuple[SqliteHuey, Any]:
    h = SqliteHuey("signed-test", filename=str(tmp_path / "q.sqlite3"), serializer=SignedPickle())

    @h.task()  # type: ignore[untyped-decorator]
    def add(a: int, b: int) -> int:
        return a + b

    return h, add


def test_a_signed_job_runs(settings: Settings, tmp_path: Path) -> None:
    h, add = _queue(tmp_path)
    add(2, 3)
    task = h.dequeue()
    assert task is not None and h.execute(task) == 5


@pytest.mark.parametrize("signature", [b"", b"|sig:" + b"0" * 64])
def test_a_planted_message_is_refused_before_it_is_unpickled(
        settings: Settings, tmp_path: Path, signature: bytes) -> None:
    h, _add = _queue(tmp_path)
    planted = tmp_path / "planted"
    h.storage.enqueue(pickle.dumps(_Planted(planted)) + signature)
    with pytest.raises(ValueError, match="without a valid signature"):
        h.dequeue()
    assert not planted.exists()


def test_messages_queued_before_a_key_rotation_still_run(settings: Settings,
                                                         tmp_path: Path) -> None:
    h, add = _queue(tmp_path)
    add(20, 22)
    add(1, 1)
    set_settings(settings.model_copy(update={"secret_key": "the-new-key",
                                             "previous_secret_keys": settings.secret_key}))
    task = h.dequeue()
    assert task is not None and h.execute(task) == 42
    set_settings(settings.model_copy(update={"secret_key": "the-new-key"}))
    with pytest.raises(ValueError):
        h.dequeue()  # the old key forgotten: its last message is refused


def test_a_planted_message_does_not_stop_the_hub_reading_its_queue(
        database: Any, tmp_path: Path) -> None:
    """The check for imports that never reached the queue reads every queued message
    (huey's pending()): one that fails its signature is passed over and logged, not
    loaded and not allowed to stop the check."""
    from cyberhub import jobs

    planted = tmp_path / "planted"
    jobs.huey.storage.enqueue(pickle.dumps(_Planted(planted)))
    try:
        assert jobs.requeue_stranded_imports.call_local() == []
    finally:
        jobs.huey.storage.flush_queue()
    assert not planted.exists()
