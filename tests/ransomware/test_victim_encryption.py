"""A ransomware victim's name and contact are encrypted at rest with the secret key
(ASVS 6.1.1): the database alone does not name victims, members who may see the
victim read it as before, key rotation re-encrypts it, and the migration encrypts the
victims a hub already holds (and decrypts them on the way down); on both engines."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Text, select, type_coerce
from typer.testing import CliRunner

from cyberhub import migrate
from cyberhub.cli import app as cli
from cyberhub.community import security
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.ransomware.models import IncidentVictim
from tests.factories import Community, bearer
from tests.ransomware.test_incidents_api import report

NAME, CONTACT = "Acme Widgets B.V.", "ciso@acme.example"


def _report(client: TestClient, community: Community) -> tuple[str, str]:
    token = community.token(community.user(community.org("Alpha")), scope="write")
    r = client.post("/api/v1/ransomware/incidents", json=report(),
                    headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()["id"], token


def _raw(database: Database) -> tuple[str, str]:
    """The stored values themselves, as a database dump would show them."""
    with database.engine.connect() as conn:
        name, contact = conn.execute(select(type_coerce(IncidentVictim.name, Text),
                                            type_coerce(IncidentVictim.contact, Text))).one()
    return name, contact


def _victim(client: TestClient, incident: str, token: str) -> Any:
    r = client.get(f"/api/v1/ransomware/incidents/{incident}", headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()["victim"]


def test_the_database_does_not_name_the_victim(client, families, community) -> None:  # type: ignore[no-untyped-def]
    incident, token = _report(client, community)
    name, contact = _raw(families)
    assert NAME not in name and "acme" not in contact.lower()
    assert security.decrypt_secret(name) == NAME and security.decrypt_secret(contact) == CONTACT
    assert _victim(client, incident, token) == {"name": NAME, "contact": CONTACT}
    # Nor does the database file on disk (SQLite), WAL included.
    if families.url.startswith("sqlite:///"):
        path = families.url.removeprefix("sqlite:///")
        for name in (path, path + "-wal"):
            with open(name, "rb") as file:
                data = file.read()
            assert NAME.encode() not in data and CONTACT.encode() not in data


def test_key_rotation_re_encrypts_the_victim(  # type: ignore[no-untyped-def]
        client, families, community, settings: Settings) -> None:
    incident, token = _report(client, community)
    before = _raw(families)
    set_settings(settings.model_copy(update={"secret_key": "the-new-key",
                                             "previous_secret_keys": settings.secret_key}))
    result = CliRunner().invoke(cli, ["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "victims' names" in result.output and "victims' contacts" in result.output
    after = _raw(families)
    assert after[0] != before[0] and after[1] != before[1]
    set_settings(settings.model_copy(update={"secret_key": "the-new-key",
                                             "previous_secret_keys": ""}))
    assert security.decrypt_secret(before[0]) is None  # the old ciphertext is dead
    assert _victim(client, incident, token) == {"name": NAME, "contact": CONTACT}


def test_the_migration_encrypts_the_victims_already_held(  # type: ignore[no-untyped-def]
        client, families, community) -> None:
    incident, token = _report(client, community)
    families.engine.dispose()  # SQLite rebuilds the table: no connection may hold it
    migrate.downgrade(families.url, "0033")
    assert _raw(families) == (NAME, CONTACT)  # the schema before: in clear
    migrate.upgrade(families.url)
    name, contact = _raw(families)
    assert NAME not in name and security.decrypt_secret(name) == NAME
    assert security.decrypt_secret(contact) == CONTACT
    assert _victim(client, incident, token) == {"name": NAME, "contact": CONTACT}
