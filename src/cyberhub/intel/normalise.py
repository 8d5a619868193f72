"""Normalised observable values: what "the same value" means for correlation.

Two objects correlate when they carry the same ``(kind, normalised value)``. This module
decides the normal form of each kind and extracts the pairs a STIX 2.1 object carries
(:func:`values_of`). The importer calls it for every object, so it is written for speed:
cheap ASCII fast paths first, the expensive libraries (IDNA, libphonenumber, IBAN
registry) behind small caches, no exceptions on the common path.

``normalise(kind, raw)`` returns the normal form, or ``None`` when ``raw`` is not a valid
value of that kind: an invalid value is not indexed (it would correlate junk such as
``N/A`` across the whole hub). It never raises on any text; an unknown *kind* is a
programming error and raises :class:`ValueError`. Surrounding white space is removed for
every structured kind; values longer than :data:`MAX_VALUE_LEN` characters are refused
(a hostile 1 MB "URL" must not become an index key). Nothing is refanged:
``example[.]com`` is not a domain name, and STIX data must carry real values; a search
box that accepts defanged text should refang before calling this module.

Rules per kind, and why:

``ipv4``
    Dotted quad as :mod:`ipaddress` prints it. Leading zeros (``001.002.003.004``) are
    refused, as :mod:`ipaddress` does: BSD ``inet_aton`` reads them as octal and other
    parsers as decimal, so the value is ambiguous and cannot safely correlate. A CIDR stays
    a network in canonical form with the host bits zeroed (``10.1.2.3/8`` → ``10.0.0.0/8``);
    a netmask (``/255.255.255.0``) is turned into a prefix length. ``/32`` collapses to the
    address: STIX ``ipv4-addr`` allows both spellings of one host and they must correlate.
    A network correlates only with the same network (containment is a query, not a key).
``ipv6``
    RFC 5952 compressed, lower-case. IPv4-mapped addresses print as ``::ffff:1.2.3.4``
    whatever the Python version (3.13 changed :mod:`ipaddress`'s own output, and stored
    keys must not change with an interpreter upgrade). A zone (``fe80::1%eth0``) is dropped:
    it names an interface on one host and means nothing elsewhere. ``/128`` collapses to
    the address; other CIDRs as for IPv4. :func:`values_of` also indexes the IPv4 address
    inside an IPv4-mapped one, so ``::ffff:1.2.3.4`` correlates with ``1.2.3.4``.
``domain``
    Lower-case, one trailing dot removed, internationalised labels turned into their IDNA 2008
    A-label (UTS 46 mapping: ``BÜCHER.de`` and ``bücher.de`` → ``xn--bcher-kva.de``), existing
    ``xn--`` labels checked to decode. IDNA 2008 is strict: symbols and emoji (``☃.com``, legal
    under IDNA 2003) are refused in either spelling. Labels are 1–63 characters of letters,
    digits, hyphens (not at either end) and underscores (DNS allows ``_``, and criminal
    infrastructure uses it, though hostnames should not); the name is at most 253 characters. At
    least two labels, and the last (the TLD) starts with a letter: a single label
    (``localhost``, ``unknown``) or a bare TLD is not an indicator, and ``1.2.3.4`` is an
    address, not a domain.
``url``
    RFC 3986 syntax-based normalisation, as browsers and proxies see a URL: scheme and host
    lower-cased, host normalised as a domain (IDNA) or an IP address (IPv6 in brackets),
    default ports removed (``http`` 80, ``https`` 443, ``ftp`` 21, ``ws`` 80, ``wss`` 443),
    an empty path becomes ``/``, dot segments removed, percent-escapes of unreserved
    characters decoded and the other escapes upper-cased, non-ASCII characters and spaces
    percent-encoded as UTF-8. Path, query and user info keep their case and order (servers
    may be case-sensitive; parameter order can matter). An empty query (``?``) is dropped.
    The fragment is dropped: it never reaches the server, and phishing kits put the
    victim's address there (``…/login#victim@bank.example``), so keeping it would split one
    kit URL into one value per victim and index personal data. Only URLs with an authority
    (``scheme://host…``) are values; ``mailto:``/``data:`` URIs are not.
``email``
    ``local@domain``; the domain normalised as a domain (or an address literal
    ``[1.2.3.4]``) and the **whole address lower-cased**. RFC 5321 lets a server treat
    the local part case-sensitively, but no mainstream provider does, and analysts expect
    ``John.Doe@x`` and ``john.doe@x`` to be one mailbox. Provider-specific aliases
    (Gmail's dots and ``+tags``) are not folded: the rule is wrong at other providers.
``md5`` ``sha1`` ``sha224`` ``sha256`` ``sha384`` ``sha512`` ``sha3-224`` … ``sha3-512``
    Lower-case hex of exactly the right length. ``ssdeep`` keeps its case (base64) after a
    shape check; ``tlsh`` is upper-case hex (70 digits, optionally ``T1``-prefixed).
``iban``
    Upper-case without spaces, checked with python-stdnum (country length and format,
    ISO 7064 mod 97-10 check digits).
``bic``
    Upper-case, 8 or 11 characters, country code checked (python-stdnum). ``XXX`` (the
    primary office) is dropped: ``DEUTDEFFXXX`` and ``DEUTDEFF`` are one institution.
``bank-account``
    A national account number: ``CC:NUMBER`` (ISO 3166 country, upper-case, spaces, dots
    and hyphens removed). :func:`values_of` builds it from ``account_number`` + ``country``.
``phone``
    E.164 (``+442079460958``) through libphonenumber (``phonenumbers``); only numbers that
    library calls valid for their country are kept (garbage such as ``000000`` would
    otherwise correlate everybody). A number without a country code needs ``region`` (ISO
    3166 code); without one it is refused, except that a leading ``00`` (the international
    prefix nearly everywhere) is read as ``+``. Extensions are dropped.
``wallet``
    ``chain:address`` (or ``normalise("wallet", address, chain=...)``). Chains: ``btc``
    (Base58Check P2PKH/P2SH, Bech32 v0 and Bech32m v1+ segwit, mainnet only), ``ltc`` (the same
    with its version bytes and ``ltc`` HRP), ``bch`` (CashAddr, stored without its
    ``bitcoincash:`` prefix, which the input may carry or omit; legacy Base58 addresses are
    converted to CashAddr so both spellings correlate), ``eth`` (``0x`` + 40 hex, lower-cased;
    mixed case must pass the EIP-55 checksum), ``trx`` (Base58Check, version 0x41; the hex form
    ``41…`` is converted), ``xmr`` (Monero Base58 with Keccak checksum: standard, sub-address
    and integrated). Bech32/CashAddr are lower-cased (they are case-insensitive); Base58 keeps
    its case (it is case-sensitive). Every EVM chain and token (``bsc``, ``polygon``, ``erc20``,
    ``usdt-eth``, …) is ``eth``: one address is one key pair on all of them, so one owner;
    TRC-20 tokens (``usdt-trx``, ``trc20``) are ``trx``. Other chains are kept as
    ``chain:address`` after a shape check, address case kept.
``social``
    ``platform:handle``. Platform lower-cased with aliases folded (``twitter`` → ``x``,
    ``tg`` → ``telegram``, ``fb`` → ``facebook``, …). A leading ``@`` is stripped; the handle
    is lower-cased on platforms whose handles are case-insensitive (Telegram, X,
    Instagram, TikTok, GitHub, Reddit, YouTube, Facebook, …) and kept as is on unknown
    platforms. Profile URLs (``https://t.me/Handle``, ``x.com/handle``,
    ``instagram.com/handle``, ``tiktok.com/@handle``, ``wa.me/<number>``, …) become the
    handle; WhatsApp and Signal numbers become E.164.
``mac``
    Lower-case colon form of a MAC-48 (from colon, hyphen, Cisco dotted or bare hex).
``asn``
    The decimal number (``AS13335``, ``as13335``, ``13335``, asdot ``0.13335`` → ``13335``).
``mutex`` ``filename`` ``user-agent``
    As is (not even stripped): these are free text compared byte for byte by the tools
    that produce them. The empty string is refused.
"""

