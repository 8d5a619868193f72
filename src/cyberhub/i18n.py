"""The translation layer. Every user-facing string goes through ``_``.

Catalogues live in ``cyberhub/locale/<locale>/LC_MESSAGES/messages.po``; English is the
source language. They are compiled in memory the first time a locale is used (no
``.mo`` file is committed or built, so none can go stale), and kept for the process.

The active locale is per request: the request middleware opens a scope
(:func:`request_scope`) that the dependency resolving the user may refine
(:func:`prefer`), so a worker thread serving a French user never leaks French into
another request, and a choice made in a dependency reaches the route and the error
handlers of the same request.
"""

from __future__ import annotations

import gettext as _gettext
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "en"
# The languages the interface speaks, in the order the language switcher lists them.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "fr", "es", "ar")
RTL_LOCALES = frozenset({"ar", "he", "fa", "ur"})
# Each language named in itself, as the switcher shows it.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}
COOKIE = "cyberhub_locale"


@dataclass
class _Active:
    locale: str


_DEFAULT = _Active(DEFAULT_LOCALE)
_current: ContextVar[_Active] = ContextVar("cyberhub_locale", default=_DEFAULT)
_cache: dict[str, _gettext.NullTranslations] = {}
_lock = threading.Lock()


def supported(locale: str | None) -> str | None:
    """The supported locale a tag names (``fr-CA`` → ``fr``), or None."""
    if not locale:
        return None
    base = locale.replace("-", "_").split("_")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def _compile(locale: str) -> _gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    # Fuzzy entries are left out, as msgfmt does: an unchecked guess shows as English.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a locale (English, the source, has none)."""
    found = _cache.get(locale)
    if found is None:
        with _lock:
            found = _cache.get(locale)
            if found is None:
                found = _cache[locale] = _compile(locale)
    return found


def clear_cache() -> None:
    """Forget the compiled catalogues (tests that write a catalogue; a reload)."""
    with _lock:
        _cache.clear()


