"""Leak-site posts on the list, the REST list and the family page: only to those who may
see them, filtered and paged, hostile text shown as text; the import form. On both
engines."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cyberhub.db import Database
from tests.factories import Community, bearer, csrf_of, sign_in
from tests.ransomware.conftest import LOCKBIT, WANNACRY
from tests.ransomware.test_leakposts_import import IMPORT, jsonl, post

HOSTILE = "<script>alert('owned')</script>"


class Two:
    """alpha imports; bravo is another member; both have tokens and web sign-ins."""

    def __init__(self, client: TestClient, community: Community) -> None:
        self.client = client
        self.alpha_org, self.bravo_org = community.org("Alpha"), community.org("Bravo")
        self.alpha = community.user(self.alpha_org, email="alpha@x.example")
        self.bravo = community.user(self.bravo_org, email="bravo@x.example")
        self.tokens = {"alpha": community.token(self.alpha, scope="write"),
                       "bravo": community.token(self.bravo, scope="write")}

    def upload(self, who: str, body: bytes, **params: Any) -> Any:
        r = self.client.post(IMPORT, content=body, params=params,
                             headers=bearer(self.tokens[who]))
        assert r.status_code == 201, r.text
        return r.json()

    def api(self, who: str, path: str = "", **params: Any) -> Any:
        return self.client.get("/api/v1/ransomware/leak-posts" + path, params=params,
                               headers=bearer(self.tokens[who]))

    def page(self, who: str, path: str) -> Any:
        self.client.cookies.clear()
        assert sign_in(self.client, f"{who}@x.example").status_code == 303
        return self.client.get(path)


@pytest.fixture
def two(client: TestClient, families: Database, community: Community) -> Two:
    return Two(client, community)


def test_api_lists_only_what_the_marking_allows(two: Two) -> None:
    two.upload("alpha", jsonl(post(post_title="Shared with all")))
    two.upload("alpha", jsonl(post(post_title="Kept to alpha")), tlp="AMBER")
    two.upload("alpha", jsonl(post(post_title="Shared with bravo")), tlp="AMBER",
               org_ids=[str(two.bravo_org.id)])
    mine = {p["post_title"] for p in two.api("alpha").json()["items"]}
    theirs = {p["post_title"]: p for p in two.api("bravo").json()["items"]}
    assert mine == {"Shared with all", "Kept to alpha", "Shared with bravo"}
    assert set(theirs) == {"Shared with all", "Shared with bravo"}
    hidden = next(p["id"] for p in two.api("alpha").json()["items"]
                  if p["post_title"] == "Kept to alpha")
    assert two.api("alpha", f"/{hidden}").status_code == 200
    missing = two.api("bravo", f"/{hidden}")
    assert missing.status_code == 404
    assert missing.json() == two.api("bravo", "/00000000-0000-7000-8000-000000000000").json()
    assert two.client.get("/api/v1/ransomware/leak-posts").status_code == 401


def test_api_filters_and_pages(two: Two) -> None:
    two.upload("alpha", jsonl(
        post(post_title="A", published="2026-01-05", country="FR", activity="Healthcare"),
        post(post_title="B", published="2026-02-10", group_name="WannaCry"),
        post(post_title="C", published="2026-02-20", group_name="unheard-of",
             description="needle in the description"),
        post(post_title="D 100%_match", published="2026-03-01")))

    def titles(**params: Any) -> list[str]:
        r = two.api("bravo", **params)
        assert r.status_code == 200, r.text
        return [p["post_title"] for p in r.json()["items"]]

    assert titles() == ["D 100%_match", "C", "B", "A"]  # newest published first
    assert titles(family=LOCKBIT) == ["D 100%_match", "A"]
    assert titles(family=WANNACRY) == ["B"]
    assert titles(family="none") == ["C"]
    assert titles(group="UNHEARD OF") == ["C"]
    assert titles(country="fr") == ["A"]
    assert titles(sector="Health") == ["A"]
    assert titles(month="2026-02") == ["C", "B"]
    assert titles(q="needle") == ["C"]
    assert titles(q="100%_") == ["D 100%_match"]  # LIKE wildcards are literal
    first = two.api("bravo", limit=3).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = two.api("bravo", limit=3, cursor=first["next_cursor"]).json()
    assert [p["post_title"] for p in rest["items"]] == ["A"] and rest["next_cursor"] is None
    assert two.api("bravo", month="March").status_code == 422


def test_list_page_shows_visible_posts_escaped_and_never_linked(two: Two) -> None:
    two.upload("alpha", jsonl(post(post_title=HOSTILE, website="javascript:alert(1)",
                                   post_url="http://abcdefghijklmnop.onion/leak",
                                   description=HOSTILE)))
    two.upload("alpha", jsonl(post(post_title="Secret victim")), tlp="AMBER")
    page = two.page("bravo", "/ransomware/leak-posts")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(" in page.text and "<script>alert(" not in page.text
    assert "Secret victim" not in page.text
    assert "javascript:alert(1)" in page.text and 'href="javascript' not in page.text
    assert "abcdefghijklmnop.onion/leak" in page.text and 'href="http://abcdefghijklmnop' \
        not in page.text
    assert 'href="/ransomware/leak-posts" aria-current="page"' in page.text  # the nav
    assert "1 post" in page.text
    filtered = two.client.get("/ransomware/leak-posts", params={"country": "DE"})
    assert "No leak-site post you may see" in filtered.text
    own = two.page("alpha", "/ransomware/leak-posts?q=secret")
    assert "Secret victim" in own.text and HOSTILE not in own.text


def test_family_page_counts_charts_and_hides(two: Two) -> None:
    two.upload("alpha", jsonl(post(post_title="Seen by all", published="2025-11-03"),
                              post(post_title="Also seen", published="2026-01-20")))
    two.upload("alpha", jsonl(post(post_title="Alpha only")), tlp="AMBER")
    page = two.page("bravo", f"/ransomware/families/{LOCKBIT}")
    assert page.status_code == 200
    assert "Leak-site posts" in page.text and "2 posts you may see" in page.text
    assert "Seen by all" in page.text and "Alpha only" not in page.text
    data = re.search(r'<script type="application/json" id="leak-data">(.*?)</script>',
                     page.text)
    assert data is not None
    import json

    chart = json.loads(data.group(1))
    assert chart["months"] == ["2025-11", "2025-12", "2026-01"]
    assert chart["counts"] == [1, 0, 1]
    assert '/static/js/leakposts.js' in page.text
    own = two.page("alpha", f"/ransomware/families/{LOCKBIT}")
    assert "3 posts you may see" in own.text and "Alpha only" in own.text
    other = two.page("bravo", f"/ransomware/families/{WANNACRY}")
    assert "No leak-site post of this family is visible to you." in other.text


def test_one_post_stored_by_two_organisations_counts_once(two: Two) -> None:
    two.upload("alpha", jsonl(post()), tlp="AMBER")
    two.upload("bravo", jsonl(post()))  # bravo cannot see alpha's: its own copy
    page = two.page("alpha", f"/ransomware/families/{LOCKBIT}")
    assert "1 post you may see" in page.text


def test_the_import_form(two: Two) -> None:
    form = two.page("alpha", "/ransomware/leak-posts/import")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    assert 'value="CLEAR"' not in form.text
    token = csrf_of(two.client, "/ransomware/leak-posts/import")
    r = two.client.post("/ransomware/leak-posts/import", data={
        "csrf_token": token, "tlp": "GREEN", "mode": "strict"},
        files={"file": ("posts.jsonl", jsonl(post(), post(), post(group_name=HOSTILE,
                                                                   post_title="Other")),
                        "application/x-ndjson")})
    assert r.status_code == 201, r.text
    assert "2 posts stored" in r.text and "1 duplicate left out" in r.text
    assert "Groups matched to no family" in r.text and "&lt;script&gt;" in r.text
    assert "<script>alert(" not in r.text
    bad = two.client.post("/ransomware/leak-posts/import", data={
        "csrf_token": token, "tlp": "GREEN", "mode": "strict"},
        files={"file": ("bad.jsonl", jsonl(post(post_title="New"), post(published="soon",
                                                                         post_title=HOSTILE)),
                        "application/x-ndjson")})
    assert bad.status_code == 422
    assert "Lines to fix" in bad.text and "<td class=\"num\">2</td>" in bad.text
    assert "<script>alert(" not in bad.text
    no_csrf = two.client.post("/ransomware/leak-posts/import", data={"tlp": "GREEN"},
                              files={"file": ("p.jsonl", jsonl(post(post_title="Z")),
                                              "application/x-ndjson")})
    assert no_csrf.status_code == 403
    assert sorted(p["post_title"] for p in two.api("alpha").json()["items"]) == [
        "Demo Harbour Logistics", "Other"]
