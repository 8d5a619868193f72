"""Notes in the browser: list, read, write, change, delete, under the sharing rules."""

from __future__ import annotations

import re

from tests.web.helpers import alert, login, post

NOTES = "/notes/new"


def _create(client, **data):
    form = {"title": "A note", "body": "", "tlp": "GREEN", **data}
    return post(client, "/notes/new", form, token_from=NOTES)


def _note_id(response) -> str:
    assert response.status_code == 303, response.text
    return re.match(r"/notes/([0-9a-f-]+)", response.headers["location"]).group(1)


def test_create_and_view_amber_note(client, community):
    org, partner = community.org("Police A"), community.org("Bank B")
    user = community.user(org)
    login(client, user.email)
    r = _create(client, title="Affiliate panel", body="Seen **twice**.", tlp="AMBER",
                pap="GREEN", org_ids=[str(partner.id)])
    note_id = _note_id(r)
    html = client.get(f"/notes/{note_id}").text
    assert "Affiliate panel" in html and "<strong>twice</strong>" in html
    assert "TLP:AMBER" in html and "PAP:GREEN" in html and "Bank B" in html
    assert "The named organisations, groups and users" in html
    listing = client.get("/notes").text
    assert f'href="/notes/{note_id}"' in listing


def test_amber_note_is_invisible_to_another_org_exactly_like_a_missing_one(client, community):
    owner_org, other_org = community.org("Owner"), community.org("Stranger")
    author, stranger = community.user(owner_org), community.user(other_org)
    note = community.note(author, tlp="AMBER", title="Secret plan")
    login(client, stranger.email)
    hidden = client.get(f"/notes/{note.id}")
    missing = client.get("/notes/6f1c1a52-0000-4000-8000-000000000000")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text
    assert "Secret plan" not in client.get("/notes").text
    for path in (f"/notes/{note.id}/edit", f"/notes/{note.id}/delete"):
        assert client.get(path).status_code == 404
    r = post(client, f"/notes/{note.id}/delete", token_from=NOTES)
    assert r.status_code == 404


def test_note_markup_is_escaped_and_sanitised(client, community):
    user = community.user(community.org())
    login(client, user.email)
    note_id = _note_id(_create(
        client, title='<script>alert("t")</script>',
        body='<script>alert("b")</script><img src=x onerror=alert(1)> [x](javascript:alert(2))'))
    html = client.get(f"/notes/{note_id}").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html
    assert "<img" not in html and 'href="javascript' not in html
    assert "<script>alert" not in client.get("/notes").text
    assert "<script>alert" not in client.get("/").text


def test_bad_note_input_is_refused_and_nothing_is_stored(client, community):
    org = community.org()
    user = community.user(org)
    login(client, user.email)
    cases = [
        ({"title": "", "tlp": "GREEN"}, "title is required"),
        ({"title": "x" * 201, "tlp": "GREEN"}, "at most 200 characters"),
        ({"title": "T", "tlp": "PURPLE"}, "Unknown TLP marking"),
        ({"title": "T", "tlp": "GREEN", "pap": "BLUE"}, "Unknown PAP marking"),
        ({"title": "T", "tlp": "GREEN", "org_ids": [str(org.id)]}, "name an audience"),
        ({"title": "T", "tlp": "RED", "org_ids": [str(org.id)]}, "named people only"),
        ({"title": "T", "tlp": "AMBER", "org_ids": ["not-a-uuid"]}, "does not exist"),
        ({"title": "T", "tlp": "AMBER", "user_ids": ["6f1c1a52-0000-4000-8000-000000000000"]},
         "does not exist"),
    ]
    for data, message in cases:
        r = _create(client, **data)
        assert r.status_code == 422, data
        assert message in alert(r.text), data
        # The form comes back with what was typed.
        if data["title"] == "T":
            assert 'value="T"' in r.text
    assert "No notes to show" in client.get("/notes").text


