"""REST: /api/v1/misp-feeds — who may manage a subscription, the error bodies, the
token and CSRF rules, polling now, and the audit trail."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.audit import AuditEntry
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.federation import service
from cyberhub.web import csrf
from tests.factories import Community, bearer, sign_in

from .conftest import BASE_TIME, Feed, FeedServer


class Api:
    def __init__(self, client: TestClient, community: Community) -> None:
        self.client, self.community = client, community
        self.tokens: dict[str, str] = {}

    def _h(self, user: User, scope: str = "write") -> dict[str, str]:
        key = f"{user.id}:{scope}"
        if key not in self.tokens:
            self.tokens[key] = self.community.token(user, scope=scope)
        return bearer(self.tokens[key])

    def get(self, user: User, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self._h(user, "read"), **kw)

    def post(self, user: User, path: str, json: Any = None, scope: str = "write") -> Any:
        return self.client.post("/api/v1" + path, headers=self._h(user, scope), json=json)

    def patch(self, user: User, path: str, json: Any) -> Any:
        return self.client.patch("/api/v1" + path, headers=self._h(user), json=json)

    def delete(self, user: User, path: str) -> Any:
        return self.client.delete("/api/v1" + path, headers=self._h(user))


@pytest.fixture
def api(client: TestClient, community: Community) -> Api:
    return Api(client, community)


def audit_actions(database: Database) -> list[tuple[str, str | None]]:
    with database.transaction() as s:
        return [(e.action, e.target_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("misp_feed.%"))
            .order_by(AuditEntry.seq))]


def test_manage_a_feed_and_poll_it_now(api, database, analyst, feed: Feed, server: FeedServer):
    feed.add(BASE_TIME, "a.example")
    r = api.post(analyst, "/misp-feeds", {"name": "CIRCL OSINT", "url": server.url("feed/"),
                                          "tlp": "GREEN", "interval_minutes": 30})
    assert r.status_code == 201, r.text
    body = r.json()
    feed_id = body["id"]
    assert r.headers["location"] == f"/api/v1/misp-feeds/{feed_id}"
    assert body["last_status"] == "new" and body["cursor"] is None
    assert body["run_as_id"] == str(analyst.id) and body["tlp"] == "GREEN"
    assert [f["name"] for f in api.get(analyst, "/misp-feeds").json()["items"]] == ["CIRCL OSINT"]

    r = api.post(analyst, f"/misp-feeds/{feed_id}/poll")
    assert r.status_code == 202, r.text
    # background jobs run in-process in the tests: the poll is done
    done = api.get(analyst, f"/misp-feeds/{feed_id}").json()
    assert done["last_status"] == "ok", done["last_error"]
    assert done["cursor"] == BASE_TIME and done["events_imported"] == 1
    assert done["cursor_time"].startswith("2025-03-01T12:00:00")
    job = api.get(analyst, done["links"]["last_import"].removeprefix("/api/v1")).json()
    assert job["status"] == "succeeded" and job["filename"] == "misp-feed:CIRCL OSINT"

    r = api.patch(analyst, f"/misp-feeds/{feed_id}", {"enabled": False, "pap": "AMBER"})
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["pap"] == "AMBER"
    r = api.patch(analyst, f"/misp-feeds/{feed_id}", {"pap": None})
    assert r.json()["pap"] is None
    assert api.delete(analyst, f"/misp-feeds/{feed_id}").status_code == 204
    assert api.get(analyst, f"/misp-feeds/{feed_id}").status_code == 404
    assert [a for a, _ in audit_actions(api.community.db)] == [
        "misp_feed.create", "misp_feed.update", "misp_feed.update", "misp_feed.delete"]


def test_who_may_manage_feeds(api, analyst, admin, reader, outsider, community):
    r = api.post(analyst, "/misp-feeds", {"name": "F", "url": "https://feeds.example/osint/"})
    assert r.status_code == 201
    fid = r.json()["id"]
    # readers of the organisation: refused, with the usual error body
    r = api.post(reader, "/misp-feeds", {"name": "G", "url": "https://feeds.example/g/"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    assert api.get(reader, "/misp-feeds").status_code == 403
    assert api.get(reader, f"/misp-feeds/{fid}").status_code == 403
    # another organisation: as if it did not exist
    for response in (api.get(outsider, f"/misp-feeds/{fid}"),
                     api.patch(outsider, f"/misp-feeds/{fid}", {"enabled": False}),
                     api.delete(outsider, f"/misp-feeds/{fid}"),
                     api.post(outsider, f"/misp-feeds/{fid}/poll"),
                     api.get(outsider, "/misp-feeds/not-an-id")):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert api.get(outsider, "/misp-feeds").json()["items"] == []
    # admins manage the analyst's feed; only admins let a feed import as someone else
    assert api.patch(admin, f"/misp-feeds/{fid}", {"interval_minutes": 120}).status_code == 200
    r = api.patch(analyst, f"/misp-feeds/{fid}", {"run_as": str(admin.id)})
    assert r.status_code == 403
    r = api.patch(admin, f"/misp-feeds/{fid}", {"run_as": str(reader.id)})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "run_as"
    r = api.patch(admin, f"/misp-feeds/{fid}", {"run_as": str(admin.id)})
    assert r.status_code == 200 and r.json()["run_as_id"] == str(admin.id)


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"name": "F", "url": "ftp://feeds.example/"}, "url", 422),
    ({"name": "F", "url": "feeds/osint"}, "url", 422),
    ({"name": "F", "url": "/srv/feeds/osint"}, "url", 422),  # local dirs: operator only
    ({"name": "F", "url": "http://10.0.0.8/feed/"}, "url", 422),
    ({"name": "F", "url": "https://feeds.example/", "tlp": "PURPLE"}, "tlp", 422),
    ({"name": "F", "url": "https://feeds.example/", "interval_minutes": 2},
     "interval_minutes", 422),
    ({"name": "\x07", "url": "https://feeds.example/"}, "name", 422),
    ({"name": "F", "url": "https://feeds.example/", "tlp": "GREEN",
      "audience": {"org_ids": ["00000000-0000-4000-8000-000000000000"]}}, "audience", 422),
])
def test_bad_input_is_refused_with_the_field(api, analyst, body, field, code):
    r = api.post(analyst, "/misp-feeds", body)
    assert r.status_code == code, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and error["message"]
    assert error["details"]["field"] == field or field in str(error["details"])
    assert api.get(analyst, "/misp-feeds").json()["items"] == []


def test_feeds_are_fetched_over_tls_unless_the_operator_allows_http(api, analyst, settings):
    """ASVS 9.2.2: a feed's content and the credentials its URL may carry do not cross
    the network in clear; http:// only where the operator says so."""
    r = api.post(analyst, "/misp-feeds", {"name": "Plain", "url": "http://feeds.example/p/"})
    assert r.status_code == 422, r.text
    assert "https://" in r.json()["error"]["message"]
    assert r.json()["error"]["details"]["field"] == "url"
    # An intranet MISP named by its address, once private addresses are allowed.
    settings.misp_feed_private_addresses = True
    r = api.post(analyst, "/misp-feeds", {"name": "Intranet", "url": "http://10.0.0.8/feed/"})
    assert r.status_code == 201, r.text
    r = api.post(analyst, "/misp-feeds", {"name": "Plain", "url": "http://feeds.example/p/"})
    assert r.status_code == 422, r.text
    settings.misp_feed_allow_http = True
    r = api.post(analyst, "/misp-feeds", {"name": "Plain", "url": "http://feeds.example/p/"})
    assert r.status_code == 201, r.text


