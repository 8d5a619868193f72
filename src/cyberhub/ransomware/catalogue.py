"""Ransomware families as the hub knows them: STIX ``malware`` objects → :class:`Family`.

A family is the reference family (the MISP ransomware galaxy, TLP:CLEAR) merged with
what members contributed: their own copies of it (same STIX id) and their own
``malware`` objects that carry the ransomware-family extension under the family's
name or one of its aliases. A member's family that names no known family is a family
of its own. Every extension, note name and note keeps the hub record it came from, so
that the asker sees only what they may see (the service checks the non-public ones).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cyberhub.intel.extensions import RANSOMWARE
from cyberhub.ransomware.identify import Family, Note

__all__ = ["Row", "build_families", "details_of", "is_ransomware_family"]

DEFINITION_ID = RANSOMWARE.definition_id


@dataclass(frozen=True)
class Row:
    record_id: uuid.UUID
    public: bool  # TLP:CLEAR: every asker may see it, no per-query check
    reference: bool  # owned by the hub's reference data
    obj: dict[str, Any]


def details_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The ransomware-family extension's properties (empty when it has none)."""
    ext = (obj.get("extensions") or {}).get(DEFINITION_ID)
    return ext if isinstance(ext, dict) else {}


def is_ransomware_family(obj: dict[str, Any]) -> bool:
    if obj.get("type") != "malware":
        return False
    types = obj.get("malware_types") or []
    return bool(details_of(obj)) or (isinstance(types, list) and "ransomware" in types)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def build_families(rows: Iterable[Row]) -> list[Family]:
    """Merge the rows into families: reference families first, then members' records
    joined by STIX id, then by name or alias, else a family of their own."""
    rows = [r for r in rows if is_ransomware_family(r.obj) and not r.obj.get("revoked")]
    rows.sort(key=lambda r: (not r.reference, str(r.obj.get("id")), str(r.record_id)))
    families: dict[str, Family] = {}
    by_name: dict[str, str] = {}
    for row in rows:
        obj = row.obj
        sid = str(obj.get("id"))
        name = str(obj.get("name") or sid)
        aliases = _strings(obj.get("aliases"))
        key = sid if sid in families else None
        if key is None and not row.reference:
            key = next((by_name[n.casefold()] for n in (name, *aliases)
                        if n.casefold() in by_name), None)
        if key is None:
            key = sid
            families[key] = Family(key=key, name=name)
            for n in (name, *aliases):
                by_name.setdefault(n.casefold(), key)
        fam = families[key]
        for alias in [name, *aliases]:
            if alias.casefold() != fam.name.casefold() and alias not in fam.aliases:
                fam.aliases.append(alias)
        fam.record_ids.append(row.record_id)
        if sid not in fam.stix_ids:
            fam.stix_ids.append(sid)
        fam.public = fam.public or row.public
        rid = None if row.public else row.record_id
        details = details_of(obj)
        fam.extensions += [(e, rid) for e in _strings(details.get("file_extensions"))]
        fam.note_names += [(n, rid) for n in _strings(details.get("ransom_note_filenames"))]
        fam.notes += [Note(t, rid) for t in _strings(details.get("ransom_notes"))]
    return list(families.values())
