"""CSV rows → STIX 2.1, and the preview of what each row will become.

Each row gives one object per value column whose cell holds a valid value of the
column's kind (normalised by ``intel.normalise``): an indicator with a STIX pattern, or
an observable. The row's property columns (name, description, labels, first and last
seen, confidence) go on every object it gives:

* indicators carry all of them; first seen → ``valid_from`` (else the import time),
  last seen → ``valid_until`` (when later);
* observables carry no name, description or dates in STIX, so a row with dates, labels
  or a confidence also gives an ``observed-data`` (first/last observed) pointing at it;
  names and descriptions are not kept (the preview says so).

A row without a single valid value is skipped, and so is a value met earlier in the file;
each skip is a :class:`~cyberhub.formats.convert.Notice` naming the row and the reason.
The preview (:func:`preview`) runs exactly this code on the first rows, so what it shows
is what the import stores.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

from cyberhub.db import utcnow
from cyberhub.errors import HubError
from cyberhub.formats import stix_out
from cyberhub.formats.convert import ConversionError, ConvertContext, Notice
from cyberhub.formats.csv import reader
from cyberhub.formats.csv.mapping import VALUE_KINDS, Mapping, guess_roles, looks_like_header
from cyberhub.formats.refang import refang
from cyberhub.i18n import _, ngettext
from cyberhub.intel.normalise import normalise, wallet_chains

__all__ = ["Outcome", "Preview", "convert", "preview", "row_outcome"]

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
MAX_NAME: Final = 250
MAX_LABELS: Final = 20
PREVIEW_ROWS: Final = 20
PREVIEW_SCAN: Final = 5_000  # rows counted for the preview's totals


def column_name(index: int) -> str:
    """Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _where(index: int, header: Sequence[str] | None) -> str:
    title = header[index].strip() if header is not None and index < len(header) else ""
    return _("column %(col)s") % {"col": column_name(index)} + (f" ({title})" if title else "")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d")


def parse_moment(text: str) -> datetime | None:
    """ISO 8601 dates and times (naive ones read as UTC) or Unix seconds; else None."""
    s = text.strip()
    if not s:
        return None
    if re.fullmatch(r"\d{9,10}(\.\d+)?", s):
        return datetime.fromtimestamp(float(s), UTC)
    try:
        moment = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                moment = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    if not 1970 <= moment.year <= 9999:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START) and not re.fullmatch(r"[+-]?\d+(\.\d+)?", text)


@dataclass
class Outcome:
    """What one row becomes."""

    values: list[tuple[str, str]] = field(default_factory=list)  # (kind, normalised)
    # The objects each value gives, in the order of ``values``.
    groups: list[list[dict[str, Any]]] = field(default_factory=list)
    skipped: str = ""  # why the whole row is skipped; empty if it gives objects
    notes: list[str] = field(default_factory=list)  # what was left out or changed

    @property
    def objects(self) -> list[dict[str, Any]]:
        return [obj for group in self.groups for obj in group]


def _normalise(kind: str, raw: str, region: str) -> str | None:
    if kind == "phone":
        return normalise("phone", raw, region=region or None)
    if kind == "wallet" and ":" not in raw:
        chains = wallet_chains(raw)
        return normalise("wallet", raw, chain=chains[0]) if chains else None
    return normalise(kind, raw)