def has_catalogue(locale: str) -> bool:
    return (LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").exists()


def direction(locale: str | None = None) -> str:
    """``rtl`` for the languages written right to left, else ``ltr``."""
    base = (locale or get_locale()).split("_")[0]
    return "rtl" if base in RTL_LOCALES else "ltr"


def negotiate(accept_language: str | None) -> str | None:
    """The best supported locale for an ``Accept-Language`` header, or None."""
    if not accept_language:
        return None
    from babel import Locale

    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            wanted.append((-quality, index, tag.strip()))
    preferences = [tag.replace("-", "_") for _q, _i, tag in sorted(wanted)]
    found = Locale.negotiate(preferences, list(SUPPORTED_LOCALES), sep="_")
    if found is not None:
        return supported(str(found))
    # Babel matches whole tags; "fr-CA" alone still means French to us.
    return next((base for tag in preferences if (base := supported(tag))), None)


def from_environment(environ: Mapping[str, str]) -> str:
    """The operator's language for the command line, from the variables gettext reads
    (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, in that order); English for
    ``C``, ``POSIX`` or a language the hub does not speak."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        for tag in value.split(":"):
            found = supported(tag.split(".")[0].split("@")[0])
            if found:
                return found
        if name != "LANGUAGE":
            break  # the first locale variable set decides, as in gettext
    return DEFAULT_LOCALE


def resolve(user_choice: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The locale of a request: the user's own choice, then the browser's cookie, then
    its ``Accept-Language``, then English."""
    return (supported(user_choice) or supported(cookie) or negotiate(accept_language)
            or DEFAULT_LOCALE)


def set_locale(locale: str) -> None:
    """Make ``locale`` the active one for this context (a job, a test, a CLI run)."""
    _current.set(_Active(supported(locale) or DEFAULT_LOCALE))


@contextmanager
def request_scope(locale: str) -> Iterator[None]:
    """The scope of one request: :func:`prefer` inside it changes the locale for every
    task and thread of the request, dependencies included."""
    token = _current.set(_Active(supported(locale) or DEFAULT_LOCALE))
    try:
        yield
    finally:
        _current.reset(token)


def prefer(locale: str | None) -> None:
    """The signed-in user's own choice, once known, wins for the rest of the request."""
    chosen = supported(locale)
    active = _current.get()
    if chosen is None:
        return
    if active is _DEFAULT:
        set_locale(chosen)
    else:
        active.locale = chosen


@contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    """Speak ``locale`` inside the block (an e-mail to its recipient), then go back."""
    token = _current.set(_Active(supported(locale) or DEFAULT_LOCALE))
    try:
        yield
    finally:
        _current.reset(token)


def get_locale() -> str:
    return _current.get().locale


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the role ``context`` names: one English word ("Open", "Report")
    with several meanings gets one catalogue entry per meaning."""
    return translations(get_locale()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).npgettext(context, singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction (``pybabel extract`` knows ``N_``) where it cannot be
    translated yet, such as a command's help declared at import: it is translated where
    it is shown."""
    return message


def format_or(items: Sequence[str]) -> str:
    """Alternatives as the active language lists them: "file or artifact", "file ou
    artifact" (CLDR's "or" list pattern)."""
    from babel.lists import format_list

    return format_list(list(items), style="or", locale=get_locale())


# ---------------------------------------------------------------- formatting for the locale
# Dates, times, numbers and money as the active locale writes them (Babel, CLDR data).
# Times are shown in UTC, the hub's one time zone; digits stay Latin in every locale.


def format_datetime(value: datetime | None) -> str:
    """A moment, date and minutes: "Dec 5, 2026, 2:07 PM", "5 déc. 2026, 14:07"."""
    if value is None:
        return ""
    from babel import Locale
    from babel.dates import format_date as _date
    from babel.dates import format_time as _time

    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    locale = get_locale()
    pattern = str(Locale.parse(locale).datetime_formats["medium"]).replace("'", "")
    return (pattern.replace("{0}", _time(value, "short", tzinfo=UTC, locale=locale))
            .replace("{1}", _date(value, "medium", locale=locale)))


def format_date(value: date | datetime | None) -> str:
    """A day: "Dec 5, 2026", "5 déc. 2026"."""
    if value is None:
        return ""
    from babel.dates import format_date as _date

    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()
    return _date(value, "medium", locale=get_locale())


def _number(kind: str, value: float | Decimal, digits: int | None,
            currency: str | None = None) -> str:
    """The locale's own pattern for a number, a percentage or money, with ``digits``
    decimals when given (all of them otherwise: a wallet's amount keeps every digit)."""
    import copy

    from babel import Locale

    locale = Locale.parse(get_locale())
    pattern = copy.copy({"decimal": locale.decimal_formats[None],
                         "percent": locale.percent_formats[None],
                         "currency": locale.currency_formats["standard"]}[kind])
    if digits is not None:
        pattern.frac_prec = (digits, digits)
    return str(pattern.apply(value, locale, currency=currency, currency_digits=digits is None,
                             decimal_quantization=digits is not None or kind == "currency"))


def format_number(value: float | Decimal | None, digits: int | None = None) -> str:
    """A number with the locale's separators: "1,234.5", "1 234,5"; ``digits`` fixes
    the decimals shown, otherwise every digit of the value is kept."""
    return "" if value is None else _number("decimal", value, digits)


def format_size(n: int) -> str:
    """A number of bytes as the locale writes it, in decimal units: "1.5 MB", "1,5 Mo"."""
    value = float(n)
    units = ("B", "KB", "MB", "GB")
    for index, unit in enumerate(units):
        if value < 1000 or index == len(units) - 1:
            label = {"B": _("%(n)s B"), "KB": _("%(n)s KB"), "MB": _("%(n)s MB"),
                     "GB": _("%(n)s GB")}[unit]
            return label % {"n": format_number(value, 0 if index == 0 else 1)}
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def format_percent(ratio: float | None, digits: int = 0) -> str:
    """A ratio (0.42) as the locale writes a percentage: "42%", "42 %"."""
    return "" if ratio is None else _number("percent", ratio, digits)


def format_money(amount: float | Decimal | None, currency: str | None,
                 digits: int | None = None) -> str:
    """An amount in a currency: ISO 4217 codes as the locale writes money ("1 234,50 $US");
    crypto-assets and unknown codes as the number followed by the code ("0.5 BTC")."""
    if amount is None:
        return ""
    from babel.numbers import is_currency

    code = (currency or "").upper()
    if code and is_currency(code):
        return _number("currency", amount, digits, code)
    number = _number("decimal", amount, digits)
    return f"{number} {currency}" if currency else number
