"""Reading a member's CSV file: its encoding, its delimiter, then its records, streamed.

Spreadsheets are exported in many shapes: UTF-8 with or without a byte-order mark,
UTF-16 from Excel's "Unicode text", Windows-1252 or Latin-1 from older tools, commas or
semicolons (European locales) or tabs, ``\\r\\n``, ``\\n`` or old Mac ``\\r`` line ends —
sometimes mixed in one file. The stdlib :mod:`csv` module reads all of these once the
text is decoded and the file is opened with ``newline=""``; this module works out the
decoding and the delimiter from a sample and turns every way a file can be broken into
a :class:`~cyberhub.formats.convert.ConversionError` that says where and what to do.

Nothing here holds the whole file: :func:`records` yields one record at a time.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from charset_normalizer import from_bytes

from cyberhub.formats.convert import ConversionError
from cyberhub.i18n import _

__all__ = ["DELIMITERS", "MAX_COLUMNS", "MAX_FIELD", "Detected", "detect", "records"]

SAMPLE_BYTES: Final = 1 << 20  # read to decide the encoding and delimiter
MAX_FIELD: Final = csv.field_size_limit()  # characters in one cell (the csv module's limit)
MAX_COLUMNS: Final = 200
DELIMITERS: Final = (",", ";", "\t", "|")
DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY: Final[tuple[tuple[bytes, Callable[[], str]], ...]] = (
    (b"PK\x03\x04", lambda: _("an Excel or OpenDocument workbook (a ZIP archive)")),
    (b"\xd0\xcf\x11\xe0", lambda: _("an old Excel workbook (.xls)")),
    (b"%PDF", lambda: _("a PDF document")),
)


@dataclass(frozen=True)
class Detected:
    """How a file is to be read, as found in its first megabyte (or chosen by the user)."""

    encoding: str  # a Python codec name; utf-8-sig and utf-16 remove the byte-order mark
    delimiter: str
    bom: bool = False

    @property
    def encoding_label(self) -> str:
        """The encoding as people know it: UTF-8, UTF-16, windows-1252…"""
        name = codecs.lookup(self.encoding).name
        label = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                 "utf-32": "UTF-32", "ascii": "ASCII"}.get(name, name)
        return label + (" " + _("with byte-order mark") if self.bom else "")

    @property
    def delimiter_label(self) -> str:
        names = {",": _("comma"), ";": _("semicolon"), "\t": _("tab"), "|": _("pipe")}
        return names.get(self.delimiter, repr(self.delimiter))


def _sample(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(SAMPLE_BYTES)


def _encoding_of(sample: bytes, whole: bool) -> tuple[str, bool]:
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name, True
    for magic, what in _BINARY:
        if sample.startswith(magic):
            raise ConversionError(_("This file is %(what)s, not CSV text. Save the sheet as "
                                    "CSV (UTF-8) and upload that.") % {"what": what()})
    if b"\x00" in sample:
        raise ConversionError(_("This file holds NUL bytes: it is not CSV text (or it is "
                                "UTF-16 without a byte-order mark). Save it as CSV (UTF-8)."))
    try:
        # A cut in the middle of a multi-byte character at the end of the sample is fine.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8", False
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample).best()
    if best is None:
        raise ConversionError(_("The text encoding of this file cannot be recognised. Save "
                                "it as CSV (UTF-8) and upload it again."))
    return codecs.lookup(best.encoding).name, False


def _delimiter_of(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
        if found in DELIMITERS:
            return found
    except csv.Error:
        pass
    first = lines[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def detect(path: Path, *, encoding: str | None = None,
           delimiter: str | None = None) -> Detected:
    """Work out the encoding (unless given) and the delimiter (unless given)."""
    sample = _sample(path)
    if not sample.strip():
        raise ConversionError(_("The file is empty."))
    bom = False
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ConversionError(_("Unknown text encoding %(name)r.") % {"name": encoding}
                                  ) from None
        bom = any(sample.startswith(b) for b, _name in _BOMS)
    else:
        encoding, bom = _encoding_of(sample, whole=len(sample) < SAMPLE_BYTES)
    if delimiter is not None and delimiter not in DELIMITERS:
        raise ConversionError(_("Unknown delimiter %(d)r; use a comma, semicolon, tab or "
                                "pipe.") % {"d": delimiter})
    if delimiter is None:
        try:
            text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample)
        except UnicodeError as exc:
            raise ConversionError(_("The file cannot be read as %(enc)s: %(why)s.")
                                  % {"enc": encoding, "why": exc}) from None
        delimiter = _delimiter_of(text.lstrip("\ufeff"))
    return Detected(encoding, delimiter, bom)


def records(path: Path, detected: Detected) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, cells)`` for every record; raise ConversionError, naming the
    line, at broken quoting, text that is not in the detected encoding, a cell over
    :data:`MAX_FIELD` characters or more than :data:`MAX_COLUMNS` columns.

    Blank lines are skipped. The line number is where the record starts (1-based), as a
    text editor shows it; a quoted cell may span several lines.
    """
    with path.open("r", encoding=detected.encoding, newline="", errors="strict") as f:
        reader = csv.reader(f, delimiter=detected.delimiter, quotechar='"', strict=True)
        start = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ConversionError(_explain(str(exc), reader.line_num)) from None
            except UnicodeError:
                raise ConversionError(_(
                    "Line %(line)d or near it is not valid %(enc)s text, though the start of "
                    "the file is. Save the file as CSV (UTF-8) and upload it again.")
                    % {"line": _undecodable_line(path, detected.encoding),
                       "enc": detected.encoding_label}
                ) from None
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # a blank line, or a spreadsheet's empty row (",,,")
            if len(row) > MAX_COLUMNS:
                raise ConversionError(_("Line %(line)d has %(n)d columns; at most %(max)d are "
                                        "read.") % {"line": line, "n": len(row),
                                                    "max": MAX_COLUMNS})
            if line == 1 and row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            yield line, row


def _explain(error: str, line: int) -> str:
    if "field larger than field limit" in error:
        return _("Line %(line)d has a cell longer than %(max)d characters. Is a quote "
                 "missing its closing quote?") % {"line": line, "max": MAX_FIELD}
    if "unexpected end of data" in error or "EOF" in error:
        return _("The file ends inside a quoted cell that starts at or before line "
                 "%(line)d: a closing quote (\") is missing.") % {"line": line}
    if "NUL" in error:
        return _("Line %(line)d holds a NUL byte: this is not CSV text.") % {"line": line}
    return _("Line %(line)d is not valid CSV (%(error)s). A quote inside a cell must be "
             "doubled (\"\") and the cell quoted.") % {"line": line, "error": error}



def _undecodable_line(path: Path, encoding: str) -> int:
    """The line where the text stops being valid in ``encoding`` (on the error path only:
    the text reader decodes ahead in blocks, so its own line count is not there yet)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as f:
        while block := f.read(1 << 16):
            for i in range(0, len(block), 4096):
                piece = block[i:i + 4096]
                try:
                    text = decoder.decode(piece)
                except UnicodeError as exc:
                    start = getattr(exc, "start", 0)
                    try:
                        done = decoder.decode(piece[:start]) if start else ""
                    except UnicodeError:
                        done = ""
                    return line + done.count("\n") + done.count("\r") - done.count("\r\n")
                line += text.count("\n") + text.count("\r") - text.count("\r\n")
    return line
