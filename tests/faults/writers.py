"""Load for the fault tests: API clients writing notes and reading the list back while
something fails, every answer kept (method, status, body, seconds)."""

from __future__ import annotations

import threading
import time

import httpx2


class NoteWriters:
    """Three API clients writing notes and reading the list back, every answer kept."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.confirmed: set[str] = set()
        self.answers: list[tuple[str, int, str, float]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(3)]

    def _run(self, worker: int) -> None:
        client = httpx2.Client(base_url=self.url, timeout=30,
                               headers={"Authorization": f"Bearer {self.token}"})
        n = 0
        while not self.stop.is_set():
            n += 1
            title = f"w{worker}-{n}"
            began = time.monotonic()
            if n % 2:
                r = client.post("/api/v1/notes", json={"title": title, "tlp": "GREEN"})
                if r.status_code == 201:
                    self.confirmed.add(title)
            else:
                r = client.get("/api/v1/notes")
            self.answers.append((r.request.method, r.status_code, r.text,
                                 time.monotonic() - began))
        client.close()

    def wait(self, until: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(self.answers) < until:
            assert time.monotonic() < deadline, self.answers[-3:]
            time.sleep(0.05)

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def __enter__(self) -> NoteWriters:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
