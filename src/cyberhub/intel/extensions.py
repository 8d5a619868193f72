"""Crime artefacts as STIX 2.1 extension definitions (STIX 2.1 §7.3).

STIX covers IP addresses, domains and files, but not the money and contact points a
cybercrime investigation follows. These extension definitions add them the way the
specification allows: each new type is defined by an ``extension-definition`` object
with a stable id, and every object of that type names its definition in
``extensions`` with ``"extension_type": "new-sco"`` (or ``"new-sdo"``).

Observable (SCO) ids are deterministic: UUIDv5 in the STIX namespace over the
id-contributing properties (canonical JSON, keys sorted), as for the built-in SCOs, so
two organisations reporting the same IBAN produce the same id.

Details that fit no property of a core STIX type are added to it with a **property
extension** (``"extension_type": "property-extension"``): the ransomware-family details
(file extensions, ransom notes, payment method…) on ``malware``.

The ids below are fixed forever; ``docs/extensions.md`` documents them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Final

import orjson

__all__ = [
    "EXTENSION_DEFINITIONS", "IDENTITY", "IDENTITY_ID", "PROPERTY_EXTENSIONS", "RANSOMWARE",
    "TYPES", "CrimeType", "PropertyExtension", "definitions_for", "new_bank_account",
    "new_criminal_service", "new_cryptocurrency_wallet",
    "new_phone_number", "new_social_account", "sco_id",
]

STIX_NAMESPACE: Final = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
DEFINED: Final = "2025-01-01T00:00:00.000Z"

IDENTITY_ID: Final = "identity--8779210d-d293-476d-9005-305585e2bd90"
IDENTITY: Final[dict[str, Any]] = {
    "type": "identity",
    "spec_version": "2.1",
    "id": IDENTITY_ID,
    "created": DEFINED,
    "modified": DEFINED,
    "name": "cyberhub",
    "description": "The cyberhub project, author of the cyberhub STIX extension definitions.",
    "identity_class": "system",
}

SERVICE_TYPES: Final = (
    "bulletproof-hosting", "marketplace", "crime-as-a-service", "ransomware-as-a-service",
    "money-laundering", "mixer", "phishing-kit", "carding-shop", "forum", "botnet-rental",
    "initial-access-broker", "ddos-for-hire", "exchange", "other",
)


def _definition(definition_id: str, name: str, description: str, schema: dict[str, Any],
                extension_type: str) -> dict[str, Any]:
    """The extension-definition object the hub publishes for one of its extensions."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": definition_id,
        "created_by_ref": IDENTITY_ID,
        "created": DEFINED,
        "modified": DEFINED,
        "name": name,
        "description": description,
        "schema": json.dumps(schema, sort_keys=True, separators=(",", ":")),
        "version": "1.0.0",
        "extension_types": [extension_type],
    }


@dataclass(frozen=True, slots=True)
class CrimeType:
    """One new object type: its STIX type name, definition id and shape."""

    type: str
    definition_id: str
    extension_type: str  # "new-sco" or "new-sdo"
    name: str
    description: str
    properties: dict[str, Any]  # JSON-schema "properties" of the type's own fields
    required: tuple[str, ...]
    any_of: tuple[str, ...] = ()  # at least one of these must be present
    id_contributing: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.type,
            "description": self.description,
            "type": "object",
            "properties": {
                "type": {"const": self.type},
                "id": {"type": "string", "pattern": f"^{self.type}--"},
                "extensions": {"type": "object", "required": [self.definition_id]},
                **self.properties,
            },
            "required": ["type", "id", "extensions", *self.required],
        }
        if self.any_of:
            base["anyOf"] = [{"required": [p]} for p in self.any_of]
        return base

    def definition(self) -> dict[str, Any]:
        return _definition(self.definition_id, self.name, self.description, self.schema(),
                           self.extension_type)


_STR = {"type": "string"}

