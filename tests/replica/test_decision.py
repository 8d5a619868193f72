"""The routing decision without servers: the lag bound, read positions, and the
setting's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cyberhub import replica
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.replica import Status, decide, lag_of


def status(*, usable: bool = True, replayed: int = 1000, lag: float | None = 0.0,
           checked: float = 100.0) -> Status:
    return Status(checked=checked, usable=usable, replayed=replayed, lag=lag)


def test_a_replica_that_replayed_everything_has_no_lag_however_old_its_last_commit() -> None:
    # An idle primary commits nothing: the age of the last replayed commit means nothing.
    assert lag_of(written=5000, replayed=5000, since_last_replay=3600.0) == 0.0
    assert lag_of(written=5000, replayed=6000, since_last_replay=None) == 0.0
    # Behind: as old as the last commit it replayed; unknown if it replayed none yet.
    assert lag_of(written=5000, replayed=4000, since_last_replay=2.5) == 2.5
    assert lag_of(written=5000, replayed=4000, since_last_replay=None) is None
    assert lag_of(written=5000, replayed=4000, since_last_replay=-0.01) == 0.0  # clock skew


def test_the_decision() -> None:
    now = 100.0
    assert decide(status(), 0, 5.0, now) is None
    assert decide(status(), 1000, 5.0, now) is None  # exactly the client's position
    assert decide(status(), 1001, 5.0, now) == replica.BEHIND_CLIENT
    assert decide(status(usable=False), 0, 5.0, now) == replica.UNAVAILABLE
    assert decide(replica.UNCHECKED, 0, 5.0, now) == replica.UNAVAILABLE
    assert decide(status(lag=None), 0, 5.0, now) == replica.LAGGING
    assert decide(status(lag=5.0), 0, 5.0, now) is None
    assert decide(status(lag=5.01), 0, 5.0, now) == replica.LAGGING
    # The time since the check counts as lag: a replica not checked for a while may
    # have fallen that far behind.
    assert decide(status(lag=1.0, checked=now - 3.0), 0, 5.0, now) is None
    assert decide(status(lag=1.0, checked=now - 4.5), 0, 5.0, now) == replica.LAGGING
    # A lagging replica is refused before the client's position is even looked at.
    assert decide(status(lag=9.0), 10**9, 5.0, now) == replica.LAGGING


def test_read_positions_in_cookies() -> None:
    for lsn in (0, 1, 0x16B3748, 2**40 + 7, 2**64 - 1):
        assert replica.parse_position(replica.format_position(lsn)) == lsn
    # Fixed width: comparing the texts (as Redis does) compares the positions.
    assert replica.format_position(0xFF) < replica.format_position(0x100)
    for bad in (None, "", "0/16B3748", "xyz", "-1", "1" * 17, "16b3748"):
        assert replica.parse_position(bad) == 0


def test_the_replica_setting_is_refused_without_postgresql(tmp_path: Path) -> None:
    replica_url = "postgresql://cyberhub@replica.internal/cyberhub"
    for primary in ("", f"sqlite:///{tmp_path / 'hub.sqlite3'}"):
        with pytest.raises(ValidationError, match="CYBERHUB_DATABASE_REPLICA_URL needs "
                                                  "PostgreSQL"):
            Settings(database_url=primary, database_replica_url=replica_url)
    with pytest.raises(ValidationError, match="must be a postgresql:// URL"):
        Settings(database_url="postgresql://cyberhub@db/cyberhub",
                 database_replica_url=f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    assert Settings(database_url="postgresql://cyberhub@db/cyberhub",
                    database_replica_url=replica_url).database_replica_url == replica_url
    with pytest.raises(ValueError, match="A read replica needs PostgreSQL"):
        Database(f"sqlite:///{tmp_path / 'hub.sqlite3'}", replica_url=replica_url)