def row_outcome(cells: Sequence[str], mapping: Mapping, *, identity_id: str, now: datetime,
                header: Sequence[str] | None = None) -> Outcome:
    out = Outcome()

    def cell(role: str) -> str:
        i = mapping.column_of(role)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    invalid: list[str] = []
    for i, kind in mapping.value_columns:
        raw = cells[i].strip() if i < len(cells) else ""
        if not raw:
            continue
        fanged = refang(raw)
        value = _normalise(kind, fanged, mapping.region)
        if fanged != raw and value is not None:
            out.notes.append(_("%(where)s: the defanged %(value)r is read as %(real)r")
                             % {"where": _where(i, header), "value": _short(raw),
                                "real": _short(value)})
        if value is None:
            invalid.append(_("%(where)s: %(value)r is not a valid value of the kind "
                             "“%(kind)s”") % {"where": _where(i, header), "value": _short(raw),
                                              "kind": VALUE_KINDS[kind]()})
        else:
            out.values.append((kind, value))
    if not out.values:
        out.skipped = "; ".join(invalid) if invalid else _("no value in the value columns")
        return out
    out.notes += invalid
    name, description = cell("name"), cell("description")
    for what, text in ((_("name"), name), (_("description"), description)):
        if looks_like_formula(text):
            out.notes.append(_("the %(what)s starts like a spreadsheet formula; it is stored "
                               "as text, and CSV exports escape it") % {"what": what})
    if len(name) > MAX_NAME:
        out.notes.append(_("the name is cut to %(n)d characters") % {"n": MAX_NAME})
        name = name[:MAX_NAME]
    labels = [x.strip() for x in re.split(r"[;,]", cell("labels")) if x.strip()][:MAX_LABELS]
    moments: dict[str, datetime | None] = {}
    for role in ("first_seen", "last_seen"):
        text = cell(role)
        moments[role] = parse_moment(text)
        if text and moments[role] is None:
            out.notes.append(_("%(what)s %(value)r is not a date such as 2026-01-31 or "
                               "2026-01-31T14:00Z; left out")
                             % {"what": _("first seen") if role == "first_seen"
                                else _("last seen"), "value": _short(text)})
    confidence: int | None = None
    if cell("confidence"):
        try:
            confidence = int(float(cell("confidence")))
            if not 0 <= confidence <= 100:
                raise ValueError
        except ValueError:
            confidence = None
            out.notes.append(_("confidence %(value)r is not a number from 0 to 100; left out")
                             % {"value": _short(cell("confidence"))})
    first, last = moments["first_seen"], moments["last_seen"]
    for kind, value in out.values:
        if mapping.output == "indicator":
            out.groups.append([stix_out.indicator(
                kind, value, identity_id=identity_id, now=now,
                name=name or f"{VALUE_KINDS[kind]()} {_short(value, 200)}",
                description=description or None, labels=labels or None, confidence=confidence,
                valid_from=first, valid_until=last)])
        else:
            sco = stix_out.observable(kind, value)
            group = [sco]
            if first or last or labels or confidence is not None:
                group.append(stix_out.observed_data(
                    sco["id"], identity_id=identity_id, now=now, first=first, last=last,
                    labels=labels or None, confidence=confidence))
            out.groups.append(group)
    if mapping.output == "observable" and (name or description):
        out.notes.append(_("observables carry no name or description in STIX; choose "
                           "indicators to keep them"))
    return out


def _read(path: Path, mapping: Mapping) -> tuple[reader.Detected, Iterator[tuple[int, list[str]]]]:
    detected = reader.detect(path, encoding=mapping.encoding or None,
                             delimiter=mapping.delimiter or None)
    return detected, reader.records(path, detected)


class _Seen:
    """Values met earlier in the file, as 8-byte digests (memory stays small)."""

    def __init__(self) -> None:
        self.rows: dict[bytes, int] = {}

    def first_row(self, kind: str, value: str, row: int) -> int | None:
        key = hashlib.blake2b(f"{kind}\0{value}".encode(), digest_size=8).digest()
        earlier = self.rows.get(key)
        if earlier is None:
            self.rows[key] = row
        return earlier


