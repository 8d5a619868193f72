"""The leak test's case counts, shown at the end of the run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.leak import test_every_read_path as leak

    line = leak.summary_line()
    if line:
        terminalreporter.write_line(line)
