"""The catalogue checks: no untranslated text in templates, a current template, and
complete, clean catalogues for every language that has one."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberhub import i18n, i18n_check

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [loc for loc in i18n.SUPPORTED_LOCALES if loc != i18n.DEFAULT_LOCALE]


def test_templates_carry_no_untranslated_text():
    found = i18n_check.untranslated_literals()
    assert not found, "wrap these in {% trans %} or _():\n" + "\n".join(map(str, found))


def test_the_literal_check_finds_text_and_attributes(tmp_path):
    (tmp_path / "page.html").write_text(
        '<h1>{{ _("Fine") }}</h1>\n<p>Plain English</p>\n'
        '<input placeholder="Search here" value="{{ v }}">\n'
        '{% trans %}Inside a trans block{% endtrans %}\n'
        '<span>TLP:AMBER+STRICT · cyberhub</span>\n'
        '<input translate="no" placeholder="https://example.org">\n'
        '<code>select * from x</code><script src="/a.js"></script>\n'
        '<a href="/x/{{ y }}" title="{{ _(\'ok\') }}">{{ z }}</a>\n', encoding="utf-8")
    found = [(lit.line, lit.text) for lit in i18n_check.untranslated_literals(tmp_path)]
    assert found == [(2, "Plain English"), (3, "Search here")]


def test_messages_pot_is_current():
    if not (ROOT / "babel.cfg").exists():  # pragma: no cover - installed without sources
        pytest.skip("no source tree")
    problems = i18n_check.pot_problems(ROOT)
    assert not problems, "run 'make messages':\n" + "\n".join(problems[:50])


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_is_complete_and_clean(locale):
    # Every supported language ships a catalogue: a missing one is a defect, not a skip.
    assert i18n_check.po_path(locale).exists(), f"no {locale} catalogue"
    problems = i18n_check.po_problems(locale)
    assert not problems, "\n".join(problems[:50]) + f"\n({len(problems)} in all)"


def test_po_check_finds_missing_stale_fuzzy_and_placeholders(tmp_path, monkeypatch):
    locale_dir = tmp_path / "locale"
    (locale_dir / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (locale_dir / "messages.pot").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Hello"\nmsgstr ""\n\n'
        'msgid "Sign in"\nmsgstr ""\n\n'
        '#, python-format\nmsgid "%(n)s notes"\nmsgstr ""\n\n'
        '#, python-format\nmsgid "Welcome to %(hub)s, %(name)s"\nmsgstr ""\n\n'
        'msgid "Later"\nmsgstr ""\n', encoding="utf-8")
    (locale_dir / "fr" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Hello"\nmsgstr "Bonjour"\n\n'
        '#, fuzzy\nmsgid "Sign in"\nmsgstr "Connexion"\n\n'
        '#, python-format\nmsgid "%(n)s notes"\nmsgstr "%(m)s notes"\n\n'
        '#, python-format\nmsgid "Welcome to %(hub)s, %(name)s"\nmsgstr "Bienvenue, %(name)s"\n\n'
        'msgid "Gone"\nmsgstr "Parti"\n\n'
        '#~ msgid "Old"\n#~ msgstr "Vieux"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale_dir)
    monkeypatch.setattr(i18n_check, "POT", locale_dir / "messages.pot")
    problems = "\n".join(i18n_check.po_problems("fr"))
    assert "missing 'Later'" in problems
    assert "stale (no longer in messages.pot) 'Gone'" in problems
    assert "fuzzy 'Sign in'" in problems
    assert "obsolete entry #~ 'Old'" in problems
    assert "'%(n)s notes'" in problems and "Hello" not in problems
    assert "placeholders differ: ['hub', 'name'] in English, ['name'] translated" in problems
