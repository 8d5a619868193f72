"""Notifications in the browser: the header counter, the inbox, settings, webhooks and
the watch button."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Hub
from tests.factories import PASSWORD
from tests.notifications.conftest import import_objects, publish, sdo
from tests.web.helpers import alert, login, post

INBOX = "/inbox"


def _counter(html: str) -> str | None:
    match = re.search(r'class="inbox-count" data-unread="(\d+)"', html)
    return match.group(1) if match else None


def test_counter_inbox_and_marking_read(client, community, database):
    org = community.org("Bank B")
    reader, author = community.user(org), community.user(org)
    note = community.note(author, tlp="GREEN")
    login(client, reader.email)
    assert _counter(client.get("/").text) is None
    for i in range(3):
        publish(database, subject=note, title=f"News {i}", summary=f"summary {i}",
                url=f"/notes/{note.id}", recipients={reader.id})
    assert _counter(client.get("/").text) == "3"
    assert _counter(client.get("/inbox/count").text) == "3"
    html = client.get(INBOX).text
    assert "News 2" in html and "summary 0" in html and "Mark all read" in html
    ids = re.findall(r'id="n-([0-9a-f-]+)"', html)
    assert len(ids) == 3
    r = post(client, f"/inbox/{ids[0]}/read", {"next": "open"}, token_from=INBOX)
    assert r.status_code == 303 and r.headers["location"] == f"/notes/{note.id}"
    assert _counter(client.get("/").text) == "2"
    r = post(client, "/inbox/read-all", token_from=INBOX)
    assert r.status_code == 303
    html = client.get(INBOX).text
    assert _counter(html) is None and "Mark all read" not in html and "News 1" in html
    # Someone else's notification: 404, like a missing one.
    other = community.user(org)
    login(client, other.email)
    assert post(client, f"/inbox/{ids[1]}/read", token_from=INBOX).status_code == 404


def test_inbox_pages(client, community, database):
    org = community.org()
    reader, author = community.user(org), community.user(org)
    note = community.note(author, tlp="GREEN")
    for i in range(27):
        publish(database, subject=note, title=f"Item {i:02d}", recipients={reader.id})
    login(client, reader.email)
    first = client.get(INBOX).text
    assert "Item 26" in first and "Item 01" not in first and 'href="/inbox?page=2"' in first
    second = client.get("/inbox?page=2").text
    assert "Item 01" in second and "Item 00" in second and "Item 26" not in second


def test_settings_page_saves_and_registers_webhooks(client, community, settings):
    org = community.org()
    user = community.user(org)
    login(client, user.email)
    html = client.get("/inbox/settings").text
    assert "In-app inbox: always on." in html and "sends no e-mail" in html
    r = post(client, "/inbox/settings", {"email_mode": "digest", "muted": ["comment.new"]},
             token_from="/inbox/settings")
    assert r.status_code == 303
    html = client.get("/inbox/settings").text
    assert re.search(r'value="digest" checked', html)
    assert re.search(r'value="comment.new" checked', html)
    assert not re.search(r'name="webhook_enabled" value="1" checked', html)
    r = post(client, "/inbox/webhooks", {"url": "ftp://nowhere.example/x"},
             token_from="/inbox/settings")
    assert r.status_code == 422 and "must start with https://" in alert(r.text)
    settings.webhook_allow = "127.0.0.1"
    settings.webhook_private_addresses = True
    r = post(client, "/inbox/webhooks", {"url": "http://127.0.0.1:9/hook",
                                         "password": PASSWORD}, token_from="/inbox/settings")
    assert r.status_code == 201, r.text
    secret = re.search(r'data-testid="webhook-secret">([^<]+)<', r.text).group(1)
    assert secret.startswith("whsec_")
    html = client.get("/inbox/settings").text
    assert "http://127.0.0.1:9/hook" in html and secret not in html


def test_registering_a_webhook_needs_the_password(client, community, settings):
    """ASVS 3.7.1: the form asks for the password again; without it, or with a wrong one,
    nothing is registered and the form keeps what was typed."""
    settings.webhook_allow = "127.0.0.1"
    settings.webhook_private_addresses = True
    user = community.user(community.org(), role="org-admin")
    login(client, user.email)
    html = client.get("/inbox/settings").text
    assert re.search(r'name="password" type="password" required '
                     r'autocomplete="current-password"', html)
    form = {"url": "http://127.0.0.1:9/hook", "for_organisation": "1"}
    for password, says in [("", "Enter your password to confirm this change."),
                           ("not my password at all", "Wrong password.")]:
        r = post(client, "/inbox/webhooks", {**form, "password": password},
                 token_from="/inbox/settings")
        assert r.status_code == 422, password
        assert says in alert(r.text)
        assert re.search(r'name="password"[^>]*aria-invalid="true"', r.text)
        assert 'value="http://127.0.0.1:9/hook"' in r.text
        assert re.search(r'name="for_organisation" value="1" checked', r.text)
        assert "not my password at all" not in r.text
        assert "webhook-secret" not in r.text
        assert "http://127.0.0.1:9/hook</td>" not in client.get("/inbox/settings").text
    r = post(client, "/inbox/webhooks", {**form, "password": PASSWORD},
             token_from="/inbox/settings")
    assert r.status_code == 201, r.text
    assert 'data-testid="webhook-secret">whsec_' in r.text
    assert "http://127.0.0.1:9/hook</td>" in client.get("/inbox/settings").text


def test_watch_button_toggles_and_hides_the_unseen(client, community, hub_like):
    analyst, outsider, actor_id = hub_like
    login(client, analyst.email)
    html = client.get(f"/objects/{actor_id}").text
    assert f'hx-get="/watch/actor/{actor_id}"' in html
    button = client.get(f"/watch/actor/{actor_id}").text
    assert 'aria-pressed="false"' in button
    r = post(client, f"/watch/actor/{actor_id}", token_from=INBOX, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'aria-pressed="true"' in r.text
    assert actor_id in client.get("/inbox/settings").text
    r = post(client, f"/watch/actor/{actor_id}", token_from=INBOX, headers={"HX-Request": "true"})
    assert 'aria-pressed="false"' in r.text
    login(client, outsider.email)
    assert client.get(f"/watch/actor/{actor_id}").status_code == 404
    assert post(client, f"/watch/actor/{actor_id}", token_from=INBOX).status_code == 404


@pytest.fixture
def hub_like(client, community):
    """An analyst whose organisation holds an AMBER+STRICT intrusion set, and an outsider."""
    org, other = community.org("Alpha CERT"), community.org("Beta Bank")
    analyst, outsider = community.user(org), community.user(other)
    h = Hub(client, community.db, community, org, org, other)
    h.tokens["analyst"] = community.token(analyst, scope="write")
    actor = sdo("intrusion-set", "Grey Heron")
    import_objects(h, "analyst", [actor], tlp="AMBER+STRICT", audience=[str(org.id)])
    return analyst, outsider, actor["id"]


def test_watch_a_sector_from_the_settings_page(client, community):
    org = community.org("Sector Bank")
    analyst = community.user(org)
    login(client, analyst.email)
    html = client.get("/inbox/settings").text
    assert 'name="sector"' in html and '<option value="Bank">Bank</option>' in html
    r = post(client, "/inbox/watches", {"sector": "bank"}, token_from="/inbox/settings")
    assert r.status_code == 303 and r.headers["location"] == "/inbox/settings?flash=watching"
    html = client.get(r.headers["location"]).text
    assert "You are watching it" in html
    assert re.search(r'<span class="badge">sector</span>\s*<span class="wrap-anywhere">Bank</span>',
                     html)
    # Watching twice keeps one watch.
    post(client, "/inbox/watches", {"sector": "Bank"}, token_from="/inbox/settings")
    assert client.get("/inbox/settings").text.count('<span class="badge">sector</span>') == 1
    # An unknown or missing sector is named in the error; nothing is added.
    for bad, says in (("Piracy on the high seas", "Unknown sector"),
                      ("", "Choose a sector to watch.")):
        r = post(client, "/inbox/watches", {"sector": bad}, token_from="/inbox/settings")
        assert r.status_code == 422, r.text
        assert says in alert(r.text)
    assert client.get("/inbox/settings").text.count('<span class="badge">sector</span>') == 1
