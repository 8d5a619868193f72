"""Re-fang defanged indicators: ``hxxp://evil[.]example`` → ``http://evil.example``.

Reports and spreadsheets defang values so that nobody clicks them by accident; the hub
stores the real value (``intel.normalise`` refuses defanged text, on purpose). Only the
unambiguous, widely used forms are undone: bracketed or parenthesised dots, at-signs and
colons (``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``(dot)``, ``[@]``, ``[at]``, ``(at)``,
``[:]``, ``[://]``), ``hxxp``/``hxxps``/``fxp`` schemes and a backslash before a dot.
Plain words (``example dot com``) are left alone: in prose they are too often words.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["refang"]

_SCHEMES: Final = re.compile(r"\b(?:h[xX]{2}p|h[tT]{2}p|hXXp)(s?)(\[?:\]?//|://)", re.IGNORECASE)
_FXP: Final = re.compile(r"\bfxp(s?)://", re.IGNORECASE)
_DOT: Final = re.compile(r"\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\\\.)\s?",
                         re.IGNORECASE)
_AT: Final = re.compile(r"\s?(?:\[@\]|\(@\)|\{@\}|\[at\]|\(at\)|\{at\})\s?", re.IGNORECASE)
_COLON: Final = re.compile(r"\[:\]|\[://\]")
_ZERO_WIDTH: Final = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def refang(text: str) -> str:
    """The text with defanged forms undone (idempotent; real values are unchanged)."""
    s = _ZERO_WIDTH.sub("", text)
    s = _SCHEMES.sub(lambda m: f"http{m.group(1).lower()}://", s)
    s = _FXP.sub(lambda m: f"ftp{m.group(1).lower()}://", s)
    s = _COLON.sub(lambda m: "://" if m.group(0) == "[://]" else ":", s)
    s = _DOT.sub(".", s)
    return _AT.sub("@", s)
