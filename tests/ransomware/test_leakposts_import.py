"""Leak-site post import: JSON Lines in → stored records; both key spellings; dedup in
a file, across imports and across organisations (without revealing what the importer
may not see); every bad line refused whole, named by its number; the CLI. On both
engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cyberhub.cli import app as cli
from cyberhub.db import Database
from cyberhub.ransomware.models_leakposts import LeakPost, LeakPostImport
from cyberhub.sharing import AudienceEntry
from tests.factories import Community, bearer
from tests.ransomware.conftest import LOCKBIT, WANNACRY

IMPORT = "/api/v1/ransomware/leak-posts/import"


def post(**over: Any) -> dict[str, Any]:
    """A post as ransomware.live publishes it."""
    body: dict[str, Any] = {
        "post_title": "Demo Harbour Logistics", "group_name": "lockbit3",
        "discovered": "2026-03-14 10:12:45.123456", "published": "2026-03-14 09:30:00.000000",
        "description": "The group claims 120 GB.", "website": "harbour-logistics.example",
        "post_url": "http://lockbit-demo.example/post/1", "country": "NL",
        "activity": "Transportation/Logistics"}
    body.update(over)
    return body


def jsonl(*items: Any) -> bytes:
    return b"".join((i if isinstance(i, bytes) else json.dumps(i).encode()) + b"\n"
                    for i in items)


class Hub:
    def __init__(self, client: TestClient, database: Database, community: Community) -> None:
        self.client, self.database = client, database
        self.tokens: dict[str, str] = {}
        self.orgs: dict[str, Any] = {}
        self.users: dict[str, Any] = {}
        for name in ("alpha", "bravo", "charlie"):
            self.orgs[name] = community.org(name.title())
            self.users[name] = community.user(self.orgs[name], email=f"{name}@x.example")
            self.tokens[name] = community.token(self.users[name], scope="write")

    def upload(self, who: str, body: bytes, **params: Any) -> Any:
        return self.client.post(IMPORT, content=body, params=params,
                                headers={**bearer(self.tokens[who]),
                                         "content-type": "application/x-ndjson"})

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get("/api/v1/ransomware" + path, params=params,
                               headers=bearer(self.tokens[who]))

    def count(self, model: Any = LeakPost, *where: Any) -> int:
        with self.database.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def rows(self) -> list[LeakPost]:
        with self.database.transaction() as s:
            return list(s.scalars(select(LeakPost).order_by(LeakPost.published)))


@pytest.fixture
def hub(client: TestClient, families: Database, community: Community) -> Hub:
    return Hub(client, families, community)


def test_a_monitor_file_becomes_stored_posts(hub: Hub) -> None:
    r = hub.upload("alpha", jsonl(post(), post(post_title="Demo Meadow Clinic",
                                               group_name="WanaCrypt0r 2.0", country="fr",
                                               activity="Healthcare")),
                   filename="posts.jsonl")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["lines"], body["stored"], body["duplicates"], body["error_count"]) == (
        2, 2, 0, 0)
    assert body["matched"] == {"lockbit3": "LockBit", "WanaCrypt0r 2.0": "WannaCry"}
    rows = {r.post_title: r for r in hub.rows()}
    lb = rows["Demo Harbour Logistics"]
    assert (lb.family_ref, lb.family_name, lb.group_name) == (LOCKBIT, "LockBit", "lockbit3")
    assert lb.published == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert lb.discovered == datetime(2026, 3, 14, 10, 12, 45, 123456, tzinfo=UTC)
    assert (lb.site, lb.post_url) == ("harbour-logistics.example",
                                      "http://lockbit-demo.example/post/1")
    assert (lb.country, lb.sector, lb.tlp.value) == ("NL", "Logistic", "GREEN")
    assert lb.import_id == body["import_id"] or str(lb.import_id) == body["import_id"]
    assert lb.owner_org_id == hub.orgs["alpha"].id and not lb.is_demo
    wc = rows["Demo Meadow Clinic"]
    assert (wc.family_ref, wc.country, wc.sector) == (WANNACRY, "FR", "Health")
    with hub.database.transaction() as s:
        job = s.get(LeakPostImport, lb.import_id)
        assert job is not None and (job.filename, job.stored, job.lines) == (
            "posts.jsonl", 2, 2)


def test_the_other_key_spellings(hub: Hub) -> None:
    other = {"title": "Demo Granite Engineering", "group": "ALPHV", "discovered_at":
             "2026-02-01T08:00:00Z", "published_at": "2026-02-01", "summary": "Line one\nline two",
             "site": "granite.example", "url": "http://alphv.example/x", "country": "Germany",
             "sector": "manufacturing"}
    r = hub.upload("alpha", jsonl(other))
    assert r.status_code == 201, r.text
    [row] = hub.rows()
    assert (row.post_title, row.group_name, row.site, row.post_url) == (
        "Demo Granite Engineering", "ALPHV", "granite.example", "http://alphv.example/x")
    assert row.description == "Line one\nline two"
    assert row.published == datetime(2026, 2, 1, tzinfo=UTC)
    assert row.discovered == datetime(2026, 2, 1, 8, tzinfo=UTC)
    assert (row.country, row.sector) == ("DE", "Manufacturing")
    assert row.family_ref is None  # no BlackCat in the small galaxy
    assert r.json()["unmatched"] == {"ALPHV": 1}


def test_unknown_sector_and_country_are_kept_empty_with_a_notice(hub: Hub) -> None:
    r = hub.upload("alpha", jsonl(post(country="Atlantis", activity="Alchemy"),
                                  post(post_title="B", country="", activity="Not Found",
                                       published="")))
    assert r.status_code == 201, r.text
    notices = r.json()["notices"]
    assert any("Line 1" in n and "Atlantis" in n for n in notices)
    assert any("Line 1" in n and "Alchemy" in n for n in notices)
    assert any("Line 2" in n and "published" in n for n in notices)
    assert not any("Not Found" in n for n in notices)
    rows = {r.post_title: r for r in hub.rows()}
    assert (rows["Demo Harbour Logistics"].country, rows["Demo Harbour Logistics"].sector) == (
        None, None)
    assert rows["B"].published == rows["B"].discovered


def test_the_same_post_in_a_file_and_again_is_stored_once(hub: Hub) -> None:
    same = post(post_title="  demo HARBOUR   logistics ", group_name="LockBit 3",
                website="https://www.Harbour-Logistics.example/")
    r = hub.upload("alpha", jsonl(post(), same, post(post_title="Other")))
    assert r.status_code == 201, r.text
    assert (r.json()["stored"], r.json()["duplicates"]) == (2, 1)
    again = hub.upload("alpha", jsonl(post(), post(post_title="Third")))
    assert (again.json()["stored"], again.json()["duplicates"]) == (1, 1)
    assert hub.count() == 3
    assert hub.count(LeakPostImport) == 2


def test_dedup_across_organisations_reveals_nothing_hidden(hub: Hub) -> None:
    # alpha keeps the post to itself; bravo cannot see it, so bravo's copy is stored
    # and bravo learns nothing.
    assert hub.upload("alpha", jsonl(post()), tlp="AMBER").status_code == 201
    r = hub.upload("bravo", jsonl(post()), tlp="GREEN")
    assert (r.json()["stored"], r.json()["duplicates"]) == (1, 0)
    # charlie sees bravo's GREEN post: a duplicate, not stored again.
    r = hub.upload("charlie", jsonl(post()), tlp="AMBER")
    assert (r.json()["stored"], r.json()["duplicates"]) == (0, 1)
    assert hub.count() == 2


def test_audience_and_marking(hub: Hub) -> None:
    bravo = str(hub.orgs["bravo"].id)
    r = hub.upload("alpha", jsonl(post()), tlp="AMBER", org_ids=[bravo])
    assert r.status_code == 201, r.text
    [row] = hub.rows()
    assert row.tlp.value == "AMBER"
    assert hub.count(AudienceEntry, AudienceEntry.record_id == row.id) == 1
    refused = hub.upload("alpha", jsonl(post(post_title="x")), tlp="CLEAR")
    assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "tlp"
    assert hub.count() == 1


LONG = "x" * (64 * 1024 + 10)


@pytest.mark.parametrize(("bad", "field", "words"), [
    (post(published="yesterday"), "published", "not a date"),
    (post(discovered="2031-01-01"), "discovered", "future"),
    (post(discovered="2001-01-01"), "discovered", "before 2010"),
    ({k: v for k, v in post().items() if k != "group_name"}, "group_name", "missing"),
    ({k: v for k, v in post().items() if k != "post_title"}, "post_title", "missing"),
    ({k: v for k, v in post().items() if k != "discovered"}, "discovered", "missing"),
    (post(description="d" * 5001), "description", "at most 5000"),
    (post(post_title="t" * 501), "post_title", "at most 500"),
    (post(post_title=12), "post_title", "must be text"),
    ([post()], "line", "not a JSON object"),
    (b'{"post_title": "x", ', "line", "not valid JSON"),
    (b'{"post_title": "\xff\xfe"}', "line", "UTF-8"),
    (json.dumps(post(description=LONG)).encode(), "line", "longer than"),
])
def test_a_bad_line_stores_nothing_and_is_named(hub: Hub, bad: Any, field: str,
                                                words: str) -> None:
    r = hub.upload("alpha", jsonl(post(post_title="Good one"), bad,
                                  post(post_title="Good two")))
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    assert details["error_count"] == 1
    [error] = details["errors"]
    assert (error["line"], error["field"]) == (2, field)
    assert words in error["problem"]
    assert "nothing was stored" in r.json()["error"]["message"]
    assert hub.count() == 0 and hub.count(LeakPostImport) == 0


def test_every_bad_line_is_listed_and_lenient_mode_keeps_the_good(hub: Hub) -> None:
    body = jsonl(post(post_title="A"), b"", b"nope", post(post_title="B"), [1],
                 post(post_title="C", published="2026-13-40"))
    r = hub.upload("alpha", body)
    assert r.status_code == 422
    assert [e["line"] for e in r.json()["error"]["details"]["errors"]] == [3, 5, 6]
    assert hub.count() == 0
    r = hub.upload("alpha", body, mode="lenient")
    assert r.status_code == 201, r.text
    assert (r.json()["stored"], r.json()["skipped"], r.json()["lines"]) == (2, 3, 5)
    assert sorted(p.post_title for p in hub.rows()) == ["A", "B"]


def test_an_empty_file_and_a_reader_are_refused(hub: Hub, community: Community) -> None:
    r = hub.upload("alpha", b"\n\n")
    assert r.status_code == 422 and "no posts" in r.json()["error"]["message"]
    reader = community.user(hub.orgs["alpha"], role="reader", email="reader@x.example")
    token = community.token(reader, scope="write")
    r = hub.client.post(IMPORT, content=jsonl(post()), headers=bearer(token))
    assert r.status_code == 403
    assert hub.count() == 0


def test_a_file_past_the_limit_is_refused(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberhub.ransomware import leakposts

    monkeypatch.setattr(leakposts, "MAX_FILE_BYTES", 1000)
    r = hub.upload("alpha", jsonl(*(post(post_title=f"P{i}") for i in range(10))))
    assert r.status_code == 413 and "larger than" in r.json()["error"]["message"]
    assert hub.count() == 0


def test_a_large_file_streams_in_batches(hub: Hub) -> None:
    body = jsonl(*(post(post_title=f"Demo Victim {i}") for i in range(1200)))
    r = hub.upload("alpha", body)
    assert r.status_code == 201, r.text
    assert r.json()["stored"] == 1200 and hub.count() == 1200


runner = CliRunner()


def test_the_cli_imports_and_reports_bad_lines(hub: Hub, tmp_path: Path) -> None:
    good = tmp_path / "posts.jsonl"
    good.write_bytes(jsonl(post(), post(post_title="Second", group_name="unheard-of")))
    result = runner.invoke(cli, ["ransomware", "import-leak-posts", str(good),
                                 "--as", "alpha@x.example", "--tlp", "AMBER"])
    assert result.exit_code == 0, result.output
    assert "2 posts stored" in result.output and "unheard-of (1)" in result.output
    assert {p.tlp.value for p in hub.rows()} == {"AMBER"}
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(post(post_title="Third"), post(published="soon")))
    result = runner.invoke(cli, ["ransomware", "import-leak-posts", str(bad),
                                 "--as", "alpha@x.example"])
    assert result.exit_code == 1
    assert "line 2, published" in result.output
    assert hub.count() == 2


def test_a_race_with_another_import_answers_409_and_stores_nothing(
        hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberhub.ransomware import leakposts

    assert hub.upload("alpha", jsonl(post())).status_code == 201
    # As if a concurrent import stored the post between the lookup and the insert.
    monkeypatch.setattr(leakposts, "_known", lambda *_a, **_k: set())
    r = hub.upload("alpha", jsonl(post(post_title="New"), post()))
    assert r.status_code == 409, r.text
    assert "Another import" in r.json()["error"]["message"]
    assert hub.count() == 1 and hub.count(LeakPostImport) == 1
