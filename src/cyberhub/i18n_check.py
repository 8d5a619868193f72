"""Checks of the translation catalogues and templates (``make messages-check`` and tests).

* :func:`untranslated_literals` finds text in templates that would reach the page
  untranslated: literal HTML text and the human-facing attributes (``title``,
  ``placeholder``, ``aria-label``, ``alt``) outside ``{% trans %}`` blocks and ``_()``.
* :func:`pot_is_current` compares the committed template with a fresh extraction.
* :func:`po_problems` lists what a locale's catalogue misses, keeps obsolete or fuzzy,
  or gets wrong in its placeholders.
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from jinja2 import Environment

from cyberhub import i18n

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "web" / "templates"
POT = i18n.LOCALE_DIR / "messages.pot"

# Words that read the same in every language; a text run made of these alone (and of
# punctuation and digits) is not a finding. Keep the list short and say why. Example
# values in form fields (a chain code, a URL) carry the standard ``translate="no"``
# attribute instead, which this check honours.
ALLOWED_WORDS = frozenset({
    "cyberhub",                                   # the product's name
    "TLP", "PAP", "CLEAR", "GREEN", "AMBER", "RED", "STRICT",  # FIRST's spelling, kept
    "UTC",                                        # the time zone's name
})
# Attributes that people read (or hear, through a screen reader).
HUMAN_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt", "label",
                              "aria-description", "data-label"})
_MARK = "\x00"
_WORDS = re.compile(r"[^\W\d_]+")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "source", "track", "wbr"})
# What macros emit as pieces of markup (an attribute, a path): not text.
_MARKUP = re.compile(r'([\w-]+="[^"]*"\s*)+|/[\w/.-]*')
_NOT_TEXT = frozenset({"script", "style", "code", "pre", "kbd", "samp"})
_LETTERS = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Literal:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def _flatten(env: Environment, source: str) -> str:
    """The template's literal text with every tag and expression replaced by a mark and
    the bodies of ``{% trans %}`` blocks dropped; line numbers are kept."""
    out: list[str] = []
    line = 1
    in_trans = False
    expect_tag = False
    for lineno, kind, value in env.lex(source):
        if lineno > line:
            out.append("\n" * (lineno - line))
            line = lineno
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            expect_tag = True
            continue
        if expect_tag and kind == "name":
            expect_tag = False
            if value in ("trans", "pluralize"):
                in_trans = True
            elif value == "endtrans":
                in_trans = False
            continue
        expect_tag = False
        if kind == "data":
            if not in_trans:
                out.append(value)
            line += value.count("\n")
        elif kind in ("variable_begin", "block_end") and not in_trans:
            out.append(f" {_MARK} ")
    return "".join(out)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        untranslatable = ("translate", "no") in attrs
        if (tag in _NOT_TEXT or untranslatable) and tag not in _VOID:
            self._skipping.append(tag)
        if untranslatable or self._skipping:
            return
        for name, value in attrs:
            if name in HUMAN_ATTRIBUTES and value:
                self._note(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._note(data)

    def _note(self, text: str) -> None:
        line = self.getpos()[0]
        for part in text.split(_MARK):
            run = " ".join(part.split())
            words = set(_WORDS.findall(run))
            if (_LETTERS.search(run) and not words <= ALLOWED_WORDS
                    and not _MARKUP.fullmatch(run)):
                self.found.append((line, run))


def untranslated_literals(root: Path = TEMPLATES) -> list[Literal]:
    env = Environment(extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
                      autoescape=True)  # only lexed, never rendered
    found: list[Literal] = []
    for path in sorted(root.rglob("*.html")):
        collector = _Collector()
        collector.feed(_flatten(env, path.read_text(encoding="utf-8")))
        collector.close()
        name = str(path.relative_to(root))
        found.extend(Literal(name, line, text) for line, text in collector.found)
    return found


def _extract(root: Path) -> Catalog:
    """A fresh extraction of the catalogue template, as ``make messages`` makes it."""
    from babel.messages.frontend import CommandLineInterface

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "messages.pot"
        CommandLineInterface().run([  # type: ignore[no-untyped-call]
            "pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "--no-location",
            "--sort-output", "-k", "pgettext:1c,2", "-k", "npgettext:1c,2,3",
            "-o", str(out), str(root / "src" / "cyberhub")])
        with out.open("rb") as fh:
            return read_po(fh)


def _entries(catalog: Catalog) -> list[tuple[object, ...]]:
    return sorted((str(m.id), m.context or "", tuple(sorted(m.flags)),
                   tuple(m.auto_comments)) for m in catalog if m.id)


def pot_problems(root: Path | None = None) -> list[str]:
    """How the committed template differs from a fresh extraction (the header aside)."""
    root = root or PACKAGE.parent.parent
    with POT.open("rb") as fh:
        committed = _entries(read_po(fh))
    fresh = _entries(_extract(root))
    if committed == fresh:
        return []
    old, new = {e[0] for e in committed}, {e[0] for e in fresh}
    problems = [f"not in messages.pot yet: {m!r}" for m in sorted(new - old)]  # type: ignore[type-var]
    problems += [f"no longer in the code: {m!r}" for m in sorted(old - new)]  # type: ignore[type-var]
    return problems or ["messages.pot differs from a fresh extraction (flags or comments)"]


def po_path(locale: str) -> Path:
    return i18n.LOCALE_DIR / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def po_problems(locale: str) -> list[str]:
    """What the locale's catalogue misses, keeps stale or fuzzy, or gets wrong."""
    with POT.open("rb") as fh:
        template = read_po(fh)
    with po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    problems: list[str] = []
    wanted = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template if m.id}
    have = {}
    for m in catalog:
        if m.id:
            have[(m.id if isinstance(m.id, str) else m.id[0], m.context)] = m
    for key in sorted(wanted - have.keys(), key=str):
        problems.append(f"{locale}: missing {key[0]!r}")
    for key in sorted(have.keys() - wanted, key=str):
        problems.append(f"{locale}: stale (no longer in messages.pot) {key[0]!r}")
    for key, message in sorted(have.items(), key=lambda kv: str(kv[0])):
        strings = message.string if isinstance(message.string, tuple | list) else (
            message.string,)
        if key in wanted and not all(strings):
            problems.append(f"{locale}: untranslated {key[0]!r}")
        if message.fuzzy:
            problems.append(f"{locale}: fuzzy {key[0]!r}")
    for message in catalog.obsolete.values():
        problems.append(f"{locale}: obsolete entry #~ {message.id!r}")
    for message, errors in catalog.check():
        for error in errors:
            problems.append(f"{locale}: {message.id!r}: {error}")
    # Babel lets a translation leave a placeholder out; outside plurals (where "one
    # note" rightly drops the number) a dropped %(hub)s is a lost fact.
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str) \
                and message.string and _placeholders(message.string) != _placeholders(message.id):
            problems.append(f"{locale}: {message.id!r}: placeholders differ: "
                            f"{sorted(_placeholders(message.id))} in English, "
                            f"{sorted(_placeholders(message.string))} translated")
    return problems


_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGco]|%[sdif]")


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text.replace("%%", "")))


def main() -> int:
    """``make messages-check``: every check, the findings printed; exit 1 on any."""
    problems = [f"untranslated template text: {lit}" for lit in untranslated_literals()]
    problems += pot_problems()
    for locale in i18n.SUPPORTED_LOCALES:
        if locale != i18n.DEFAULT_LOCALE and po_path(locale).exists():
            problems += po_problems(locale)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s); see docs/translating.md", file=sys.stderr)
        return 1
    print("catalogues and templates are in order")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
