"""The command line's help in the operator's language.

Help texts are declared in English and marked with ``N_`` (``help=N_("…")``), so that
``pybabel extract`` finds them; they are translated when the help is shown, in the
language the environment asks for (:func:`cyberhub.i18n.from_environment`). Groups and
commands made with :class:`Typer` do it: the outermost group's ``main`` speaks the
operator's language for the whole run (messages, help and Typer's own words), and each
group or command shows its help, its parameters' help and its commands' help
translated while the help is rendered.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from cyberhub import i18n
from cyberhub.i18n import N_

# Typer's own words, by their name in typer.rich_utils (module constants it reads when
# it renders help and errors). Each is replaced only while Typer still spells it this
# way: a Typer that words it differently shows its own English, never a wrong text.
TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
# The help of the options Typer and Click add by themselves; shown translated like ours.
TYPER_HELP = (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)


def operator_locale() -> str:
    """The language the environment asks for (``LANGUAGE``, ``LC_ALL``, …)."""
    return i18n.from_environment(os.environ)


@contextmanager
def typer_words() -> Iterator[None]:
    """Typer's own words in the active language inside the block."""
    words = {name: i18n.gettext(english) for name, english in TYPER_WORDS.items()}
    if all(words[name] == english for name, english in TYPER_WORDS.items()):
        # Nothing to replace (English): Typer's help and error renderer, with Markdown
        # and Pygments behind it, stays unloaded unless the run shows help or an error.
        yield
        return
    from typer import rich_utils

    saved: dict[str, str] = {}
    for name, english in TYPER_WORDS.items():
        if getattr(rich_utils, name, None) == english:
            saved[name] = english
            setattr(rich_utils, name, words[name])
    try:
        yield
    finally:
        for name, english in saved.items():
            setattr(rich_utils, name, english)


@contextmanager
def operator_language() -> Iterator[None]:
    """Speak the operator's language inside the block: messages, help, Typer's words."""
    with i18n.use_locale(operator_locale()), typer_words():
        yield


@contextmanager
def translated_help(command: Any, ctx: Any) -> Iterator[None]:
    """The help of ``command``, of its parameters and (a group) of its commands, in the
    active language inside the block; the English, the source, is put back after."""
    shown = [command, *command.get_params(ctx)]
    if isinstance(command, TyperGroup):
        shown += [sub for name in command.list_commands(ctx)
                  if (sub := command.get_command(ctx, name)) is not None]
    saved: list[tuple[Any, str, str]] = []
    try:
        for item in shown:
            for attr in ("help", "short_help"):
                text = getattr(item, attr, None)
                if isinstance(text, str) and text:
                    saved.append((item, attr, text))
                    setattr(item, attr, i18n.gettext(text))
        yield
    finally:
        for item, attr, text in reversed(saved):
            setattr(item, attr, text)


def _format_usage(command: Any, ctx: Any, formatter: Any) -> None:
    pieces = command.collect_usage_pieces(ctx)
    formatter.write_usage(ctx.command_path, " ".join(pieces), i18n.gettext("Usage:") + " ")


class HelpCommand(TyperCommand):
    """A command whose help speaks the active language."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _format_usage(self, ctx, formatter)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with translated_help(self, ctx):
            super().format_help(ctx, formatter)


class HelpGroup(TyperGroup):
    """A group whose help speaks the active language; run as the outermost command, it
    speaks the operator's language for the whole run."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with operator_language():
            return super().main(*args, **kwargs)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _format_usage(self, ctx, formatter)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with translated_help(self, ctx):
            super().format_help(ctx, formatter)


class Typer(typer.Typer):
    """``typer.Typer`` whose groups and commands show their help in the operator's
    language: mark every help text with ``N_``, and give a command's help as ``help=``
    (a docstring is not extracted)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", HelpGroup)
        super().__init__(**kwargs)

    def command(self, name: str | None = None, **kwargs: Any
                ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", HelpCommand)
        return super().command(name, **kwargs)
