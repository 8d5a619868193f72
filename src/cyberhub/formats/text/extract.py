"""Observables in free text: find them, re-fang them, normalise them, deduplicate them.

The finding is done by ``ioc-finder`` (chosen over ``iocextract`` on a measured corpus:
docs/decisions/0013-text-extraction.md), which re-fangs the usual defanged forms itself
and knows URLs, domains, IPv4/IPv6 addresses and networks, e-mail addresses, hashes,
CVEs and Bitcoin/Monero addresses. Two things no extractor finds are added here: IBANs
(a shape, then the ISO 7064 check through ``intel.normalise``) and the bracketed and
parenthesised defanging that ``ioc-finder`` leaves (``(dot)``, ``[at]``…), undone by
:func:`cyberhub.formats.refang.refang` before extraction.

Every value goes through :func:`cyberhub.intel.normalise.normalise`: what it refuses is
not a candidate, and two spellings of one value are one candidate.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from cyberhub.formats.refang import refang
from cyberhub.intel.normalise import normalise, wallet_chains

__all__ = ["KINDS", "Candidate", "Found", "extract", "extract_iocfinder", "normal"]

MAX_TEXT: Final = 2_000_000  # characters searched (about 600 pages of prose)
KINDS: Final = ("url", "domain", "ipv4", "ipv6", "email", "md5", "sha1", "sha256", "sha512",
                "cve", "wallet", "iban")

_IBAN: Final = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_CVE: Final = re.compile(r"CVE-\d{4}-\d{4,7}", re.IGNORECASE)


@dataclass
class Candidate:
    kind: str
    value: str  # normalised
    raw: str  # as first found in the text
    lists: list[str] = field(default_factory=list)  # MISP warning lists holding it
    benign: bool = False  # on a false-positive list and on no list of known identifiers


Found = list[tuple[str, str]]  # (kind, raw)
_IOCFINDER_TYPES: Final = ("urls", "domains", "ipv4s", "ipv4_cidrs", "ipv6s", "email_addresses",
                           "email_addresses_complete", "md5s", "sha1s", "sha256s", "sha512s",
                           "cves", "bitcoin_addresses", "monero_addresses")


def extract_iocfinder(text: str) -> Found:
    from ioc_finder import find_iocs

    # Hosts of URLs are taken from the URLs below: ioc-finder's own parse of them, with
    # parse_from_url_path off, drops a letter after "//" (redirect-hop.biz → edirect-hop.biz).
    found = find_iocs(text, parse_domain_from_url=False, parse_from_url_path=False,
                      parse_domain_from_email_address=True, parse_address_from_cidr=False,
                      parse_urls_without_scheme=False, included_ioc_types=_IOCFINDER_TYPES)
    out: Found = []
    for key, kind in (("urls", "url"), ("domains", "domain"), ("ipv4s", "ipv4"),
                      ("ipv4_cidrs", "ipv4"), ("ipv6s", "ipv6"),
                      ("email_addresses_complete", "email"), ("email_addresses", "email"),
                      ("md5s", "md5"), ("sha1s", "sha1"), ("sha256s", "sha256"),
                      ("sha512s", "sha512"), ("cves", "cve"), ("bitcoin_addresses", "wallet"),
                      ("monero_addresses", "wallet")):
        out += [(kind, str(v)) for v in found.get(key) or ()]
    for kind, url in list(out):
        if kind == "url":
            with contextlib.suppress(ValueError):
                host = urlsplit(url).hostname
                if host:
                    out.append((_host_kind(host), host))
    return out


def _host_kind(host: str) -> str:
    try:
        return "ipv4" if ipaddress.ip_address(host).version == 4 else "ipv6"
    except ValueError:
        return "domain"


def _own(text: str) -> Found:
    """What no extractor finds: IBANs (checked), and CVE ids in any case."""
    out: Found = [("iban", m.group(0)) for m in _IBAN.finditer(text)]
    out += [("cve", m.group(0)) for m in _CVE.finditer(text)]
    return out


def normal(kind: str, raw: str) -> str | None:
    if kind == "url":
        raw = raw.rstrip(".,;:!?'\"")  # the end of the sentence, not of the URL
    if kind == "cve":
        return raw.upper() if _CVE.fullmatch(raw) else None
    if kind == "wallet":
        if ":" in raw:
            return normalise("wallet", raw)
        chains = wallet_chains(raw)
        return normalise("wallet", raw, chain=chains[0]) if chains else None
    if kind == "ipv4" and "/" not in raw and raw.count(".") != 3:
        return None
    return normalise(kind, raw)


def extract(text: str, finder: Callable[[str], Found] = extract_iocfinder,
            *, own: bool = True) -> list[Candidate]:
    """The distinct normalised values in ``text``, in the order first found."""
    text = refang(text[:MAX_TEXT])
    found: Iterable[tuple[str, str]] = finder(text) + (_own(text) if own else [])
    seen: dict[tuple[str, str], Candidate] = {}
    for kind, raw in found:
        value = normal(kind, raw.strip())
        if value is not None and (kind, value) not in seen:
            seen[(kind, value)] = Candidate(kind, value, raw)
    return list(seen.values())
