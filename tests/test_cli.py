"""The ``cyberhub`` command: schema, demo data, organisations, users, tokens, audit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from cyberhub import demo
from cyberhub.cli import app as cli
from cyberhub.community import security
from cyberhub.community.models import Group, Organisation, User
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.intel.models import StixObject, Vetting
from cyberhub.notes.models import Note
from cyberhub.packages.models import IntelPackage, PackageStatus
from cyberhub.sharing import TLP
from tests.factories import PASSWORD, Community, bearer
from tests.state import snapshot

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(cli, list(args), input=input)


def _count(database: Database, model: Any, *where: Any) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_db_upgrade_creates_the_schema_once(tmp_path: Path) -> None:
    set_settings(Settings(var_dir=tmp_path / "var", secret_key="k"))
    first = run("db", "upgrade")
    assert first.exit_code == 0, first.output
    path = tmp_path / "var" / "cyberhub.sqlite3"
    db = Database(f"sqlite:///{path}")
    tables = set(inspect(db.engine).get_table_names())
    assert {"organisations", "users", "notes", "audit_entries", "alembic_version"} <= tables
    before = snapshot(db)
    again = run("db", "upgrade")
    assert again.exit_code == 0, again.output
    assert snapshot(db) == before
    db.dispose()


def test_db_upgrade_on_the_test_database(settings: Settings) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output


def test_demo_is_idempotent(settings: Settings, database: Database) -> None:
    result = run("demo", "--no-refdata")
    assert result.exit_code == 0, result.output
    assert demo.DEMO_PASSWORD in result.output
    orgs, users = _count(database, Organisation), _count(database, User)
    assert 10 <= orgs <= 20 and orgs == _count(database, Organisation,
                                               Organisation.is_demo.is_(True))
    assert 25 <= users <= 40 and users == _count(database, User, User.is_demo.is_(True))
    assert _count(database, Group) == _count(database, Group, Group.is_demo.is_(True)) == 2
    with database.transaction() as s:
        notes = list(s.scalars(select(Note)))
        emails = list(s.scalars(select(User.email)))
        names = list(s.scalars(select(Organisation.name)))
    assert {n.tlp for n in notes} == set(TLP)
    assert all(n.is_demo and n.title.startswith("[DEMO]") for n in notes)
    assert all(e.endswith(".example") for e in emails)
    assert all(n.endswith("(demo)") for n in names)

    with database.transaction() as s:
        # The demo's verdicts fall on indicators (the generated ecosystem's actors and
        # campaigns are marked vetted on their own).
        states = list(s.scalars(select(StixObject.vetting).where(
            StixObject.vetting != Vetting.UNVERIFIED, StixObject.type == "indicator")))
        [package] = list(s.scalars(select(IntelPackage)))
    assert sorted(states) == sorted([Vetting.VETTED, Vetting.VETTED, Vetting.CORROBORATED,
                                     Vetting.DISPUTED])
    assert package.is_demo and package.title.startswith("[DEMO]")
    assert package.status is PackageStatus.RELEASED
    with database.transaction() as s:
        from cyberhub.taxii.models import TaxiiCollection

        titles = sorted(s.scalars(select(TaxiiCollection.title)))
    assert titles == ["Indicators (demo)", "Shared intelligence (demo)"]

    before = snapshot(database)
    again = run("demo", "--no-refdata")
    assert again.exit_code == 0, again.output
    assert snapshot(database) == before
    assert "already loaded" in again.output


def test_demo_users_can_sign_in(settings: Settings, database: Database,
                                client: TestClient) -> None:
    assert run("demo", "--no-refdata").exit_code == 0
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.role == "analyst")).first()
        assert user is not None and security.verify_password(user.password_hash,
                                                             demo.DEMO_PASSWORD)


def test_org_create(settings: Settings, database: Database) -> None:
    ok = run("org", "create", "Europol EC3", "--kind", "law-enforcement", "--country", "nl",
             "--sector", "police - law enforcement")
    assert ok.exit_code == 0, ok.output
    assert "Europol EC3" in ok.output
    with database.transaction() as s:
        org = s.scalars(select(Organisation)).one()
        assert (org.kind.value, org.country, org.sector) == (
            "law-enforcement", "NL", "Police - Law enforcement")
    before = snapshot(database)
    for args, says in [
        (["EUROPOL  ec3", "--kind", "cert"], "already exists"),
        (["Other", "--kind", "police"], "Unknown organisation kind"),
        (["Other", "--kind", "cert", "--country", "Narnia"], "Unknown country"),
        (["Other", "--kind", "cert", "--sector", "Dragons"], "Unknown sector"),
        (["", "--kind", "cert"], "name is required"),
    ]:
        result = run("org", "create", *args)
        assert result.exit_code == 1, (args, result.output)
        assert says in " ".join(result.stderr.split()), (args, result.stderr)
    assert run("org", "create", "No kind").exit_code == 2
    assert snapshot(database) == before


def test_user_create_reads_the_password_from_stdin(settings: Settings, database: Database,
                                                   community: Community) -> None:
    community.org("Alpha CERT")
    ok = run("user", "create", "Ana@Example.org", "--org", "alpha cert", "--role", "org-admin",
             "--name", "Ana Analyst", input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    assert PASSWORD not in ok.output
    with database.transaction() as s:
        user = s.scalars(select(User)).one()
        assert (user.email, user.display_name, user.role.value) == (
            "ana@example.org", "Ana Analyst", "org-admin")
        assert user.password_hash is not None
        assert user.password_hash.startswith(security.PEPPER_MARK + "$argon2id$")
        assert security.verify_password(user.password_hash, PASSWORD)
    before = snapshot(database)
    for args, password, says in [
        (["weak@example.org", "--org", "Alpha CERT", "--role", "analyst"], "password123\n",
         "password"),
        (["weak@example.org", "--org", "Alpha CERT", "--role", "analyst"], "\n", "password"),
        (["ana@example.org", "--org", "Alpha CERT", "--role", "analyst"], PASSWORD + "\n",
         "already exists"),
        (["new@example.org", "--org", "Nowhere", "--role", "analyst"], PASSWORD + "\n",
         "No organisation named"),
        (["new@example.org", "--org", "Alpha CERT", "--role", "god"], PASSWORD + "\n",
         "Unknown role"),
        (["not-an-address", "--org", "Alpha CERT", "--role", "analyst"], PASSWORD + "\n",
         "not a valid e-mail"),
    ]:
        result = run("user", "create", *args, input=password)
        assert result.exit_code == 1, (args, result.output)
        assert says in " ".join(result.stderr.split()), (args, result.stderr)
    assert snapshot(database) == before


def test_user_erase(settings: Settings, database: Database, community: Community,
                    client: TestClient) -> None:
    from cyberhub import audit
    from cyberhub.community import service

    org = community.org("Alpha CERT")
    user = community.user(org, "analyst", email="gone@example.org")
    note = community.note(user, title="Still shared")
    community.token(user)
    before = snapshot(database)
    refused = run("user", "erase", "gone@example.org", "--yes")
    assert refused.exit_code == 1 and "Deactivate" in refused.stderr, refused.output
    assert snapshot(database) == before
    with database.transaction() as s:
        service.update_user(s, community.system, user.id, is_active=False)
    no = run("user", "erase", "gone@example.org", input="n\n")
    assert no.exit_code == 1
    ok = run("user", "erase", "gone@example.org", "--yes")
    assert ok.exit_code == 0, ok.output
    new_email = f"erased-{user.id.hex[:12]}@erased.invalid"
    assert new_email in ok.stdout
    dump = repr(snapshot(database, skip=frozenset({"audit_entries"})))
    assert "gone@example.org" not in dump
    with database.transaction() as s:
        row = s.get(User, user.id)
        assert row is not None and row.email == new_email and row.display_name == "Erased user"
        assert row.password_hash is None
        assert s.get(Note, note.id) is not None
        assert audit.verify(s).ok
        assert s.scalars(select(audit.AuditEntry).where(
            audit.AuditEntry.action == "user.erase")).one().target_id == str(user.id)
    from tests.factories import sign_in

    assert sign_in(client, "gone@example.org").status_code == 401


def test_token_create_prints_only_the_token(settings: Settings, database: Database,
                                            community: Community, client: TestClient) -> None:
    user = community.user(community.org(), "analyst", email="ana@example.org")
    result = run("token", "create", "ana@example.org", "--scope", "write", "--name", "siem")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("chub_")
    assert client.get("/api/v1/me", headers=bearer(token)).json()["id"] == str(user.id)
    r = client.post("/api/v1/notes", headers=bearer(token), json={"title": "t", "tlp": "GREEN"})
    assert r.status_code == 201, r.text

    before = snapshot(database)
    for args in (["nobody@example.org"], ["ana@example.org", "--scope", "admin"],
                 ["ana@example.org", "--expires-days", "0"],
                 ["ana@example.org", "--expires-days", "400"]):
        bad = run("token", "create", *args)
        assert bad.exit_code == 1, (args, bad.output)
        assert bad.stdout == ""
    assert snapshot(database) == before


def test_the_installed_command(settings: Settings, community: Community, tmp_path: Path) -> None:
    """The real entry point, configured by the environment only."""
    community.user(community.org(), "reader", email="rita@example.org")
    env = {**os.environ, "CYBERHUB_DATABASE_URL": settings.database_url,
           "CYBERHUB_VAR_DIR": str(tmp_path / "var"), "CYBERHUB_SECRET_KEY": "k"}
    exe = Path(sys.executable).parent / "cyberhub"
    token = subprocess.run([str(exe), "token", "create", "rita@example.org"], env=env,
                           capture_output=True, text=True, check=True, timeout=60)
    assert token.stdout.startswith("chub_") and token.stdout.count("\n") == 1
    verify = subprocess.run([str(exe), "audit", "verify"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
    assert "intact" in verify.stdout
