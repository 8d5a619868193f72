"""What every PDF the hub draws (fpdf2) shares: a font for every script, text shaping and
the reading direction of the language in use.

DejaVu Sans (Debian's fonts-dejavu-core) covers Latin, Greek, Cyrillic and Arabic; with
it, HarfBuzz (uharfbuzz) joins Arabic letters and the Unicode bidi algorithm orders each
line, and in a right-to-left language paragraphs align right and table columns run from
the right. Without the font the PDF falls back to the core Helvetica, and characters
outside Latin-1 are replaced (legible for Latin languages, not for Arabic: install the
font)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cyberhub import i18n

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS: Final = Path("/usr/share/fonts/truetype/dejavu")
_FALLBACKS: Final = {"·": "-", "—": "-", "→": "->", "✓": "x"}
# Unicode isolates: a left-to-right run (a date, an id) keeps its order in a
# right-to-left line.
_LRI, _PDI = "\u2066", "\u2069"


@dataclass(frozen=True)
class Style:
    family: str
    unicode: bool
    rtl: bool

    @property
    def align(self) -> str:
        """Alignment of paragraphs and cells: to the start of the line."""
        return "R" if self.rtl else "L"

    @property
    def table_align(self) -> str:
        return "RIGHT" if self.rtl else "LEFT"

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        for char, plain in _FALLBACKS.items():
            value = value.replace(char, plain)
        return value.encode("latin-1", "replace").decode("latin-1")

    def ltr(self, value: str) -> str:
        """A value that reads left to right whatever the language (ids, UTC times)."""
        return f"{_LRI}{value}{_PDI}" if self.rtl and self.unicode else self.text(value)

    def when(self, moment: datetime) -> str:
        return self.ltr(moment.strftime("%Y-%m-%d %H:%M UTC"))

    def columns(self, cells: Sequence[Any]) -> list[Any]:
        """Table cells (or widths) in reading order: from the right in RTL."""
        return list(reversed(cells)) if self.rtl else list(cells)


def prepare(doc: FPDF) -> Style:
    """Register the fonts on ``doc`` and turn on shaping; the style to draw with."""
    regular, bold = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
    rtl = i18n.direction() == "rtl"
    if not (regular.exists() and bold.exists()):
        return Style("Helvetica", unicode=False, rtl=False)
    family = "DejaVu"
    doc.add_font(family, "", str(regular))
    doc.add_font(family, "B", str(bold))
    oblique, bold_oblique = FONTS / "DejaVuSans-Oblique.ttf", FONTS / "DejaVuSans-BoldOblique.ttf"
    doc.add_font(family, "I", str(oblique if oblique.exists() else regular))
    doc.add_font(family, "BI", str(bold_oblique if bold_oblique.exists() else bold))
    style = Style(family, unicode=True, rtl=rtl)
    restore_direction(doc, style)
    return style


def restore_direction(doc: FPDF, style: Style) -> None:
    """Shaping joins Arabic letters and orders every line by the bidi algorithm; the
    paragraphs take the reader's direction, as the pages do. Also what ends a stretch of
    text in its own language (a narrative)."""
    if style.unicode:
        doc.set_text_shaping(use_shaping_engine=True, direction="rtl" if style.rtl else "ltr")
