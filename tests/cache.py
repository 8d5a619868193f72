"""Things the test run builds once and shares between its processes.

The MISP warning-list index takes ~20 s to compile (about 2.5 million entries); every
test process and every hub process of a run opens the same file instead.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from cyberhub.intel import warninglists

CACHE = Path(__file__).resolve().parents[1] / "var" / "test-cache"


def warninglists_index() -> Path:
    """The path of the run's warning-list index, compiled by the first process to ask."""
    path = CACHE / "warninglists" / warninglists.index_name()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # One process compiles while the others wait for its file (two cores, two workers).
    with open(path.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            warninglists.build_index(path)  # written atomically
    return path


def open_warning_index() -> warninglists.WarningIndex:
    """The hub's index for this test process, opened from the shared file."""
    if warninglists._index is None:
        warninglists._index = warninglists.WarningIndex(warninglists_index())
    return warninglists._index
