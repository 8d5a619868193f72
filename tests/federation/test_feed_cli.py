"""The command line: cyberhub feed add / list / poll."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cyberhub import cli as cli_module
from cyberhub.cli import app as cli
from cyberhub.federation.models import FeedStatus, MispFeed

from .conftest import BASE_TIME

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Tables as a wide terminal shows them (the test runner's is 80 columns)."""
    widths = cli_module.out.width, cli_module.err.width
    cli_module.out.width = cli_module.err.width = 250
    yield
    cli_module.out.width, cli_module.err.width = widths


def run(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def feeds(database: Any) -> dict[str, MispFeed]:
    with database.transaction() as s:
        return {f.name: f for f in s.scalars(select(MispFeed))}


def test_add_list_and_poll(database, analyst, feed, server):
    feed.add(BASE_TIME, "a.example")
    feed.add(BASE_TIME + 60, "b.example")
    r = run("feed", "add", "Local OSINT", str(feed.root), "--as", analyst.email, "--tlp",
            "GREEN", "--every", "15")
    assert r.exit_code == 0, r.output
    assert "Local OSINT" in r.output and "Alpha CERT" in r.output
    r = run("feed", "add", "Web OSINT", server.url("feed/"), "--as", analyst.email)
    assert r.exit_code == 0, r.output
    added = feeds(database)
    assert added["Local OSINT"].interval_minutes == 15
    assert added["Local OSINT"].tlp.value == "GREEN" and added["Web OSINT"].tlp.value == "AMBER"

    r = run("feed", "poll", "Local OSINT")
    assert r.exit_code == 0, r.output
    assert "ok" in r.output and "2025-03-01 12:01 UTC" in r.output
    assert feeds(database)["Web OSINT"].last_status is FeedStatus.NEW, "only the named one"
    r = run("feed", "poll")
    assert r.exit_code == 0, r.output
    polled = feeds(database)
    assert polled["Web OSINT"].events_imported == 2 and polled["Local OSINT"].events_imported == 2

    r = run("feed", "list")
    assert r.exit_code == 0, r.output
    for text in ("Local OSINT", "Web OSINT", "Alpha CERT", "ok"):
        assert text in r.output


def test_errors_are_said_plainly(database, analyst, reader, feed):
    r = run("feed", "add", "X", str(feed.root), "--as", "nobody@example.org")
    assert r.exit_code == 1 and "No active user" in r.output
    r = run("feed", "add", "X", str(feed.root), "--as", reader.email)
    assert r.exit_code == 1 and "Readers may not manage MISP feeds" in r.output
    r = run("feed", "add", "X", "ftp://feeds.example/", "--as", analyst.email)
    assert r.exit_code == 1 and "http and https" in r.output
    r = run("feed", "poll", "missing")
    assert r.exit_code == 1 and "No feed named" in r.output
    assert run("feed", "list").output.strip().startswith("No MISP feeds yet")
    # a failed poll: exit 1 and the reason
    (feed.root / "manifest.json").write_text("{")
    assert run("feed", "add", "Broken", str(feed.root), "--as", analyst.email).exit_code == 0
    r = run("feed", "poll", "Broken")
    assert r.exit_code == 1 and "failed" in r.output and "not a MISP feed manifest" in r.output
