"""The translation layer. Every user-facing string goes through ``_``.

Catalogues live in ``cyberhub/locale``; English is the source language. The active
locale is per request (a context variable), so a worker thread serving a French user
never leaks French into another request.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "en"

_current: ContextVar[str] = ContextVar("cyberhub_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=16)
def translations(locale: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def set_locale(locale: str) -> None:
    _current.set(locale)


def get_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext
