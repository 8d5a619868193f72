"""A fast STIX 2.1 object validator.

``validate_object(obj)`` returns the list of MUST-level problems of one STIX 2.1 object
(an empty list means valid). It agrees with the OASIS ``stix2-validator`` on what is
valid for the objects we exchange, and is one to two orders of magnitude faster: every
rule is a precompiled check in a per-type table, and indicator patterns go through
the fast path of :mod:`cyberhub.formats.stix.patterns`.

Where the specification and stix2-validator disagree we follow the specification;
``docs/extensions.md`` lists those places. SHOULD-level advice (open vocabularies,
custom-name prefixes, recommended UUID versions) is not reported: it is not an error.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import idna

from cyberhub.formats.stix import patterns as _patterns
from cyberhub.i18n import N_, _, format_or, ngettext

__all__ = ["Problem", "validate_object"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an object: where (a JSON-path-like string) and what."""

    path: str
    message: str


Out = list[Problem]
Check = Callable[[Any, str, Out], None]
Predicate = Callable[[Any], bool]

# Checkers that have a cheap yes/no twin: ``_OK[check](v)`` is true exactly when
# ``check(v, path, out)`` reports nothing. The quick path (see validate_object) uses
# it to skip building paths and problem lists for values that are fine.
_OK: dict[Check, Predicate] = {}


def _twin(check: Check, ok: Predicate) -> Check:
    _OK[check] = ok
    return check

# ---------------------------------------------------------------------------
# Lexical rules

_UUID: Final = (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
                r"-[0-9a-fA-F]{12}")
# Lazy: the type ends where "--" and a UUID end the text, which the shortest type finds
# without first running over the UUID and back (twice as fast; the same groups).
_ID_RE: Final = re.compile(rf"([a-z][a-z0-9-]+?[a-z0-9])--({_UUID})")
_TYPE_RE: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?")
_PROP_RE: Final = re.compile(r"[a-z][a-z0-9_]{2,249}")
_TS_RE: Final = re.compile(
    r"([0-9]{4})-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9])"
    r":([0-5][0-9]|60)(\.[0-9]+)?Z")
_EXT_KEY_RE: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-ext")
_EXT_DEF_KEY_RE: Final = re.compile(rf"extension-definition--{_UUID}")
_DICT_KEY_RE: Final = re.compile(r"[a-zA-Z0-9_-]{0,250}")
_BIN_RE: Final = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)")
_HEX_RE: Final = re.compile(r"(?:[a-fA-F0-9]{2})+")
_EMAIL_RE: Final = re.compile(r"[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+")
_IPV4_RE: Final = re.compile(
    r"(?:(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}"
    r"(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])(?:/(?:3[0-2]|[1-2][0-9]|[0-9]))?")
_MAC_RE: Final = re.compile(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}")
_SELECTOR_RE: Final = re.compile(r"[a-z0-9_-]{3,249}(?:\.(?:\[\d+\]|[a-z0-9_-]{1,250}))*|id")
_LIST_INDEX_RE: Final = re.compile(r"\[(\d+)\]")
_REL_TYPE_RE: Final = re.compile(r"[a-z0-9-]+")
_CVE_RE: Final = re.compile(r"CVE-\d{4}-(?:0\d{3}|[1-9]\d{3,})")
_CAPEC_RE: Final = re.compile(r"CAPEC-\d+")
_ENC_RE: Final = re.compile(r"[a-zA-Z0-9/.+_:-]{2,250}")
_MIME_RE: Final = re.compile(
    r"(?:application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+"
    r"(?:;.*)?", re.S)
_LANG_RE: Final = re.compile(
    r"([a-zA-Z]{2,3})(?:-[a-zA-Z]{4})?(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-zA-Z0-9]{5,8}|[0-9][a-zA-Z0-9]{3}))*")
_CPE_RE: Final = re.compile(
    r"cpe:2\.3:[aho*\-](?::(?:(?:\?*|\*?)(?:[a-zA-Z0-9\-._]|\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~])+"
    r"(?:\?*|\*?)|[*\-])){5}(?::(?:[a-zA-Z]{2,3}(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?|[*\-]))"
    r"(?::(?:(?:\?*|\*?)(?:[a-zA-Z0-9\-._]|\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~])+(?:\?*|\*?)"
    r"|[*\-])){4}")
_REGISTRY_ABBREV_RE: Final = re.compile(r"^HKLM|HKCC|HKCR|HKCU|HKU|hklm|hkcc|hkcr|hkcu|hku")
_SOCKET_OPT_RE: Final = re.compile(r"(?:SO|ICMP|ICMP6|IP|IPV6|MCAST|TCP|IRLMP)(?:_[A-Z]+)+")
_EXIF_KEY_RE: Final = re.compile(r"[A-Z][a-zA-Z0-9_-]+")

# RFC 3986 "URI" (absolute, with scheme), as the ``uri`` JSON-schema format checks it.
_PCT: Final = r"%[0-9A-Fa-f]{2}"
_UNRES_SUB: Final = r"a-zA-Z0-9_.~\-!$&'()*+,;="
_PCHAR: Final = rf"(?:[{_UNRES_SUB}:@]|{_PCT})"
_URI_RE: Final = re.compile(
    rf"[a-zA-Z][a-zA-Z0-9+.-]*:"
    rf"(?://(?:(?:[{_UNRES_SUB}:]|{_PCT})*@)?"
    rf"(?P<host>\[[^\]]*\]|(?:[{_UNRES_SUB}]|{_PCT})*)(?::[0-9]*)?(?:/{_PCHAR}*)*"
    rf"|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"
    rf"|{_PCHAR}+(?:/{_PCHAR}*)*"
    rf"|)"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:\#(?:{_PCHAR}|[/?])*)?")
_IPVFUTURE_RE: Final = re.compile(rf"v[0-9A-Fa-f]+\.[{_UNRES_SUB}:]+")

_DAYS: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

STIX_OBSERVABLE_NAMESPACE: Final = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

# ---------------------------------------------------------------------------
# Object kinds

SDO_TYPES: Final = frozenset({
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware",
    "malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor",
    "tool", "vulnerability",
})
SRO_TYPES: Final = frozenset({"relationship", "sighting"})
SCO_TYPES: Final = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
    "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
    "network-traffic", "process", "software", "url", "user-account",
    "windows-registry-key", "x509-certificate",
})
META_TYPES: Final = frozenset({"marking-definition", "language-content", "extension-definition"})
_RESERVED_PROPS: Final = ("severity", "action", "username", "phone_numbers")
_NOT_RELATABLE: Final = frozenset({
    "relationship", "sighting", "bundle", "marking-definition", "language-content"})

TLP1: Final = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": ("TLP:WHITE", "white"),
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": ("TLP:GREEN", "green"),
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": ("TLP:AMBER", "amber"),
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": ("TLP:RED", "red"),
}
EXTENSION_TYPES: Final = frozenset({
    "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"})

# ---------------------------------------------------------------------------
# Small helpers


def _p(out: Out, path: str, message: str) -> None:
    out.append(Problem(path, message))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_int(v: Any) -> bool:
    # JSON Schema's "integer": a number with no fractional part, never a boolean.
    if type(v) is int:
        return True
    return type(v) is float and v.is_integer()


def _is_num(v: Any) -> bool:
    return type(v) is int or type(v) is float


def _days_ok(y: int, m: int, d: int) -> bool:
    if d <= 28:
        return True
    if m == 2 and d == 29:
        return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return d <= _DAYS[m]


_ts_cache: dict[str, bool] = {}


