"""Observable values → STIX 2.1 objects, shared by the CSV and free-text converters.

A value is given in normal form (``intel.normalise``) with its kind. It becomes either an
*observable* (the SCO, with the deterministic id STIX §2.9 prescribes, so two members
reporting the same value produce the same id) or an *indicator* whose pattern compares
the SCO's property with the value. Indicator ids are derived from the importing
organisation's identity and the pattern, so importing the same list again meets the
same indicators instead of piling up copies.

A bundle is written as a stream (:class:`BundleWriter`): one object at a time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final

import orjson

from cyberhub.intel import extensions
from cyberhub.intel.normalise import wallet_chains

__all__ = ["KIND_TYPES", "BundleWriter", "indicator", "observable", "pattern_of", "stix_time"]

# Kind → (SCO type, property compared by the pattern).
KIND_TYPES: Final[dict[str, tuple[str, str]]] = {
    "ipv4": ("ipv4-addr", "value"), "ipv6": ("ipv6-addr", "value"),
    "domain": ("domain-name", "value"), "url": ("url", "value"),
    "email": ("email-addr", "value"),
    "md5": ("file", "hashes.MD5"), "sha1": ("file", "hashes.'SHA-1'"),
    "sha256": ("file", "hashes.'SHA-256'"), "sha512": ("file", "hashes.'SHA-512'"),
    "iban": ("x-cyberhub-bank-account", "iban"),
    "phone": ("x-cyberhub-phone-number", "value"),
    "wallet": ("x-cyberhub-cryptocurrency-wallet", "address"),
    "social": ("x-cyberhub-social-account", "handle"),
}
_HASH_NAMES: Final = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
_INDICATOR_NS: Final = uuid.UUID("6a1bd2c4-3f0e-4a8f-9a53-3f4b2b1e0c71")


def stix_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _split(kind: str, value: str) -> tuple[str, str]:
    """``chain:address`` / ``platform:handle`` → the two parts."""
    head, _sep, tail = value.partition(":")
    if kind == "wallet" and not tail:  # a bare address: the first chain it is valid on
        chains = wallet_chains(value)
        return (chains[0] if chains else "unknown"), value
    return head, tail


def pattern_of(kind: str, value: str) -> str:
    sco, prop = KIND_TYPES[kind]
    if kind == "wallet":
        chain, address = _split(kind, value)
        return f"[{sco}:chain = {_lit(chain)} AND {sco}:address = {_lit(address)}]"
    if kind == "social":
        platform, handle = _split(kind, value)
        return f"[{sco}:platform = {_lit(platform)} AND {sco}:handle = {_lit(handle)}]"
    return f"[{sco}:{prop} = {_lit(value)}]"


def observable(kind: str, value: str) -> dict[str, Any]:
    """The SCO for a normalised value, with its deterministic id."""
    sco, _prop = KIND_TYPES[kind]
    if kind in _HASH_NAMES:
        hashes = {_HASH_NAMES[kind]: value}
        return {"type": "file", "spec_version": "2.1",
                "id": extensions.sco_id("file", {"hashes": hashes}), "hashes": hashes}
    if kind == "iban":
        return extensions.new_bank_account(iban=value)
    if kind == "phone":
        return extensions.new_phone_number(value)
    if kind == "wallet":
        return extensions.new_cryptocurrency_wallet(*_split(kind, value))
    if kind == "social":
        return extensions.new_social_account(*_split(kind, value))
    return {"type": sco, "spec_version": "2.1", "id": extensions.sco_id(sco, {"value": value}),
            "value": value}


def indicator(kind: str, value: str, *, identity_id: str, now: datetime, name: str,
              description: str | None = None, labels: list[str] | None = None,
              confidence: int | None = None, valid_from: datetime | None = None,
              valid_until: datetime | None = None) -> dict[str, Any]:
    pattern = pattern_of(kind, value)
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(_INDICATOR_NS, identity_id + '|' + pattern)}",
        "created_by_ref": identity_id,
        "created": stix_time(now), "modified": stix_time(now), "name": name,
        "pattern": pattern, "pattern_type": "stix",
        "valid_from": stix_time(valid_from or now),
    }
    if valid_until is not None and valid_until > (valid_from or now):
        obj["valid_until"] = stix_time(valid_until)
    if description:
        obj["description"] = description
    if labels:
        obj["labels"] = labels
    if confidence is not None:
        obj["confidence"] = confidence
    return obj


def observed_data(sco_id: str, *, identity_id: str, now: datetime,
                  first: datetime | None, last: datetime | None,
                  labels: list[str] | None = None,
                  confidence: int | None = None) -> dict[str, Any]:
    """When and how surely an observable was seen (its dates, labels and confidence)."""
    first_ = first or last or now
    last_ = last if last is not None and last >= first_ else first_
    key = f"{identity_id}|{sco_id}|{stix_time(first_)}|{stix_time(last_)}"
    obj: dict[str, Any] = {
        "type": "observed-data", "spec_version": "2.1",
        "id": f"observed-data--{uuid.uuid5(_INDICATOR_NS, key)}",
        "created_by_ref": identity_id, "created": stix_time(now), "modified": stix_time(now),
        "first_observed": stix_time(first_), "last_observed": stix_time(last_),
        "number_observed": 1, "object_refs": [sco_id],
    }
    if labels:
        obj["labels"] = labels
    if confidence is not None:
        obj["confidence"] = confidence
    return obj


class BundleWriter:
    """Writes ``{"type": "bundle", "id": …, "objects": [...]}`` one object at a time;
    an object id written twice is written once."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.count = 0
        self._ids: set[str] = set()
        target.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode()
                     + b'","objects":[')

    def add(self, obj: dict[str, Any]) -> bool:
        if obj["id"] in self._ids:
            return False
        self._ids.add(obj["id"])
        if self.count:
            self.target.write(b",")
        self.target.write(orjson.dumps(obj))
        self.count += 1
        return True

    def close(self) -> None:
        self.target.write(b"]}")
