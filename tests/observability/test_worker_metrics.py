"""A job worker started apart from the app — ``cyberhub serve --no-worker`` beside
``cyberhub worker``, as the two systemd units run them, with no
``PROMETHEUS_MULTIPROC_DIR`` set — counts into the directory the app's ``/metrics``
reads; and a process starting there removes only the files of processes that have ended,
never those of a process still running."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from cyberhub.intel.synthetic import Generator, bundle_bytes
from cyberhub.observability import multiprocess
from tests.federation import network
from tests.federation.network import HubProcess, org, user
from tests.observability.test_metrics import sample

EMAIL = "ana@alpha-cert.example"


def _import(api: httpx2.Client, seed: int) -> None:
    accepted = api.post("/api/v1/import", params={"tlp": "GREEN"},
                        content=bundle_bytes(list(Generator(seed=seed).objects(5))))
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 60
    while (status := api.get(accepted.headers["Location"]).json())["status"] in (
            "queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status["status"] == "succeeded", status


def _scrape_until(url: str, name: str, value: float, **labels: str) -> str:
    """/metrics once the sample has the value (the worker counts a job just after the
    import it ran is committed); the last scrape either way."""
    deadline = time.monotonic() + 30
    while True:
        text = httpx2.get(url + "/metrics", timeout=30).text
        if sample(text, name, **labels) == value or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def _worker(made: HubProcess) -> subprocess.Popen[bytes]:
    with open(made.root / "worker.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "cyberhub", "worker"], env=made.env,
                                stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_a_separate_workers_job_counts_reach_the_apps_metrics(tmp_path: Path) -> None:
    made = HubProcess("m", tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    made.env.pop(multiprocess.ENV, None)
    try:
        token, = made.setup(org("Alpha CERT"), user(EMAIL, "Alpha CERT"),
                            network.token(EMAIL, scope="write"))
        made.start(worker=True)
        api = httpx2.Client(base_url=made.url, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})

        _import(api, seed=1)
        text = _scrape_until(made.url, "cyberhub_jobs_run_total", 1, task="run_import")
        assert sample(text, "cyberhub_jobs_run_total", task="run_import") == 1
        assert sample(text, "cyberhub_imports_total", format="stix",
                      status="succeeded") == 1
        assert sample(text, "cyberhub_import_objects_total", format="stix") == 5
        served = sample(text, "cyberhub_http_requests_total", method="POST",
                        route="/api/v1/import", status="202")
        assert served == 1
        metrics_dir = tmp_path / "var" / "metrics"
        assert made.worker is not None
        assert list(metrics_dir.glob(f"*_{made.worker.pid}.db"))  # the worker's own files

        # The worker starts again beside the running app: the app's counts stay, the
        # ended worker's files go, and the new worker counts from nothing.
        made.worker.terminate()
        made.worker.wait(timeout=30)
        ended = made.worker.pid
        made.worker = _worker(made)
        _import(api, seed=2)
        text = _scrape_until(made.url, "cyberhub_imports_total", 1, format="stix",
                             status="succeeded")
        assert not list(metrics_dir.glob(f"*_{ended}.db"))
        assert sample(text, "cyberhub_http_requests_total", method="POST",
                      route="/api/v1/import", status="202") == 2
        assert sample(text, "cyberhub_imports_total", format="stix", status="succeeded") == 1
        assert sample(text, "cyberhub_import_objects_total", format="stix") == 5
    finally:
        made.stop()


def test_a_starting_process_clears_only_the_files_of_ended_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set (empty: not chosen) through monkeypatch, so that what prepare() sets is undone
    # after the test and reaches no later one.
    monkeypatch.setenv(multiprocess.ENV, "")
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=30)
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        directory = tmp_path / "var" / "metrics"
        directory.mkdir(parents=True)
        kept = [f"counter_{running.pid}.db", f"histogram_{running.pid}.db",
                f"counter_{os.getpid()}.db",  # this process has counted already
                "notes.txt"]
        gone = [f"counter_{ended.pid}.db", f"histogram_{ended.pid}.db",
                f"gauge_livesum_{ended.pid}.db"]
        for name in kept + gone:
            (directory / name).write_bytes(b"")

        assert multiprocess.prepare(tmp_path / "var") == directory.resolve()
        assert os.environ[multiprocess.ENV] == str(directory.resolve())
        assert sorted(p.name for p in directory.iterdir()) == sorted(kept)

        # An operator's directory is used as it is, and cleared the same way.
        chosen = tmp_path / "chosen"
        monkeypatch.setenv(multiprocess.ENV, str(chosen))
        assert multiprocess.prepare(tmp_path / "var") == chosen and chosen.is_dir()
    finally:
        running.kill()
        running.wait(timeout=30)