BANK_ACCOUNT: Final = CrimeType(
    type="x-cyberhub-bank-account",
    definition_id="extension-definition--b9bc051b-62a4-4dc3-aeda-64b459d4fd17",
    extension_type="new-sco",
    name="cyberhub bank account",
    description="A bank account used in crime (mule account, ransom or fraud proceeds). "
                "Give an IBAN, or an account number with the bank or BIC.",
    properties={
        "iban": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$",
                 "description": "IBAN without spaces, upper case; the checksum must hold."},
        "bic": {"type": "string", "pattern": "^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$"},
        "account_number": _STR,
        "bank_name": _STR,
        "country": {"type": "string", "pattern": "^[A-Z]{2}$",
                    "description": "ISO 3166-1 alpha-2 code of the bank's country."},
    },
    required=(),
    any_of=("iban", "account_number"),
    id_contributing=("iban", "bic", "account_number"),
)
PHONE_NUMBER: Final = CrimeType(
    type="x-cyberhub-phone-number",
    definition_id="extension-definition--0934b060-2cde-49ce-8d78-628a7e54bfc0",
    extension_type="new-sco",
    name="cyberhub phone number",
    description="A telephone number used in crime (scam call centre, SMS phishing sender, "
                "contact of a seller), in E.164 form.",
    properties={"value": {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}},
    required=("value",),
    id_contributing=("value",),
)
CRYPTOCURRENCY_WALLET: Final = CrimeType(
    type="x-cyberhub-cryptocurrency-wallet",
    definition_id="extension-definition--4420e5a1-ad88-4dfc-a622-6e68a7a13cb3",
    extension_type="new-sco",
    name="cyberhub cryptocurrency wallet",
    description="A cryptocurrency address (ransom payment, laundering hop, seller wallet).",
    properties={
        "chain": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$",
                  "description": "Lower-case chain name: bitcoin, ethereum, monero, tron…"},
        "address": {"type": "string", "minLength": 1},
    },
    required=("chain", "address"),
    id_contributing=("chain", "address"),
)
SOCIAL_ACCOUNT: Final = CrimeType(
    type="x-cyberhub-social-account",
    definition_id="extension-definition--74f97dbb-ddd2-494a-874b-9aee359f2323",
    extension_type="new-sco",
    name="cyberhub social-media or messaging account",
    description="An account on a social network, forum or messenger (Telegram, X, "
                "Discord, Jabber…) used by a criminal actor or service.",
    properties={
        "platform": {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]*$"},
        "handle": {"type": "string", "minLength": 1},
        "url": {"type": "string", "format": "uri"},
    },
    required=("platform", "handle"),
    id_contributing=("platform", "handle"),
)
CRIMINAL_SERVICE: Final = CrimeType(
    type="x-cyberhub-criminal-service",
    definition_id="extension-definition--054c10d2-d73b-469f-baaf-30febc5f984b",
    extension_type="new-sdo",
    name="cyberhub online criminal service",
    description="An online service offered to criminals: bulletproof hosting, a "
                "marketplace, crime-as-a-service offerings, money laundering…",
    properties={
        "name": _STR,
        "description": _STR,
        "service_type": {"type": "string",
                         "description": "Open vocabulary: " + ", ".join(SERVICE_TYPES)},
        "urls": {"type": "array", "items": {"type": "string", "format": "uri"},
                 "minItems": 1},
        "aliases": {"type": "array", "items": _STR, "minItems": 1},
        "first_seen": {"type": "string"},
        "last_seen": {"type": "string"},
    },
    required=("name", "service_type"),
)



