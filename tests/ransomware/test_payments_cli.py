"""``cyberhub ransomware import-payments``: the same checks as the API, from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from cyberhub.cli import app as cli
from cyberhub.db import Database
from cyberhub.ransomware.models import WalletTransaction
from tests.factories import Community

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ransomware" / "payments"


def count(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(WalletTransaction)) or 0)


def test_cli_imports_once_and_refuses_a_bad_file(database: Database, community: Community,
                                                 settings: Any, tmp_path: Path) -> None:
    org = community.org("Alpha")
    community.org("Bravo")
    user = community.user(org, email="cli@x.example")
    args = ["ransomware", "import-payments", str(FIXTURES / "etherscan.csv"), "--as",
            user.email, "--tlp", "AMBER", "--audience", "Bravo"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "2 payments found, 2 stored, 0 already imported" in first.output
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "0 stored, 2 already imported" in again.output
    assert count(database) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("chain,address,txid,time,amount,asset\nbtc,nope,x,now,1,BTC\n")
    result = CliRunner().invoke(cli, ["ransomware", "import-payments", str(bad), "--as",
                                      user.email])
    assert result.exit_code == 1 and "Line 2" in result.stderr
    nobody = CliRunner().invoke(cli, ["ransomware", "import-payments", str(bad), "--as",
                                      "nobody@x.example"])
    assert nobody.exit_code == 1 and "No active user" in nobody.stderr
    assert count(database) == 2
