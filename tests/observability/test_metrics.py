"""/metrics: labelled by route template, counting jobs, imports, sync lag and queue depth;
open to loopback and to the bearer token, a 404 for everyone else."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from huey import signals

from cyberhub import jobs
from cyberhub.db import Database, utcnow
from cyberhub.federation.models import Peer
from cyberhub.observability import metrics
from tests.factories import Community, bearer

LOOPBACK = ("127.0.0.1", 50000)


def scrape(app, **kw) -> str:  # type: ignore[no-untyped-def]
    with TestClient(app, client=LOOPBACK) as c:
        r = c.get("/metrics", **kw)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample, or None when it is not exposed."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def test_requests_are_labelled_by_route_template(app, client, community: Community) -> None:
    org = community.org("CERT-EU")
    token = community.token(community.user(org))
    before = scrape(app)
    unknown = uuid.uuid4()
    route = {"method": "GET", "route": "/api/v1/notes/{note_id}", "status": "404"}
    count0 = sample(before, "cyberhub_http_requests_total", **route) or 0
    for _ in range(2):
        assert client.get(f"/api/v1/notes/{unknown}", headers=bearer(token)).status_code == 404
    client.get("/no/such/page/path-probe-12345")
    client.request("BREW", "/api/v1/notes")
    text = scrape(app)
    assert sample(text, "cyberhub_http_requests_total", **route) == count0 + 2
    assert sample(text, "cyberhub_http_request_duration_seconds_count", method="GET",
                  route="/api/v1/notes/{note_id}") is not None
    assert sample(text, "cyberhub_http_requests_total", route=metrics.UNMATCHED,
                  status="404") is not None
    assert sample(text, "cyberhub_http_requests_total", method="other",
                  route="/api/v1/notes") is not None
    assert 'method="BREW"' not in text
    # No raw path, id or value ever becomes a label.
    # (A probe made of letters: a sample's timestamp may hold any run of digits.)
    assert str(unknown) not in text and "path-probe" not in text
    assert token not in text


def test_jobs_imports_queue_and_partners(app, database: Database,
                                         community: Community) -> None:
    org = community.org("Hub Lyon", kind="international-organisation")
    user = community.user(org)
    with database.transaction() as s:
        s.add(Peer(name="Lyon", url="https://lyon.example/taxii2/c/", org_id=org.id,
                   run_as_id=user.id, last_success_at=utcnow() - timedelta(minutes=10)))
        s.add(Peer(name="Paused", url="https://p.example/taxii2/c/", org_id=
                   community.org("Paused hub").id, run_as_id=user.id, enabled=False))
    before = scrape(app)
    jobs.announce_deconfliction()  # runs at once in the tests (huey immediate mode)
    metrics.record_import("stix", "succeeded", 7, 1)
    text = scrape(app)
    ran = sample(text, "cyberhub_jobs_run_total", task="announce_deconfliction")
    assert ran == (sample(before, "cyberhub_jobs_run_total",
                          task="announce_deconfliction") or 0) + 1
    assert sample(text, "cyberhub_imports_total", format="stix", status="succeeded")
    assert sample(text, "cyberhub_import_objects_total", format="stix") == (
        sample(before, "cyberhub_import_objects_total", format="stix") or 0) + 7
    lag = sample(text, "cyberhub_federation_sync_lag_seconds", partner="Lyon")
    assert lag is not None and 590 <= lag <= 700
    assert sample(text, "cyberhub_federation_sync_lag_seconds", partner="Paused") is None
    assert sample(text, "cyberhub_jobs_pending") == 0


@jobs.huey.task()
def always_fails() -> None:
    raise RuntimeError("boom")


def test_failed_jobs_are_counted(app) -> None:
    before = sample(scrape(app), "cyberhub_jobs_failed_total", task="always_fails") or 0
    always_fails()  # huey keeps the error in the result (and logs it)
    text = scrape(app)
    assert sample(text, "cyberhub_jobs_failed_total", task="always_fails") == before + 1
    # A job that ran out of time (huey's timeout signal) failed too.
    jobs.huey._emit(signals.SIGNAL_TIMEOUT, always_fails.s())
    text = scrape(app)
    assert sample(text, "cyberhub_jobs_failed_total", task="always_fails") == before + 2
    assert sample(text, "cyberhub_jobs_run_total", task="always_fails") == before + 2


def test_real_import_is_counted(app, client, community: Community) -> None:
    org = community.org("Bank")
    token = community.token(community.user(org), scope="write")
    before = sample(scrape(app), "cyberhub_imports_total", format="stix",
                    status="succeeded") or 0
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"}]}
    r = client.post("/api/v1/import?tlp=GREEN", content=json.dumps(bundle),
                    headers={**bearer(token), "Content-Type": "application/stix+json"})
    assert r.status_code in (200, 201, 202), r.text
    assert sample(scrape(app), "cyberhub_imports_total", format="stix",
                  status="succeeded") == before + 1


@pytest.mark.parametrize("headers", [{}, {"X-Forwarded-For": "198.51.100.7"},
                                     {"Forwarded": "for=198.51.100.7"}])
def test_only_loopback_without_proxy_headers(app, headers: dict[str, str]) -> None:
    with TestClient(app, client=LOOPBACK) as c:
        r = c.get("/metrics", headers=headers)
    assert r.status_code == (200 if not headers else 404)


def test_others_get_404(client) -> None:
    r = client.get("/metrics")  # the test client's peer is not loopback
    assert r.status_code == 404
    assert "cyberhub_" not in r.text


def test_bearer_token(app, settings) -> None:
    settings.metrics_token = "scrape-secret-0123456789"
    with TestClient(app, client=("203.0.113.5", 4000)) as c:
        assert c.get("/metrics").status_code == 404
        assert c.get("/metrics", headers=bearer("wrong")).status_code == 404
        ok = c.get("/metrics", headers=bearer("scrape-secret-0123456789"))
        assert ok.status_code == 200 and "cyberhub_http_requests_total" in ok.text
        # Through a proxy too, with the token.
        assert c.get("/metrics", headers={**bearer("scrape-secret-0123456789"),
                                          "X-Forwarded-For": "198.51.100.7"}).status_code == 200
    settings.metrics_loopback = False
    with TestClient(app, client=LOOPBACK) as c:
        assert c.get("/metrics").status_code == 404


def test_security_refusals_are_counted_by_code(app, client) -> None:
    """ASVS V8.1.4, V11.1.8: a burst of refusals shows in one counter, ready to alert on."""
    labels = {"status": "401", "code": "not_authenticated"}
    before = sample(scrape(app), "cyberhub_security_refusals_total", **labels) or 0
    for _ in range(3):
        assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer("not-a-token")).status_code == 401
    text = scrape(app)
    assert sample(text, "cyberhub_security_refusals_total", **labels) == before + 4
    assert "not-a-token" not in text