def ts_ok(v: Any) -> bool:
    """A STIX timestamp: RFC 3339, UTC ("Z"), a real calendar date and time."""
    if type(v) is not str:
        return False
    hit = _ts_cache.get(v)
    if hit is not None:
        return hit
    m = _TS_RE.fullmatch(v)
    ok = (m is not None and m.group(6) != "60"
          and _days_ok(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    if len(_ts_cache) < 65536:
        _ts_cache[v] = ok
    return ok


def _ts_key(v: str) -> tuple[str, str]:
    head, _, frac = v[:-1].partition(".")
    return head, frac.rstrip("0")


def _lang_ok(v: Any) -> bool:
    from cyberhub.formats.stix._langs import is_language

    if type(v) is not str:
        return False
    m = _LANG_RE.fullmatch(v)
    return m is not None and is_language(m.group(1).lower())


def uri_ok(v: Any) -> bool:
    if type(v) is not str:
        return False
    m = _URI_RE.fullmatch(v)
    if m is None:
        return False
    host = m.group("host")
    if host and host.startswith("["):
        inner = host[1:-1]
        if _IPVFUTURE_RE.fullmatch(inner):
            return True
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return False
    return True


# Lower-case letter-digit-hyphen labels, no hyphen at either end or in the 3rd and 4th
# places (nor "xn--"): idna accepts every such name, so it need not be asked (it costs
# ~15 µs a name). Anything else is left to idna.
_PLAIN_HOST_RE: Final = re.compile(
    r"(?:(?![a-z0-9-]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
    r"(?![a-z0-9-]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def hostname_ok(v: Any) -> bool:
    if type(v) is not str:
        return False
    if len(v) <= 253 and _PLAIN_HOST_RE.fullmatch(v) is not None:
        return True
    try:
        idna.encode(v)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


def ipv6_ok(v: Any) -> bool:
    if type(v) is not str:
        return False
    addr, slash, prefix = v.partition("/")
    if slash and not (prefix.isascii() and prefix.isdigit() and len(prefix) <= 3
                      and int(prefix) <= 128 and (prefix == "0" or prefix[0] != "0")):
        return False
    addr = addr.partition("%")[0] if "%" in addr else addr
    try:
        ipaddress.IPv6Address(addr)
    except ValueError:
        return False
    return True


# Identifiers parsed lately: an object's id comes back in the references of the objects
# after it (a report lists its event's objects; every object names its creator and its
# markings), so most references are found here.
_ids: dict[str, tuple[str, str]] = {}
_IDS_KEPT: Final = 8192


def parse_id(v: Any) -> tuple[str, str] | None:
    """(type, uuid) of a STIX identifier, or None when it is not one."""
    if type(v) is not str:
        return None
    try:
        return _ids[v]
    except KeyError:
        pass
    m = _ID_RE.fullmatch(v)
    if m is None:
        return None
    found = m.group(1), m.group(2)
    if len(v) <= 300:  # a type name may be long; what is kept stays small
        if len(_ids) >= _IDS_KEPT:
            _ids.clear()
        _ids[v] = found
    return found


# ---------------------------------------------------------------------------
# Checkers: build once, call per value


def c_str(v: Any, path: str, out: Out) -> None:
    if type(v) is not str:
        _p(out, path, _("must be a string"))


def c_bool(v: Any, path: str, out: Out) -> None:
    if type(v) is not bool:
        _p(out, path, _("must be a boolean (true or false)"))


_twin(c_str, lambda v: type(v) is str)
_twin(c_bool, lambda v: type(v) is bool)


def c_any(v: Any, path: str, out: Out) -> None:
    return None


def c_int(lo: int | None = None, hi: int | None = None) -> Check:
    def check(v: Any, path: str, out: Out) -> None:
        if not _is_int(v):
            _p(out, path, _("must be an integer"))
        elif (lo is not None and v < lo) or (hi is not None and v > hi):
            _p(out, path, _("must be between %(lo)s and %(hi)s") % {"lo": lo, "hi": hi}
               if hi is not None else _("must be at least %(lo)s") % {"lo": lo})
    return _twin(check, lambda v: _is_int(v) and not (
        (lo is not None and v < lo) or (hi is not None and v > hi)))


def c_num(lo: float | None = None, hi: float | None = None) -> Check:
    def check(v: Any, path: str, out: Out) -> None:
        if not _is_num(v):
            _p(out, path, _("must be a number"))
        elif (lo is not None and v < lo) or (hi is not None and v > hi):
            _p(out, path, _("must be between %(lo)s and %(hi)s") % {"lo": lo, "hi": hi})
    return _twin(check, lambda v: _is_num(v) and not (
        (lo is not None and v < lo) or (hi is not None and v > hi)))


def c_ts(v: Any, path: str, out: Out) -> None:
    if not ts_ok(v):
        _p(out, path, _("must be a timestamp such as 2024-05-01T12:00:00Z (RFC 3339, UTC)"))


def c_ts_ms(v: Any, path: str, out: Out) -> None:
    if not ts_ok(v):
        _p(out, path, _("must be a timestamp such as 2024-05-01T12:00:00.000Z (RFC 3339, UTC)"))
    elif len(v) < 24 or v[19] != "." or len(v) - 21 < 3:
        _p(out, path, _("must be precise to the millisecond (e.g. 2024-05-01T12:00:00.000Z)"))


_twin(c_ts, ts_ok)
_twin(c_ts_ms, lambda v: ts_ok(v) and len(v) >= 24 and v[19] == "." and len(v) - 21 >= 3)


def c_ts_s(v: Any, path: str, out: Out) -> None:
    if not ts_ok(v) or len(v) != 20:
        _p(out, path, _("must be a timestamp precise to the second (e.g. 2024-05-01T12:00:00Z)"))


def c_enum(values: Iterable[str]) -> Check:
    allowed = frozenset(values)
    shown = ", ".join(sorted(allowed))

    def check(v: Any, path: str, out: Out) -> None:
        if type(v) is not str or v not in allowed:
            _p(out, path, _("must be one of: %(values)s") % {"values": shown})
    return _twin(check, lambda v: type(v) is str and v in allowed)


def c_regex(rx: re.Pattern[str], message: str) -> Check:
    """A string matching ``rx``; ``message`` (marked with ``N_``) is translated when a
    value fails."""
    def check(v: Any, path: str, out: Out) -> None:
        if type(v) is not str or rx.fullmatch(v) is None:
            _p(out, path, _(message))
    return _twin(check, lambda v: type(v) is str and rx.fullmatch(v) is not None)


def c_pred(pred: Callable[[Any], bool], message: str) -> Check:
    """A value ``pred`` accepts; ``message`` (marked with ``N_``) is translated when a
    value fails."""
    def check(v: Any, path: str, out: Out) -> None:
        if not pred(v):
            _p(out, path, _(message))
    return _twin(check, pred)


c_hex = c_regex(_HEX_RE, N_("must be a hexadecimal string (pairs of 0-9a-f)"))
c_bin = c_regex(_BIN_RE, N_("must be base64-encoded binary data"))
c_uri = c_pred(uri_ok, N_("must be an absolute URI (RFC 3986)"))


def c_list(item: Check, min_items: int = 1) -> Check:
    def check(v: Any, path: str, out: Out) -> None:
        if type(v) is not list:
            _p(out, path, _("must be a list"))
            return
        if len(v) < min_items:
            _p(out, path, _("must not be empty") if min_items == 1
               else ngettext("must have at least %(n)d item", "must have at least %(n)d items",
                             min_items) % {"n": min_items})
        for i, x in enumerate(v):
            item(x, f"{path}[{i}]", out)
    item_ok = _OK.get(item)
    if item_ok is None:
        return check
    return _twin(check, lambda v: type(v) is list and len(v) >= min_items
                 and all(item_ok(x) for x in v))


def c_ref(*types: str, exclude: Iterable[str] = ()) -> Check:
    """An identifier, optionally of one of ``types`` (an empty tuple: any type)."""
    allowed = frozenset(types)
    excluded = frozenset(exclude)
    listed = sorted(allowed)

    def check(v: Any, path: str, out: Out) -> None:
        parsed = parse_id(v)
        if parsed is None:
            _p(out, path, _("must be a STIX identifier such as indicator--<UUID>"))
        elif allowed and parsed[0] not in allowed:
            _p(out, path, _("must refer to an object of type %(types)s")
               % {"types": format_or(listed)})
        elif parsed[0] in excluded:
            _p(out, path, _("must not refer to a %(type)s object") % {"type": parsed[0]})

    def ok(v: Any) -> bool:
        parsed = parse_id(v)
        return parsed is not None and (not allowed or parsed[0] in allowed) and (
            parsed[0] not in excluded)
    return _twin(check, ok)


def c_dict(values: Check | None = None, min_props: int = 1,
           key_rx: re.Pattern[str] | None = _DICT_KEY_RE) -> Check:
    def check(v: Any, path: str, out: Out) -> None:
        if type(v) is not dict:
            _p(out, path, _("must be a dictionary (a JSON object)"))
            return
        if len(v) < min_props:
            _p(out, path, _("must not be empty"))
        for k, x in v.items():
            sub = _join(path, k)
            if key_rx is not None and key_rx.fullmatch(k) is None:
                _p(out, sub, _("is not a valid dictionary key (letters, digits, _ and -, "
                   "at most 250 characters)"))
                continue
            if values is None:
                _dict_value(x, sub, out)
            else:
                values(x, sub, out)
    return check


def _dict_value(x: Any, path: str, out: Out) -> None:
    if x is None:
        _p(out, path, _("must not be null"))
    elif type(x) is list and not x:
        _p(out, path, _("must not be an empty list"))


def c_obj(props: Mapping[str, Check], required: Iterable[str] = (),
          extra: Callable[[dict[str, Any], str, Out], None] | None = None,
          closed: bool = False) -> Check:
    req = tuple(required)

    def check(v: Any, path: str, out: Out) -> None:
        if type(v) is not dict:
            _p(out, path, _("must be a JSON object"))
            return
        for r in req:
            if r not in v:
                _p(out, _join(path, r), _("is required"))
        for k, x in v.items():
            c = props.get(k)
            if c is not None:
                c(x, _join(path, k), out)
            elif closed:
                _p(out, _join(path, k), _("is not a property of this object"))
        if extra is not None:
            extra(v, path, out)
    return check


def _any_of(*names: str) -> Callable[[dict[str, Any], str, Out], None]:
    listed = ", ".join(names)

    def check(v: dict[str, Any], path: str, out: Out) -> None:
        for n in names:
            if n in v:
                return
        _p(out, path or "(object)",
           _("must have at least one of: %(names)s") % {"names": listed})
    return check


def _all(*checks: Callable[[dict[str, Any], str, Out], None]
         ) -> Callable[[dict[str, Any], str, Out], None]:
    def check(v: dict[str, Any], path: str, out: Out) -> None:
        for c in checks:
            c(v, path, out)
    return check


# ---------------------------------------------------------------------------
# Shared structures


_HASH_ALGOS: Final = {
    "MD5": re.compile(r"[a-fA-F0-9]{32}"),
    "SHA-1": re.compile(r"[a-fA-F0-9]{40}"),
    "SHA-256": re.compile(r"[a-fA-F0-9]{64}"),
    "SHA-512": re.compile(r"[a-fA-F0-9]{128}"),
    "SHA3-256": re.compile(r"[a-fA-F0-9]{64}"),
    "SHA3-512": re.compile(r"[a-fA-F0-9]{128}"),
    "SSDEEP": re.compile(r"[a-zA-Z0-9/+:.]{1,128}"),
    "TLSH": re.compile(r"[a-zA-Z0-9]{70}"),
}
_HASH_KEY_RE: Final = re.compile(r"[a-zA-Z0-9_-]{3,250}")


def c_hashes(v: Any, path: str, out: Out) -> None:
    if type(v) is not dict:
        _p(out, path, _("must be a dictionary of hash algorithm to hash value"))
        return
    if not v:
        _p(out, path, _("must not be empty"))
    for k, x in v.items():
        sub = _join(path, k)
        rx = _HASH_ALGOS.get(k)
        if rx is None and _HASH_KEY_RE.fullmatch(k) is None:
            _p(out, sub, _("is not a valid hash algorithm name (3-250 letters, digits, _ or -)"))
        elif type(x) is not str:
            _p(out, sub, _("must be a string"))
        elif rx is not None and rx.fullmatch(x) is None:
            _p(out, sub, _("is not a valid %(algorithm)s value") % {"algorithm": k})


def _ext_ref_check(v: Any, path: str, out: Out) -> None:
    if type(v) is not dict:
        _p(out, path, _("must be a JSON object"))
        return
    source = v.get("source_name")
    ext_id = v.get("external_id")
    if type(source) is not str:
        _p(out, _join(path, "source_name"), _("is required and must be a string"))
    elif ext_id is not None and type(ext_id) is not str:
        _p(out, _join(path, "external_id"), _("must be a string"))
    elif source == "cve":
        if ext_id is None or _CVE_RE.fullmatch(ext_id) is None:
            _p(out, _join(path, "external_id"), _("must be a CVE id such as CVE-2021-44228"))
    elif source == "capec":
        if ext_id is None or _CAPEC_RE.fullmatch(ext_id) is None:
            _p(out, _join(path, "external_id"), _("must be a CAPEC id such as CAPEC-66"))
    else:
        if ext_id is not None and (_CVE_RE.fullmatch(ext_id) or _CAPEC_RE.fullmatch(ext_id)):
            _p(out, _join(path, "source_name"),
               _("must be 'cve' or 'capec' for a CVE or CAPEC external_id"))
        if "external_id" not in v and "description" not in v and "url" not in v:
            _p(out, path, _("must have an external_id, a description or a url"))
    if "url" in v:
        c_uri(v["url"], _join(path, "url"), out)
    if "hashes" in v:
        c_hashes(v["hashes"], _join(path, "hashes"), out)


c_kill_chain = c_obj({"kill_chain_name": c_str, "phase_name": c_str},
                     required=("kill_chain_name", "phase_name"))
c_kill_chains = c_list(c_kill_chain)
c_strings = c_list(c_str)
c_marking_ref = c_ref("marking-definition")


def _granular(v: Any, path: str, out: Out) -> None:
    if type(v) is not dict:
        _p(out, path, _("must be a JSON object"))
        return
    sel = v.get("selectors")
    if sel is None:
        _p(out, _join(path, "selectors"), _("is required"))
    elif type(sel) is not list or not sel:
        _p(out, _join(path, "selectors"), _("must be a non-empty list"))
    else:
        for i, s in enumerate(sel):
            if type(s) is not str or _SELECTOR_RE.fullmatch(s) is None:
                _p(out, f"{path}.selectors[{i}]", _("is not a valid selector"))
    has_ref, has_lang = "marking_ref" in v, "lang" in v
    if has_ref == has_lang:
        _p(out, path, _("must have exactly one of marking_ref and lang"))
    if has_ref:
        c_marking_ref(v["marking_ref"], _join(path, "marking_ref"), out)
    if has_lang and not _lang_ok(v["lang"]):
        _p(out, _join(path, "lang"), _("must be an RFC 5646 language code such as en or fr-CA"))


c_granular_markings = c_list(_granular)
c_marking_refs = c_list(c_marking_ref)


def _selectors_resolve(obj: dict[str, Any], out: Out) -> None:
    gms = obj.get("granular_markings")
    if type(gms) is not list:
        return
    for i, gm in enumerate(gms):
        if type(gm) is not dict or type(gm.get("selectors")) is not list:
            continue
        for j, selector in enumerate(gm["selectors"]):
            if type(selector) is not str:
                continue
            node: Any = obj
            for seg in selector.split("."):
                m = _LIST_INDEX_RE.match(seg)
                if m is not None:
                    idx = int(m.group(1))
                    if type(node) is list and idx < len(node):
                        node = node[idx]
                        continue
                elif type(node) is dict and seg in node:
                    node = node[seg]
                    continue
                _p(out, f"granular_markings[{i}].selectors[{j}]",
                   _("'%(selector)s' does not select anything in this object")
                   % {"selector": selector})
                break


def _props_rule(v: dict[str, Any], path: str, out: Out, *, top: bool) -> None:
    """Names and values allowed for any property (STIX 2.1 §3.1, common/properties)."""
    for k, x in v.items():
        sub = _join(path, k)
        if type(k) is not str or (_PROP_RE.fullmatch(k) is None and k != "id"):
            _p(out, sub, _("is not a valid property name (3-250 characters: a-z, 0-9, _; "
               "starting with a letter)"))
            continue
        if x is None:
            _p(out, sub, _("must not be null"))
        elif type(x) is list and not x:
            _p(out, sub, _("must not be an empty list"))
        if k.endswith("_bin") and (type(x) is not str or _BIN_RE.fullmatch(x) is None):
            _p(out, sub, _("must be base64-encoded binary data"))
        elif k.endswith("_hex") and (type(x) is not str or _HEX_RE.fullmatch(x) is None):
            _p(out, sub, _("must be a hexadecimal string"))
    if top:
        for r in _RESERVED_PROPS:
            if r in v:
                _p(out, r, _("is a reserved property name and must not be used"))


def _extensions(v: Any, path: str, out: Out, *, predefined: bool) -> None:
    if type(v) is not dict:
        _p(out, path, _("must be a dictionary of extensions"))
        return
    if not v:
        _p(out, path, _("must not be empty"))
    for k, x in v.items():
        sub = _join(path, k)
        if _EXT_DEF_KEY_RE.fullmatch(k):
            if type(x) is not dict:
                _p(out, sub, _("must be a JSON object"))
                continue
            et = x.get("extension_type")
            if et is None:
                _p(out, _join(sub, "extension_type"), _("is required"))
            elif type(et) is not str or et not in EXTENSION_TYPES:
                _p(out, _join(sub, "extension_type"), _("must be one of: %(values)s")
                   % {"values": ", ".join(sorted(EXTENSION_TYPES))})
            _props_rule(x, sub, out, top=False)
        elif predefined and _EXT_KEY_RE.fullmatch(k):
            if type(x) is not dict:
                _p(out, sub, _("must be a JSON object"))
                continue
            if not x:
                _p(out, sub, _("must not be empty"))
            _props_rule(x, sub, out, top=False)
        else:
            _p(out, sub, _("is not a valid extension name (extension-definition--<UUID>, "
               "or a predefined name ending in -ext)"))


# ---------------------------------------------------------------------------
# Common properties

_CORE: Final[dict[str, Check]] = {
    "created_by_ref": c_ref("identity"),
    "labels": c_strings,
    "created": c_ts_ms,
    "modified": c_ts_ms,
    "revoked": c_bool,
    "confidence": c_int(0, 100),
    "lang": c_pred(_lang_ok, N_("must be an RFC 5646 language code such as en or fr-CA")),
    "external_references": c_list(_ext_ref_check),
    "object_marking_refs": c_marking_refs,
    "granular_markings": c_granular_markings,
}
_SCO_CORE: Final[dict[str, Check]] = {
    "object_marking_refs": c_marking_refs,
    "granular_markings": c_granular_markings,
    "defanged": c_bool,
    "lang": _CORE["lang"],
}


@dataclass(frozen=True, slots=True)
class Rules:
    props: Mapping[str, Check]
    required: tuple[str, ...] = ()
    extra: Callable[[dict[str, Any], str, Out], None] | None = None
    compare: tuple[tuple[str, str, str], ...] = ()  # (later, "ge"|"gt", earlier)
    extensions: Check | None = None  # type-specific rules for predefined extensions


def _compare(obj: dict[str, Any], rules: tuple[tuple[str, str, str], ...], out: Out) -> None:
    for later, op, earlier in rules:
        a, b = obj.get(later), obj.get(earlier)
        if a is None or b is None or not ts_ok(a) or not ts_ok(b):
            continue
        ka, kb = _ts_key(a), _ts_key(b)
        if (op == "ge" and ka < kb) or (op == "gt" and ka <= kb):
            message = (_("must be later than or equal to %(earlier)s (%(value)s)")
                       if op == "ge" else _("must be later than %(earlier)s (%(value)s)"))
            _p(out, later, message % {"earlier": earlier, "value": b})


# ---------------------------------------------------------------------------
# SDOs and SROs

_NAME_ONLY: Final = {"name": c_str, "description": c_str}


def _location_extra(v: dict[str, Any], path: str, out: Out) -> None:
    lat, lon = "latitude" in v, "longitude" in v
    if not ("region" in v or "country" in v or (lat and lon)):
        _p(out, "(object)", _("a location needs region, country, or latitude and longitude"))
    if lat != lon:
        _p(out, "latitude" if lat else "longitude",
           _("latitude and longitude must be given together"))
    if "precision" in v and not (lat and lon):
        _p(out, "precision", _("requires latitude and longitude"))


def _malware_extra(v: dict[str, Any], path: str, out: Out) -> None:
    if v.get("is_family") is True and "name" not in v:
        _p(out, "name", _("is required when is_family is true"))


def _observed_data_extra(v: dict[str, Any], path: str, out: Out) -> None:
    has_objects, has_refs = "objects" in v, "object_refs" in v
    if has_objects == has_refs:
        _p(out, "(object)", _("must have exactly one of object_refs and objects (deprecated)"))
    objects = v.get("objects")
    if has_objects:
        if type(objects) is not dict or not objects:
            _p(out, "objects", _("must be a non-empty dictionary of observables"))
        else:
            for key, emb in objects.items():
                sub = f"objects.{key}"
                if type(emb) is not dict:
                    _p(out, sub, _("must be a JSON object"))
                    continue
                for prob in _validate(emb, embedded=True):
                    _p(out, _join(sub, prob.path), prob.message)


_SDO_NOT_OBSERVABLE: Final = SDO_TYPES | {"bundle", "marking-definition", "language-content",
                                           "extension-definition"}


def _observed_ref(v: Any, path: str, out: Out) -> None:
    parsed = parse_id(v)
    if parsed is None:
        _p(out, path, _("must be a STIX identifier"))
    elif parsed[0] in _SDO_NOT_OBSERVABLE:
        _p(out, path, _("must refer to an observable (SCO), a relationship or a sighting"))


def _malware_analysis_extra(v: dict[str, Any], path: str, out: Out) -> None:
    if "result" not in v and "analysis_sco_refs" not in v:
        _p(out, "(object)", _("must have at least one of: result, analysis_sco_refs"))


def _indicator_extra(v: dict[str, Any], path: str, out: Out) -> None:
    pattern = v.get("pattern")
    if v.get("pattern_type") != "stix" or type(pattern) is not str:
        return
    version = v.get("pattern_version")
    if version is None:
        version = v.get("spec_version", "2.1")
    if type(version) is not str:
        return
    for msg in _patterns.pattern_problems(pattern, version):
        _p(out, "pattern", msg)


def _ext_def_extra(v: dict[str, Any], path: str, out: Out) -> None:
    types = v.get("extension_types")
    if "extension_properties" in v and not (
            type(types) is list and "toplevel-property-extension" in types):
        _p(out, "extension_properties",
           _("is only allowed with extension_types toplevel-property-extension"))


def _language_content_extra(v: dict[str, Any], path: str, out: Out) -> None:
    contents = v.get("contents")
    if type(contents) is not dict:
        return
    for lang, value in contents.items():
        if not _lang_ok(lang):
            _p(out, f"contents.{lang}", _("must be keyed by an RFC 5646 language code"))
        if type(value) is dict:
            for key in value:
                if _PROP_RE.fullmatch(key) is None and key != "id":
                    _p(out, f"contents.{lang}.{key}", _("is not a valid property name"))


_SDO_RULES: Final[dict[str, Rules]] = {
    "attack-pattern": Rules({**_NAME_ONLY, "aliases": c_strings,
                             "kill_chain_phases": c_kill_chains}, ("name",)),
    "campaign": Rules({**_NAME_ONLY, "aliases": c_strings, "first_seen": c_ts,
                       "last_seen": c_ts, "objective": c_str}, ("name",),
                      compare=(("last_seen", "ge", "first_seen"),)),
    "course-of-action": Rules(dict(_NAME_ONLY), ("name",)),
    "grouping": Rules({**_NAME_ONLY, "context": c_str, "object_refs": c_list(c_ref())},
                      ("context", "object_refs")),
    "identity": Rules({**_NAME_ONLY, "roles": c_strings, "identity_class": c_str,
                       "sectors": c_strings, "contact_information": c_str}, ("name",)),
    "incident": Rules({**_NAME_ONLY, "kill_chain_phases": c_kill_chains}, ("name",)),
    "indicator": Rules({**_NAME_ONLY, "indicator_types": c_strings, "pattern": c_str,
                        "pattern_type": c_str, "pattern_version": c_str, "valid_from": c_ts,
                        "valid_until": c_ts, "kill_chain_phases": c_kill_chains},
                       ("pattern", "pattern_type", "valid_from"), extra=_indicator_extra,
                       compare=(("valid_until", "gt", "valid_from"),)),
    "infrastructure": Rules({**_NAME_ONLY, "infrastructure_types": c_strings,
                             "aliases": c_strings, "kill_chain_phases": c_kill_chains,
                             "first_seen": c_ts, "last_seen": c_ts}, ("name",),
                            compare=(("last_seen", "ge", "first_seen"),)),
    "intrusion-set": Rules({**_NAME_ONLY, "aliases": c_strings, "first_seen": c_ts,
                            "last_seen": c_ts, "goals": c_strings, "resource_level": c_str,
                            "primary_motivation": c_str, "secondary_motivations": c_strings},
                           ("name",), compare=(("last_seen", "ge", "first_seen"),)),
    "location": Rules({**_NAME_ONLY, "latitude": c_num(-90, 90),
                       "longitude": c_num(-180, 180), "precision": c_num(), "region": c_str,
                       "country": c_str, "administrative_area": c_str, "city": c_str,
                       "street_address": c_str, "postal_code": c_str},
                      extra=_location_extra),
    "malware": Rules({**_NAME_ONLY, "malware_types": c_strings, "is_family": c_bool,
                      "aliases": c_strings, "kill_chain_phases": c_kill_chains,
                      "first_seen": c_ts, "last_seen": c_ts,
                      "operating_system_refs": c_list(c_ref("software")),
                      "architecture_execution_envs": c_strings,
                      "implementation_languages": c_strings, "capabilities": c_strings,
                      "sample_refs": c_list(c_ref("artifact", "file"))},
                     ("is_family",), extra=_malware_extra,
                     compare=(("last_seen", "ge", "first_seen"),)),
    "malware-analysis": Rules({
        "product": c_str, "version": c_str, "configuration_version": c_str,
        "modules": c_strings, "analysis_engine_version": c_str,
        "analysis_definition_version": c_str, "submitted": c_ts, "analysis_started": c_ts,
        "analysis_ended": c_ts, "result_name": c_str, "result": c_str,
        "host_vm_ref": c_ref("software"), "operating_system_ref": c_ref("software"),
        "installed_software_refs": c_list(c_ref("software")),
        "analysis_sco_refs": c_list(c_ref()),
        "sample_ref": c_ref("artifact", "file", "network-traffic")},
        ("product",), extra=_malware_analysis_extra),
    "note": Rules({"abstract": c_str, "content": c_str, "authors": c_strings,
                   "object_refs": c_list(c_ref())}, ("content", "object_refs")),
    "observed-data": Rules({"first_observed": c_ts, "last_observed": c_ts,
                            "number_observed": c_int(1, 999999999),
                            "object_refs": c_list(_observed_ref)},
                           ("first_observed", "last_observed", "number_observed"),
                           extra=_observed_data_extra,
                           compare=(("last_observed", "ge", "first_observed"),)),
    "opinion": Rules({"explanation": c_str, "authors": c_strings,
                      "object_refs": c_list(c_ref()),
                      "opinion": c_enum(["strongly-disagree", "disagree", "neutral", "agree",
                                         "strongly-agree"])}, ("object_refs", "opinion")),
    "report": Rules({**_NAME_ONLY, "report_types": c_strings, "published": c_ts,
                     "object_refs": c_list(c_ref())}, ("name", "object_refs", "published")),
    "threat-actor": Rules({**_NAME_ONLY, "threat_actor_types": c_strings, "aliases": c_strings,
                           "roles": c_strings, "goals": c_strings, "first_seen": c_ts,
                           "last_seen": c_ts, "sophistication": c_str, "resource_level": c_str,
                           "primary_motivation": c_str, "secondary_motivations": c_strings,
                           "personal_motivations": c_strings}, ("name",),
                          compare=(("last_seen", "ge", "first_seen"),)),
    "tool": Rules({**_NAME_ONLY, "tool_types": c_strings, "aliases": c_strings,
                   "tool_version": c_str, "kill_chain_phases": c_kill_chains}, ("name",)),
    "vulnerability": Rules(dict(_NAME_ONLY), ("name",)),
    "relationship": Rules({"relationship_type": c_regex(_REL_TYPE_RE,
                                                        N_("must be lower-case words joined by -")),
                           "description": c_str,
                           "source_ref": c_ref(exclude=_NOT_RELATABLE),
                           "target_ref": c_ref(exclude=_NOT_RELATABLE),
                           "start_time": c_ts, "stop_time": c_ts},
                          ("relationship_type", "source_ref", "target_ref"),
                          compare=(("stop_time", "gt", "start_time"),)),
    "sighting": Rules({"description": c_str, "first_seen": c_ts, "last_seen": c_ts,
                       "count": c_int(0, 999999999),
                       "sighting_of_ref": c_ref(exclude=_NOT_RELATABLE),
                       "observed_data_refs": c_list(c_ref("observed-data")),
                       "where_sighted_refs": c_list(c_ref("identity", "location")),
                       "summary": c_bool}, ("sighting_of_ref",),
                      compare=(("last_seen", "ge", "first_seen"),)),
    "language-content": Rules({"object_ref": c_ref(exclude=("bundle", "language-content")),
                               "object_modified": c_ts, "contents": c_dict()},
                              ("object_ref", "contents"), extra=_language_content_extra),
    "extension-definition": Rules({
        "name": c_str, "description": c_str, "schema": c_str, "version": c_str,
        "extension_types": c_list(c_enum(EXTENSION_TYPES)),
        "extension_properties": c_strings},
        ("created_by_ref", "name", "schema", "version", "extension_types"),
        extra=_ext_def_extra),
}

# ---------------------------------------------------------------------------
# SCOs

_ARTIFACT_ENC: Final = c_enum(["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"])


def _artifact_extra(v: dict[str, Any], path: str, out: Out) -> None:
    has_bin, has_url = "payload_bin" in v, "url" in v
    if has_bin == has_url:
        _p(out, "(object)", _("an artifact has exactly one of payload_bin and url"))
    if has_url and "hashes" not in v:
        _p(out, "hashes", _("is required with url"))
    if "decryption_key" in v and "encryption_algorithm" not in v:
        _p(out, "decryption_key", _("requires encryption_algorithm"))


def _mime_part(v: Any, path: str, out: Out) -> None:
    if type(v) is not dict:
        _p(out, path, _("must be a JSON object"))
        return
    for k, c in (("body", c_str), ("content_type", c_str), ("content_disposition", c_str),
                 ("body_raw_ref", c_ref("artifact", "file"))):
        if k in v:
            c(v[k], _join(path, k), out)
    if ("body" in v) == ("body_raw_ref" in v):
        _p(out, path, _("a MIME part has exactly one of body and body_raw_ref"))


_HEADER_FORBIDDEN: Final = frozenset({"date", "received_lines", "content_type", "from_ref",
                                      "sender_ref", "to_refs", "cc_refs", "bcc_refs",
                                      "subject"})


def _header_value(v: Any, path: str, out: Out) -> None:
    if type(v) is str:
        return
    if type(v) is list and len(v) >= 2 and all(type(x) is str for x in v):
        return
    _p(out, path, _("must be a string, or a list of two or more strings"))


def _email_message_extra(v: dict[str, Any], path: str, out: Out) -> None:
    multi = v.get("is_multipart")
    if multi is True and "body" in v:
        _p(out, "body", _("must not be present when is_multipart is true (use body_multipart)"))
    if multi is False and "body_multipart" in v:
        _p(out, "body_multipart", _("must not be present when is_multipart is false"))
    headers = v.get("additional_header_fields")
    if type(headers) is dict:
        for k in headers:
            if k in _HEADER_FORBIDDEN:
                _p(out, f"additional_header_fields.{k}",
                   _("has its own property; do not repeat it here"))


def _predefined_exts(v: Any, path: str, out: Out, table: Mapping[str, Check]) -> None:
    if type(v) is not dict:
        return
    for k, x in v.items():
        c = table.get(k)
        if c is not None:
            c(x, _join(path, k), out)
        elif _DICT_KEY_RE.fullmatch(k) is None:
            _p(out, _join(path, k), _("is not a valid extension name"))
        elif type(x) is dict:
            for kk, xx in x.items():
                if _DICT_KEY_RE.fullmatch(kk) is None:
                    _p(out, _join(_join(path, k), kk), _("is not a valid property name"))
                else:
                    _dict_value(xx, _join(_join(path, k), kk), out)


_PE_OPT_HEADER: Final = c_obj({
    **{k: c_hex for k in ("magic_hex", "win32_version_value_hex", "checksum_hex",
                          "subsystem_hex", "dll_characteristics_hex", "loader_flags_hex")},
    **{k: c_int() for k in ("major_linker_version", "minor_linker_version",
                            "address_of_entry_point", "base_of_code", "base_of_data",
                            "image_base", "section_alignment", "file_alignment",
                            "major_os_version", "minor_os_version", "major_image_version",
                            "minor_image_version", "major_subsystem_version",
                            "minor_subsystem_version", "number_of_rva_and_sizes")},
    **{k: c_int(0) for k in ("size_of_code", "size_of_initialized_data",
                             "size_of_uninitialized_data", "size_of_image", "size_of_headers",
                             "size_of_stack_reserve", "size_of_stack_commit",
                             "size_of_heap_reserve", "size_of_heap_commit")},
    "hashes": c_hashes}, closed=True)


def _non_empty_obj(v: dict[str, Any], path: str, out: Out) -> None:
    if not v:
        _p(out, path, _("must not be empty"))


_PE_OPT: Final = c_obj({}, extra=_non_empty_obj)


def _opt_header(v: Any, path: str, out: Out) -> None:
    _PE_OPT_HEADER(v, path, out)
    if type(v) is dict:
        _PE_OPT(v, path, out)


_PE_SECTION: Final = c_obj({"name": c_str, "size": c_int(0), "entropy": c_num(),
                            "hashes": c_hashes}, required=("name",))
_EXIF: Final = c_dict(values=c_pred(lambda x: type(x) is str or _is_int(x),
                                    N_("must be a string or an integer")), key_rx=_EXIF_KEY_RE)

_PREDEF_FILE_EXT: Final[dict[str, Check]] = {
    "ntfs-ext": c_obj({"sid": c_str, "alternate_data_streams": c_list(c_obj(
        {"name": c_str, "hashes": c_hashes, "size": c_int(0)}, required=("name",)),
        min_items=0)}, extra=_any_of("sid", "alternate_data_streams")),
    "raster-image-ext": c_obj({"image_height": c_int(), "image_width": c_int(),
                               "bits_per_pixel": c_int(), "exif_tags": _EXIF},
                              extra=_any_of("image_height", "image_width", "bits_per_pixel",
                                            "image_compression_algorithm", "exif_tags")),
    "pdf-ext": c_obj({"version": c_str, "is_optimized": c_bool,
                      "document_info_dict": c_dict(values=c_str),
                      "pdfid0": c_str, "pdfid1": c_str},
                     extra=_any_of("version", "is_optimized", "document_info_dict", "pdfid0",
                                   "pdfid1")),
    "archive-ext": c_obj({"contains_refs": c_list(c_ref("file", "directory")),
                          "comment": c_str}, required=("contains_refs",)),
    "windows-pebinary-ext": c_obj({
        "pe_type": c_str, "imphash": c_str, "machine_hex": c_hex,
        "number_of_sections": c_int(0), "time_date_stamp": c_ts_s,
        "pointer_to_symbol_table_hex": c_hex, "number_of_symbols": c_int(0),
        "size_of_optional_header": c_int(0), "characteristics_hex": c_hex,
        "file_header_hashes": c_hashes, "optional_header": _opt_header,
        "sections": c_list(_PE_SECTION)}, required=("pe_type",),
        extra=_any_of("imphash", "machine_hex", "number_of_sections", "time_date_stamp",
                      "pointer_to_symbol_table_hex", "number_of_symbols",
                      "size_of_optional_header", "characteristics_hex",
                      "file_header_hashes", "optional_header", "sections")),
}


def _socket_options(v: Any, path: str, out: Out) -> None:
    if type(v) is not dict or not v:
        _p(out, path, _("must be a non-empty dictionary"))
        return
    for k, x in v.items():
        if _SOCKET_OPT_RE.fullmatch(k) is None:
            _p(out, _join(path, k), _("is not a socket option name (e.g. SO_REUSEADDR)"))
        elif not _is_int(x):
            _p(out, _join(path, k), _("must be an integer"))


_PREDEF_NT_EXT: Final[dict[str, Check]] = {
    "http-request-ext": c_obj({
        "request_method": c_str, "request_value": c_str, "request_version": c_str,
        "request_header": c_dict(values=c_list(c_str, min_items=0), key_rx=None),
        "message_body_length": c_int(), "message_body_data_ref": c_ref("artifact")},
        required=("request_method", "request_value")),
    "icmp-ext": c_obj({"icmp_type_hex": c_hex, "icmp_code_hex": c_hex},
                      required=("icmp_type_hex", "icmp_code_hex")),
    "socket-ext": c_obj({
        "address_family": c_enum(["AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK",
                                  "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH"]),
        "is_blocking": c_bool, "is_listening": c_bool, "options": _socket_options,
        "socket_type": c_enum(["SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM",
                               "SOCK_SEQPACKET"]),
        "socket_descriptor": c_int(0), "socket_handle": c_int()},
        required=("address_family",)),
    "tcp-ext": c_obj({"src_flags_hex": c_hex, "dst_flags_hex": c_hex},
                     extra=_any_of("src_flags_hex", "dst_flags_hex")),
}

_STARTUP_STR: Final = frozenset({"lpDesktop", "lpTitle", "dwFillAttribute", "dwFlags",
                                 "wShowWindow", "hStdInput", "hStdOutput", "hStdError"})
_STARTUP_INT: Final = frozenset({"cb", "dwX", "dwY", "dwXSize", "dwYSize", "dwXCountChars",
                                 "dwYCountChars", "cbReserved2"})


def _startup_info(v: Any, path: str, out: Out) -> None:
    if type(v) is not dict or not v:
        _p(out, path, _("must be a non-empty dictionary"))
        return
    for k, x in v.items():
        sub = _join(path, k)
        if k in _STARTUP_STR:
            c_str(x, sub, out)
        elif k in _STARTUP_INT:
            c_int(0, 0)(x, sub, out) if k == "cbReserved2" else c_int()(x, sub, out)
        else:
            _p(out, sub, _("is not a STARTUPINFO member"))


_PREDEF_PROCESS_EXT: Final[dict[str, Check]] = {
    "windows-process-ext": c_obj({
        "aslr_enabled": c_bool, "dep_enabled": c_bool, "priority": c_str, "owner_sid": c_str,
        "window_title": c_str, "startup_info": _startup_info,
        "integrity_level": c_enum(["low", "medium", "high", "system"])},
        extra=_any_of("aslr_enabled", "dep_enabled", "priority", "owner_sid", "window_title",
                      "startup_info")),
    "windows-service-ext": c_obj({
        "service_name": c_str, "descriptions": c_strings, "display_name": c_str,
        "group_name": c_str,
        "start_type": c_enum(["SERVICE_AUTO_START", "SERVICE_BOOT_START",
                              "SERVICE_DEMAND_START", "SERVICE_DISABLED",
                              "SERVICE_SYSTEM_ALERT"]),
        "service_dll_refs": c_list(c_ref("file")),
        "service_type": c_enum(["SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER",
                                "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS"]),
        "service_status": c_enum(["SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING",
                                  "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING",
                                  "SERVICE_STOP_PENDING", "SERVICE_STOPPED"])},
        extra=_any_of("service_name", "descriptions", "display_name", "group_name",
                      "start_type", "service_dll_refs", "service_type", "service_status")),
}
_PREDEF_USER_EXT: Final[dict[str, Check]] = {
    "unix-account-ext": c_obj({"gid": c_num(), "groups": c_strings, "home_dir": c_str,
                               "shell": c_str},
                              extra=_any_of("gid", "groups", "home_dir", "shell")),
}


def _ext_table(table: Mapping[str, Check]) -> Check:
    def check(v: Any, path: str, out: Out) -> None:
        _predefined_exts(v, path, out, table)
    return check


def _network_traffic_extra(v: dict[str, Any], path: str, out: Out) -> None:
    if "src_ref" not in v and "dst_ref" not in v:
        _p(out, "(object)", _("must have at least one of: src_ref, dst_ref"))
    if v.get("is_active") is True and "end" in v:
        _p(out, "end", _("must not be present when is_active is true"))


def _registry_key(v: Any, path: str, out: Out) -> None:
    if type(v) is not str:
        _p(out, path, _("must be a string"))
    elif _REGISTRY_ABBREV_RE.search(v):
        _p(out, path, _("must use the full hive name (HKEY_LOCAL_MACHINE, not HKLM)"))


_REG_VALUE: Final = c_obj({"name": c_str, "data": c_str, "data_type": c_enum([
    "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
    "REG_INVALID_TYPE"])}, extra=_any_of("name", "data", "data_type"))

_X509_EXT_KEYS: Final = (
    "basic_constraints", "name_constraints", "policy_constraints", "key_usage",
    "extended_key_usage", "subject_key_identifier", "authority_key_identifier",
    "subject_alternative_name", "issuer_alternative_name", "subject_directory_attributes",
    "crl_distribution_points", "inhibit_any_policy", "private_key_usage_period_not_before",
    "private_key_usage_period_not_after", "certificate_policies", "policy_mappings")
_X509_V3: Final = c_obj(
    {**{k: c_str for k in _X509_EXT_KEYS},
     "private_key_usage_period_not_before": c_ts, "private_key_usage_period_not_after": c_ts},
    extra=_any_of(*_X509_EXT_KEYS))
_X509_KEYS: Final = (
    "is_self_signed", "hashes", "version", "serial_number", "signature_algorithm", "issuer",
    "validity_not_before", "validity_not_after", "subject", "subject_public_key_algorithm",
    "subject_public_key_modulus", "subject_public_key_exponent", "x509_v3_extensions")


def _software_language(v: Any, path: str, out: Out) -> None:
    from cyberhub.formats.stix._langs import is_language

    if type(v) is not str or not (_lang_ok(v) or (len(v) == 3 and is_language(v))):
        _p(out, path, _("must be an RFC 5646 language code (or an ISO 639-2 code)"))


def _cpe(v: Any, path: str, out: Out) -> None:
    if type(v) is not str or _CPE_RE.fullmatch(v) is None:
        _p(out, path, _("must be a CPE 2.3 formatted string"))


_ADDR_REFS: Final = c_ref("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")

_SCO_RULES: Final[dict[str, Rules]] = {
    "artifact": Rules({"mime_type": c_regex(
        _MIME_RE, N_("must be a media type such as text/plain")),
                       "payload_bin": c_bin, "url": c_uri, "hashes": c_hashes,
                       "encryption_algorithm": _ARTIFACT_ENC, "decryption_key": c_str},
                      extra=_artifact_extra),
    "autonomous-system": Rules({"number": c_int(), "name": c_str, "rir": c_str},
                               ("number",)),
    "directory": Rules({"path": c_str, "path_enc": c_regex(
        _ENC_RE, N_("must be a character set name")),
                        "ctime": c_ts, "mtime": c_ts, "atime": c_ts,
                        "contains_refs": c_list(c_ref("file", "directory"))}, ("path",)),
    "domain-name": Rules({"value": c_pred(hostname_ok, N_("must be a domain name")),
                          "resolves_to_refs": c_list(c_ref("ipv4-addr", "ipv6-addr",
                                                           "domain-name"))}, ("value",)),
    "email-addr": Rules({"value": c_regex(_EMAIL_RE, N_("must be an e-mail address")),
                         "display_name": c_str, "belongs_to_ref": c_ref("user-account")},
                        ("value",)),
    "email-message": Rules({
        "is_multipart": c_bool, "date": c_ts, "content_type": c_str,
        "from_ref": c_ref("email-addr"), "sender_ref": c_ref("email-addr"),
        "to_refs": c_list(c_ref("email-addr")), "cc_refs": c_list(c_ref("email-addr")),
        "bcc_refs": c_list(c_ref("email-addr")), "message_id": c_str, "subject": c_str,
        "received_lines": c_list(c_str, min_items=0),
        "additional_header_fields": c_dict(values=_header_value),
        "body": c_str, "body_multipart": c_list(_mime_part, min_items=0),
        "raw_email_ref": c_ref("artifact")}, ("is_multipart",), extra=_email_message_extra),
    "file": Rules({"hashes": c_hashes, "size": c_int(0), "name": c_str,
                   "name_enc": c_regex(_ENC_RE, N_("must be a character set name")),
                   "magic_number_hex": c_hex, "mime_type": c_str, "ctime": c_ts,
                   "mtime": c_ts, "atime": c_ts, "parent_directory_ref": c_ref("directory"),
                   "contains_refs": c_list(c_ref()), "content_ref": c_ref("artifact")},
                  extra=_any_of("hashes", "name"), extensions=_ext_table(_PREDEF_FILE_EXT)),
    "ipv4-addr": Rules({"value": c_regex(_IPV4_RE, N_("must be an IPv4 address or CIDR block")),
                        "resolves_to_refs": c_list(c_ref("mac-addr")),
                        "belongs_to_refs": c_list(c_ref("autonomous-system"))}, ("value",)),
    "ipv6-addr": Rules({"value": c_pred(ipv6_ok, N_("must be an IPv6 address or CIDR block")),
                        "resolves_to_refs": c_list(c_ref("mac-addr")),
                        "belongs_to_refs": c_list(c_ref("autonomous-system"))}, ("value",)),
    "mac-addr": Rules({"value": c_regex(
        _MAC_RE, N_("must be a MAC address in lower case (aa:bb:cc:dd:ee:ff)"))},
        ("value",)),
    "mutex": Rules({"name": c_str}, ("name",)),
    "network-traffic": Rules({
        "start": c_ts, "end": c_ts, "is_active": c_bool, "src_ref": _ADDR_REFS,
        "dst_ref": _ADDR_REFS, "src_port": c_int(0, 65535), "dst_port": c_int(0, 65535),
        "protocols": c_strings, "src_byte_count": c_int(), "dst_byte_count": c_int(),
        "src_packets": c_int(), "dst_packets": c_int(),
        "ipfix": c_dict(values=c_pred(lambda x: type(x) is str or _is_int(x),
                                      N_("must be a string or an integer"))),
        "src_payload_ref": c_ref("artifact"), "dst_payload_ref": c_ref("artifact"),
        "encapsulates_refs": c_list(c_ref("network-traffic")),
        "encapsulated_by_ref": c_ref("network-traffic")}, ("protocols",),
        extra=_network_traffic_extra, compare=(("end", "ge", "start"),),
        extensions=_ext_table(_PREDEF_NT_EXT)),
    "process": Rules({
        "is_hidden": c_bool, "pid": c_int(), "created_time": c_ts, "cwd": c_str,
        "command_line": c_str, "environment_variables": c_dict(),
        "opened_connection_refs": c_list(c_ref("network-traffic")),
        "creator_user_ref": c_ref("user-account"), "image_ref": c_ref("file"),
        "parent_ref": c_ref("process"), "child_refs": c_list(c_ref("process"))},
        extra=_any_of("extensions", "is_hidden", "pid", "created_time", "cwd",
                      "command_line", "environment_variables", "opened_connection_refs",
                      "creator_user_ref", "image_ref", "parent_ref", "child_refs"),
        extensions=_ext_table(_PREDEF_PROCESS_EXT)),
    "software": Rules({"name": c_str, "cpe": _cpe, "swid": c_str,
                       "languages": c_list(_software_language), "vendor": c_str,
                       "version": c_str}, ("name",)),
    "url": Rules({"value": c_uri}, ("value",)),
    "user-account": Rules({
        "user_id": c_str, "credential": c_str, "account_login": c_str, "account_type": c_str,
        "display_name": c_str, "is_service_account": c_bool, "is_privileged": c_bool,
        "can_escalate_privs": c_bool, "is_disabled": c_bool, "account_created": c_ts,
        "account_expires": c_ts, "credential_last_changed": c_ts,
        "account_first_login": c_ts, "account_last_login": c_ts},
        extra=_any_of("extensions", "user_id", "credential", "account_login", "account_type",
                      "display_name", "is_service_account", "is_privileged",
                      "can_escalate_privs", "is_disabled", "account_created",
                      "account_expires", "credential_last_changed", "account_first_login",
                      "account_last_login"),
        extensions=_ext_table(_PREDEF_USER_EXT)),
    "windows-registry-key": Rules({
        "key": _registry_key, "values": c_list(_REG_VALUE, min_items=0),
        "modified_time": c_ts, "creator_user_ref": c_ref("user-account"),
        "number_of_subkeys": c_int()},
        extra=_any_of("key", "values", "modified_time", "creator_user_ref",
                      "number_of_subkeys")),
    "x509-certificate": Rules({
        "is_self_signed": c_bool, "hashes": c_hashes, "version": c_str,
        "serial_number": c_str, "signature_algorithm": c_str, "issuer": c_str,
        "validity_not_before": c_ts, "validity_not_after": c_ts, "subject": c_str,
        "subject_public_key_algorithm": c_str, "subject_public_key_modulus": c_str,
        "subject_public_key_exponent": c_int(), "x509_v3_extensions": _X509_V3},
        extra=_any_of(*_X509_KEYS)),
}
# SCOs whose id-contributing properties are all optional: without them, a UUIDv4 id.
_V4_UNLESS: Final = {
    "artifact": ("hashes", "payload_bin"),
    "email-message": ("from_ref", "subject", "body"),
    "user-account": ("account_type", "user_id", "account_login"),
    "windows-registry-key": ("key", "values"),
    "x509-certificate": ("hashes", "serial_number"),
}

# ---------------------------------------------------------------------------
# Custom object types defined by cyberhub's extension definitions

_E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_COUNTRY_RE: Final = re.compile(r"[A-Z]{2}")
_SLUG_RE: Final = re.compile(r"[a-z0-9][a-z0-9.-]*")


def _iban(v: Any, path: str, out: Out) -> None:
    from stdnum import iban

    if type(v) is not str or v != v.strip().upper() or " " in v:
        _p(out, path, _("must be an IBAN in upper case without spaces"))
    elif not iban.is_valid(v):
        _p(out, path, _("is not a valid IBAN (check digits or length do not match)"))


def _bic(v: Any, path: str, out: Out) -> None:
    from stdnum import bic

    if type(v) is not str or v != v.upper() or not bic.is_valid(v):
        _p(out, path, _("must be a BIC (SWIFT code) of 8 or 11 characters, upper case"))


def _non_empty_str(v: Any, path: str, out: Out) -> None:
    if type(v) is not str or not v.strip():
        _p(out, path, _("must be a non-empty string"))


def _names_definition(definition_id: str, extension_type: str
                      ) -> Callable[[dict[str, Any], str, Out], None]:
    def check(v: dict[str, Any], path: str, out: Out) -> None:
        exts = v.get("extensions")
        entry = exts.get(definition_id) if type(exts) is dict else None
        if type(entry) is not dict or entry.get("extension_type") != extension_type:
            _p(out, "extensions", _("must contain %(definition)s with extension_type "
                                    "%(extension_type)s")
               % {"definition": definition_id, "extension_type": extension_type})
    return check


def _crime_rules() -> dict[str, tuple[bool, Rules]]:
    from cyberhub.intel import extensions as ext

    def names(t: ext.CrimeType, *more: Callable[[dict[str, Any], str, Out], None]
              ) -> Callable[[dict[str, Any], str, Out], None]:
        checks = [_names_definition(t.definition_id, t.extension_type), *more]
        if t.any_of:
            checks.append(_any_of(*t.any_of))
        return _all(*checks)

    b, ph, w, so, cs = (ext.BANK_ACCOUNT, ext.PHONE_NUMBER, ext.CRYPTOCURRENCY_WALLET,
                        ext.SOCIAL_ACCOUNT, ext.CRIMINAL_SERVICE)
    return {
        b.type: (True, Rules({"iban": _iban, "bic": _bic, "account_number": _non_empty_str,
                              "bank_name": c_str,
                              "country": c_regex(
                                  _COUNTRY_RE, N_("must be an ISO 3166 alpha-2 code"))},
                             b.required, extra=names(b))),
        ph.type: (True, Rules({"value": c_regex(
            _E164_RE, N_("must be an E.164 phone number such as +33612345678"))},
                              ph.required, extra=names(ph))),
        w.type: (True, Rules({"chain": c_regex(_SLUG_RE, N_("must be a lower-case chain name")),
                              "address": _non_empty_str}, w.required, extra=names(w))),
        so.type: (True, Rules({"platform": c_regex(
            _SLUG_RE, N_("must be a lower-case platform name")),
                               "handle": _non_empty_str, "url": c_uri},
                              so.required, extra=names(so))),
        cs.type: (False, Rules({"name": c_str, "description": c_str, "service_type": c_str,
                                "urls": c_list(c_uri), "aliases": c_strings,
                                "first_seen": c_ts, "last_seen": c_ts},
                               cs.required, extra=names(cs),
                               compare=(("last_seen", "ge", "first_seen"),))),
    }


_CUSTOM_RULES: Final[dict[str, tuple[bool, Rules]]] = _crime_rules()


def _property_extension_rules() -> dict[str, tuple[frozenset[str], Check]]:
    """definition id → (the types that may carry it, the check of its properties)."""
    from cyberhub.intel import extensions as ext

    def non_empty(v: dict[str, Any], path: str, out: Out) -> None:
        if len(v) < 2:
            _p(out, path, _("must hold at least one property besides extension_type"))

    names = c_list(_non_empty_str)
    r = ext.RANSOMWARE
    return {
        r.definition_id: (frozenset(r.applies_to), c_obj(
            {"extension_type": c_pred(lambda x: x == "property-extension",
                                      N_("must be property-extension")),
             "file_extensions": names, "ransom_note_filenames": names,
             "ransom_notes": names, "ransom_note_refs": c_list(c_uri),
             "payment_method": _non_empty_str, "ransom_amount": _non_empty_str,
             "encryption": _non_empty_str, "discovered": _non_empty_str,
             "sites": c_list(c_uri)}, extra=non_empty)),
    }


_PROPERTY_EXTENSION_RULES: Final = _property_extension_rules()


def _property_extensions(obj: dict[str, Any], exts: Any, out: Out) -> None:
    if type(exts) is not dict:
        return
    for definition_id, (types, check) in _PROPERTY_EXTENSION_RULES.items():
        if definition_id in exts:
            path = _join("extensions", definition_id)
            if obj.get("type") not in types:
                _p(out, path, _("is only defined for %(types)s objects")
                   % {"types": ", ".join(sorted(types))})
            check(exts[definition_id], path, out)


# ---------------------------------------------------------------------------
# Marking definitions


def _marking_definition(obj: dict[str, Any], out: Out) -> None:
    oid = obj.get("id")
    if type(oid) is str and oid in TLP1 and obj.get("definition_type") == "tlp":
        name, colour = TLP1[oid]
        allowed = {"type", "id", "spec_version", "created", "name", "definition",
                   "definition_type"}
        for k in obj:
            if k not in allowed:
                _p(out, k, _("is not allowed in a TLP 1.0 marking definition"))
        for k in allowed:
            if k not in obj:
                _p(out, k, _("is required"))
        if obj.get("spec_version") != "2.1":
            _p(out, "spec_version", _("must be 2.1"))
        if obj.get("created") != "2017-01-20T00:00:00.000Z":
            _p(out, "created", _("must be 2017-01-20T00:00:00.000Z for a TLP 1.0 marking"))
        if obj.get("name") != name:
            _p(out, "name", _("must be %(name)s") % {"name": name})
        definition = obj.get("definition")
        if type(definition) is not dict or definition.get("tlp", colour) != colour:
            _p(out, "definition", _("must be %(definition)s")
               % {"definition": f'{{"tlp": "{colour}"}}'})
        return
    for k in ("spec_version", "created"):
        if k not in obj:
            _p(out, k, _("is required"))
    for k, x in obj.items():
        if x is None:
            _p(out, k, _("must not be null"))
    if "spec_version" in obj and obj["spec_version"] != "2.1":
        _p(out, "spec_version", _("must be 2.1"))
    if oid is not None:
        parsed = parse_id(oid)
        if parsed is None or parsed[0] != "marking-definition":
            _p(out, "id", _("must be marking-definition--<UUID>"))
    if "created" in obj:
        c_ts(obj["created"], "created", out)
    for k, c in (("name", c_str), ("created_by_ref", c_ref("identity")), ("lang", _CORE["lang"]),
                 ("external_references", c_list(_ext_ref_check)),
                 ("object_marking_refs", c_marking_refs),
                 ("granular_markings", c_granular_markings)):
        if k in obj:
            c(obj[k], k, out)
    dtype, definition = obj.get("definition_type"), obj.get("definition")
    if "extensions" in obj:
        _extensions(obj["extensions"], "extensions", out, predefined=False)
    elif "definition_type" not in obj or "definition" not in obj:
        _p(out, "definition", _("definition_type and definition are required "
           "(unless the marking is defined by an extension)"))
    if dtype == "tlp":
        _p(out, "definition_type", _("tlp is only allowed for the four TLP 1.0 markings"))
    elif dtype == "statement":
        if type(definition) is not dict or type(definition.get("statement")) is not str:
            _p(out, "definition", _("must be {\"statement\": \"…\"}"))
    elif dtype is not None:
        if type(dtype) is not str:
            _p(out, "definition_type", _("must be a string"))
        if definition is not None and type(definition) is not dict:
            _p(out, "definition", _("must be a JSON object"))
    for i, ref in enumerate(obj.get("object_marking_refs") or ()):
        if ref == oid:
            _p(out, f"object_marking_refs[{i}]", _("a marking definition cannot mark itself"))
    gms = obj.get("granular_markings")
    if type(gms) is list:
        for i, gm in enumerate(gms):
            if type(gm) is dict and gm.get("marking_ref") == oid:
                _p(out, f"granular_markings[{i}].marking_ref",
                   _("a marking definition cannot mark itself"))
    _selectors_resolve(obj, out)


# ---------------------------------------------------------------------------
# Entry point


def validate_object(obj: dict[str, Any]) -> list[Problem]:
    """Every MUST-level problem of one STIX 2.1 object; ``[]`` when it is valid."""
    try:
        if _quick_ok(obj):
            return []
        return _validate(obj, embedded=False)
    except RecursionError:
        return [Problem("", "the object is nested too deeply")]


# ---------------------------------------------------------------------------
# The quick path: most objects are valid, and objects of one source share a few shapes
# (type and property names, in order). Everything _validate decides from the shape
# alone is decided once per shape; per object only the values are checked, by the
# checkers' yes/no twins. It answers "valid" only when _validate would find nothing
# (a test holds the two to the same answer on the whole corpus); any doubt, and any
# problem, goes to _validate, which reports every problem with its path.


@dataclass(frozen=True, slots=True)
class _Shape:
    checks: tuple[tuple[str, Predicate | None, Check], ...]  # (property, twin, checker)
    not_empty: tuple[str, ...]  # properties whose values must not be null or []
    encoded: tuple[tuple[str, re.Pattern[str]], ...]  # *_bin and *_hex properties
    spec_version: bool  # is spec_version present (then it must be "2.1")
    sdo: bool
    rules: Rules | None
    sco_uuid: bool


_shapes: dict[tuple[str, tuple[str, ...]], _Shape | None] = {}
_MAX_SHAPES: Final = 4096


def _shape(obj_type: str, keys: tuple[str, ...]) -> _Shape | None:
    """What the shape alone says; None when _validate must decide (a problem, or a
    rare feature: marking definitions, extensions, granular markings)."""
    if (len(obj_type) < 3 or len(obj_type) > 250 or _TYPE_RE.fullmatch(obj_type) is None
            or obj_type in ("action", "bundle", "marking-definition")):
        return None
    if "id" not in keys or "extensions" in keys or "granular_markings" in keys:
        return None
    rules: Rules | None
    if obj_type in SCO_TYPES:
        sco, rules = True, _SCO_RULES.get(obj_type)
    elif obj_type in _SDO_RULES:
        sco, rules = False, _SDO_RULES[obj_type]
    elif obj_type in _CUSTOM_RULES:
        sco, rules = _CUSTOM_RULES[obj_type]
    else:
        sco, rules = "created" not in keys and "modified" not in keys, None
    if any(_PROP_RE.fullmatch(k) is None and k != "id" for k in keys):
        return None
    if any(r in keys for r in _RESERVED_PROPS):
        return None
    if not sco and not all(k in keys for k in ("spec_version", "created", "modified")):
        return None
    if rules is not None and not all(r in keys for r in rules.required):
        return None
    common = _SCO_CORE if sco else _CORE
    props = rules.props if rules is not None else None
    checks = []
    for k in keys:
        c = common.get(k)
        if c is None and props is not None:
            c = props.get(k)
        if c is not None:
            checks.append((k, _OK.get(c), c))
    encoded = tuple((k, _BIN_RE if k.endswith("_bin") else _HEX_RE) for k in keys
                    if k.endswith(("_bin", "_hex")))
    return _Shape(tuple(checks), keys, encoded, "spec_version" in keys, not sco, rules, sco)


def _quick_ok(obj: Any) -> bool:
    """True only if _validate(obj) would report no problem (see above)."""
    if type(obj) is not dict:
        return False
    obj_type = obj.get("type")
    if type(obj_type) is not str:
        return False
    key = (obj_type, tuple(obj))
    try:
        shape = _shapes[key]
    except KeyError:
        shape = _shape(*key)
        if len(_shapes) < _MAX_SHAPES:
            _shapes[key] = shape
    if shape is None:
        return False
    parsed = parse_id(obj["id"])
    if parsed is None or parsed[0] != obj_type:
        return False
    for k in shape.not_empty:
        x = obj[k]
        if x is None or (type(x) is list and not x):
            return False
    for k, rx in shape.encoded:
        x = obj[k]
        if type(x) is not str or rx.fullmatch(x) is None:
            return False
    if shape.spec_version and obj["spec_version"] != "2.1":
        return False
    out: Out = []
    for k, ok, check in shape.checks:
        if ok is None:
            check(obj[k], k, out)
            if out:
                return False
        elif not ok(obj[k]):
            return False
    if shape.sdo and obj["modified"] != obj["created"]:
        _compare(obj, (("modified", "ge", "created"),), out)
    rules = shape.rules
    if rules is not None:
        if rules.extra is not None:
            rules.extra(obj, "", out)  # noqa: S610 - not Django
        if rules.compare:
            _compare(obj, rules.compare, out)
    if shape.sco_uuid:
        _sco_uuid(obj, obj_type, parsed[1], out)
    return not out


def _validate(obj: Any, *, embedded: bool) -> list[Problem]:
    out: Out = []
    if type(obj) is not dict:
        return [Problem("", "a STIX object must be a JSON object")]
    obj_type = obj.get("type")
    if type(obj_type) is not str:
        return [Problem("type", "is required and must be a string")]
    if (len(obj_type) < 3 or len(obj_type) > 250 or _TYPE_RE.fullmatch(obj_type) is None
            or obj_type == "action"):
        _p(out, "type", _("must be 3-250 characters of a-z, 0-9 and single hyphens, "
           "starting with a letter"))
    if obj_type == "bundle":
        return [Problem("type", "a bundle is not a STIX object; validate its objects")]
    oid = obj.get("id")
    parsed = parse_id(oid)
    if "id" not in obj:
        _p(out, "id", _("is required"))
    elif parsed is None:
        _p(out, "id", _("must be <type>--<UUID>"))
    elif parsed[0] != obj_type:
        _p(out, "id", _("must start with %(prefix)s") % {"prefix": f"{obj_type}--"})

    if obj_type == "marking-definition":
        _marking_definition(obj, out)
        return out

    rules: Rules | None
    if obj_type in SCO_TYPES:
        sco, rules = True, _SCO_RULES.get(obj_type)
    elif obj_type in _SDO_RULES:
        sco, rules = False, _SDO_RULES[obj_type]
    elif obj_type in _CUSTOM_RULES:
        sco, rules = _CUSTOM_RULES[obj_type]
    else:
        # An unknown (custom) type: an SCO unless it carries created/modified.
        sco, rules = "created" not in obj and "modified" not in obj, None

    _props_rule(obj, "", out, top=True)
    common = _SCO_CORE if sco else _CORE
    if sco:
        if "spec_version" in obj and obj["spec_version"] != "2.1":
            _p(out, "spec_version", _("must be 2.1"))
    else:
        if "spec_version" not in obj:
            _p(out, "spec_version", _("is required"))
        elif obj["spec_version"] != "2.1":
            _p(out, "spec_version", _("must be 2.1"))
        for k in ("created", "modified"):
            if k not in obj:
                _p(out, k, _("is required"))
    props = rules.props if rules is not None else None
    for k, v in obj.items():
        c = common.get(k)
        if c is None and props is not None:
            c = props.get(k)
        if c is not None:
            c(v, k, out)
    if "extensions" in obj:
        _extensions(obj["extensions"], "extensions", out, predefined=True)
        _property_extensions(obj, obj["extensions"], out)
        if rules is not None and rules.extensions is not None:
            rules.extensions(obj["extensions"], "extensions", out)
    if not sco:
        _compare(obj, (("modified", "ge", "created"),), out)
    if rules is not None:
        for r in rules.required:
            if r not in obj:
                _p(out, r, _("is required"))
        if rules.extra is not None:
            rules.extra(obj, "", out)  # noqa: S610 - not Django
        if rules.compare:
            _compare(obj, rules.compare, out)
    if "granular_markings" in obj:
        _selectors_resolve(obj, out)
    if sco and parsed is not None and not embedded:
        _sco_uuid(obj, obj_type, parsed[1], out)
    return out


def _sco_uuid(obj: dict[str, Any], obj_type: str, oid: str, out: Out) -> None:
    if obj_type == "process":
        if uuid.UUID(oid).version != 4:
            _p(out, "id", _("a process id must be a UUIDv4"))
        return
    contributing = _V4_UNLESS.get(obj_type)
    if (contributing is not None and not any(k in obj for k in contributing)
            and uuid.UUID(oid).version != 4):
        _p(out, "id", _("without id-contributing properties, the id must be a UUIDv4"))
