"""Report files → plain text: text in any common encoding, HTML, PDF.

Nothing in a document is executed or fetched: HTML is read with the stdlib parser (the
text of the page and the addresses its links point to; scripts, styles and templates
are left out), PDF with ``pypdf`` (text of the first :data:`MAX_PDF_PAGES` pages).
A file that claims to be PDF but is not, an encrypted PDF, or one too large, is refused
with a :class:`~cyberhub.formats.convert.ConversionError` that says so.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from typing import Final

from charset_normalizer import from_bytes

from cyberhub.formats.convert import ConversionError
from cyberhub.i18n import _

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_PDF_PAGES", "html_text", "pdf_text", "to_text"]

MAX_DOCUMENT_BYTES: Final = 20 * 1000 * 1000
MAX_PDF_PAGES: Final = 300
_SKIP: Final = frozenset({"script", "style", "template", "noscript", "head", "svg"})
_BLOCK: Final = frozenset({"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4",
                           "h5", "h6", "pre", "section", "article", "table", "blockquote"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "a" and not self.skipping:
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://", "ftp://", "mailto:")):
                self.parts.append(f" {href.removeprefix('mailto:')} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ConversionError(_("This file is named as a PDF but is not one (it does not "
                                "start with %PDF-)."))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ConversionError(_("This PDF is encrypted; save an unprotected copy."))
        pages = reader.pages
        texts = [pages[i].extract_text() or "" for i in range(min(len(pages), MAX_PDF_PAGES))]
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ConversionError(_("This PDF cannot be read (%(why)s).") % {"why": exc}) from None
    return "\n".join(texts)


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:1 << 20]).best()
    if best is None:
        raise ConversionError(_("This file is not text, HTML or PDF."))
    return data.decode(best.encoding, errors="replace")


def to_text(data: bytes, filename: str = "") -> str:
    """The readable text of an uploaded report, by its content (and name)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ConversionError(_("The file is larger than %(n)d bytes; split it.")
                              % {"n": MAX_DOCUMENT_BYTES})
    name = filename.lower()
    if name.endswith(".pdf") or data.lstrip()[:5].startswith(b"%PDF-"):
        return pdf_text(data)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ConversionError(_("Office documents are not read; save the report as PDF, "
                                "HTML or text."))
    text = decode(data)
    head = text.lstrip()[:512].lower()
    if name.endswith((".html", ".htm")) or head.startswith(("<!doctype html", "<html")):
        return html_text(text)
    return text
