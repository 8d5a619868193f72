"""The demo hub's leak-site posts: fictional, deterministic, over two years, imported by
two demo organisations through the importer; loading twice adds nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cyberhub import demo
from cyberhub.db import Database
from cyberhub.ransomware import demo_leakposts
from cyberhub.ransomware.models_leakposts import LeakPost
from tests.ransomware.conftest import LOCKBIT


def test_the_generated_posts_are_fictional_and_deterministic() -> None:
    posts = demo_leakposts.posts()
    assert posts == demo_leakposts.posts()
    assert len(posts) == 180
    assert all(p["post_title"].startswith("Demo ") for p in posts)
    assert all(p["website"].endswith(".example") for p in posts)
    assert all(".example/" in p["post_url"] for p in posts)
    assert all(p["description"].startswith("[DEMO]") for p in posts)
    months = {p["published"][:7] for p in posts}
    assert len(months) > 20  # spread over two years


def test_demo_posts_are_loaded_once(families: Database, settings: Any) -> None:
    with families.transaction() as s:
        demo.load(s)
    with families.transaction() as s:
        demo.load(s)
    with families.transaction() as s:
        rows = list(s.scalars(select(LeakPost)))
        assert rows and all(r.is_demo for r in rows)
        owners = {r.owner_org_id for r in rows}
        assert len(owners) == 2
        assert {r.tlp.value for r in rows} == {"GREEN", "AMBER"}
        # The CERT's three posts that the researchers shared were duplicates.
        keys = [r.dedup_key for r in rows]
        assert len(keys) == len(set(keys))
        assert any(r.family_ref == LOCKBIT for r in rows)
        assert any(r.family_ref is None and r.group_name == "demo-crew" for r in rows)