from __future__ import annotations

import ipaddress
import re
import string
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Final

import base58
import idna
import phonenumbers
from Crypto.Hash import keccak
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from cyberhub.formats.stix.patterns import checked_comparisons

__all__ = ["HASH_KINDS", "KINDS", "MAX_VALUE_LEN", "hash_kind", "normalise", "pattern_values",
           "values_of", "wallet_chains"]

MAX_VALUE_LEN: Final = 8192
_MAX_CACHE: Final = 1 << 16

# --------------------------------------------------------------------------- addresses


# A dotted quad already in canonical form (no leading zeros): what ipaddress would return.
_CANONICAL_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                             r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")


def _ipv4(raw: str) -> str | None:
    s = raw.strip()
    if _CANONICAL_IPV4.fullmatch(s) is not None:
        return s
    if "/" in s:
        try:
            net = ipaddress.IPv4Network(s, strict=False)
        except ValueError:
            return None
        return str(net.network_address) if net.prefixlen == 32 else net.with_prefixlen
    try:
        return str(ipaddress.IPv4Address(s))
    except ValueError:
        return None


def _v6str(addr: ipaddress.IPv6Address) -> str:
    mapped = addr.ipv4_mapped
    return f"::ffff:{mapped}" if mapped is not None else addr.compressed


def _ipv6(raw: str) -> str | None:
    s = raw.strip()
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    if "%" in s:  # zone index: meaningful only on the host that wrote it
        head, _, tail = s.partition("%")
        s = head + ("/" + tail.partition("/")[2] if "/" in tail else "")
    try:
        if "/" in s:
            net = ipaddress.IPv6Network(s, strict=False)
            if net.prefixlen == 128:
                return _v6str(net.network_address)
            return f"{_v6str(net.network_address)}/{net.prefixlen}"
        return _v6str(ipaddress.IPv6Address(s))
    except ValueError:
        return None


# --------------------------------------------------------------------------- domains

_ASCII_NAME = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _domain(raw: str) -> str | None:
    s = raw.strip()
    if s.endswith("."):
        s = s[:-1]
    if not s or len(s) > 253 * 4:
        return None
    if s.isascii():
        s = s.lower()
        if len(s) > 253 or _ASCII_NAME.fullmatch(s) is None:
            return None
        if "xn--" in s:
            return _check_alabels(s)
        return s
    return _idna_domain(s)


@lru_cache(maxsize=_MAX_CACHE)
def _check_alabels(s: str) -> str | None:
    for label in s.split("."):
        if label.startswith("xn--"):
            try:
                if idna.alabel(idna.ulabel(label)).decode("ascii") != label:
                    return None
            except (idna.IDNAError, UnicodeError, ValueError):
                return None
    return s


