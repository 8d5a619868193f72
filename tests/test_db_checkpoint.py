"""A large write's commit on SQLite leaves copying the write-ahead log back into the
database file to a thread of its own (Database.checkpoint_after): the job that wrote is
done first, and the copy still happens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from cyberhub.db import Database

# More than SQLite's automatic checkpoint (1000 pages of 4 KiB): about 6 MB.
WRITE = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
         "INSERT INTO scratch SELECT randomblob(1000) FROM n")


def file_of(database: Database) -> Path:
    return Path(database.url.removeprefix("sqlite:///"))


def autocheckpoint(database: Database) -> int:
    with database.transaction() as s:
        return int(s.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def write_a_lot(database: Database) -> None:
    with database.transaction() as s:
        s.execute(text(WRITE))


@pytest.fixture
def scratch(database: Database) -> Database:
    with database.transaction() as s:
        s.execute(text("CREATE TABLE scratch (blob BLOB)"))
    return database


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_commit_outside_the_block_copies_the_log_back_at_once(scratch):
    before, thread = os.path.getsize(file_of(scratch)), scratch.checkpointer
    write_a_lot(scratch)
    assert os.path.getsize(file_of(scratch)) > before + 5_000_000
    assert scratch.checkpointer is thread  # no thread was started (an earlier test's, if any)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_inside_the_block_the_copy_waits_for_the_thread_after_it(scratch):
    before, thread = os.path.getsize(file_of(scratch)), scratch.checkpointer
    with scratch.checkpoint_after():
        write_a_lot(scratch)
        with scratch.checkpoint_after():  # nested: the outer block decides
            write_a_lot(scratch)
        assert scratch.checkpointer is thread
        assert autocheckpoint(scratch) == 0
        # committed, and readable, but still in the log only
        with scratch.transaction() as s:
            assert s.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 12_000
        assert os.path.getsize(file_of(scratch)) == before
    assert scratch.checkpointer is not None and scratch.checkpointer is not thread
    scratch.checkpointer.join(timeout=60)
    assert not scratch.checkpointer.is_alive()
    assert os.path.getsize(file_of(scratch)) > before + 11_000_000
    assert autocheckpoint(scratch) == 1000  # pooled connections are as they were


def test_only_sqlite_gets_a_checkpoint_thread(database):
    thread = database.checkpointer
    with database.checkpoint_after(), database.transaction() as s:
        assert s.execute(text("SELECT 1")).scalar_one() == 1
    started = database.checkpointer is not thread
    assert started == (database.engine.dialect.name == "sqlite")
    if started:
        assert database.checkpointer is not None
        database.checkpointer.join(timeout=60)
