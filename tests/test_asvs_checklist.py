"""The ASVS checklist (docs/security.md) stays true to itself and to the tests it cites:
``scripts/asvs_check.py`` without ``--run`` (``make asvs`` also collects the cited tests
with pytest, and ``--run`` runs them)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("asvs_check", ROOT / "scripts" / "asvs_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_checklist_agrees_with_its_summary_gaps_and_tests() -> None:
    assert _checker().check(collect_tests=False) == []


def test_the_checker_finds_a_stale_checklist(tmp_path: Path) -> None:
    checker = _checker()
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| 8.2.2 |"))
    stale = text.replace(row, row.replace("test_nothing_sensitive_is_kept_in_browser_storage",
                                          "test_that_was_renamed")
                         .replace("| met (fixed) |", "| not met |"))
    doc = tmp_path / "security.md"
    doc.write_text(stale, encoding="utf-8")
    found = checker.check(doc, collect_tests=False)
    assert any(p.startswith("V8: the rows count met/n/a/not met (13, 0, 2)") for p in found), found
    assert any(p.startswith("total: the rows count") for p in found), found
    assert any(p.startswith("Gaps lists") and "'8.2.2'" in p for p in found), found
    assert ("cited test not found: tests/browser/test_browser_storage_journey.py::"
            "test_that_was_renamed") in found
    # Statuses are read as the page writes them, notes in brackets included.
    assert [checker.status_of(s) for s in ("met (fixed)", "not met (in part)", "n/a",
                                           "mostly")] == ["met", "not met", "n/a", None]