@dataclass(frozen=True, slots=True)
class PropertyExtension:
    """Properties added to a core STIX type, under ``extensions[<definition id>]``."""

    definition_id: str
    name: str
    description: str
    applies_to: tuple[str, ...]  # the STIX types that may carry it
    properties: dict[str, Any]  # JSON-schema "properties" of the extension's fields

    def schema(self) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "description": self.description,
            "type": "object",
            "properties": {"extension_type": {"const": "property-extension"},
                           **self.properties},
            "required": ["extension_type"],
            "minProperties": 2,
        }

    def definition(self) -> dict[str, Any]:
        return _definition(self.definition_id, self.name, self.description, self.schema(),
                           "property-extension")

    def extension(self, **props: Any) -> dict[str, Any] | None:
        """``{"extension_type": "property-extension", …}`` with the given properties that
        are set (None and empty lists left out); None when none is."""
        present = {k: v for k, v in props.items() if v not in (None, [], "")}
        unknown = set(present) - set(self.properties)
        if unknown:
            raise ValueError(f"{self.name} has no properties {sorted(unknown)}")
        return {"extension_type": "property-extension", **present} if present else None


_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
_URIS = {"type": "array", "items": {"type": "string", "format": "uri"}, "minItems": 1}

RANSOMWARE: Final = PropertyExtension(
    definition_id="extension-definition--72e5e503-a901-4ed4-871d-1e483ac2fe0b",
    name="cyberhub ransomware family",
    description="What a victim of a ransomware family sees and what the family asks: the "
                "extensions given to encrypted files, the ransom notes (file names and "
                "texts), the payment asked for, and the family's sites. On malware objects "
                "(is_family true).",
    applies_to=("malware",),
    properties={
        "file_extensions": {**_STRINGS, "description": "Extensions or name patterns of "
                            "encrypted files, as reported (\".locked\", \".id-[ID].[email]\")."},
        "ransom_note_filenames": {**_STRINGS, "description": "File names of ransom notes."},
        "ransom_notes": {**_STRINGS, "description": "Texts of ransom notes."},
        "ransom_note_refs": {**_URIS, "description": "Where a ransom note can be seen "
                             "(images or copies)."},
        "payment_method": {"type": "string", "minLength": 1,
                           "description": "How the ransom is to be paid (Bitcoin, e-mail "
                                          "contact…), as reported."},
        "ransom_amount": {"type": "string", "minLength": 1,
                          "description": "The ransom asked, as reported (\"0.5 BTC\", "
                                         "\"500 $\")."},
        "encryption": {"type": "string", "minLength": 1,
                       "description": "Encryption used, as reported (AES-256, RSA-2048…)."},
        "discovered": {"type": "string", "minLength": 1,
                       "description": "When the family was first reported, as reported "
                                      "(\"March 2017\"): often a month, not a timestamp."},
        "sites": {**_URIS, "description": "The family's web sites: leak sites, negotiation "
                  "and payment portals (mostly onion services)."},
    },
)

TYPES: Final[dict[str, CrimeType]] = {t.type: t for t in (
    BANK_ACCOUNT, PHONE_NUMBER, CRYPTOCURRENCY_WALLET, SOCIAL_ACCOUNT, CRIMINAL_SERVICE)}
PROPERTY_EXTENSIONS: Final[dict[str, PropertyExtension]] = {
    e.definition_id: e for e in (RANSOMWARE,)}
EXTENSION_DEFINITIONS: Final[list[dict[str, Any]]] = [
    *(t.definition() for t in TYPES.values()),
    *(e.definition() for e in PROPERTY_EXTENSIONS.values())]


def definitions_for(stix_types: set[str]) -> list[dict[str, Any]]:
    """The definitions a bundle holding objects of these types may need: the new types'
    own, and the property extensions those types may carry."""
    out = [t.definition() for t in TYPES.values() if t.type in stix_types]
    out += [e.definition() for e in PROPERTY_EXTENSIONS.values()
            if stix_types.intersection(e.applies_to)]
    return out


def sco_id(obj_type: str, contributing: dict[str, Any]) -> str:
    """The deterministic id of an SCO from its id-contributing properties (STIX §2.9)."""
    present = {k: v for k, v in contributing.items() if v is not None}
    return f"{obj_type}--{_uuid5(_canonical(present))}"


