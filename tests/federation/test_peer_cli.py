"""The command line for partner hubs: add, list, set, key, remove — with what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cyberhub import cli as cli_module
from cyberhub.cli import app as cli
from cyberhub.community import security
from cyberhub.db import Database
from cyberhub.federation.models import Peer, PeerDirection
from tests.factories import Community

runner = CliRunner()
URL = "https://lyon.example/taxii2/hub/collections/shared/"


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    widths = cli_module.out.width, cli_module.err.width
    cli_module.out.width = cli_module.err.width = 250
    yield
    cli_module.out.width, cli_module.err.width = widths


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(cli, list(args), env=env)


def peer(database: Database) -> Peer:
    with database.transaction() as s:
        found = s.scalars(select(Peer)).one()
        s.expunge(found)
        return found


def test_partner_lifecycle(database: Database, community: Community) -> None:
    org = community.org("Hub Lyon", kind="international-organisation")
    community.user(org, email="sync@lyon.example")
    added = run("peer", "add", "Lyon", URL, "--org", "Hub Lyon", "--run-as",
                "sync@lyon.example", "--remote-user", "us@lyon.example",
                env={"CYBERHUB_PEER_TOKEN": "chub_secret_token"})
    assert added.exit_code == 0, added.output
    stored = peer(database)
    assert stored.secret and "chub_secret_token" not in stored.secret  # encrypted
    assert security.decrypt_secret(stored.secret) == "chub_secret_token"
    assert "Lyon" in run("peer", "list").output
    changed = run("peer", "set", "Lyon", "--share-green", "--every", "30", "--direction",
                  "both", "--trust", "70", "--contact", "desk@lyon.example")
    assert changed.exit_code == 0, changed.output
    stored = peer(database)
    assert (stored.share_green, stored.interval_minutes, stored.direction, stored.trust,
            stored.contact) == (True, 30, PeerDirection.BOTH, 70, "desk@lyon.example")
    for bad in (["--every", "0"], ["--direction", "sideways"], ["--trust", "101"],
                ["--url", "ftp://x/"]):
        refused = run("peer", "set", "Lyon", *bad)
        assert refused.exit_code == 1, bad
    assert run("peer", "key", "Lyon", "--match-key-id", "k1",
               env={"CYBERHUB_PEER_MATCH_KEY": "short"}).exit_code == 1
    # The same organisation cannot stand for two partners; names are unique.
    assert run("peer", "add", "Lyon 2", URL, "--org", "Hub Lyon", "--run-as",
               "sync@lyon.example").exit_code == 1
    assert run("peer", "remove", "Lyon").exit_code == 0
    assert "No partner hubs yet" in run("peer", "list").output


def test_a_partner_is_reached_over_tls(database: Database, community: Community) -> None:
    """ASVS V9.2.2/V9.2.3: the partner's token never crosses the network in clear."""
    org = community.org("Hub Lyon", kind="international-organisation")
    community.user(org, email="sync@lyon.example")
    plain = "http://lyon.example/taxii2/hub/collections/shared/"
    refused = run("peer", "add", "Lyon", plain, "--org", "Hub Lyon", "--run-as",
                  "sync@lyon.example")
    assert refused.exit_code == 1 and "https://" in refused.output
    for local in ("http://127.0.0.1:9/taxii2/hub/collections/shared/",
                  "http://localhost:9/taxii2/hub/collections/shared/"):
        assert run("peer", "add", "Lyon", local, "--org", "Hub Lyon", "--run-as",
                   "sync@lyon.example").exit_code == 0, local
        assert run("peer", "set", "Lyon", "--url", plain).exit_code == 1
        assert run("peer", "set", "Lyon", "--url", URL).exit_code == 0
        assert peer(database).url == URL
        assert run("peer", "remove", "Lyon").exit_code == 0
