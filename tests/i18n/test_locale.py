"""The translation layer: catalogues compiled in memory, negotiation, per-request scope."""

from __future__ import annotations

import threading

import pytest

from cyberhub import i18n

PO = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
      '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
      'msgid "Sign in"\nmsgstr "Se connecter"\n\n'
      '#, fuzzy\nmsgid "Sign out"\nmsgstr "Se déconnecter"\n\n'
      'msgid "%(n)d note"\nmsgid_plural "%(n)d notes"\nmsgstr[0] "%(n)d note"\n'
      'msgstr[1] "%(n)d notes (fr)"\n')


@pytest.fixture
def french(tmp_path, monkeypatch):
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    yield folder / "messages.po"
    i18n.clear_cache()


def test_po_is_compiled_in_memory_and_cached(french):
    with i18n.use_locale("fr"):
        assert i18n.gettext("Sign in") == "Se connecter"
        # Fuzzy entries stay English, as msgfmt leaves them out.
        assert i18n.gettext("Sign out") == "Sign out"
        assert i18n.ngettext("%(n)d note", "%(n)d notes", 3) == "%(n)d notes (fr)"
        assert i18n.gettext("Not in the catalogue") == "Not in the catalogue"
    assert i18n.gettext("Sign in") == "Sign in"
    assert not list(french.parent.glob("*.mo"))
    assert i18n.translations("fr") is i18n.translations("fr")


def test_a_locale_without_catalogue_speaks_english(french):
    with i18n.use_locale("es"):
        assert i18n.gettext("Sign in") == "Sign in"
    assert i18n.has_catalogue("fr") and not i18n.has_catalogue("es")


@pytest.mark.parametrize(("header", "expected"), [
    ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    ("de-DE,es;q=0.7,fr;q=0.5", "es"),
    ("ar-EG", "ar"),
    ("fr-CA", "fr"),
    ("de, ja", None),
    ("en;q=0.1, ar;q=0.9", "ar"),
    ("", None),
    ("*", None),
    ("es;q=0, fr;q=garbage", None),
])
def test_accept_language_negotiation(header, expected):
    assert i18n.negotiate(header) == expected


def test_resolve_order_user_cookie_browser_english():
    assert i18n.resolve("ar", "fr", "es") == "ar"
    assert i18n.resolve(None, "fr", "es") == "fr"
    assert i18n.resolve("xx", "zz", "es-MX") == "es"
    assert i18n.resolve(None, None, "de") == "en"


def test_direction():
    assert i18n.direction("ar") == "rtl"
    assert [i18n.direction(x) for x in ("en", "fr", "es")] == ["ltr"] * 3


def test_prefer_reaches_every_thread_of_the_request_scope():
    seen: list[str] = []
    with i18n.request_scope("fr"):
        # A dependency run in a worker thread (a copy of the context) chooses Arabic…
        import contextvars

        ctx = contextvars.copy_context()
        worker = threading.Thread(target=ctx.run, args=(i18n.prefer, "ar"))
        worker.start()
        worker.join()
        # …and the rest of the request speaks it.
        seen.append(i18n.get_locale())
    seen.append(i18n.get_locale())
    assert seen == ["ar", "en"]


CONTEXT_PO = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
              '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
              'msgctxt "status"\nmsgid "Open"\nmsgstr "Ouverte"\n\n'
              'msgctxt "verb"\nmsgid "Open"\nmsgstr "Ouvrir"\n\n'
              'msgctxt "leak site"\nmsgid "%(num)d post"\nmsgid_plural "%(num)d posts"\n'
              'msgstr[0] "%(num)d publication"\nmsgstr[1] "%(num)d publications"\n')


def test_a_context_tells_one_english_word_s_meanings_apart(tmp_path, monkeypatch):
    from cyberhub.web.render import env

    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(CONTEXT_PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    template = env.from_string(
        '{{ pgettext("status", "Open") }}|{{ pgettext("verb", "Open") }}|'
        '{{ npgettext("leak site", "%(num)d post", "%(num)d posts", n) }}')
    try:
        with i18n.use_locale("fr"):
            assert i18n.pgettext("status", "Open") == "Ouverte"
            assert i18n.pgettext("verb", "Open") == "Ouvrir"
            assert i18n.gettext("Open") == "Open"
            assert i18n.npgettext("leak site", "%(num)d post", "%(num)d posts", 2) == (
                "%(num)d publications")
            assert template.render(n=1) == "Ouverte|Ouvrir|1 publication"
        assert template.render(n=3) == "Open|Open|3 posts"
    finally:
        i18n.clear_cache()


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANGUAGE": "de:es", "LANG": "fr_FR.UTF-8"}, "es"),
    ({"LANGUAGE": "de", "LC_ALL": "ar_EG.UTF-8", "LANG": "fr_FR.UTF-8"}, "ar"),
    ({"LC_ALL": "de_DE.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_MESSAGES": "es_ES@euro"}, "es"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({}, "en"),
])
def test_operator_language_from_the_environment(environ, expected):
    assert i18n.from_environment(environ) == expected


def test_cli_speaks_the_operator_language(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cyberhub.cli import app as cli
    from cyberhub.config import Settings, set_settings

    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Error"\nmsgstr "Erreur"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.clear_cache()
    set_settings(Settings(var_dir=tmp_path / "var", secret_key="k"))
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(cli, ["token", "create", "nobody@example.org"],
                               env={"LANGUAGE": "fr", "LANG": "C.UTF-8"})
        assert result.exit_code == 1 and "Erreur:" in result.output
        result = runner.invoke(cli, ["token", "create", "nobody@example.org"],
                               env={"LANGUAGE": "", "LC_ALL": "", "LANG": "C.UTF-8"})
        assert "Error:" in result.output
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
        i18n.clear_cache()
