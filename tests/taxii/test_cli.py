"""The command line: cyberhub taxii add / list / remove."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cyberhub import cli as cli_module
from cyberhub.cli import app as cli
from cyberhub.db import Database
from cyberhub.taxii.models import TaxiiCollection
from tests.taxii.conftest import Hub

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    widths = cli_module.out.width, cli_module.err.width
    cli_module.out.width = cli_module.err.width = 250
    yield
    cli_module.out.width, cli_module.err.width = widths


def run(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def test_add_list_remove(database: Database, hub: Hub) -> None:
    added = run("taxii", "add", "Alpha indicators", "--alias", "alpha-ind", "--type",
                "indicator", "--tlp", "GREEN", "--owner", "Alpha CERT", "--writable",
                "--write-tlp", "GREEN")
    assert added.exit_code == 0, added.output
    with database.transaction() as s:
        c = s.scalars(select(TaxiiCollection)).one()
        assert (c.alias, c.types, c.tlps, c.owner_org_ids, c.writable) == (
            "alpha-ind", ["indicator"], ["GREEN"], [str(hub.alpha.id)], True)
        assert c.created_by_id is None
    listed = run("taxii", "list")
    assert listed.exit_code == 0 and "Alpha indicators" in listed.output
    assert "types=indicator" in listed.output
    duplicate = run("taxii", "add", "Again", "--alias", "alpha-ind")
    assert duplicate.exit_code == 1 and "alias" in duplicate.output
    unknown = run("taxii", "add", "Nobody's", "--owner", "No Such Org")
    assert unknown.exit_code == 1 and "No Such Org" in unknown.output
    removed = run("taxii", "remove", "alpha-ind")
    assert removed.exit_code == 0, removed.output
    assert "No TAXII collections yet" in run("taxii", "list").output
    assert run("taxii", "remove", "alpha-ind").exit_code == 1


def test_shared_with(database: Database, hub: Hub, community: Any) -> None:
    community.group("Bank coalition", orgs=[hub.beta])
    made = run("taxii", "add", "Coalition", "--shared-with", "Bank coalition",
               "--shared-with", "Alpha CERT")
    assert made.exit_code == 0, made.output
    with database.transaction() as s:
        c = s.scalars(select(TaxiiCollection)).one()
        assert len(c.audience_ids) == 2 and str(hub.alpha.id) in c.audience_ids
    refused = run("taxii", "add", "Nobody", "--shared-with", "No such group")
    assert refused.exit_code == 1 and "No such group" in refused.output
