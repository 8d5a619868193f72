"""Choosing the language: the browser's Accept-Language, the switcher on every page,
the profile's chooser, and errors of the API and the pages in the requester's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cyberhub import i18n
from cyberhub.community.models import User
from tests.factories import bearer, csrf_of
from tests.web.helpers import login, post

FR = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
      '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
      'msgid "Sign in"\nmsgstr "Connexion"\n\n'
      'msgid "No such page or record."\nmsgstr "Aucune page ni fiche de ce nom."\n\n'
      'msgid "No such record."\nmsgstr "Aucune fiche de ce nom."\n')


@pytest.fixture
def french(tmp_path, monkeypatch):
    """A small French catalogue, whatever the committed ones hold."""
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(FR, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    yield
    i18n.clear_cache()


def _html_tag(text: str) -> str:
    return text[text.index("<html"):text.index(">", text.index("<html")) + 1]


def test_accept_language_chooses_the_page_language(client, french):
    r = client.get("/signin", headers={"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert _html_tag(r.text) == '<html lang="fr" dir="ltr">'
    assert r.headers["content-language"] == "fr"
    assert "Connexion" in r.text
    r = client.get("/signin", headers={"accept-language": "ar"})
    assert _html_tag(r.text) == '<html lang="ar" dir="rtl">'
    r = client.get("/signin", headers={"accept-language": "de-DE"})
    assert _html_tag(r.text) == '<html lang="en" dir="ltr">'


def test_switcher_is_on_every_page_and_remembers_in_a_cookie(client):
    page = client.get("/signin").text
    assert 'action="/language"' in page and 'value="ar" lang="ar"' in page
    # The switcher goes back where it was used (its Referer, this site only).
    r = client.post("/language", data={"csrf_token": csrf_of(client), "locale": "es"},
                    headers={"referer": "http://testserver/signin?next=/objects"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/objects"
    assert "cyberhub_locale=es" in r.headers["set-cookie"]
    page = client.get("/signin", headers={"accept-language": "fr"}).text
    assert _html_tag(page) == '<html lang="es" dir="ltr">'
    # An empty choice follows the browser again.
    client.post("/language", data={"csrf_token": csrf_of(client), "locale": "", "next": "/"},
                follow_redirects=False)
    page = client.get("/signin", headers={"accept-language": "ar"}).text
    assert _html_tag(page) == '<html lang="ar" dir="rtl">'


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_switcher_never_redirects_off_site(client, target):
    r = client.post("/language", data={"csrf_token": csrf_of(client), "locale": "fr",
                                       "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = client.post("/language", data={"csrf_token": csrf_of(client), "locale": "fr"},
                    headers={"referer": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_switcher_ignores_a_referer_from_another_site(client):
    r = client.post("/language", data={"csrf_token": csrf_of(client), "locale": "fr"},
                    headers={"referer": "https://evil.example/objects"},
                    follow_redirects=False)
    assert r.headers["location"] == "/"


def test_switcher_needs_the_csrf_token(client):
    client.get("/signin")
    r = client.post("/language", data={"locale": "fr", "next": "/"}, follow_redirects=False)
    assert r.status_code == 403
    assert "cyberhub_locale" not in r.headers.get("set-cookie", "")


def test_signed_in_choice_is_saved_to_the_profile(client, community, database, app):
    from fastapi.testclient import TestClient

    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/language", {"locale": "ar", "next": "/profile"})
    assert r.status_code == 303 and r.headers["location"] == "/profile"
    with database.sessionmaker() as s:
        assert s.scalar(select(User.locale).where(User.id == user.id)) == "ar"
    # Another browser without the cookie, whose Accept-Language says French: the profile wins.
    with TestClient(app) as other:
        login(other, user.email)
        page = other.get("/profile", headers={"accept-language": "fr"}).text
        assert _html_tag(page) == '<html lang="ar" dir="rtl">'
        assert '<option value="ar" lang="ar" selected>' in page
    # The profile's chooser goes back to the browser's language.
    post(client, "/language", {"locale": "", "next": "/profile"})
    with database.sessionmaker() as s:
        assert s.scalar(select(User.locale).where(User.id == user.id)) is None


def test_unknown_language_is_refused(client, community):
    user = community.user(community.org())
    login(client, user.email)
    r = post(client, "/language", {"locale": "xx", "next": "/profile"})
    assert r.status_code == 422


def test_api_errors_speak_the_requester_language(client, community, database, french):
    user = community.user(community.org())
    token = community.token(user)
    missing = "/api/v1/notes/00000000-0000-4000-8000-000000000000"
    r = client.get(missing, headers={**bearer(token), "accept-language": "fr"})
    assert r.status_code == 404 and r.headers["content-language"] == "fr"
    assert r.json()["error"]["message"] == "Aucune fiche de ce nom."
    r = client.get("/api/v1/no-such-endpoint", headers={"accept-language": "fr"})
    assert r.json()["error"]["message"] == "Aucune page ni fiche de ce nom."
    assert client.get(missing, headers=bearer(token)).json()["error"]["message"] == \
        "No such record."
    # The user's own choice wins over the client's Accept-Language.
    with database.sessionmaker() as s:
        s.get(User, user.id).locale = "fr"  # type: ignore[union-attr]
        s.commit()
    r = client.get(missing, headers={**bearer(token), "accept-language": "en"})
    assert r.json()["error"]["message"] == "Aucune fiche de ce nom."
    assert r.headers["content-language"] == "fr"


def test_pages_404_speak_the_signed_in_user_language(client, community, database, french):
    user = community.user(community.org())
    with database.sessionmaker() as s:
        s.get(User, user.id).locale = "fr"  # type: ignore[union-attr]
        s.commit()
    login(client, user.email)
    r = client.get("/objects/indicator--00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and '<html lang="fr" dir="ltr">' in r.text
