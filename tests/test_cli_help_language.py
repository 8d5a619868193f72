"""``cyberhub --help`` speaks the operator's language, like the command's messages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from babel.messages.pofile import read_po
from typer import rich_utils
from typer.testing import CliRunner

from cyberhub import clihelp, i18n
from cyberhub.cli import app as cli
from cyberhub.i18n_check import POT, po_path

runner = CliRunner()
LANGUAGES = ("fr", "es", "ar")
# Wide enough that no help text wraps: the assertions look for whole sentences.
WIDE = {"COLUMNS": "1000", "TERMINAL_WIDTH": "1000"}
NO_LANGUAGE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


def help_of(*args: str, **env: str) -> str:
    result = runner.invoke(cli, [*args, "--help"], env={**WIDE, **env})
    assert result.exit_code == 0, result.output
    return result.output


def said(locale: str, message: str) -> str:
    """``message`` as the catalogue of ``locale`` says it."""
    with i18n.use_locale(locale):
        text = i18n.gettext(message)
    if locale != "en":
        assert text != message or message in SAME_IN_EVERY_LANGUAGE, (locale, message)
    return text


# Lists of command-line values, the same words in every language (or nearly).
SAME_IN_EVERY_LANGUAGE = {"Arguments", "Options", "Organisations."}


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def _click_tree() -> Any:
    return typer.main.get_command(cli)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_main_help_speaks_the_operators_language(locale: str) -> None:
    out = help_of(LANGUAGE=locale)
    for message in ("Run and administer a cyberhub.", "Database schema.",
                    "Pointer-only deconfliction.", "Show this message and exit.",
                    "Import a file into the knowledge base, with a progress bar."):
        assert said(locale, message) in out, message
    assert said(locale, "Usage:") + " " in out
    assert f"─ {said(locale, 'Commands')} ─" in out
    assert f"─ {said(locale, 'Options')} ─" in out
    assert "Run and administer a cyberhub." not in out
    assert "Show this message and exit." not in out


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize(("command", "messages"), [
    (("import",), ("Import a file into the knowledge base, with a progress bar.",
                   "The file to import, or a directory for formats that read one (a MISP feed).",
                   "E-mail of the contributing user.", "Arguments", "[required]")),
    (("peer", "add"), ("Register a partner hub (or any TAXII 2.1 collection) to sync with.",
                       "The partner's TAXII collection address.", "Minutes between syncs.")),
    (("ransomware", "import-payments"), (
        "Import the payments a wallet received; every row is checked before anything is "
        "stored, and transactions the organisation already holds are left as they are.",
        "Marking of the transactions.")),
    (("backup",), ("The archive to write (a new file; a name ending in .tar.gz compresses "
                   "it).",)),
    (("evidence",), ("The evidence registers of joint operations.",)),
])
def test_a_subcommands_help_speaks_the_operators_language(
        locale: str, command: tuple[str, ...], messages: tuple[str, ...]) -> None:
    out = help_of(*command, LANGUAGE=locale)
    for message in messages:
        assert said(locale, message) in out, message
    assert said(locale, "Show this message and exit.") in out


@pytest.mark.parametrize("locale", LANGUAGES)
def test_defaults_are_shown_in_the_operators_language(locale: str) -> None:
    out = help_of("import", LANGUAGE=locale)
    assert said(locale, "[default: {}]").format("AMBER") in out


@pytest.mark.parametrize(("env", "locale"), [
    ({"LANG": "fr_FR.UTF-8", "LANGUAGE": ""}, "fr"),
    ({"LC_ALL": "es_ES.UTF-8", "LANGUAGE": ""}, "es"),
    ({"LC_MESSAGES": "ar_EG.UTF-8", "LANGUAGE": "", "LC_ALL": ""}, "ar"),
])
def test_the_language_comes_from_the_locale_variables(env: dict[str, str], locale: str) -> None:
    out = help_of("taxii", **{**NO_LANGUAGE, **env})
    assert said(locale, "TAXII 2.1 collections served at /taxii2/.") in out


def test_english_without_a_language() -> None:
    out = help_of("import", **NO_LANGUAGE)
    assert "Usage: " in out and "─ Arguments ─" in out and "─ Options ─" in out
    assert "E-mail of the contributing user." in out and "[default: AMBER]" in out
    assert "Show this message and exit." in out
    # Nothing of the language stays behind: Typer's words and the locale are English again.
    help_of(LANGUAGE="fr")
    assert rich_utils.OPTIONS_PANEL_TITLE == "Options"
    assert i18n.get_locale() == "en"
    assert "Run and administer a cyberhub." in help_of(**NO_LANGUAGE)


def test_a_usage_error_speaks_the_operators_language() -> None:
    result = runner.invoke(cli, ["import"], env={**WIDE, "LANGUAGE": "fr"})
    assert result.exit_code == 2
    assert said("fr", "Usage:") in result.output
    assert said("fr", "Error") in result.output
    assert "pour obtenir de l'aide" in said("fr", clihelp.TYPER_WORDS["RICH_HELP"])
    assert said("fr", clihelp.TYPER_WORDS["RICH_HELP"]).split("[")[0] in result.output


def test_the_installed_command_speaks_french() -> None:
    env = {**os.environ, **NO_LANGUAGE, **WIDE, "LANG": "fr_FR.UTF-8"}
    done = subprocess.run([sys.executable, "-m", "cyberhub", "peer", "--help"], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    assert said("fr", "Partner hubs (TAXII 2.1 sync).") in done.stdout
    assert said("fr", "Stop syncing with a partner (what it sent stays).") in done.stdout


def test_every_help_text_is_in_the_catalogue() -> None:
    """A help text left out of the template (a docstring, an unmarked ``help=``) would be
    shown in English: each command's, group's, option's and argument's help is a msgid."""
    with POT.open("rb") as fh:
        msgids = {m.id for m in read_po(fh) if m.id}
    missing = []
    for path, command in _walk(_click_tree()):
        ctx = typer.Context(command, info_name=path[-1] if path else "cyberhub")
        for item in (command, *command.get_params(ctx)):
            if item.help and item.help not in msgids:
                missing.append((" ".join(path), getattr(item, "name", ""), item.help))
    assert not missing


def test_typer_still_speaks_the_words_we_translate() -> None:
    """Typer's own words are replaced only while Typer spells them as the catalogue
    does; a new wording shows in English, and this test says which to update."""
    for name, english in clihelp.TYPER_WORDS.items():
        assert getattr(rich_utils, name) == english, name


@pytest.mark.parametrize("locale", LANGUAGES)
def test_translated_typer_words_keep_their_fields_and_markup(locale: str) -> None:
    with po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    # Fields Typer fills in, and the Rich markup of the one word printed as markup.
    fields = re.compile(r"\{\w*\}|\[/\w*\]|\[blue\]")
    for english in clihelp.TYPER_WORDS.values():
        translated = catalog.get(english).string
        assert sorted(fields.findall(translated)) == sorted(fields.findall(english)), english
