"""The choke-points page: what a member may see, ranked and explained."""

from __future__ import annotations

import html
import re

from tests.atlas.test_chokepoints import ecosystem  # noqa: F401 - the fixture
from tests.web.helpers import login


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_ranks_what_the_member_may_see(client, community, ecosystem):  # noqa: F811
    login(client, ecosystem["gina"].email)
    r = client.get("/atlas/chokepoints", params={"category": "service"})
    assert r.status_code == 200
    page = text_of(r.text)
    assert "Bulletproof Example" in page
    assert "Used by 3 actors (through other infrastructure)" in page
    assert "Secret Group" not in r.text
    assert f'href="/objects/{ecosystem["hoster"]["id"]}"' in r.text
    assert '<meter class="chokepoint-meter" min="0" max="3" value="3"' in r.text


def test_the_owner_of_more_sees_more(client, community, ecosystem):  # noqa: F811
    login(client, ecosystem["ben"].email)
    page = text_of(client.get("/atlas/chokepoints").text)
    assert "Used by 4 actors (through other infrastructure)" in page
    assert "Secret Group" in page


def test_bad_filters_say_what_is_wrong(client, community, ecosystem):  # noqa: F811
    login(client, ecosystem["ana"].email)
    for params, message in (({"depth": "9"}, "depth must be between 1 and 4"),
                            ({"depth": "x"}, "depth must be between 1 and 4"),
                            ({"category": "planets"}, "Unknown category 'planets'")):
        r = client.get("/atlas/chokepoints", params=params)
        assert r.status_code == 422 and message in html.unescape(r.text)


def test_visitors_must_sign_in(client):
    r = client.get("/atlas/chokepoints", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
