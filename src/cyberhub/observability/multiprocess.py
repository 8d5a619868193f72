"""The directory of prometheus-client's multiprocess mode, shared by every process of a hub
on one machine — the app processes of ``cyberhub serve`` and ``cyberhub worker``, however
they are started — so that a scrape of any app process adds up all their counts.

Nothing here imports prometheus-client before ``PROMETHEUS_MULTIPROC_DIR`` is set: the
library chooses between in-process and file-backed values when it is first imported.

Each process writes its own files (``counter_<pid>.db``, ``histogram_<pid>.db``, …). A
process that starts removes the files of processes that have ended (after
``mark_process_dead``, which drops their live gauges), as prometheus-client asks for a
directory emptied between runs; it never touches the files of a process still running,
so a worker (re)starting beside a running ``serve``, or the other way round, loses none of
the other's counts. The counts of an ended process are dropped with its files: Prometheus
reads the lower total as a counter reset, as it would for a single process restarting.
Process ids are those of this machine: the directory belongs to one machine (one process
namespace), never to a disk shared between machines or containers."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Final

ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
_FILE = re.compile(r"^[a-z]+(?:_[a-z]+)*_(\d+)\.db$")


def prepare(var_dir: Path) -> Path:
    """Choose the directory for this process and the processes it starts — the operator's
    ``PROMETHEUS_MULTIPROC_DIR``, else ``<var>/metrics`` —, make it, and clear the files
    of processes that have ended. Call before anything imports prometheus-client."""
    chosen = os.environ.get(ENV)
    path = Path(chosen) if chosen else (var_dir / "metrics").resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    # Files under this very process id are a former process's (a container's process ids
    # repeat from one start to the next) while this one has counted nothing yet.
    counted_here = "prometheus_client" in sys.modules
    from prometheus_client import multiprocess

    for pid, files in sorted(_files_by_pid(path).items()):
        if pid == os.getpid() and counted_here:
            continue
        if pid != os.getpid() and _alive(pid):
            continue
        multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
        for file in files:
            file.unlink(missing_ok=True)
    return path


def _files_by_pid(path: Path) -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for file in path.iterdir():
        if match := _FILE.match(file.name):
            found.setdefault(int(match.group(1)), []).append(file)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (PermissionError): alive
        return True
    return True
