"""Insights and comments in the browser (without JavaScript, and as htmx asks)."""

from __future__ import annotations

import re

from tests.web.helpers import alert, login, post

HX = {"HX-Request": "true"}


def _insight_id(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return re.match(r"/insights/([0-9a-f-]+)", response.headers["location"]).group(1)  # type: ignore[union-attr]


def test_write_publish_and_find_an_insight(client, community):  # type: ignore[no-untyped-def]
    org, other = community.org("Police A"), community.org("Bank B")
    author, reader = community.user(org), community.user(other)
    login(client, author.email)
    page = client.get("/insights/new").text
    assert 'name="tlp"' in page and 'href="/insights"' in page
    iid = _insight_id(post(client, "/insights/new", {
        "title": "Mule recruitment on job boards", "summary": "Three patterns.",
        "body": "Seen **twice**. <script>alert(1)</script>", "tlp": "GREEN"},
        token_from="/insights/new"))
    html = client.get(f"/insights/{iid}").text
    assert "<strong>twice</strong>" in html and "<script>alert" not in html
    assert "Draft" in html and f'hx-get="/comments/on/insight/{iid}"' in html
    r = post(client, f"/insights/{iid}/publish", token_from=f"/insights/{iid}")
    assert r.status_code == 303
    login(client, reader.email)
    listing = client.get("/insights", params={"q": "mule"}).text
    assert f'href="/insights/{iid}"' in listing and 'aria-label="Community sections"' in listing
    assert f'href="/insights/{iid}"' not in client.get("/insights", params={"q": "ransom"}).text
    assert f'href="/insights/{iid}"' not in client.get("/insights",
                                                        params={"tlp": "AMBER"}).text


def test_draft_insight_is_404_outside_the_owner_org(client, community):  # type: ignore[no-untyped-def]
    org, other = community.org("Police A"), community.org("Bank B")
    author, stranger = community.user(org), community.user(other)
    login(client, author.email)
    iid = _insight_id(post(client, "/insights/new", {"title": "Secret draft", "tlp": "CLEAR"},
                           token_from="/insights/new"))
    login(client, stranger.email)
    hidden = client.get(f"/insights/{iid}")
    missing = client.get("/insights/6f1c1a52-0000-4000-8000-000000000000")
    assert hidden.status_code == missing.status_code == 404 and hidden.text == missing.text
    assert "Secret draft" not in client.get("/insights").text
    assert client.get(f"/comments/on/insight/{iid}").status_code == 404


def test_comment_section_post_reply_and_errors(client, community):  # type: ignore[no-untyped-def]
    org = community.org("Police A")
    author = community.user(org)
    note = community.note(author, tlp="AMBER", title="Affiliate panel")
    login(client, author.email)
    assert 'hx-get="/comments/on/note/' in client.get(f"/notes/{note.id}").text
    section = f"/comments/on/note/{note.id}"
    r = post(client, section, {"body": "First *thought*. @ghost@example.org"},
             token_from=section, headers=HX)
    assert r.status_code == 200 and 'id="comments"' in r.text and "<html" not in r.text
    assert "<em>thought</em>" in r.text and "ghost@example.org" in r.text
    cid = re.search(r'id="comment-([0-9a-f-]+)"', r.text).group(1)  # type: ignore[union-attr]
    r = post(client, section, {"body": "A reply", "parent_id": cid}, token_from=section,
             headers=HX)
    assert 'class="comment-replies"' in r.text and "A reply" in r.text
    # Oversized: a clear message in place, and what was typed is kept.
    r = post(client, section, {"body": "y" * 10_001}, token_from=section, headers=HX)
    assert r.status_code == 413 and "10000" in alert(r.text)
    r = post(client, f"/comments/{cid}/delete", token_from=section, headers=HX)
    assert r.status_code == 200 and "This comment was deleted." in r.text
    # Without JavaScript the section is a page of its own.
    assert "<html" in client.get(section).text


def test_comment_section_is_404_for_an_invisible_record(client, community):  # type: ignore[no-untyped-def]
    owner, stranger = community.user(community.org()), community.user(community.org())
    note = community.note(owner, tlp="AMBER")
    login(client, stranger.email)
    section = f"/comments/on/note/{note.id}"
    assert client.get(section).status_code == 404
    r = post(client, section, {"body": "hi"}, token_from="/notes")
    assert r.status_code == 404


def test_an_insight_written_from_a_closed_dialogue_links_back(client, community):  # type: ignore[no-untyped-def]
    from cyberhub.dialogue import service as dialogues

    org = community.org("Police A")
    convenor = community.user(org)
    viewer = community.viewer(convenor)
    with community.db.transaction() as s:
        did = dialogues.create_dialogue(s, viewer, topic="Mule accounts", tlp="GREEN").id
        dialogues.open_dialogue(s, viewer, did)
        dialogues.close_dialogue(s, viewer, did, outcomes="Banks name one contact.")
    login(client, convenor.email)
    start = f"/insights/new?source=dialogue:{did}"
    assert f'href="{start}"' in client.get(f"/dialogues/{did}").text
    form = client.get(start).text
    assert f'name="source" value="dialogue:{did}"' in form
    iid = _insight_id(post(client, "/insights/new", {
        "title": "One contact per bank", "tlp": "GREEN", "source": f"dialogue:{did}"},
        token_from=start))
    assert f'href="/dialogues/{did}"' in client.get(f"/insights/{iid}").text
