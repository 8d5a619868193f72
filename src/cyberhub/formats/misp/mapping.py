"""MISP attribute types → STIX cyber observables and pattern comparisons, and back.

:func:`observable` answers, for one attribute ``(type, value)``, the SCOs that carry
the value (deterministic ids: UUIDv5 over the id-contributing properties, STIX §2.9,
so the same value reported twice is one object) and the ``(path, literal)``
comparisons of its indicator pattern. A value that cannot be a valid object of its
type (a hash of the wrong length, an IBAN whose check digits fail…) is reported as
:class:`Unfit` so the converter keeps it as a custom object instead of failing the
whole import.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import phonenumbers
from stdnum import iban as stdnum_iban

from cyberhub.i18n import _
from cyberhub.intel import extensions
from cyberhub.intel.extensions import sco_id

# MISP hash attribute type → STIX hash name; and the hex length where one is fixed.
HASHES: Final[dict[str, str]] = {
    "md5": "MD5", "sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256",
    "sha384": "SHA-384", "sha512": "SHA-512", "sha3-224": "SHA3-224", "sha3-256": "SHA3-256",
    "sha3-384": "SHA3-384", "sha3-512": "SHA3-512", "ssdeep": "SSDEEP", "tlsh": "TLSH",
}
_HEX_LENGTH: Final[dict[str, int]] = {
    "MD5": 32, "SHA-1": 40, "SHA-224": 56, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128,
    "SHA3-224": 56, "SHA3-256": 64, "SHA3-384": 96, "SHA3-512": 128}
_HEX: Final = re.compile(r"^[0-9a-fA-F]+$")
_SSDEEP: Final = re.compile(r"^[a-zA-Z0-9/+:.]{1,128}$")
_E164: Final = re.compile(r"^\+[1-9][0-9]{6,14}$")

# Single-value types: MISP type → (SCO type, property).
SIMPLE: Final[dict[str, tuple[str, str]]] = {
    "domain": ("domain-name", "value"),
    "hostname": ("domain-name", "value"),
    "url": ("url", "value"),
    "uri": ("url", "value"),
    "link": ("url", "value"),
    "email": ("email-addr", "value"),
    "email-src": ("email-addr", "value"),
    "email-dst": ("email-addr", "value"),
    "target-email": ("email-addr", "value"),
    "whois-registrant-email": ("email-addr", "value"),
    "mutex": ("mutex", "name"),
    "mac-address": ("mac-addr", "value"),
    "regkey": ("windows-registry-key", "key"),
    "filename": ("file", "name"),
    "email-subject": ("email-message", "subject"),
}
# Crypto-currency address types → chain name (docs/extensions.md).
WALLETS: Final[dict[str, str]] = {"btc": "bitcoin", "xmr": "monero", "dash": "dash",
                                  "eth": "ethereum"}
# Account types → platform.
SOCIAL: Final[dict[str, str]] = {
    "jabber-id": "jabber", "twitter-id": "x", "github-username": "github",
    "telegram": "telegram", "whatsapp": "whatsapp"}
PHONES: Final = frozenset({"phone-number", "whois-registrant-phone", "prtn"})
# Indicator languages other than STIX: MISP type → pattern_type.
PATTERN_TYPES: Final[dict[str, str]] = {"yara": "yara", "sigma": "sigma", "snort": "snort",
                                        "suricata": "suricata"}
# Types kept as text without a notice: they describe, they are no observable.
TEXT_TYPES: Final = frozenset({"text", "comment", "other", "datetime", "counter",
                               "float", "boolean", "size-in-bytes", "port", "hex",
                               "bic", "vulnerability", "weakness", "campaign-name",
                               "threat-actor", "first-name", "last-name", "full-name"})
# Every type :func:`observable` understands (for the exporter and the docs).
OBSERVABLE_TYPES: Final = (frozenset(SIMPLE) | frozenset(HASHES) | frozenset(WALLETS)
                           | frozenset(SOCIAL) | PHONES
                           | frozenset({"ip-src", "ip-dst", "AS", "iban",
                                        "bank-account-nr", "domain|ip", "ip-src|port",
                                        "ip-dst|port", "size-in-bytes"})
                           | frozenset(f"filename|{h}" for h in HASHES))


class Observable:
    """The SCOs (the first is the one the attribute is about) and the pattern comparisons
    ((object path, pattern literal)) of one attribute.

    The SCOs may be given as a function that makes them, called when they are first asked
    for: most attributes become indicators, which need the comparisons only, and an SCO's
    id is a SHA-1 of its canonical JSON."""

    __slots__ = ("_scos", "comparisons")

    def __init__(self, scos: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]],
                 comparisons: list[tuple[str, str]]) -> None:
        self._scos = scos
        self.comparisons = comparisons

    @property
    def scos(self) -> list[dict[str, Any]]:
        made = self._scos
        if callable(made):
            made = self._scos = made()
        return made

    @property
    def sco_type(self) -> str:
        return str(self.scos[0]["type"])


@dataclass(frozen=True, slots=True)
class Unfit:
    reason: str


def literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sco(obj_type: str, props: dict[str, Any], contributing: tuple[str, ...]
         ) -> dict[str, Any]:
    return {"type": obj_type, "spec_version": "2.1",
            "id": sco_id(obj_type, {k: props.get(k) for k in contributing}), **props}


def file_sco(props: dict[str, Any]) -> dict[str, Any]:
    return _sco("file", props, ("hashes",) if props.get("hashes") else ("name",))


_CONTRIBUTING: Final[dict[str, tuple[str, ...]]] = {
    "domain-name": ("value",), "url": ("value",), "email-addr": ("value",),
    "mutex": ("name",), "mac-addr": ("value",), "windows-registry-key": ("key",),
    "ipv4-addr": ("value",), "ipv6-addr": ("value",), "autonomous-system": ("number",),
}


def _ip_type(value: str) -> str | Unfit:
    """The SCO type of an IP address or network."""
    try:
        net = ipaddress.ip_network(value, strict=False) if "/" in value else (
            ipaddress.ip_address(value))
    except ValueError:
        return Unfit(_("%(value)r is not an IP address or network") % {"value": value[:80]})
    return "ipv6-addr" if net.version == 6 else "ipv4-addr"


def _ip(value: str) -> dict[str, Any] | Unfit:
    kind = _ip_type(value)
    return kind if isinstance(kind, Unfit) else _sco(kind, {"value": value}, ("value",))


def _simple_sco(obj_type: str, prop: str, value: str) -> dict[str, Any]:
    if obj_type == "file":
        return file_sco({"name": value})
    if obj_type == "email-message":
        return {"type": "email-message", "spec_version": "2.1",
                "id": sco_id("email-message", {"subject": value}),
                "is_multipart": False, "subject": value}
    return _sco(obj_type, {prop: value}, _CONTRIBUTING[obj_type])


def _hash(name: str, value: str) -> str | None:
    """The hash value if it can be one of ``name``; None otherwise."""
    length = _HEX_LENGTH.get(name)
    if length is not None:
        return value if len(value) == length and _HEX.match(value) else None
    if name == "SSDEEP":
        return value if _SSDEEP.match(value) else None
    return value if value and len(value) <= 256 else None  # TLSH and others


def hash_path(name: str) -> str:
    return f"file:hashes.'{name}'" if "-" in name else f"file:hashes.{name}"


def phone(value: str) -> str | None:
    """E.164 form of a phone number, or None."""
    compact = re.sub(r"[\s().-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _E164.match(compact):
        return compact
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return formatted if _E164.match(formatted) else None


def observable(misp_type: str, value: str) -> Observable | Unfit | None:
    """The SCOs and pattern comparisons of one attribute; None for a type without an
    observable (kept as text or a custom object by the caller)."""
    # The commonest types first, their SCOs made only if asked for (see Observable).
    simple = SIMPLE.get(misp_type)
    if simple is not None:
        obj_type, prop = simple
        return Observable(lambda: [_simple_sco(obj_type, prop, value)],
                          [(f"{obj_type}:{prop}", literal(value))])
    if misp_type in ("ip-src", "ip-dst"):
        kind = _ip_type(value)
        if isinstance(kind, Unfit):
            return kind
        return Observable(lambda: [_sco(kind, {"value": value}, ("value",))],
                          [(f"{kind}:value", literal(value))])
    name = HASHES.get(misp_type)
    if name is not None:
        algorithm = name
        if _hash(algorithm, value) is None:
            return Unfit(_("%(value)r is not a %(algorithm)s hash")
                         % {"value": value[:80], "algorithm": algorithm})
        return Observable(lambda: [file_sco({"hashes": {algorithm: value}})],
                          [(hash_path(algorithm), literal(value))])
    if misp_type.startswith("filename|"):
        name = HASHES.get(misp_type.partition("|")[2])
        filename, sep, digest = value.partition("|")
        if name is None or not sep or _hash(name, digest) is None:
            return Unfit(_("%(value)r is not filename|%(hash)s")
                         % {"value": value[:80], "hash": misp_type.partition("|")[2]})
        return Observable([file_sco({"name": filename, "hashes": {name: digest}})],
                          [("file:name", literal(filename)),
                           (hash_path(name), literal(digest))])
    if misp_type == "domain|ip":
        domain, sep, address = value.partition("|")
        ip = _ip(address) if sep else Unfit(_("no | between domain and address"))
        if isinstance(ip, Unfit):
            return ip
        dom = _sco("domain-name", {"value": domain}, ("value",))
        dom["resolves_to_refs"] = [ip["id"]]
        return Observable([dom, ip], [("domain-name:value", literal(domain)),
                                      ("domain-name:resolves_to_refs[*].value",
                                       literal(address))])
    if misp_type in ("ip-src|port", "ip-dst|port"):
        address, sep, port = value.rpartition("|")
        ip = _ip(address) if sep else Unfit(_("no | between address and port"))
        if isinstance(ip, Unfit):
            return ip
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            return Unfit(_("%(value)r is not a port") % {"value": port[:20]})
        side = "src" if misp_type.startswith("ip-src") else "dst"
        traffic = {"type": "network-traffic", "spec_version": "2.1",
                   "id": sco_id("network-traffic", {f"{side}_ref": ip["id"],
                                                     f"{side}_port": int(port)}),
                   f"{side}_ref": ip["id"], f"{side}_port": int(port),
                   "protocols": [ip["type"].partition("-")[0]]}
        return Observable([traffic, ip], [(f"network-traffic:{side}_ref.value",
                                           literal(address)),
                                          (f"network-traffic:{side}_port", port)])
    if misp_type == "AS":
        digits = value.upper().removeprefix("AS").strip()
        if not digits.isdigit():
            return Unfit(_("%(value)r is not an AS number") % {"value": value[:40]})
        sco = _sco("autonomous-system", {"number": int(digits)}, ("number",))
        return Observable([sco], [("autonomous-system:number", str(int(digits)))])
    if misp_type == "iban":
        compact = "".join(value.split()).upper()
        if not stdnum_iban.is_valid(compact):
            return Unfit(_("%(value)r is not a valid IBAN") % {"value": value[:40]})
        sco = extensions.new_bank_account(iban=compact)
        return Observable([sco], [("x-cyberhub-bank-account:iban", literal(compact))])
    if misp_type == "bank-account-nr":
        sco = extensions.new_bank_account(account_number=value.strip())
        return Observable([sco], [("x-cyberhub-bank-account:account_number",
                                   literal(value.strip()))])
    if misp_type in PHONES:
        number = phone(value)
        if number is None:
            return Unfit(_("%(value)r is not a phone number in international form")
                         % {"value": value[:40]})
        sco = extensions.new_phone_number(number)
        return Observable([sco], [("x-cyberhub-phone-number:value", literal(number))])
    chain = WALLETS.get(misp_type)
    if chain is not None:
        address = value.strip()
        sco = extensions.new_cryptocurrency_wallet(chain, address)
        return Observable([sco], [("x-cyberhub-cryptocurrency-wallet:address",
                                   literal(address))])
    platform = SOCIAL.get(misp_type)
    if platform is not None:
        sco = extensions.new_social_account(platform, value)
        return Observable([sco], [("x-cyberhub-social-account:handle",
                                   literal(value.strip()))])
    if misp_type == "size-in-bytes":
        if not value.strip().isdigit():
            return Unfit(_("%(value)r is not a size in bytes") % {"value": value[:40]})
        return Observable([file_sco({"size": int(value.strip())})],
                          [("file:size", str(int(value.strip())))])
    return None


def pattern(comparisons: list[tuple[str, str]]) -> str:
    """One observation per SCO type, comparisons of a type joined by AND."""
    by_type: dict[str, list[str]] = {}
    for path, lit in comparisons:
        by_type.setdefault(path.partition(":")[0], []).append(f"{path} = {lit}")
    return " AND ".join("[" + " AND ".join(parts) + "]" for parts in by_type.values())


# --------------------------------------------------------------------------- back

def attribute_of_sco(sco: dict[str, Any]) -> list[tuple[str, str]]:
    """(MISP type, value) pairs for a STIX observable (the exporter's reverse map)."""
    t = sco.get("type")
    out: list[tuple[str, str]] = []
    if t in ("ipv4-addr", "ipv6-addr"):
        out.append(("ip-dst", str(sco.get("value", ""))))
    elif t == "domain-name":
        out.append(("domain", str(sco.get("value", ""))))
    elif t == "url":
        out.append(("url", str(sco.get("value", ""))))
    elif t == "email-addr":
        out.append(("email", str(sco.get("value", ""))))
    elif t == "mutex":
        out.append(("mutex", str(sco.get("name", ""))))
    elif t == "mac-addr":
        out.append(("mac-address", str(sco.get("value", ""))))
    elif t == "windows-registry-key":
        out.append(("regkey", str(sco.get("key", ""))))
    elif t == "autonomous-system":
        out.append(("AS", f"AS{sco.get('number')}"))
    elif t == "email-message" and sco.get("subject"):
        out.append(("email-subject", str(sco["subject"])))
    elif t == "file":
        if sco.get("name"):
            out.append(("filename", str(sco["name"])))
        misp_of = {v: k for k, v in HASHES.items()}
        hashes = sco.get("hashes")
        for algo, digest in (hashes.items() if isinstance(hashes, dict) else ()):
            mtype = misp_of.get(str(algo).upper()) or misp_of.get(str(algo))
            if mtype:
                out.append((mtype, str(digest)))
        if isinstance(sco.get("size"), int):
            out.append(("size-in-bytes", str(sco["size"])))
    elif t == "x-cyberhub-bank-account":
        if sco.get("iban"):
            out.append(("iban", str(sco["iban"])))
        if sco.get("account_number"):
            out.append(("bank-account-nr", str(sco["account_number"])))
        if sco.get("bic"):
            out.append(("bic", str(sco["bic"])))
    elif t == "x-cyberhub-phone-number":
        out.append(("phone-number", str(sco.get("value", ""))))
    elif t == "x-cyberhub-cryptocurrency-wallet":
        mtype = {v: k for k, v in WALLETS.items()}.get(str(sco.get("chain")))
        out.append((mtype or "text", str(sco.get("address", ""))))
    elif t == "x-cyberhub-social-account":
        mtype = {v: k for k, v in SOCIAL.items()}.get(str(sco.get("platform")))
        out.append((mtype or "text", str(sco.get("handle", ""))))
    return [(k, v) for k, v in out if v]


_PATH_TYPES: Final[dict[str, str]] = {
    "ipv4-addr:value": "ip-dst", "ipv6-addr:value": "ip-dst", "domain-name:value": "domain",
    "url:value": "url", "email-addr:value": "email", "mutex:name": "mutex",
    "mac-addr:value": "mac-address", "windows-registry-key:key": "regkey",
    "file:name": "filename", "email-message:subject": "email-subject",
    "x-cyberhub-bank-account:iban": "iban",
    "x-cyberhub-bank-account:account_number": "bank-account-nr",
    "x-cyberhub-phone-number:value": "phone-number",
    **{hash_path(name): mtype for mtype, name in HASHES.items()},
    **{f"file:hashes.{name}": mtype for mtype, name in HASHES.items()},
}


def attribute_of_path(path: str) -> str | None:
    """The MISP type of a simple pattern comparison's path, if it has one."""
    return _PATH_TYPES.get(path.replace(" ", ""))


# MISP attribute types (MISP's describeTypes vocabulary), for the exporter: a type
# outside it is exported as text, with the original type in the comment.
_KNOWN_TYPES_TEXT: Final = """
md5 sha1 sha256 filename pdb filename|md5 filename|sha1 filename|sha256 ip-src ip-dst
hostname domain domain|ip email email-src eppn email-dst email-subject email-attachment
email-body float git-commit-id url http-method user-agent ja3-fingerprint-md5
jarm-fingerprint favicon-mmh3 hassh-md5 hasshserver-md5 regkey regkey|value AS snort
suricata bro zeek community-id dom-hash pattern-in-file pattern-in-traffic
pattern-in-memory filename-pattern pgp-public-key pgp-private-key ssh-fingerprint yara
stix2-pattern sigma gene kusto-query mime-type identity-card-number cookie vulnerability
cpe weakness attachment malware-sample link comment text hex other mutex process-state
target-user target-email target-machine target-org target-location target-external btc
dash xmr iban bic bank-account-nr aba-rtn bin cc-number prtn phone-number threat-actor
campaign-name campaign-id malware-type uri authentihash vhash ssdeep imphash telfhash
pehash impfuzzy sha224 sha384 sha512 sha512/224 sha512/256 sha3-224 sha3-256 sha3-384
sha3-512 tlsh cdhash filename|authentihash filename|vhash filename|ssdeep filename|imphash
filename|impfuzzy filename|pehash filename|sha224 filename|sha384 filename|sha512
filename|sha512/224 filename|sha512/256 filename|sha3-224 filename|sha3-256
filename|sha3-384 filename|sha3-512 filename|tlsh windows-scheduled-task
windows-service-name windows-service-displayname whois-registrant-email
whois-registrant-phone whois-registrant-name whois-registrant-org whois-registrar
whois-creation-date x509-fingerprint-sha1 x509-fingerprint-md5 x509-fingerprint-sha256
dns-soa-email size-in-bytes counter integer datetime port ip-dst|port ip-src|port
hostname|port mac-address mac-eui-64 email-dst-display-name email-src-display-name
email-header email-reply-to email-x-mailer email-mime-boundary email-thread-index
email-message-id github-username github-repository github-organisation jabber-id
twitter-id dkim dkim-signature first-name middle-name last-name full-name date-of-birth
place-of-birth gender passport-number passport-country passport-expiration
redress-number nationality visa-number issue-date-of-the-visa primary-residence
country-of-residence special-service-request frequent-flyer-number travel-details
payment-details place-port-of-original-embarkation place-port-of-clearance
place-port-of-onward-foreign-destination passenger-name-record-locator-number
mobile-application-id azure-application-id chrome-extension-id edge-extension-id cortex
boolean uuid anonymised onion-address
"""
KNOWN_TYPES: Final = frozenset(_KNOWN_TYPES_TEXT.split())
