"""The audit log: what is written, that the database refuses edits, and that
``audit.verify`` (and ``cyberhub audit verify``) catches whoever bypasses the triggers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cyberhub import audit
from cyberhub.audit import AuditEntry
from cyberhub.cli import app as cli
from cyberhub.db import Database
from tests.factories import Community, bearer, sign_in
from tests.state import snapshot


def _entries(database: Database) -> list[AuditEntry]:
    with database.transaction() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _verify(database: Database) -> audit.VerifyResult:
    with database.transaction() as s:
        return audit.verify(s)


def test_what_is_audited(client: TestClient, database: Database, community: Community) -> None:
    org = community.org("Alpha CERT")
    other = community.org("Beta Bank")
    alice = community.user(org, "analyst", email="alice@example.org")
    bob = community.user(other, "analyst", email="bob@example.org")
    community.group("WG", orgs=[org], users=[bob])
    assert sign_in(client, alice.email).status_code == 303
    assert sign_in(client, alice.email, "definitely not it").status_code == 401
    token = community.token(bob)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    red = community.note(alice, tlp="RED", users=[bob])
    strict = community.note(alice, tlp="AMBER+STRICT", orgs=[other])
    green = community.note(alice, tlp="GREEN")
    for note in (red, strict, green):
        assert client.get(f"/api/v1/notes/{note.id}", headers=bearer(token)).status_code == 200

    entries = _entries(database)
    by_action: dict[str, list[AuditEntry]] = {}
    for e in entries:
        by_action.setdefault(e.action, []).append(e)
    for action in ("org.create", "user.create", "group.create", "signin.password",
                   "signin.failure", "token.create", "token.use", "note.create", "record.read"):
        assert action in by_action, (action, sorted(by_action))
    assert [e.details["email"] for e in by_action["signin.failure"]] == [alice.email]
    assert by_action["token.use"][0].actor_user_id == bob.id
    reads = by_action["record.read"]
    assert {(e.target_id, e.details["tlp"]) for e in reads} == {
        (str(red.id), "RED"), (str(strict.id), "AMBER+STRICT")}, "GREEN reads are not logged"
    assert all(e.actor_user_id == bob.id and e.actor_org_id == other.id for e in reads)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    result = _verify(database)
    assert result.ok, result.problems
    assert result.entries == len(entries)


def test_verify_an_empty_log(database: Database) -> None:
    result = _verify(database)
    assert result.ok and result.entries == 0


def _some_entries(database: Database, n: int = 6) -> None:
    with database.transaction() as s:
        for i in range(n):
            audit.record(s, audit.Actor(None, None, f"tester {i}", "192.0.2.1"), "test.event",
                         target_type="thing", target_id=str(i), details={"i": i, "note": "é"})
    assert _verify(database).ok


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET action = 'nothing.happened' WHERE seq = 2",
    "UPDATE audit_entries SET details = '{}'",
    "DELETE FROM audit_entries WHERE seq = 3",
    "DELETE FROM audit_entries",
])
def test_the_database_refuses_edits(database: Database, statement: str) -> None:
    _some_entries(database)
    before = snapshot(database)
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))
    assert snapshot(database) == before
    assert _verify(database).ok


def _tamper(database: Database, *statements: str) -> None:
    """What an attacker with write access to the database files could do: turn the
    triggers off, then change the rows."""
    with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for trigger in ("audit_entries_no_update", "audit_entries_no_delete",
                            "audit_head_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            conn.execute(text(statement))


def _rehash(seq: int) -> Callable[[Database], None]:
    """Edit an entry and recompute its own hash, as a careful attacker would."""
    def run(database: Database) -> None:
        with database.transaction() as s:
            entry = s.get(AuditEntry, seq)
            assert entry is not None
            new_hash = audit._digest(AuditEntry(**{
                c: getattr(entry, c) for c in ("seq", "at", "actor_user_id", "actor_org_id",
                                               "actor_label", "target_type", "target_id",
                                               "ip", "prev_hash")},
                action="nothing.happened", details={}))
        _tamper(database, "UPDATE audit_entries SET action = 'nothing.happened', details = '{}',"
                f" hash = '{new_hash}' WHERE seq = {seq}")
    return run


TAMPERING: dict[str, Callable[[Database], None]] = {
    "edit a middle entry": lambda db: _tamper(
        db, "UPDATE audit_entries SET actor_label = 'someone else' WHERE seq = 3"),
    "edit and rehash a middle entry": _rehash(3),
    "delete a middle entry": lambda db: _tamper(db, "DELETE FROM audit_entries WHERE seq = 3"),
    "delete the last entries": lambda db: _tamper(db, "DELETE FROM audit_entries WHERE seq >= 5"),
    "delete the last entries and rewind the head": lambda db: _tamper(
        db, "DELETE FROM audit_entries WHERE seq >= 5",
        "UPDATE audit_head SET last_seq = 4, last_hash = (SELECT hash FROM audit_entries"
        " WHERE seq = 4)"),
    "reorder two entries": lambda db: _tamper(
        db, "UPDATE audit_entries SET seq = -1 WHERE seq = 3",
        "UPDATE audit_entries SET seq = 3 WHERE seq = 4",
        "UPDATE audit_entries SET seq = 4 WHERE seq = -1"),
    "empty the log": lambda db: _tamper(db, "DELETE FROM audit_entries"),
}

# Rewinding the head after deleting the tail leaves a chain that is consistent in itself:
# only a copy of the head kept outside the hub (an anchor) can tell.
UNDETECTABLE_WITHOUT_ANCHOR = {"delete the last entries and rewind the head"}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_detected(database: Database, settings: Any, how: str) -> None:
    _some_entries(database)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "6 entries" in ok.output
    head = re.search(r"Head: (\d+:[0-9a-f]{64})", ok.output)
    assert head, ok.output
    TAMPERING[how](database)
    result = _verify(database)
    if how in UNDETECTABLE_WITHOUT_ANCHOR:
        assert result.ok and result.entries == 4
    else:
        assert not result.ok, how
        bad = runner.invoke(cli, ["audit", "verify"])
        assert bad.exit_code == 1, bad.output
        shown = " ".join(bad.stderr.split())  # rich wraps long lines
        for problem in result.problems:
            assert " ".join(problem.split()) in shown
    # With the head recorded before the tampering, every kind of it is caught.
    anchored = runner.invoke(cli, ["audit", "verify", "--anchor", head.group(1)])
    assert anchored.exit_code == 1, (how, anchored.output)


def test_an_anchor_from_an_intact_log_keeps_verifying(database: Database, settings: Any,
                                                      community: Community) -> None:
    _some_entries(database)
    runner = CliRunner()
    first = runner.invoke(cli, ["audit", "verify"])
    head = re.search(r"Head: (\d+:[0-9a-f]{64})", first.output)
    assert head, first.output
    community.org()  # the log grows
    later = runner.invoke(cli, ["audit", "verify", "--anchor", head.group(1)])
    assert later.exit_code == 0, later.output
    assert runner.invoke(cli, ["audit", "verify", "--anchor", "12:nothex"]).exit_code == 2


def test_every_entry_is_chained_to_the_one_before(database: Database,
                                                  community: Community) -> None:
    org = community.org()
    community.user(org)
    entries = _entries(database)
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