def test_a_redirect_from_https_to_http_is_not_followed():
    from cyberhub.formats.misp import feeds

    limits = feeds.Limits(max_bytes=1, max_events=1, connect_timeout=1, read_timeout=1,
                          private_addresses=True)
    fetcher = feeds._Http("https://feeds.example/osint/", limits)
    try:
        with pytest.raises(feeds.FeedError, match="https://"):
            fetcher._check_host(httpx2.URL("http://feeds.example/osint/manifest.json"))
        fetcher._check_host(httpx2.URL("https://feeds.example/osint/manifest.json"))
        fetcher._check_host(httpx2.URL("http://127.0.0.1:8080/osint/manifest.json"))
    finally:
        fetcher.close()


def test_names_are_unique_per_organisation(api, analyst, outsider):
    body = {"name": "OSINT", "url": "https://feeds.example/osint/"}
    assert api.post(analyst, "/misp-feeds", body).status_code == 201
    r = api.post(analyst, "/misp-feeds", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert api.post(outsider, "/misp-feeds", body).status_code == 201


def test_a_url_with_a_password_is_never_shown(api, analyst, database):
    r = api.post(analyst, "/misp-feeds", {"name": "Private",
                                          "url": "https://bob:s3cret@feeds.example/p/"})
    assert r.status_code == 201
    assert "s3cret" not in r.text and r.json()["url"] == "https://feeds.example/p/"
    with database.transaction() as s:
        details = [str(e.details) for e in s.scalars(select(AuditEntry))]
    assert not any("s3cret" in d for d in details)


def test_tokens_and_csrf(api, client, analyst):
    body = {"name": "F", "url": "https://feeds.example/f/"}
    r = api.post(analyst, "/misp-feeds", body, scope="read")
    assert r.status_code == 403, "a read token may not subscribe"
    assert client.get("/api/v1/misp-feeds").status_code == 401
    browser = TestClient(client.app, base_url="http://testserver")
    assert sign_in(browser, analyst.email).status_code == 303
    assert browser.post("/api/v1/misp-feeds", json=body).status_code == 403
    header = {csrf.HEADER: csrf.token_for(browser.cookies["cyberhub_session"], None)}
    assert browser.post("/api/v1/misp-feeds", json=body, headers=header).status_code == 201


def test_poll_now_while_polling_is_a_conflict(api, database, analyst):
    fid = api.post(analyst, "/misp-feeds", {"name": "F", "url": "https://feeds.example/f/"}
                   ).json()["id"]
    assert service.claim(database, uuid.UUID(fid))
    r = api.post(analyst, f"/misp-feeds/{fid}/poll")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"


def test_local_feeds_only_under_the_allowed_directories(api, analyst, settings, tmp_path):
    allowed = tmp_path / "feeds"
    (allowed / "osint").mkdir(parents=True)
    settings.misp_feed_dirs = str(allowed)
    r = api.post(analyst, "/misp-feeds", {"name": "A", "url": str(allowed / "osint")})
    assert r.status_code == 201, r.text
    for url in (str(tmp_path / "elsewhere"), f"{allowed}/../elsewhere"):
        r = api.post(analyst, "/misp-feeds", {"name": "B", "url": url})
        assert r.status_code == 422 and "CYBERHUB_MISP_FEED_DIRS" in r.json()["error"]["message"]