def test_reader_may_not_write(client, community):
    reader = community.user(community.org(), role="reader")
    login(client, reader.email)
    assert client.get("/notes/new").status_code == 403
    r = _create(client, title="x")
    assert r.status_code == 403
    assert 'href="/notes/new"' not in client.get("/notes").text


def test_edit_note(client, community):
    org, partner = community.org(), community.org("Partner")
    user = community.user(org)
    login(client, user.email)
    note_id = _note_id(_create(client, title="Draft", tlp="GREEN", pap="AMBER"))
    form = client.get(f"/notes/{note_id}/edit").text
    assert 'value="Draft"' in form and '<option value="AMBER" selected>PAP:AMBER' in form
    r = post(client, f"/notes/{note_id}/edit",
             {"title": "Final", "body": "text", "tlp": "AMBER", "pap": "",
              "org_ids": [str(partner.id)]}, token_from=NOTES)
    assert r.status_code == 303
    html = client.get(f"/notes/{note_id}").text
    assert "Final" in html and "TLP:AMBER" in html and "PAP:" not in html and "Partner" in html
    # A bad change re-renders the form and keeps the note as it was.
    r = post(client, f"/notes/{note_id}/edit", {"title": "", "tlp": "AMBER"}, token_from=NOTES)
    assert r.status_code == 422 and "title is required" in alert(r.text)
    assert "Final" in client.get(f"/notes/{note_id}").text


def test_only_author_and_org_admin_may_edit(client, community):
    org = community.org()
    author, colleague = community.user(org), community.user(org)
    note = community.note(author, tlp="GREEN", title="Mine")
    login(client, colleague.email)
    html = client.get(f"/notes/{note.id}").text
    assert "Mine" in html and f"/notes/{note.id}/edit" not in html
    assert client.get(f"/notes/{note.id}/edit").status_code == 403
    r = post(client, f"/notes/{note.id}/edit", {"title": "Hijacked", "tlp": "GREEN"},
             token_from=NOTES)
    assert r.status_code == 403
    assert "Hijacked" not in client.get(f"/notes/{note.id}").text


def test_delete_note_with_confirmation(client, community):
    user = community.user(community.org())
    login(client, user.email)
    note_id = _note_id(_create(client, title="Short-lived"))
    page = client.get(f"/notes/{note_id}/delete")
    assert page.status_code == 200 and "Delete this note?" in page.text
    r = post(client, f"/notes/{note_id}/delete", token_from=NOTES)
    assert r.status_code == 303 and r.headers["location"].startswith("/notes")
    assert client.get(f"/notes/{note_id}").status_code == 404


def test_list_filters_by_tlp_and_pages_older(client, community):
    org = community.org()
    user = community.user(org)
    for i in range(27):
        community.note(user, tlp="GREEN", title=f"Green {i:02d}")
    community.note(user, tlp="CLEAR", title="Clear one")
    login(client, user.email)
    html = client.get("/notes").text
    assert "Clear one" in html and "Green 26" in html and "Green 00" not in html
    older = re.search(r'href="(/notes\?[^"]*cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    html2 = client.get(older).text
    assert "Green 00" in html2 and "Clear one" not in html2 and "Newest" in html2
    only_clear = client.get("/notes?tlp=CLEAR").text
    assert "Clear one" in only_clear and "Green" not in only_clear.split('id="note-results"')[1]
    assert client.get("/notes?tlp=PURPLE").status_code == 422
    assert client.get("/notes?cursor=garbage").status_code == 422


def test_red_note_is_visible_to_named_user_only(client, community):
    org, other = community.org(), community.org()
    author = community.user(org)
    named, colleague = community.user(other), community.user(org)
    note = community.note(author, tlp="RED", title="Source", users=[named])
    login(client, named.email)
    assert "Source" in client.get(f"/notes/{note.id}").text
    client.cookies.clear()
    login(client, colleague.email)
    assert client.get(f"/notes/{note.id}").status_code == 404