def convert(source: Path, target: BinaryIO, context: ConvertContext) -> list[Notice]:
    """The ``csv`` converter: the mapping comes from the import's options."""
    try:
        mapping = Mapping.from_dict(context.options).check()
    except HubError as exc:
        raise ConversionError(exc.message) from None
    now = utcnow()
    notices: list[Notice] = []
    bundle = stix_out.BundleWriter(target)
    seen = _Seen()
    header: list[str] | None = None
    _detected, rows = _read(source, mapping)
    for n, (line, cells) in enumerate(rows):
        if n == 0 and mapping.header:
            header = cells
            continue
        where = _("row at line %(line)d") % {"line": line}
        outcome = row_outcome(cells, mapping, identity_id=context.identity_id, now=now,
                              header=header)
        if outcome.skipped:
            notices.append(Notice(line, None, "", _("Skipped %(where)s: %(why)s.")
                                  % {"where": where, "why": outcome.skipped}))
            continue
        for (kind, value), group in zip(outcome.values, outcome.groups, strict=True):
            earlier = seen.first_row(kind, value, line)
            if earlier is None:
                for obj in group:
                    bundle.add(obj)
            else:
                notices.append(Notice(line, None, "", _(
                    "%(value)s is left out at line %(line)d: line %(first)d holds it "
                    "already.") % {"value": _short(value), "line": line, "first": earlier}))
        for note in outcome.notes:
            notices.append(Notice(line, None, "", f"{where}: {note}."))
    bundle.close()
    if bundle.count == 0:
        raise ConversionError(_("No row of the file holds a valid value for the mapping: "
                                "nothing to import. Check the columns chosen as values."))
    return notices


# ---------------------------------------------------------------- preview


@dataclass
class PreviewRow:
    line: int
    cells: list[str]
    outcome: Outcome


@dataclass
class Preview:
    detected: reader.Detected
    mapping: Mapping
    header: list[str] | None
    width: int
    rows: list[PreviewRow]
    scanned: int = 0  # data rows read for the totals (up to PREVIEW_SCAN)
    objects: int = 0
    skipped: int = 0
    duplicates: int = 0
    more: bool = False  # the file has more rows than were scanned
    samples: list[list[str]] = field(default_factory=list)  # first cells of each column


def preview(path: Path, mapping: Mapping | None = None, *, identity_id: str = "identity--"
            "00000000-0000-4000-8000-000000000000") -> Preview:
    """Read the start of the file and show what the mapping makes of it; without a mapping
    guess one (header or not, each column's role). Raises ConversionError for a file
    that cannot be read at all."""
    detected = reader.detect(path, encoding=(mapping.encoding or None) if mapping else None,
                             delimiter=(mapping.delimiter or None) if mapping else None)
    first: list[tuple[int, list[str]]] = []
    for record in reader.records(path, detected):
        first.append(record)
        if len(first) > PREVIEW_ROWS:
            break
    if not first:
        raise ConversionError(_("The file holds no rows."))
    width = max(len(cells) for _line, cells in first)
    if mapping is None:
        header_guess = looks_like_header(first[0][1], [c for _line, c in first[1:]])
        data = [c for _line, c in (first[1:] if header_guess else first)]
        roles = guess_roles(first[0][1] if header_guess else None, data, width)
        mapping = Mapping(columns=tuple(roles), header=header_guess)
    if len(mapping.columns) < width:
        mapping = Mapping(**{**mapping.as_dict(), "columns": (
            *mapping.columns, *["ignore"] * (width - len(mapping.columns)))},
            name=mapping.name)
    header = first[0][1] if mapping.header else None
    now = utcnow()
    result = Preview(detected=detected, mapping=mapping, header=header, width=width, rows=[])
    seen = _Seen()
    for n, (line, cells) in enumerate(reader.records(path, detected)):
        if n == 0 and mapping.header:
            continue
        if result.scanned >= PREVIEW_SCAN:
            result.more = True
            break
        result.scanned += 1
        outcome = row_outcome(cells, mapping, identity_id=identity_id, now=now, header=header)
        dupes = [v for k, v in outcome.values if seen.first_row(k, v, line) is not None]
        if dupes and len(dupes) == len(outcome.values):
            outcome.skipped = _("every value is on an earlier row")
        elif dupes:
            outcome.notes.append(ngettext("%(n)d value is on an earlier row",
                                          "%(n)d values are on an earlier row", len(dupes))
                                 % {"n": len(dupes)})
        result.duplicates += len(dupes)
        if outcome.skipped:
            result.skipped += 1
        else:
            result.objects += len(outcome.objects)
        if len(result.rows) < PREVIEW_ROWS:
            result.rows.append(PreviewRow(line, cells, outcome))
    result.samples = [[c[i] for _line, c in first[1 if mapping.header else 0:][:3] if i < len(c)]
                      for i in range(width)]
    return result
