"""What request validation found wrong, in the requester's language.

FastAPI reports bad input with Pydantic's messages, which are English only. The common
kinds are said here through gettext, in Pydantic's own English words (so English answers
do not change); any other kind keeps Pydantic's message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cyberhub.i18n import _, format_number, ngettext


def _fallback() -> str:
    raise ValueError("no translation of this variant")


def _n(ctx: Mapping[str, Any], key: str) -> str:
    value = ctx.get(key)
    return format_number(value) if isinstance(value, int | float) else str(value)


_SIMPLE: dict[str, Callable[[], str]] = {
    "missing": lambda: _("Field required"),
    "string_type": lambda: _("Input should be a valid string"),
    "int_type": lambda: _("Input should be a valid integer"),
    "int_parsing": lambda: _("Input should be a valid integer, unable to parse string as an "
                             "integer"),
    "int_from_float": lambda: _("Input should be a valid integer, got a number with a "
                                "fractional part"),
    "float_type": lambda: _("Input should be a valid number"),
    "float_parsing": lambda: _("Input should be a valid number, unable to parse string as a "
                               "number"),
    "bool_type": lambda: _("Input should be a valid boolean"),
    "bool_parsing": lambda: _("Input should be a valid boolean, unable to interpret input"),
    "list_type": lambda: _("Input should be a valid list"),
    "dict_type": lambda: _("Input should be a valid dictionary"),
}

_WITH_CONTEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "string_too_short": lambda c: ngettext(
        "String should have at least %(n)s character",
        "String should have at least %(n)s characters",
        int(c.get("min_length", 0))) % {"n": _n(c, "min_length")},
    "string_too_long": lambda c: ngettext(
        "String should have at most %(n)s character",
        "String should have at most %(n)s characters",
        int(c.get("max_length", 0))) % {"n": _n(c, "max_length")},
    "greater_than": lambda c: _("Input should be greater than %(n)s") % {"n": _n(c, "gt")},
    "greater_than_equal": lambda c: _("Input should be greater than or equal to %(n)s")
    % {"n": _n(c, "ge")},
    "less_than": lambda c: _("Input should be less than %(n)s") % {"n": _n(c, "lt")},
    "less_than_equal": lambda c: _("Input should be less than or equal to %(n)s")
    % {"n": _n(c, "le")},
    "enum": lambda c: _("Input should be %(expected)s") % {"expected": c.get("expected", "")},
    "literal_error": lambda c: _("Input should be %(expected)s")
    % {"expected": c.get("expected", "")},
    "uuid_parsing": lambda c: _("Input should be a valid UUID, %(error)s")
    % {"error": c.get("error", "")},
    "datetime_from_date_parsing": lambda c: _(
        "Input should be a valid datetime or date, %(error)s") % {"error": c.get("error", "")},
    "datetime_parsing": lambda c: _("Input should be a valid datetime, %(error)s")
    % {"error": c.get("error", "")},
    "date_from_datetime_parsing": lambda c: _("Input should be a valid date or datetime, "
                                              "%(error)s") % {"error": c.get("error", "")},
    "too_long": lambda c: ngettext(
        "List should have at most %(n)s item after validation, not %(actual)s",
        "List should have at most %(n)s items after validation, not %(actual)s",
        int(c.get("max_length", 0))) % {"n": _n(c, "max_length"), "actual": _n(c, "actual_length")}
    if c.get("field_type") == "List" else _fallback(),
}


def problem(error: Mapping[str, Any]) -> str:
    """One Pydantic error (``exc.errors()`` item) as a sentence in the active language."""
    kind = str(error.get("type", ""))
    if kind in _SIMPLE:
        return _SIMPLE[kind]()
    if kind in _WITH_CONTEXT:
        try:
            return _WITH_CONTEXT[kind](error.get("ctx") or {})
        except (TypeError, ValueError):
            pass
    return str(error.get("msg", ""))
