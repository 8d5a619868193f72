"""Things the test run builds once and shares between its processes.

The MISP warning-list index takes ~20 s to compile (about 2.5 million entries); every
test process and every hub process of a run opens the same file instead. The compiled
page templates are shared by the hub processes the same way.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from cyberhub.intel import warninglists

CACHE = Path(__file__).resolve().parents[1] / "var" / "test-cache"


def template_cache() -> Path:
    """A compiled-template directory (``web.render.use_bytecode_cache``) for every hub
    process the run starts: the first compiles the pages, the rest load them."""
    path = CACHE / "templates"
    path.mkdir(parents=True, exist_ok=True)
    return path


def share_template_cache(var_dir: Path) -> None:
    """Point a hub's ``var/cache/templates`` at the run's shared one."""
    link = var_dir / "cache" / "templates"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(template_cache(), target_is_directory=True)


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