def _canonical(present: dict[str, Any]) -> bytes:
    """The properties as canonical JSON (sorted keys, no spaces, UTF-8).

    orjson writes what the standard library writes for strings, and for dictionaries of
    strings (a file's hashes), five times faster: a MISP import derives an id for nearly
    every attribute. Anything else (numbers, lists…) goes the standard library's way."""
    for v in present.values():
        if type(v) is not str and not (
                type(v) is dict and all(type(x) is str for x in v.values())):
            return json.dumps(present, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode()
    return orjson.dumps(present, option=orjson.OPT_SORT_KEYS)


_NAMESPACE_BYTES: Final = STIX_NAMESPACE.bytes


def _uuid5(name: bytes) -> str:
    """``str(uuid.uuid5(STIX_NAMESPACE, name))``, without making UUID objects."""
    # SHA-1 is what UUID version 5 is made of, not a security measure.
    digest = hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()
    n = int.from_bytes(digest[:16], "big")
    n = n & ~(0xC000 << 48) | 0x8000 << 48  # the RFC 4122 variant
    n = n & ~(0xF000 << 64) | 5 << 76  # version 5
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _sco(t: CrimeType, props: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in props.items() if v is not None}
    obj: dict[str, Any] = {
        "type": t.type,
        "spec_version": "2.1",
        "id": sco_id(t.type, {k: props.get(k) for k in t.id_contributing}),
        **props,
        **{k: v for k, v in extra.items() if v is not None},
        "extensions": {t.definition_id: {"extension_type": t.extension_type}},
    }
    return obj


def new_bank_account(*, iban: str | None = None, bic: str | None = None,
                     account_number: str | None = None, bank_name: str | None = None,
                     country: str | None = None, **extra: Any) -> dict[str, Any]:
    """A bank-account SCO; the IBAN is stored without spaces, in upper case."""
    if iban is not None:
        iban = "".join(iban.split()).upper()
    if bic is not None:
        bic = bic.strip().upper()
    return _sco(BANK_ACCOUNT, {"iban": iban, "bic": bic, "account_number": account_number,
                               "bank_name": bank_name,
                               "country": country.upper() if country else None}, extra)


def new_phone_number(value: str, **extra: Any) -> dict[str, Any]:
    """A phone-number SCO; ``value`` must already be E.164 (``+33612345678``)."""
    return _sco(PHONE_NUMBER, {"value": value.strip()}, extra)


def new_cryptocurrency_wallet(chain: str, address: str, **extra: Any) -> dict[str, Any]:
    """A wallet SCO; the chain name is lower-cased, the address kept as given."""
    return _sco(CRYPTOCURRENCY_WALLET, {"chain": chain.strip().lower(),
                                        "address": address.strip()}, extra)


def new_social_account(platform: str, handle: str, *, url: str | None = None,
                       **extra: Any) -> dict[str, Any]:
    """A social-media or messaging account SCO."""
    return _sco(SOCIAL_ACCOUNT, {"platform": platform.strip().lower(),
                                 "handle": handle.strip(), "url": url}, extra)


def new_criminal_service(name: str, service_type: str, *, created: str,
                         modified: str | None = None, description: str | None = None,
                         urls: list[str] | None = None, id: str | None = None,
                         **extra: Any) -> dict[str, Any]:
    """A criminal-service SDO (versioned: ``created``/``modified`` in STIX timestamps).

    Without ``id`` the id is derived from the name and service type, so the same
    service described twice by the hub gets the same id.
    """
    t = CRIMINAL_SERVICE
    oid = id or f"{t.type}--{uuid.uuid5(STIX_NAMESPACE, f'{service_type}:{name}')}"
    obj: dict[str, Any] = {
        "type": t.type, "spec_version": "2.1", "id": oid,
        "created": created, "modified": modified or created,
        "name": name, "service_type": service_type,
    }
    if description is not None:
        obj["description"] = description
    if urls:
        obj["urls"] = list(urls)
    obj.update({k: v for k, v in extra.items() if v is not None})
    obj["extensions"] = {t.definition_id: {"extension_type": t.extension_type}}
    return obj
