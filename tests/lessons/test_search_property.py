"""Property: lesson search returns exactly the visible lessons that match — never one
the searcher may not read — on both engines."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Hub

WORDS = ("mule", "phishing", "panel", "wallet", "kit", "bank")
TAGS = ("fraud", "ransomware", "takedown")
WHO = ("a_analyst", "a_reader", "a_admin", "b_analyst", "b_admin", "admin")


def _markings(hub: Hub) -> list[dict[str, Any]]:
    group = hub.community.group(orgs=[hub.beta])
    return [
        {"tlp": "CLEAR"}, {"tlp": "GREEN"},
        {"tlp": "AMBER"}, {"tlp": "AMBER", "audience": {"org_ids": [str(hub.beta.id)]}},
        {"tlp": "AMBER", "audience": {"group_ids": [str(group.id)]}},
        {"tlp": "AMBER+STRICT", "audience": {"org_ids": [str(hub.alpha.id)]}},
        {"tlp": "AMBER+STRICT", "audience": {"group_ids": [str(group.id)]}},
        {"tlp": "RED"}, {"tlp": "RED", "audience": {"user_ids": [str(hub.users["b_admin"].id)]}},
    ]


@pytest.fixture
def library(hub: Hub) -> dict[str, Any]:
    lessons: dict[str, dict[str, Any]] = {}
    combos = itertools.cycle(itertools.combinations(WORDS, 2))
    for i, marking in enumerate(_markings(hub)):
        for author in ("a_analyst", "b_analyst"):
            words = next(combos)
            tags = [TAGS[i % 3]] + ([TAGS[(i + 1) % 3]] if author == "b_analyst" else [])
            r = hub.post(author, "/lessons", {"title": f"Lesson {i} {words[0]}",
                                              "what_worked": f"Found via {words[1]}.",
                                              "tags": tags} | marking)
            assert r.status_code == 201, r.text
            lessons[r.json()["id"]] = {"words": set(words), "tags": set(tags)}
    visible = {who: {lid for lid in lessons
                     if hub.get(who, f"/lessons/{lid}").status_code == 200} for who in WHO}
    # The world is meaningful: everyone sees something, nobody sees everything.
    assert all(0 < len(v) < len(lessons) for v in visible.values())
    return {"hub": hub, "lessons": lessons, "visible": visible}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=st.sampled_from(WHO),
       words=st.lists(st.sampled_from(WORDS), max_size=2, unique=True),
       prefix=st.integers(3, 8), tag=st.none() | st.sampled_from(TAGS))
def test_search_results_are_the_visible_matches(library: dict[str, Any], who: str,
                                               words: list[str], prefix: int,
                                               tag: str | None) -> None:
    hub: Hub = library["hub"]
    q = " ".join(w[:prefix] for w in words)
    params: dict[str, Any] = {"q": q, "limit": 200} | ({"tag": tag} if tag else {})
    r = hub.get(who, "/lessons", params=params)
    assert r.status_code == 200, r.text
    found = {x["id"] for x in r.json()["items"]}
    assert found <= library["visible"][who]
    expected = {lid for lid, spec in library["lessons"].items()
                if lid in library["visible"][who]
                and all(any(x.startswith(w[:prefix]) for x in spec["words"]) for w in words)
                and (tag is None or tag in spec["tags"])}
    assert found == expected
    if not words:
        cloud = {c["tag"]: c["count"] for c in hub.get(who, "/lessons/tags").json()}
        assert cloud == {t: sum(1 for lid in library["visible"][who]
                                if t in library["lessons"][lid]["tags"])
                         for t in TAGS if any(t in library["lessons"][lid]["tags"]
                                              for lid in library["visible"][who])}