@lru_cache(maxsize=_MAX_CACHE)
def _idna_domain(s: str) -> str | None:
    try:
        mapped = idna.uts46_remap(s, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    if mapped.endswith("."):
        mapped = mapped[:-1]
    labels = []
    for label in mapped.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(idna.alabel(unicodedata.normalize("NFC", label)).decode("ascii"))
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    name = ".".join(labels).lower()
    if len(name) > 253 or _ASCII_NAME.fullmatch(name) is None:
        return None
    return _check_alabels(name) if "xn--" in name else name


# --------------------------------------------------------------------------- URLs

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}
_UNRESERVED: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_URI_CHARS: Final = frozenset(_UNRESERVED | set(":/?#[]@!$&'()*+,;=%"))
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _pct_sub(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return ch if ch in _UNRESERVED else "%" + m.group(1).upper()


def _fix_escapes(part: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, encode the rest."""
    if "%" in part:
        part = _PCT.sub(_pct_sub, part)
        # A '%' that does not start an escape is a literal percent sign.
        part = re.sub(r"%(?![0-9A-F]{2})", "%25", part)
    if not all(c in _URI_CHARS for c in part):
        part = "".join(c if c in _URI_CHARS else "".join(f"%{b:02X}" for b in c.encode())
                       for c in part)
    return part


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def _url(raw: str) -> str | None:
    s = raw.strip()
    if _CONTROL.search(s):
        return None
    scheme, sep, rest = s.partition("://")
    if not sep:
        return None
    scheme = scheme.lower()
    if _SCHEME.fullmatch(scheme) is None:
        return None
    # Authority ends at the first '/', '?' or '#'; the fragment is dropped.
    rest = rest.partition("#")[0]
    cut = len(rest)
    for ch in "/?":
        i = rest.find(ch)
        if i != -1 and i < cut:
            cut = i
    authority, tail = rest[:cut], rest[cut:]
    path, _, query = tail.partition("?")
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            return None
        v6 = _ipv6(hostport[1:end])
        if v6 is None or "/" in v6:
            return None
        host, port_part = f"[{v6}]", hostport[end + 1:]
        if port_part and not port_part.startswith(":"):
            return None
        port = port_part[1:]
    else:
        hname, _, port = hostport.partition(":")
        if not hname:
            return None
        if hname[-1].isdigit() and (v4 := _ipv4(hname)) is not None:
            host = v4
        else:
            d = _domain(hname)
            if d is None:
                return None
            host = d
    if port:
        if not port.isdigit() or len(port) > 5 or int(port) > 65535:
            return None
        port = str(int(port))
        if _DEFAULT_PORTS.get(scheme) == port:
            port = ""
    if not path:
        path = "/"
    else:
        if " " in path:
            path = path.replace(" ", "%20")
        path = _fix_escapes(path)
        if "/." in path:
            path = _remove_dot_segments(path)
    out = [scheme, "://"]
    if at:
        out += [_fix_escapes(userinfo.replace("@", "%40")), "@"]
    out.append(host)
    if port:
        out += [":", port]
    out.append(path)
    if query:
        out += ["?", _fix_escapes(query.replace(" ", "%20"))]
    return "".join(out)


# --------------------------------------------------------------------------- e-mail

_LOCAL_ASCII = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


def _email(raw: str) -> str | None:
    s = raw.strip()
    local, at, dom = s.rpartition("@")
    if not at or not local or len(local) > 64 or "@" in local:
        return None
    if local.isascii():
        if _LOCAL_ASCII.fullmatch(local) is None:
            return None
    else:
        local = unicodedata.normalize("NFC", local)
        if any(c.isspace() or unicodedata.category(c)[0] in "CZ" or c in '"(),:;<>[\\]'
               for c in local):
            return None
    if dom.startswith("[") and dom.endswith("]"):
        inner = dom[1:-1]
        if inner[:5].lower() == "ipv6:":
            v6 = _ipv6(inner[5:])
            domain = None if v6 is None or "/" in v6 else f"[IPv6:{v6}]"
        else:
            v4 = _ipv4(inner)
            domain = None if v4 is None or "/" in inner else f"[{v4}]"
    else:
        domain = _domain(dom)
    if domain is None:
        return None
    return f"{local.lower()}@{domain}"


# --------------------------------------------------------------------------- hashes

HASH_KINDS: Final = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96,
                     "sha512": 128, "sha3-224": 56, "sha3-256": 64, "sha3-384": 96,
                     "sha3-512": 128}
_HEX: Final = "0123456789abcdef"
_HASH_KEYS: Final = {k.replace("-", ""): k for k in HASH_KINDS} | {"ssdeep": "ssdeep",
                                                                  "tlsh": "tlsh"}


def hash_kind(key: str) -> str | None:
    """The kind of a STIX hash key: ``SHA-256`` → ``sha256``, ``SHA3-256`` → ``sha3-256``."""
    return _HASH_KEYS.get(key.lower().replace("-", "").replace("_", ""))


def _hex_of(length: int) -> Callable[[str], str | None]:
    def check(raw: str) -> str | None:
        s = raw.strip().lower()
        return s if len(s) == length and not s.strip(_HEX) else None
    return check


_SSDEEP = re.compile(r"\d{1,10}:[A-Za-z0-9/+]{1,128}:[A-Za-z0-9/+]{0,128}(?:,\"[^\"]*\")?")
_TLSH = re.compile(r"(?:T1)?[0-9A-F]{70}")


def _ssdeep(raw: str) -> str | None:
    s = raw.strip()
    return s if _SSDEEP.fullmatch(s) else None


def _tlsh(raw: str) -> str | None:
    s = raw.strip().upper()
    return s if _TLSH.fullmatch(s) else None


# --------------------------------------------------------------------------- banks


def _stdnum_iban(raw: str) -> str | None:
    try:
        return str(stdnum_iban.validate(raw))
    except (StdnumError, ValueError, TypeError, KeyError, IndexError):
        return None


# python-stdnum is the authority on IBANs, but its full check costs ~35 µs (a registry
# look-up per call), which dominated deconfliction checks. The fast path below gives the
# same answer for plain-ASCII input (tests/intel/test_iban_fast.py compares the two): the
# mod-97 check digits computed with one int(), and stdnum's verdict on the country's
# structure remembered per *shape* (country + the places of letters and digits), which is
# all that check depends on. Countries with a national check (stdnum's be/es/me/no iban
# modules) and any non-ASCII input take stdnum's path.
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_IBAN_LETTERS = str.maketrans({c: str(ord(c) - 55) for c in string.ascii_uppercase})
_IBAN_SHAPES = str.maketrans("0123456789" + string.ascii_uppercase, "9" * 10 + "A" * 26)
_IBAN_NATIONAL: Final = frozenset({"BE", "ES", "ME", "NO"})


_IBAN_VERDICTS: dict[str, bool] = {}


def _iban_structure_ok(shape: str, number: str) -> bool:
    """stdnum's verdict on an IBAN whose check digits are right; the same for every IBAN
    of ``shape``, so asked once per shape."""
    verdict = _IBAN_VERDICTS.get(shape)
    if verdict is None:
        verdict = _stdnum_iban(number) is not None
        if len(_IBAN_VERDICTS) < 4096:  # bounded: shapes are few, input is not
            _IBAN_VERDICTS[shape] = verdict
    return verdict


@lru_cache(maxsize=_MAX_CACHE)
def _iban(raw: str) -> str | None:
    if not raw.isascii():
        return _stdnum_iban(raw)
    number = raw.replace(" ", "").replace("-", "").replace(".", "").strip().upper()
    if not _IBAN_SHAPE.fullmatch(number) or number[:2] in _IBAN_NATIONAL:
        return _stdnum_iban(number)
    if int((number[4:] + number[:4]).translate(_IBAN_LETTERS)) % 97 != 1:
        return None
    shape = number[:2] + number[2:].translate(_IBAN_SHAPES)
    return number if _iban_structure_ok(shape, number) else None


@lru_cache(maxsize=_MAX_CACHE)
def _bic(raw: str) -> str | None:
    try:
        code = str(stdnum_bic.validate(raw))
    except (StdnumError, ValueError, TypeError):
        return None
    return code[:8] if code.endswith("XXX") else code


_ACCOUNT_SEPARATORS = str.maketrans("", "", " .-/")
_ACCOUNT = re.compile(r"[A-Z]{2}:[A-Z0-9]{4,34}")


def _bank_account(raw: str) -> str | None:
    s = raw.strip().upper().translate(_ACCOUNT_SEPARATORS)
    return s if _ACCOUNT.fullmatch(s) else None


# --------------------------------------------------------------------------- phones

_E164 = phonenumbers.PhoneNumberFormat.E164


@lru_cache(maxsize=_MAX_CACHE)
def _phone_cached(s: str, region: str | None) -> str | None:
    if len(s) > 64:
        return None
    if s.startswith("00") and region is None:
        s = "+" + s[2:]
    try:
        number = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, _E164))


def _phone(raw: str, region: str | None = None) -> str | None:
    if region is not None:
        region = region.strip().upper()
        if len(region) != 2 or not region.isalpha():
            region = None
    return _phone_cached(raw.strip(), region)


# --------------------------------------------------------------------------- wallets

_BECH32_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_REV: Final = {c: i for i, c in enumerate(_BECH32_CHARSET)}
_BECH32M_CONST: Final = 0x2BC830A3


def _bech32_polymod(values: Iterable[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _convertbits(data: Iterable[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = bits = 0
    out = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return out


def _segwit(s: str, hrp: str) -> str | None:
    """BIP 173 / BIP 350: a valid mainnet segwit address of ``hrp``, lower-cased."""
    if s.lower() != s and s.upper() != s:
        return None
    s = s.lower()
    pos = s.rfind("1")
    if s[:pos] != hrp or pos + 7 > len(s) or len(s) > 90:
        return None
    try:
        data = [_BECH32_REV[c] for c in s[pos + 1:]]
    except KeyError:
        return None
    const = _bech32_polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
                            + data)
    version = data[0]
    if version > 16 or const != (1 if version == 0 else _BECH32M_CONST):
        return None
    prog = _convertbits(data[1:-6], 5, 8, False)
    if prog is None or not 2 <= len(prog) <= 40 or (version == 0 and len(prog) not in (20, 32)):
        return None
    return s


def _base58check(s: str, versions: tuple[int, ...]) -> bytes | None:
    if not 25 <= len(s) <= 36:
        return None
    try:
        payload = base58.b58decode_check(s)
    except ValueError:
        return None
    if len(payload) != 21 or payload[0] not in versions:
        return None
    return payload


def _btc(s: str) -> str | None:
    if s[:3].lower() == "bc1":
        return _segwit(s, "bc")
    return s if _base58check(s, (0x00, 0x05)) is not None else None


def _ltc(s: str) -> str | None:
    if s[:4].lower() == "ltc1":
        return _segwit(s, "ltc")
    return s if _base58check(s, (0x30, 0x32, 0x05)) is not None else None


def _cashaddr_polymod(values: Iterable[int]) -> int:
    gen = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for i in range(5):
            if (c0 >> i) & 1:
                c ^= gen[i]
    return c ^ 1


_CASH_PREFIX: Final = "bitcoincash"
_CASH_PREFIX_DATA: Final = [ord(c) & 31 for c in _CASH_PREFIX] + [0]


def _cashaddr_encode(version: int, payload: bytes) -> str:
    data = _convertbits(bytes([version]) + payload, 8, 5, True)
    assert data is not None
    mod = _cashaddr_polymod(_CASH_PREFIX_DATA + data + [0] * 8)
    checksum = [(mod >> 5 * (7 - i)) & 31 for i in range(8)]
    return _CASH_PREFIX + ":" + "".join(_BECH32_CHARSET[d] for d in data + checksum)


def _bch(s: str) -> str | None:
    legacy = _base58check(s, (0x00, 0x05))
    if legacy is not None:  # same hash, CashAddr spelling
        return _cashaddr_encode(0x00 if legacy[0] == 0 else 0x08, legacy[1:]).partition(":")[2]
    prefix, colon, body = s.rpartition(":")
    if (colon and prefix.lower() != _CASH_PREFIX) or (body.lower() != body
                                                       and body.upper() != body):
        return None
    body = body.lower()
    try:
        data = [_BECH32_REV[c] for c in body]
    except KeyError:
        return None
    if len(data) < 9 or _cashaddr_polymod(_CASH_PREFIX_DATA + data) != 0:
        return None
    decoded = _convertbits(data[:-8], 5, 8, False)
    if not decoded:
        return None
    version, payload = decoded[0], decoded[1:]
    sizes = (20, 24, 28, 32, 40, 48, 56, 64)
    if version & 0x80 or (version >> 3) > 1 or len(payload) != sizes[version & 7]:
        return None
    return body


def _keccak256(data: bytes) -> bytes:
    return keccak.new(data=data, digest_bits=256).digest()


def _eth(s: str) -> str | None:
    if s[:2] in ("0x", "0X"):
        s = s[2:]
    if len(s) != 40 or s.lower().strip(_HEX):
        return None
    low = s.lower()
    if s != low and s != s.upper():  # mixed case: EIP-55 checksum
        digest = _keccak256(low.encode()).hex()
        for c, h in zip(s, digest[:40], strict=True):
            if c.isalpha() and c.isupper() != (int(h, 16) >= 8):
                return None
    return "0x" + low


def _trx(s: str) -> str | None:
    if len(s) == 42 and s[:2] == "41" and not s.lower().strip(_HEX):
        return base58.b58encode_check(bytes.fromhex(s)).decode()
    return s if _base58check(s, (0x41,)) is not None else None


_XMR_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_XMR_INDEX: Final = {c: i for i, c in enumerate(_XMR_ALPHABET)}
_XMR_BLOCK_BYTES: Final = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}
_XMR_PREFIXES: Final = {95: (18, 42), 106: (19,)}


def _xmr_b58decode(s: str) -> bytes | None:
    """Monero's Base58: 8-byte blocks encoded as 11 characters, the last one shorter."""
    out = bytearray()
    for start in range(0, len(s), 11):
        block = s[start:start + 11]
        size = _XMR_BLOCK_BYTES.get(len(block))
        if size is None:
            return None
        num = 0
        for c in block:
            digit = _XMR_INDEX.get(c)
            if digit is None:
                return None
            num = num * 58 + digit
        if num >= 1 << (8 * size):
            return None
        out += num.to_bytes(size, "big")
    return bytes(out)


def _xmr(s: str) -> str | None:
    prefixes = _XMR_PREFIXES.get(len(s))
    if prefixes is None:
        return None
    data = _xmr_b58decode(s)
    if data is None or data[0] not in prefixes:
        return None
    if _keccak256(data[:-4])[:4] != data[-4:]:
        return None
    return s


_WALLET_CHECKS: Final[dict[str, Callable[[str], str | None]]] = {
    "btc": _btc, "eth": _eth, "xmr": _xmr, "ltc": _ltc, "bch": _bch, "trx": _trx}
_CHAIN_ALIASES: Final = {
    "bitcoin": "btc", "xbt": "btc", "ethereum": "eth", "ether": "eth", "monero": "xmr",
    "litecoin": "ltc", "bitcoincash": "bch", "bitcoin-cash": "bch", "bcc": "bch",
    "tron": "trx",
    # EVM: one address, one key pair, one owner on every EVM chain and token.
    "erc20": "eth", "erc-20": "eth", "usdt-eth": "eth", "usdt-erc20": "eth", "usdc-eth": "eth",
    "usdt_eth": "eth", "usdt-erc-20": "eth", "bsc": "eth", "bnb": "eth", "bep20": "eth",
    "bep-20": "eth", "polygon": "eth", "matic": "eth", "arbitrum": "eth", "optimism": "eth",
    "base": "eth", "avax": "eth", "avax-c": "eth", "avalanche": "eth", "etc": "eth",
    # TRC-20 tokens live at Tron addresses.
    "trc20": "trx", "trc-20": "trx", "usdt-trx": "trx", "usdt-trc20": "trx", "usdt_trx": "trx",
    "usdt-tron": "trx", "usdt-trc-20": "trx",
}
_CHAIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_OTHER_ADDRESS = re.compile(r"[A-Za-z0-9:_.-]{8,128}")


def _chain(chain: str) -> str | None:
    c = chain.strip().lower()
    c = _CHAIN_ALIASES.get(c, c)
    return c if _CHAIN.fullmatch(c) else None


@lru_cache(maxsize=_MAX_CACHE)
def _wallet_cached(chain: str, address: str) -> str | None:
    check = _WALLET_CHECKS.get(chain)
    if check is None:
        return address if _OTHER_ADDRESS.fullmatch(address) else None
    return check(address)


def _wallet(raw: str, chain: str | None = None) -> str | None:
    s = raw.strip()
    if chain is None:
        chain, sep, s = s.partition(":")
        if not sep:
            return None
        if chain.strip().lower() == "bitcoincash":  # a CashAddr with its own prefix
            chain, s = "bch", raw.strip()
    c = _chain(chain)
    if c is None or len(s) > 256:
        return None
    addr = _wallet_cached(c, s.strip())
    return None if addr is None else f"{c}:{addr}"


def wallet_chains(address: str) -> list[str]:
    """The supported chains for which ``address`` is valid (for values without a chain)."""
    s = address.strip()
    return [c for c in _WALLET_CHECKS if _wallet_cached(c, s) is not None] if s else []


# --------------------------------------------------------------------------- social

_PLATFORM_ALIASES: Final = {
    "twitter": "x", "x.com": "x", "twitter.com": "x", "tg": "telegram", "t.me": "telegram",
    "ig": "instagram", "insta": "instagram", "fb": "facebook", "meta": "facebook",
    "yt": "youtube", "wa": "whatsapp", "vkontakte": "vk", "gh": "github", "tt": "tiktok",
    "ln": "linkedin", "li": "linkedin",
}
# Handles that the platform treats case-insensitively, with their shape.
_HANDLE_SHAPES: Final = {
    "telegram": re.compile(r"[a-z0-9_]{3,32}"),
    "x": re.compile(r"[a-z0-9_]{1,50}"),
    "instagram": re.compile(r"[a-z0-9._]{1,30}"),
    "tiktok": re.compile(r"[a-z0-9._]{1,24}"),
    "github": re.compile(r"[a-z0-9-]{1,39}"),
    "reddit": re.compile(r"[a-z0-9_-]{1,20}"),
    "youtube": re.compile(r"[a-z0-9._-]{1,100}"),
    "facebook": re.compile(r"[a-z0-9.]{1,50}"),
    "linkedin": re.compile(r"[a-z0-9_%-]{1,100}"),
    "vk": re.compile(r"[a-z0-9_.]{1,32}"),
    "threads": re.compile(r"[a-z0-9._]{1,30}"),
    "twitch": re.compile(r"[a-z0-9_]{1,25}"),
    "snapchat": re.compile(r"[a-z0-9._-]{1,15}"),
    "pinterest": re.compile(r"[a-z0-9_]{1,30}"),
    "discord": re.compile(r"[a-z0-9_.]{2,32}"),
    "skype": re.compile(r"[a-z0-9_.,:-]{1,64}"),
    "mastodon": re.compile(r"[a-z0-9_]{1,30}@[a-z0-9.-]{3,253}"),
    "jabber": re.compile(r"[^\s@/]{1,1023}@[a-z0-9.-]{3,253}"),
    "xmpp": re.compile(r"[^\s@/]{1,1023}@[a-z0-9.-]{3,253}"),
    "session": re.compile(r"05[0-9a-f]{64}"),
    "tox": re.compile(r"[0-9a-f]{76}"),
}
_PHONE_PLATFORMS: Final = frozenset({"whatsapp", "signal", "viber"})
# Profile URL host → (platform, path prefixes to skip before the handle).
_PROFILE_HOSTS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "t.me": ("telegram", ("s",)), "telegram.me": ("telegram", ("s",)),
    "telegram.dog": ("telegram", ("s",)),
    "twitter.com": ("x", ()), "x.com": ("x", ()), "mobile.twitter.com": ("x", ()),
    "instagram.com": ("instagram", ()), "tiktok.com": ("tiktok", ()),
    "facebook.com": ("facebook", ()), "fb.com": ("facebook", ()),
    "m.facebook.com": ("facebook", ()), "github.com": ("github", ()),
    "reddit.com": ("reddit", ("user", "u")), "old.reddit.com": ("reddit", ("user", "u")),
    "youtube.com": ("youtube", ("c", "user")), "m.youtube.com": ("youtube", ("c", "user")),
    "linkedin.com": ("linkedin", ("in",)), "vk.com": ("vk", ()),
    "threads.net": ("threads", ()), "threads.com": ("threads", ()),
    "twitch.tv": ("twitch", ()), "pinterest.com": ("pinterest", ()),
    "snapchat.com": ("snapchat", ("add",)), "wa.me": ("whatsapp", ()),
}
_RESERVED_PATHS: Final = frozenset({"joinchat", "share", "home", "explore", "search", "login",
                                    "intent", "i", "hashtag", "watch", "p", "reel", "groups",
                                    "pages", "profile.php", "channel", "settings", "about"})


def _profile_url(raw: str) -> tuple[str, str] | None:
    s = raw.strip()
    if "://" not in s:
        s = "https://" + s
    url = _url(s)
    if url is None:
        return None
    rest = url.partition("://")[2]
    hostport, _, path = rest.partition("/")
    host = hostport.rpartition("@")[2].partition(":")[0]
    if host.startswith("www."):
        host = host[4:]
    entry = _PROFILE_HOSTS.get(host)
    if entry is None:
        return None
    platform, skip = entry
    segments = [p for p in path.partition("?")[0].split("/") if p]
    if segments and segments[0] in skip:
        segments = segments[1:]
    if not segments or segments[0].lower() in _RESERVED_PATHS or segments[0].startswith("+"):
        return None  # an invite link, a post or a feature page, not an account
    return platform, segments[0]


def _handle(platform: str, handle: str) -> str | None:
    h = handle.strip()
    if platform in _PHONE_PLATFORMS and (h.startswith("+") or h[:1].isdigit()):
        phone = _phone(h if h.startswith("+") else "+" + h)
        if phone is not None or platform != "signal":
            return phone
    if h.startswith("@"):
        h = h[1:]
    if not h or len(h) > 256 or any(c.isspace() for c in h):
        return None
    shape = _HANDLE_SHAPES.get(platform)
    if shape is not None:
        h = h.lower()
        return h if shape.fullmatch(h) else None
    if platform == "signal":  # usernames like name.42, case-insensitive
        h = h.lower()
    return h if _CONTROL.search(h) is None else None


def _platform(platform: str) -> str | None:
    p = platform.strip().lower()
    p = _PLATFORM_ALIASES.get(p, p)
    return p if _CHAIN.fullmatch(p) else None


def _social(raw: str, platform: str | None = None) -> str | None:
    s = raw.strip()
    if platform is None:
        head, sep, tail = s.partition(":")
        if sep and not tail.startswith("//"):
            platform, s = head, tail
        else:
            found = _profile_url(s)
            if found is None:
                return None
            platform, s = found
    p = _platform(platform)
    if p is None:
        return None
    if "/" in s:  # a profile URL given with its platform
        found = _profile_url(s)
        if found is None or found[0] != p:
            return None
        s = found[1]
    h = _handle(p, s)
    return None if h is None else f"{p}:{h}"


# --------------------------------------------------------------------------- the rest

_MAC_SEPARATORS = str.maketrans("", "", ":-.")
_MAC_SHAPE = re.compile(r"[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|"
                        r"[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12}")


def _mac(raw: str) -> str | None:
    s = raw.strip().lower()
    if _MAC_SHAPE.fullmatch(s) is None:
        return None
    h = s.translate(_MAC_SEPARATORS)
    return ":".join(h[i:i + 2] for i in range(0, 12, 2))


def _asn(raw: str) -> str | None:
    s = raw.strip()
    if s[:2].upper() == "AS":
        s = s[2:].strip()
    high, dot, low = s.partition(".")
    if not high.isascii() or not high.isdigit() or len(high) > 10:
        return None
    if dot:
        if not low.isascii() or not low.isdigit() or len(low) > 5:
            return None
        hi, lo = int(high), int(low)
        if hi > 0xFFFF or lo > 0xFFFF:
            return None
        return str(hi << 16 | lo)
    n = int(high)
    return str(n) if n <= 0xFFFFFFFF else None


def _as_is(raw: str) -> str | None:
    return raw or None


KINDS: Final[dict[str, Callable[[str], str | None]]] = {
    "ipv4": _ipv4, "ipv6": _ipv6, "domain": _domain, "url": _url, "email": _email,
    **{k: _hex_of(n) for k, n in HASH_KINDS.items()}, "ssdeep": _ssdeep, "tlsh": _tlsh,
    "iban": lambda s: _iban(s.strip()), "bic": lambda s: _bic(s.strip()),
    "bank-account": _bank_account, "phone": _phone, "wallet": _wallet, "social": _social,
    "mac": _mac, "asn": _asn, "mutex": _as_is, "filename": _as_is, "user-agent": _as_is,
}
"""Every kind :func:`normalise` knows, with its normaliser."""


def normalise(kind: str, raw: str, *, region: str | None = None, chain: str | None = None,
              platform: str | None = None) -> str | None:
    """The normal form of ``raw`` as a value of ``kind``, or None if it is not one.

    ``region`` (ISO 3166 alpha-2) reads ``phone`` numbers without a country code;
    ``chain`` and ``platform`` qualify a bare ``wallet`` address or ``social`` handle
    (otherwise ``raw`` is ``chain:address`` / ``platform:handle`` or a profile URL).
    """
    fn = KINDS.get(kind)
    if fn is None:
        raise ValueError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if not isinstance(raw, str) or len(raw) > MAX_VALUE_LEN:
        return None
    if kind == "phone":
        return _phone(raw, region)
    if kind == "wallet" and chain is not None:
        return _wallet(raw, chain) if isinstance(chain, str) else None
    if kind == "social" and platform is not None:
        return _social(raw, platform) if isinstance(platform, str) else None
    return fn(raw)


# --------------------------------------------------------------------------- STIX objects

Pair = tuple[str, str]


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v and len(v) <= MAX_VALUE_LEN else None


def _add(out: list[Pair], kind: str, value: Any) -> None:
    s = _str(value)
    if s is not None:
        v = KINDS[kind](s)
        if v is not None:
            out.append((kind, v))


def _add_ip(out: list[Pair], value: Any, family: str) -> None:
    s = _str(value)
    if s is None:
        return
    v = _ipv4(s) if family == "ipv4" else _ipv6(s)
    if v is None:
        return
    out.append((family, v))
    if v.startswith("::ffff:") and "/" not in v:  # the IPv4 host inside
        out.append(("ipv4", v[7:]))


def _add_hashes(out: list[Pair], hashes: Any) -> None:
    if isinstance(hashes, dict):
        for key, value in hashes.items():
            kind = hash_kind(key) if isinstance(key, str) else None
            if kind is not None:
                _add(out, kind, value)


def _add_wallet(out: list[Pair], chain: Any, address: Any) -> None:
    addr = _str(address)
    if addr is None:
        return
    c = _str(chain)
    if c is not None:
        v = _wallet(addr, c)
        if v is not None:
            out.append(("wallet", v))
        return
    for c in wallet_chains(addr)[:1]:  # no chain given: the first that fits
        v = _wallet(addr, c)
        if v is not None:
            out.append(("wallet", v))


def _add_social(out: list[Pair], platform: Any, handle: Any, url: Any) -> None:
    p, h, u = _str(platform), _str(handle), _str(url)
    if h is not None:
        v = _social(h, p) if p is not None else _social(h)
        if v is not None:
            out.append(("social", v))
    if u is not None:
        v = _social(u)
        if v is not None and (p is None or v.partition(":")[0] == _platform(p)):
            out.append(("social", v))


def _add_account(out: list[Pair], number: Any, country: Any) -> None:
    n, c = _str(number), _str(country)
    if n is not None and c is not None:
        _add(out, "bank-account", f"{c}:{n}")


def _sco_values(obj: dict[str, Any], out: list[Pair]) -> None:
    t = obj.get("type")
    if t == "ipv4-addr" or t == "ipv6-addr":
        _add_ip(out, obj.get("value"), t[:4])
    elif t == "domain-name":
        _add(out, "domain", obj.get("value"))
    elif t == "url":
        _add(out, "url", obj.get("value"))
    elif t == "email-addr":
        _add(out, "email", obj.get("value"))
    elif t == "file":
        _add_hashes(out, obj.get("hashes"))
        _add(out, "filename", obj.get("name"))
    elif t == "artifact" or t == "x509-certificate":
        _add_hashes(out, obj.get("hashes"))
    elif t == "mac-addr":
        _add(out, "mac", obj.get("value"))
    elif t == "autonomous-system":
        n = obj.get("number")
        if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 0xFFFFFFFF:
            out.append(("asn", str(n)))
    elif t == "mutex":
        _add(out, "mutex", obj.get("name"))
    elif t == "network-traffic":
        ext = obj.get("extensions")
        http = ext.get("http-request-ext") if isinstance(ext, dict) else None
        headers = http.get("request_header") if isinstance(http, dict) else None
        if isinstance(headers, dict):
            _add(out, "user-agent", headers.get("User-Agent"))
    elif t == "x-cyberhub-bank-account":
        _add(out, "iban", obj.get("iban"))
        _add(out, "bic", obj.get("bic"))
        _add_account(out, obj.get("account_number"), obj.get("country"))
    elif t == "x-cyberhub-phone-number":
        value, country = _str(obj.get("value")), _str(obj.get("country"))
        if value is not None:
            v = _phone(value, country)
            if v is not None:
                out.append(("phone", v))
    elif t == "x-cyberhub-cryptocurrency-wallet":
        _add_wallet(out, obj.get("chain"), obj.get("address"))
    elif t == "x-cyberhub-social-account":
        _add_social(out, obj.get("platform"), obj.get("handle"), obj.get("url"))


# A comparison `path = 'literal'` (or `= 123`), or any other string literal to skip over,
# so that text inside a literal is never read as a comparison.
_COMPARISON = re.compile(r"""
    '(?:[^'\\]|\\.)*'
  | (?P<path>[a-z0-9][a-z0-9_-]*:(?:[^\s'=!<>\[\]()]|\[\*\]|\[\d+\]|'(?:[^'\\]|\\.)*')+)
    (?:\s+(?P<neg>NOT))?\s*=\s*
    (?:'(?P<str>(?:[^'\\]|\\.)*)'|(?P<int>\d+)(?![\d.]))
""", re.VERBOSE)
_UNESCAPE = re.compile(r"\\(.)")
_PATH_KINDS: Final = {
    "ipv4-addr:value": "ipv4", "ipv6-addr:value": "ipv6", "domain-name:value": "domain",
    "url:value": "url", "email-addr:value": "email", "mac-addr:value": "mac",
    "autonomous-system:number": "asn", "mutex:name": "mutex", "file:name": "filename",
    "email-message:from_ref.value": "email", "email-message:sender_ref.value": "email",
    "email-message:to_refs[*].value": "email", "email-message:cc_refs[*].value": "email",
    "email-message:bcc_refs[*].value": "email",
    "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'": "user-agent",
    "x-cyberhub-bank-account:iban": "iban", "x-cyberhub-bank-account:bic": "bic",
    "x-cyberhub-phone-number:value": "phone",
}
_IP_REFS: Final = frozenset({"network-traffic:dst_ref.value", "network-traffic:src_ref.value"})
_COMPOUND: Final = {
    "x-cyberhub-cryptocurrency-wallet:chain", "x-cyberhub-cryptocurrency-wallet:address",
    "x-cyberhub-social-account:platform", "x-cyberhub-social-account:handle",
    "x-cyberhub-social-account:url", "x-cyberhub-bank-account:account_number",
    "x-cyberhub-bank-account:country", "x-cyberhub-phone-number:country"}


def _comparisons(pattern: str) -> Iterable[tuple[str, str]]:
    for m in _COMPARISON.finditer(pattern):
        path = m.group("path")
        if path is None or m.group("neg"):
            continue
        lit = m.group("str")
        if lit is None:
            lit = m.group("int")
        elif "\\" in lit:
            lit = _UNESCAPE.sub(r"\1", lit)
        yield path, lit


def pattern_values(pattern: str) -> list[Pair]:
    """The (kind, value) pairs of a STIX pattern's ``=`` comparisons (not ``NOT =``).

    Properties that only make sense together (a wallet's chain and address, a social
    account's platform and handle, an account number and its country) are paired when the
    pattern names exactly one of the companion; a wallet address without a chain takes
    the first supported chain it is valid for.
    """
    out: list[Pair] = []
    compound: dict[str, list[str]] = {}
    checked = checked_comparisons(pattern)  # an importer validated it just now
    for path, lit in _comparisons(pattern) if checked is None else checked:
        kind = _PATH_KINDS.get(path)
        if kind is not None:
            if kind == "asn" or lit:
                _add(out, kind, lit)
        elif path in _COMPOUND:
            compound.setdefault(path, []).append(lit)
        elif path in _IP_REFS:
            v4 = _ipv4(lit)
            if v4 is not None:
                out.append(("ipv4", v4))
            else:
                _add_ip(out, lit, "ipv6")
        elif "hashes." in path:
            key = path.rpartition("hashes.")[2].strip("'")
            hkind = hash_kind(key)
            if hkind is not None:
                _add(out, hkind, lit)
    if compound:
        def one(path: str) -> str | None:
            found = compound.get(path, [])
            return found[0] if len(set(found)) == 1 else None

        w = "x-cyberhub-cryptocurrency-wallet:"
        for addr in compound.get(w + "address", []):
            _add_wallet(out, one(w + "chain"), addr)
        s = "x-cyberhub-social-account:"
        for handle in compound.get(s + "handle", []):
            _add_social(out, one(s + "platform"), handle, None)
        for url in compound.get(s + "url", []):
            _add_social(out, None, None, url)
        b = "x-cyberhub-bank-account:"
        for number in compound.get(b + "account_number", []):
            _add_account(out, number, one(b + "country"))
    return out


def values_of(obj: dict[str, Any]) -> list[Pair]:
    """The (kind, normalised value) pairs a STIX 2.1 object carries, without duplicates.

    SCOs give their values; indicators with a STIX pattern give the literals of its
    ``=`` comparisons; ``observed-data`` gives the values of its (deprecated) embedded
    ``objects``. Invalid values are skipped; nothing here raises on malformed input.
    """
    if not isinstance(obj, dict):
        return []
    out: list[Pair] = []
    t = obj.get("type")
    if t == "indicator":
        pattern = obj.get("pattern")
        if isinstance(pattern, str) and obj.get("pattern_type", "stix") == "stix":
            out = pattern_values(pattern)
    elif t == "observed-data":
        objects = obj.get("objects")
        if isinstance(objects, dict):
            for embedded in objects.values():
                if isinstance(embedded, dict):
                    _sco_values(embedded, out)
    else:
        _sco_values(obj, out)
    if len(out) > 1:
        out = list(dict.fromkeys(out))
    return out
