"""``cyberhub backup`` and ``cyberhub restore`` on both engines: a hub with data comes
back whole in a fresh directory and database; damaged archives and non-empty targets
are refused before anything changes."""

from __future__ import annotations

import hashlib
import io
import shutil
import sqlite3
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from cyberhub import audit, keyring
from cyberhub.app import create_app
from cyberhub.backups import service as backups
from cyberhub.cli import app as cli
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.notes.models import Note
from tests.conftest import pg_admin_url
from tests.evidence.conftest import active_operation, upload
from tests.factories import Community, bearer, enrolled, sign_in
from tests.keyservice import Service, short_dir
from tests.operations.conftest import Ops, ops  # noqa: F401 - the fixture, shared
from tests.state import snapshot

runner = CliRunner()
WALLET = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
EVIDENCE = b"txid,amount\n9f2c,0.42\n" * 100
ATTACHMENT = b"desk,phone\nduty,+31 70 000 0000\n"


def run(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def target_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database to restore into (never migrated)."""
    if database_url.startswith("sqlite"):
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'hub.sqlite3'}"
        return
    name = database_url.rsplit("/", 1)[1] + "_restore"
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _restored_settings(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, var_dir=tmp_path / "restored" / "var",
                    secret_key="test-secret-key", argon2_time_cost=1, argon2_memory_kib=8192)


def _hub_with_data(world: Ops) -> dict[str, Any]:
    """An operation with an evidence file, notes, a deconfliction registration."""
    op = active_operation(world, name="Operation Backup")
    r = upload(world, "alpha", op["id"], EVIDENCE)
    assert r.status_code == 201, r.text
    for i in range(3):
        world.community.note(world.users["alpha"], title=f"Note {i}", body="kept")
    r = world.post("charlie", "/deconfliction/registrations",
                   {"kind": "wallet", "value": f"btc:{WALLET}", "case_reference": "NL-1",
                    "contact": "Duty desk"})
    assert r.status_code == 201, r.text
    # A dialogue with an attachment (a file of its own folder in the archive).
    r = world.post("alpha_admin", "/dialogues", {
        "topic": "Backup drill", "rule": "chatham_house", "description": "Who is on duty",
        "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T11:00:00Z",
        "audience": {"org_ids": [str(world.orgs["bravo"].id)]}})
    assert r.status_code == 201, r.text
    dialogue = r.json()["id"]
    assert world.post("alpha_admin", f"/dialogues/{dialogue}/open").status_code == 200
    r = world.client.post(f"/api/v1/dialogues/{dialogue}/attachments",
                          headers=bearer(world.tokens["alpha_admin"]),
                          files={"file": ("duty.csv", ATTACHMENT, "text/csv")})
    assert r.status_code == 201, r.text
    return {"operation": op, "dialogue": dialogue, "attachment": r.json()["id"]}


def test_backup_and_restore_into_a_fresh_hub(ops: Ops, settings: Settings,  # noqa: F811
                                             database: Database, target_url: str,
                                             tmp_path: Path) -> None:
    made = _hub_with_data(ops)
    before = snapshot(database)
    archive = tmp_path / "hub-backup.tar"
    result = run("backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "store it encrypted" in result.output
    assert archive.stat().st_mode & 0o077 == 0
    manifest = backups.read_manifest(archive)
    engine = "sqlite" if settings.resolved_database_url().startswith("sqlite") else "postgresql"
    assert manifest["format"] == "cyberhub-backup" and manifest["engine"] == engine
    assert manifest["hub_name"] == settings.hub_name and manifest["migration_head"]
    names = {m["name"] for m in manifest["members"]}
    assert backups.DATABASE_MEMBER[engine] in names and "keys/deconfliction_key" in names
    assert "keys/password_pepper" in names
    assert sum(n.startswith("files/evidence/") for n in names) == 1
    assert sum(n.startswith("files/dialogue-attachments/") for n in names) == 1
    with tarfile.open(archive) as tar:
        assert tar.getnames()[-1] == "manifest.json"

    restored = _restored_settings(target_url, tmp_path)
    set_settings(restored)
    result = run("restore", str(archive))
    assert result.exit_code == 0, result.output
    for key in ("deconfliction_key", "password_pepper"):
        assert (restored.var_dir / key).read_bytes() == (settings.var_dir / key).read_bytes()

    again = Database(restored.resolved_database_url())
    try:
        assert snapshot(again) == before
        with again.snapshot() as s:
            assert audit.verify(s).ok
        with TestClient(create_app(restored, again), base_url="http://testserver") as client:
            op_id = made["operation"]["id"]
            got = client.get(f"/api/v1/operations/{op_id}", headers=bearer(ops.tokens["bravo"]))
            assert got.status_code == 200 and got.json()["name"] == "Operation Backup"
            [item] = client.get(f"/api/v1/operations/{op_id}/evidence",
                                headers=bearer(ops.tokens["bravo"])).json()
            got = client.get(f"/api/v1/operations/{op_id}/evidence/{item['id']}/file",
                             headers=bearer(ops.tokens["bravo"]))
            assert got.status_code == 200 and got.content == EVIDENCE
            # The pepper came back: a password set before the backup still signs in.
            r = sign_in(client, ops.users["alpha"].email)
            assert r.status_code == 303 and not r.headers["location"].startswith("/signin"), \
                r.text
            got = client.get(f"/api/v1/dialogues/{made['dialogue']}/attachments/"
                             f"{made['attachment']}", headers=bearer(ops.tokens["bravo"]))
            assert got.status_code == 200 and got.content == ATTACHMENT
            # Second-factor seeds came back readable (encrypted with the secret key): an
            # admin enrolled before the backup signs in with a code from their app.
            assert enrolled(ops.users["alpha_admin"].email)
            client.cookies.clear()
            r = sign_in(client, ops.users["alpha_admin"].email)
            assert r.status_code == 303 and r.headers["location"] == "/", r.headers
            # The key came back: another agency's registration of the wallet in the
            # restored hub meets the one made before the backup.
            there = Community(again)
            police = there.user(there.org("Police Two", kind="law-enforcement"))
            r = client.post("/api/v1/deconfliction/registrations",
                            headers=bearer(there.token(police, scope="write")),
                            json={"kind": "wallet", "value": WALLET.upper(), "chain": "BTC",
                                  "case_reference": "DE-2", "contact": "KHK Bernd"})
            assert r.status_code == 201, r.text
            assert [h["other_organisation"] for h in r.json()["hits"]] == ["Charlie"]
        assert run("evidence", "verify").exit_code == 0
    finally:
        again.dispose()


def _count_notes(database: Database) -> int:
    with database.snapshot() as s:
        return s.scalar(select(func.count()).select_from(Note)) or 0


def test_an_online_backup_is_consistent_while_another_thread_writes(
        ops: Ops, settings: Settings, database: Database, target_url: str,  # noqa: F811
        tmp_path: Path) -> None:
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        n = 0
        try:
            while not stop.is_set():
                ops.community.note(ops.users["alpha"], title=f"Busy {n}", body="written")
                n += 1
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    ops.community.note(ops.users["alpha"], title="First")
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while _count_notes(database) < 10:
            pass
        low = _count_notes(database)
        backups.create(settings, tmp_path / "busy.tar")
        high = _count_notes(database)
        while _count_notes(database) < high + 5:  # the writer went on meanwhile
            pass
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not failures

    restored = _restored_settings(target_url, tmp_path)
    backups.restore(restored, tmp_path / "busy.tar")
    again = Database(restored.resolved_database_url())
    try:
        assert low <= _count_notes(again) <= high
        with again.snapshot() as s:
            verified = audit.verify(s)
            assert verified.ok, verified.problems
        if target_url.startswith("sqlite"):
            path = target_url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        again.dispose()


def _tamper(archive: Path, member: str, out: Path) -> None:
    """A copy of the archive with one byte of ``member`` changed (same size)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == member:
                data = bytes([data[0] ^ 1]) + data[1:]
            dst.addfile(info, io.BytesIO(data))


def test_a_changed_member_is_refused_naming_it_and_nothing_changes(
        ops: Ops, settings: Settings, database: Database, target_url: str,  # noqa: F811
        tmp_path: Path) -> None:
    _hub_with_data(ops)
    archive = tmp_path / "hub.tar.gz"
    assert run("backup", str(archive)).exit_code == 0
    assert run("backup", str(archive)).exit_code == 1  # never overwritten
    [evidence] = [m["name"] for m in backups.read_manifest(archive)["members"]
                  if m["name"].startswith("files/evidence/")]
    bad = tmp_path / "bad.tar"
    _tamper(archive, evidence, bad)

    restored = _restored_settings(target_url, tmp_path)
    set_settings(restored)
    result = run("restore", str(bad))
    assert result.exit_code == 1
    assert evidence in result.output and "SHA-256" in result.output
    assert not (restored.var_dir / "evidence").exists()
    assert not (restored.var_dir / "deconfliction_key").exists()
    engine = create_engine(target_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert "alembic_version" not in conn.dialect.get_table_names(conn)
    engine.dispose()

    # A truncated archive, and one whose manifest lost a member.
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(bad.read_bytes()[:5000])
    result = run("restore", str(truncated))
    assert result.exit_code == 1 and "damaged" in result.output
    with tarfile.open(archive) as src, tarfile.open(tmp_path / "extra.tar", "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json":
                manifest = orjson.loads(data)
                manifest["members"] = [m for m in manifest["members"] if m["name"] != evidence]
                data = orjson.dumps(manifest)
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    result = run("restore", str(tmp_path / "extra.tar"))
    assert result.exit_code == 1 and evidence in result.output


def test_restore_refuses_a_database_with_data_unless_forced(
        ops: Ops, settings: Settings, database: Database, tmp_path: Path) -> None:  # noqa: F811
    _hub_with_data(ops)
    archive = tmp_path / "hub.tar"
    assert run("backup", str(archive), "--exclude-keys").exit_code == 0
    assert not any(m["name"].startswith("keys/")
                   for m in backups.read_manifest(archive)["members"])
    at_backup = snapshot(database)
    ops.community.note(ops.users["alpha"], title="After the backup")
    after = snapshot(database)

    result = run("restore", str(archive))
    assert result.exit_code == 1 and "--force" in result.output
    assert snapshot(database) == after

    database.dispose()  # the hub is stopped before a forced restore
    result = run("restore", str(archive), "--force")
    assert result.exit_code == 0, result.output
    assert "no deconfliction key" in result.output
    assert snapshot(database) == at_backup


def test_a_database_of_anything_else_with_rows_is_not_taken_for_empty(
        sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "hub.sqlite3")
    archive = tmp_path / "hub.tar"
    backups.create(Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite3'}",
                            var_dir=tmp_path / "var"), archive)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE ledger (entry TEXT)")
        conn.execute("INSERT INTO ledger VALUES ('keep me')")
    conn.close()
    with pytest.raises(backups.BackupError, match="--force"):
        backups.restore(Settings(database_url=f"sqlite:///{other}", var_dir=tmp_path / "o"),
                        archive)
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT entry FROM ledger").fetchall() == [("keep me",)]
    conn.close()


def test_missing_postgresql_client_programs_are_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberhub.backups import engines

    monkeypatch.setattr(engines, "_server_major", lambda url: 15)
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    monkeypatch.setattr(engines.os, "access", lambda path, mode: False)
    with pytest.raises(engines.BackupError) as caught:
        engines.pg_tool("pg_dump", "postgresql://nobody@127.0.0.1/none")
    assert "pg_dump" in caught.value.message and "postgresql-client-15" in caught.value.message


def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(
        ops: Ops, settings: Settings, database: Database, tmp_path: Path) -> None:  # noqa: F811
    """A database member cut short when it was written (its manifest agrees): the forced
    restore fails, and what the hub held is still there."""
    _hub_with_data(ops)
    archive = tmp_path / "hub.tar"
    backups.create(settings, archive)
    before = snapshot(database)
    cut = tmp_path / "cut.tar"
    with tarfile.open(archive) as src, tarfile.open(cut, "w") as dst:
        blobs = {i.name: src.extractfile(i).read()  # type: ignore[union-attr]
                 for i in src.getmembers()}
        [name] = [n for n in blobs if n.startswith("database/")]
        blobs[name] = blobs[name][:len(blobs[name]) * 2 // 3]
        manifest = orjson.loads(blobs["manifest.json"])
        for m in manifest["members"]:
            if m["name"] == name:
                m["size"], m["sha256"] = len(blobs[name]), hashlib.sha256(blobs[name]).hexdigest()
        blobs["manifest.json"] = orjson.dumps(manifest)
        for member, data in blobs.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    database.dispose()
    with pytest.raises(backups.BackupError):
        backups.restore(settings, cut, force=True)
    assert snapshot(database) == before


def test_a_hub_on_a_key_service_neither_backs_up_nor_restores_keys(
        settings: Settings, database: Database, target_url: str, tmp_path: Path) -> None:
    """Its keys live with the key service: an archive of it holds none, and the keys of
    an older archive are not put back into its var directory (docs/deployment.md)."""
    Community(database).org("Police One", kind="law-enforcement")
    keyring.check()  # the pepper and the deconfliction key, made as a hub starts
    with_keys = tmp_path / "with-keys.tar"
    assert run("backup", str(with_keys)).exit_code == 0
    assert any(m["name"].startswith("keys/")
               for m in backups.read_manifest(with_keys)["members"])
    service = Service(Settings(var_dir=short_dir(), secret_key="s" * 48))
    service.start()
    try:
        restored = _restored_settings(target_url, tmp_path).model_copy(
            update={"secret_key": "", "key_service": str(service.path)})
        set_settings(restored)
        result = run("restore", str(with_keys))
        assert result.exit_code == 0, result.output
        assert "were not restored here" in result.output
        assert not any((restored.var_dir / name).exists()
                       for name in ("secret_key", "password_pepper", "deconfliction_key"))
        again = tmp_path / "on-the-service.tar"
        result = run("backup", str(again))
        assert result.exit_code == 0, result.output
        assert "held by its key service" in " ".join(result.output.split())
        assert not any(m["name"].startswith("keys/")
                       for m in backups.read_manifest(again)["members"])
    finally:
        set_settings(settings)
        service.close()
        shutil.rmtree(service.settings.var_dir, ignore_errors=True)
