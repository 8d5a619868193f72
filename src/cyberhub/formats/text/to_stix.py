"""Confirmed free-text candidates → STIX 2.1: the ``text`` converter.

The member confirmed the values on the text-import page; they travel in the import's
options (``{"values": [[kind, value], …], "output": "indicator" | "observable"}``) and
are checked again here (normalised; an invalid one becomes a notice). CVE ids become
``vulnerability`` objects; every other value an indicator or an observable, as a CSV row
would (:mod:`cyberhub.formats.stix_out`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, BinaryIO, Final

from cyberhub.db import utcnow
from cyberhub.formats import stix_out
from cyberhub.formats.convert import ConversionError, ConvertContext, Notice
from cyberhub.formats.csv.mapping import VALUE_KINDS
from cyberhub.formats.text.extract import normal
from cyberhub.i18n import _

__all__ = ["MAX_VALUES", "convert"]

MAX_VALUES: Final = 10_000
_NS: Final = uuid.UUID("0d7c3f55-2e0b-4c55-8d0b-6a7e2f1c9b42")


def _vulnerability(cve: str, identity_id: str, now: str) -> dict[str, Any]:
    return {"type": "vulnerability", "spec_version": "2.1",
            "id": f"vulnerability--{uuid.uuid5(_NS, identity_id + '|' + cve)}",
            "created_by_ref": identity_id, "created": now, "modified": now, "name": cve,
            "external_references": [{"source_name": "cve", "external_id": cve}]}


def convert(source: Path, target: BinaryIO, context: ConvertContext) -> list[Notice]:
    values = context.options.get("values")
    output = context.options.get("output", "indicator")
    if not isinstance(values, list) or not values or output not in ("indicator", "observable"):
        raise ConversionError(_("No confirmed values to import."))
    if len(values) > MAX_VALUES:
        raise ConversionError(_("At most %(n)d values are imported at once.") % {"n": MAX_VALUES})
    now = utcnow()
    stamp = stix_out.stix_time(now)
    description = _("Found in %(name)s.") % {"name": context.filename} if context.filename else None
    notices: list[Notice] = []
    bundle = stix_out.BundleWriter(target)
    for index, item in enumerate(values):
        kind, raw = (item[0], item[1]) if isinstance(item, list) and len(item) == 2 else ("", "")
        value = normal(kind, raw) if isinstance(kind, str) and isinstance(raw, str) and (
            kind in VALUE_KINDS or kind == "cve") else None
        if value is None:
            notices.append(Notice(index, None, "", _("Left out %(value)r: not a valid value of "
                                                     "its kind.") % {"value": str(raw)[:80]}))
            continue
        if kind == "cve":
            bundle.add(_vulnerability(value, context.identity_id, stamp))
        elif output == "indicator":
            bundle.add(stix_out.indicator(kind, value, identity_id=context.identity_id, now=now,
                                          name=f"{VALUE_KINDS[kind]()} {value[:200]}",
                                          description=description))
        else:
            bundle.add(stix_out.observable(kind, value))
    bundle.close()
    if bundle.count == 0:
        raise ConversionError(_("None of the confirmed values is valid: nothing to import."))
    return notices
