"""Replacing the secret key: the old one keeps decrypting while listed as previous,
`cyberhub secrets rotate` re-encrypts every stored secret under the new one, and a
rotation that meets a secret no key opens changes nothing (ASVS 1.6.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cyberhub.audit import AuditEntry
from cyberhub.cli import app as cli
from cyberhub.community import security
from cyberhub.community.models import User
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.federation.models import Peer
from cyberhub.notifications.models import Webhook
from cyberhub.taxii import paging
from cyberhub.web import csrf
from tests.factories import Community, sign_in
from tests.state import snapshot

runner = CliRunner()


def _stored(database: Database) -> dict[str, str]:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.totp_secret_enc.is_not(None))).one()
        peer = s.scalars(select(Peer)).one()
        hook = s.scalars(select(Webhook)).one()
        assert user.totp_secret_enc is not None
        return {"totp": user.totp_secret_enc, "peer_secret": peer.secret,
                "peer_match_key": peer.match_key, "webhook_secret": hook.secret_enc}


def _hub_with_secrets(database: Database, community: Community) -> tuple[User, dict[str, str]]:
    org = community.org("Alpha CERT")
    user = community.user(org, "analyst", email="alice@example.org")
    community.enrol(user)
    with database.transaction() as s:
        s.add(Peer(name="Lyon", url="https://lyon.example/taxii2/c/", org_id=org.id,
                   run_as_id=user.id, secret=security.encrypt_secret("partner-password"),
                   match_key=security.encrypt_secret("match-key")))
        s.add(Webhook(user_id=user.id, created_by_id=user.id, url="https://hooks.example/x",
                      secret_enc=security.encrypt_secret("hook-secret")))
    plain = {"peer_secret": "partner-password", "peer_match_key": "match-key",
             "webhook_secret": "hook-secret"}
    return user, plain


def _use(settings: Settings, **changes: Any) -> Settings:
    new = settings.model_copy(update=changes)
    set_settings(new)
    return new


def test_a_new_key_keeps_the_old_secrets_until_rotated(
        client: TestClient, database: Database, community: Community, settings: Settings) -> None:
    user, plain = _hub_with_secrets(database, community)
    before = _stored(database)
    old_csrf = csrf.token_for("some-session", None)
    old_next = paging.make_token(paging.Position(datetime(2026, 1, 1, tzinfo=UTC), user.id, 0),
                                 "fp")

    _use(settings, secret_key="the-new-key", previous_secret_keys=" test-secret-key ")
    assert sign_in(client, user.email).status_code == 303  # TOTP seed opens with the old key
    # Forms and TAXII pages handed out before the change still pass.
    assert security.hmac_matches("csrf:session:some-session", old_csrf)
    assert paging.read_token(old_next, "fp").record_id == user.id

    result = runner.invoke(cli, ["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "4 secrets re-encrypted" in result.output
    after = _stored(database)
    assert all(after[k] != before[k] for k in before)  # every one rewritten

    _use(settings, secret_key="the-new-key", previous_secret_keys="")
    for kind, value in plain.items():
        assert security.decrypt_secret(after[kind]) == value
    assert security.decrypt_secret(before["webhook_secret"]) is None  # old ciphertext is dead
    assert not security.hmac_matches("csrf:session:some-session", old_csrf)
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303  # the seed under the new key alone
    with database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "secrets.rotate")).one()
        assert entry.details == {"totp": 1, "peer_secret": 1, "peer_match_key": 1,
                                 "webhook_secret": 1, "victim_name": 0, "victim_contact": 0}


def test_a_rotation_that_cannot_open_a_secret_changes_nothing(
        database: Database, community: Community, settings: Settings) -> None:
    _hub_with_secrets(database, community)
    _use(settings, secret_key="the-new-key")  # the old key forgotten, not listed as previous
    state = snapshot(database)
    result = runner.invoke(cli, ["secrets", "rotate"])
    assert result.exit_code == 1
    assert "No configured key opens these stored secrets" in result.output
    for kind in ("totp", "peer_secret", "peer_match_key", "webhook_secret"):
        assert kind in result.output
    assert snapshot(database) == state


def test_settings_are_read_from_a_credentials_directory(tmp_path: Any, monkeypatch: Any) -> None:
    """systemd's LoadCredential(Encrypted)= hands secrets over as files, not variables."""
    from cyberhub.config import secrets_dir

    (tmp_path / "cyberhub_secret_key").write_text("from-a-credential\n")
    monkeypatch.delenv("CYBERHUB_SECRET_KEY", raising=False)
    monkeypatch.delenv("CYBERHUB_SECRETS_DIR", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert Settings(_secrets_dir=secrets_dir()).secret_key == "from-a-credential"
    monkeypatch.setenv("CYBERHUB_SECRET_KEY", "from-the-environment")
    assert Settings(_secrets_dir=secrets_dir()).secret_key == "from-the-environment"
