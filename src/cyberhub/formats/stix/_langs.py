"""ISO 639 language codes (from pycountry), for RFC 5646 ``lang`` checks."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def _codes() -> frozenset[str]:
    codes: set[str] = set()
    for lang in pycountry.languages:
        for attr in ("alpha_2", "alpha_3"):
            code = getattr(lang, attr, None)
            if code:
                codes.add(code)
    for lang in pycountry.language_families:
        codes.add(lang.alpha_3)
    # ISO 639-2 bibliographic codes (fre, ger, …) sit on the languages as bibliographic.
    for lang in pycountry.languages:
        code = getattr(lang, "bibliographic", None)
        if code:
            codes.add(code)
    return frozenset(codes)


def is_language(code: str) -> bool:
    """Whether ``code`` (lower case) is an ISO 639-1, 639-2 or 639-3 language code."""
    return code in _codes()
