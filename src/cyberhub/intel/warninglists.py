"""Is this value on a MISP warning list? Known-benign and known-infrastructure values.

The MISP warning lists (``pymispwarninglists``, shipped offline: ~120 lists, ~2.5 million
entries) name values that are popular, reserved or shared infrastructure, so that a hit
on them is not mistaken for a lead. Loading their JSON takes seconds, too slow for every
process start, so :func:`build_index` compiles them once into a compact file under the
hub's var directory (``warninglists/index-<package version>-f<format>.bin``: an upgrade of
the package, or of this format, builds a new file; older ones are removed). Opening it is
an ``mmap`` (milliseconds, shared between processes through the page cache) and a check
is a few hashes and a binary search, so the importer can call it for every value.

**Values are compared in normal form.** Every list entry is normalised with
:func:`cyberhub.intel.normalise.normalise` for each kind the list applies to, and
:func:`check` expects a normalised value, so ``WWW.Google.com.`` and ``www.google.com``
meet. Entries that are not valid values of a kind are not indexed for it (the ``tlds``
list holds single labels, which are never ``domain`` values).

Which lists apply to which kind follows each list's ``matching_attributes`` (MISP
attribute types): ``ip-src``/``ip-dst`` (and ``|port`` forms, ``domain|ip``) → ``ipv4``
and ``ipv6``; ``domain``/``hostname`` (and ``domain|ip``, ``hostname|port``) → ``domain``;
``url``/``uri``/``link`` → ``url``; the e-mail types → ``email``; ``phone-number`` and
``whois-registrant-phone`` → ``phone``; hash and ``filename|hash`` and
``x509-fingerprint-*`` types → the hash kind.

How each list type matches, and why:

``string``
    Exact match of the normal form. Entries that start with a dot (``.google.ad``, found
    in several string lists) are the list authors' way of saying "this domain and its
    subdomains", so they match as ``hostname`` entries.
``hostname``
    The domain and every subdomain (``mail.google.com`` is on a list naming
    ``google.com``), leading/trailing dots of entries ignored, as MISP does. For ``url``
    values the URL's host is checked (as pymispwarninglists does); for ``email`` values,
    the domain after the ``@``.
``cidr``
    Address inside a listed network (single addresses are /32 or /128), answered by a
    binary search over the disjoint intervals the networks cut the address space into —
    never a scan. A CIDR value matches the lists that contain both its first and its
    last address.
``substring``
    Every substring list in the data is in fact a list of domains (disposable e-mail
    providers, malware-analysis services) or of domains and addresses (Microsoft's attack
    simulator). A literal substring test would flag ``notgoogle.com``-style look-alikes —
    exactly what analysts hunt — so entries match as ``hostname`` entries (and addresses
    exactly); for e-mail values that is the domain part, which is what "disposable e-mail
    domain" means.
``regex``
    PHP-style ``/…/flags`` expressions, searched in the normal form of the kinds the list
    applies to (phone numbers reserved for fiction, role mailboxes such as ``abuse@``).
    Few and small, they run at query time.

**Categories.** MISP distinguishes warning lists of false positives from lists of *known
identifiers*. A hit on the first (top sites, reserved ranges, benign file hashes, CDNs,
scanners) means "likely benign: don't raise a correlation alert". A hit on the second
means "noteworthy shared infrastructure", not innocence: a subdomain of a dynamic-DNS
provider, a URL shortener, a disposable mailbox, a VPN exit, a sinkhole or a cloud
address are the daily bread of criminal infrastructure, and suppressing their
correlation would hide real links. :data:`KNOWN_LISTS` names the lists of that category;
every other list (and any list a future package adds) is ``false-positive``.
:func:`is_benign` is true when a false-positive list matches and no list of known
identifiers does: ``x.duckdns.org`` is under ``duckdns.org``, which the top-sites lists
(hostname type) name, but the dynamic-DNS list says what it really is.

**Keys.** Exact and hostname entries are stored as 64-bit BLAKE2b hashes keyed with a
random secret drawn at build time: a lookup never compares strings, the file stays small,
an accidental collision has a probability of about 10⁻¹³ per check, and, the key being
secret, nobody can craft a value that collides with a list entry to get their indicator
waved through as benign. A CRC-32 bitmap in front answers most misses without hashing.
"""

from __future__ import annotations

import bisect
import hashlib
import importlib.metadata
import ipaddress
import json
import mmap
import os
import re
import struct
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from cyberhub.config import get_settings
from cyberhub.intel.normalise import HASH_KINDS, normalise

__all__ = ["KNOWN_LISTS", "Category", "WarningIndex", "WarningList", "build", "build_index",
           "check", "default_path", "index", "is_benign", "matches", "unsafe_to_block"]

FORMAT: Final = 1
_MAGIC: Final = b"CHWLIDX\0"
Category = Literal["false-positive", "known"]

# Lists of known identifiers: a hit says "shared or noteworthy infrastructure", not benign.
KNOWN_LISTS: Final = frozenset({
    "dynamic-dns", "url-shortener", "disposable-email", "vpn-ipv4", "vpn-ipv6",
    "link-in-bio", "lots-project", "public-ipfs-gateways", "parking-domain",
    "parking-domain-ns", "sinkholes", "amazon-aws", "google-gcp", "microsoft-azure",
    "microsoft-azure-china", "microsoft-azure-germany", "microsoft-azure-us-gov",
    "ovh-cluster", "github",
})

_IP_KINDS: Final = ("ipv4", "ipv6")
_KINDS_OF_ATTRIBUTE: Final[dict[str, tuple[str, ...]]] = {
    "ip-src": _IP_KINDS, "ip-dst": _IP_KINDS, "ip-src|port": _IP_KINDS,
    "ip-dst|port": _IP_KINDS, "domain|ip": ("domain", *_IP_KINDS), "domain": ("domain",),
    "hostname": ("domain",), "hostname|port": ("domain",), "url": ("url",), "uri": ("url",),
    "link": ("url",), "email": ("email",), "email-src": ("email",), "email-dst": ("email",),
    "target-email": ("email",), "whois-registrant-email": ("email",),
    "dns-soa-email": ("email",), "phone-number": ("phone",),
    "whois-registrant-phone": ("phone",), "ssdeep": ("ssdeep",), "filename|ssdeep": ("ssdeep",),
    **{t: (k,) for k in HASH_KINDS for t in (k, f"filename|{k}", f"x509-fingerprint-{k}")},
}


@dataclass(frozen=True, slots=True)
class WarningList:
    slug: str
    """The list's folder name in misp-warninglists (stable; ``public-dns-v4``)."""
    name: str
    description: str
    type: str
    """The MISP list type: string, substring, hostname, cidr or regex."""
    category: Category
    kinds: tuple[str, ...]
    version: int
    entries: int


def _data_dir() -> Path:
    import pymispwarninglists

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


def package_version() -> str:
    return importlib.metadata.version("pymispwarninglists")


def index_name() -> str:
    """The index file's name: one per package version, index format and byte order."""
    return f"index-{package_version()}-f{FORMAT}-{sys.byteorder}.bin"


def default_path() -> Path:
    return get_settings().var_dir / "warninglists" / index_name()


# --------------------------------------------------------------------------- keys

def _exact(kind: str, value: str) -> bytes:
    return b"\0" + kind.encode() + b"\0" + value.encode("utf-8", "surrogatepass")


def _host(domain: str) -> bytes:
    return b"\1" + domain.encode()


def _suffixes(domain: str) -> Iterator[str]:
    yield domain
    i = domain.find(".")
    while i != -1:
        domain = domain[i + 1:]
        yield domain
        i = domain.find(".")


def _php_regex(expr: str) -> re.Pattern[str] | None:
    if len(expr) < 2 or expr[0] != "/" or expr.rfind("/") == 0:
        return None
    end = expr.rfind("/")
    flags = 0
    for f in expr[end + 1:]:
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL,
                  "x": re.VERBOSE}.get(f, 0)
    try:
        return re.compile(expr[1:end], flags)
    except re.error:
        return None


# --------------------------------------------------------------------------- build

def _load_lists() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(_data_dir().glob("*/list.json")):
        with path.open(encoding="utf-8") as f:
            out.append((path.parent.name, json.load(f)))
    return out


def _kinds(data: dict[str, Any]) -> tuple[str, ...]:
    kinds: dict[str, None] = {}
    for attribute in data.get("matching_attributes") or ():
        for kind in _KINDS_OF_ATTRIBUTE.get(attribute, ()):
            kinds[kind] = None
    return tuple(kinds)


def _intervals(nets: list[tuple[int, int, int]], limit: int) -> tuple[list[int], list[int]]:
    """Cut overlapping [start, end) ranges, each of one list, into disjoint intervals.

    Returns the sorted interval starts and, for each, the bit mask of lists covering it.
    """
    events: dict[int, list[tuple[int, int]]] = {}
    for start, end, idx in nets:
        events.setdefault(start, []).append((idx, 1))
        events.setdefault(end, []).append((idx, -1))
    counts: dict[int, int] = {}
    mask = 0
    starts: list[int] = []
    masks: list[int] = []
    for pos in sorted(events):
        if pos >= limit:  # the end of the address space: nothing to query there
            break
        for idx, delta in events[pos]:
            n = counts.get(idx, 0) + delta
            counts[idx] = n
            mask = mask | (1 << idx) if n > 0 else mask & ~(1 << idx)
        if not masks or masks[-1] != mask:
            starts.append(pos)
            masks.append(mask)
    return starts, masks


def build_index(path: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """Compile the warning lists of the installed package into ``path`` (atomically)."""
    lists = _load_lists()
    total = sum(len(data.get("list") or ()) for _, data in lists)
    done = 0
    secret = os.urandom(16)
    hasher = hashlib.blake2b(digest_size=8, key=secret)
    keys: dict[int, int] = {}
    nets: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
    regexes: list[tuple[int, str]] = []
    infos: list[dict[str, Any]] = []

    bits = 1 << 10
    while bits < 16 * total:  # at most a few percent of misses pass the prefilter
        bits <<= 1
    bitmap = bytearray(bits // 8)
    bit_mask = bits - 1

    def add(key: bytes, idx: int) -> None:
        b = zlib.crc32(key) & bit_mask
        bitmap[b >> 3] |= 1 << (b & 7)
        h = hasher.copy()
        h.update(key)
        k = int.from_bytes(h.digest(), "little")
        keys[k] = keys.get(k, 0) | (1 << idx)

    def add_host(entry: str, idx: int) -> bool:
        domain = normalise("domain", entry.strip().strip("."))
        if domain is None:
            return False
        add(_host(domain), idx)
        return True

    for idx, (slug, data) in enumerate(lists):
        kinds = _kinds(data)
        ltype = str(data.get("type"))
        entries = [e for e in data.get("list") or () if isinstance(e, str)]
        infos.append({"slug": slug, "name": str(data.get("name", slug)),
                      "description": str(data.get("description", "")), "type": ltype,
                      "category": "known" if slug in KNOWN_LISTS else "false-positive",
                      "kinds": kinds, "version": int(data.get("version", 0)),
                      "entries": len(entries)})
        for entry in entries:
            if ltype == "cidr":
                try:
                    net = ipaddress.ip_network(entry.strip(), strict=False)
                except ValueError:
                    continue
                start = int(net.network_address)
                nets[net.version].append((start, start + net.num_addresses, idx))
            elif ltype == "regex":
                if _php_regex(entry) is not None:
                    regexes.append((idx, entry))
            elif ltype == "hostname" or (ltype == "string" and entry.startswith(".")):
                add_host(entry, idx)
            elif ltype == "substring":
                ip = next((v for k in _IP_KINDS if (v := normalise(k, entry)) is not None), None)
                if ip is not None:
                    add(_exact("ipv4" if ":" not in ip else "ipv6", ip), idx)
                else:
                    add_host(entry, idx)
            else:  # string
                for kind in kinds:
                    v = normalise(kind, entry)
                    if v is not None:
                        add(_exact(kind, v), idx)
        done += len(entries)
        if progress is not None:
            progress(done, total)

    sorted_keys = sorted(keys)
    masks: dict[int, int] = {0: 0}
    key_ids = [masks.setdefault(keys[k], len(masks)) for k in sorted_keys]
    v4_starts, v4_masks = _intervals(nets[4], 1 << 32)
    v6_starts, v6_masks = _intervals(nets[6], 1 << 128)
    v4_ids = [masks.setdefault(m, len(masks)) for m in v4_masks]
    v6_ids = [masks.setdefault(m, len(masks)) for m in v6_masks]
    sections: dict[str, bytes] = {
        "bitmap": bytes(bitmap),
        "keys": struct.pack(f"={len(sorted_keys)}Q", *sorted_keys),
        "key_ids": struct.pack(f"={len(key_ids)}I", *key_ids),
        "v4_starts": struct.pack(f"={len(v4_starts)}I", *v4_starts),
        "v4_ids": struct.pack(f"={len(v4_ids)}I", *v4_ids),
        "v6_starts": b"".join(s.to_bytes(16, "big") for s in v6_starts),
        "v6_ids": struct.pack(f"={len(v6_ids)}I", *v6_ids),
    }
    mask_list = [0] * len(masks)
    for m, i in masks.items():
        mask_list[i] = m
    header = {"format": FORMAT, "package_version": package_version(),
              "byteorder": sys.byteorder, "secret": secret.hex(), "bitmap_bits": bits,
              "lists": infos, "masks": [format(m, "x") for m in mask_list],
              "regexes": regexes, "sections": {}}
    offset = 0
    layout: dict[str, list[int]] = {}
    for name, blob in sections.items():
        layout[name] = [offset, len(blob)]
        offset += (len(blob) + 7) // 8 * 8
    header["sections"] = layout
    head = json.dumps(header).encode()
    head += b" " * ((-len(head) - len(_MAGIC) - 8) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".warninglists-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + struct.pack("=Q", len(head)) + head)
            for blob in sections.values():
                f.write(blob)
                f.write(b"\0" * ((-len(blob)) % 8))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- query

class WarningIndex:
    """An opened index file. Thread-safe for reading; cheap to open (``mmap``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(self._map)
        if bytes(view[:8]) != _MAGIC:
            raise ValueError(f"{path} is not a warning-list index")
        (head_len,) = struct.unpack("=Q", view[8:16])
        header = json.loads(bytes(view[16:16 + head_len]))
        if header.get("format") != FORMAT or header.get("byteorder") != sys.byteorder:
            raise ValueError(f"{path} was written in another format; rebuild it")
        base = 16 + head_len
        sec = {name: view[base + off:base + off + n] for name, (off, n) in
               header["sections"].items()}
        self.package_version: str = header["package_version"]
        self._hasher = hashlib.blake2b(digest_size=8, key=bytes.fromhex(header["secret"]))
        self._bits_mask = int(header["bitmap_bits"]) - 1
        self._bitmap = sec["bitmap"]
        self._keys = sec["keys"].cast("Q")
        self._key_ids = sec["key_ids"].cast("I")
        self._v4_starts = sec["v4_starts"].cast("I")
        self._v4_ids = sec["v4_ids"].cast("I")
        raw6 = bytes(sec["v6_starts"])
        self._v6_starts = [int.from_bytes(raw6[i:i + 16], "big") for i in range(0, len(raw6), 16)]
        self._v6_ids = sec["v6_ids"].cast("I")
        self._masks = [int(m, 16) for m in header["masks"]]
        self.lists: tuple[WarningList, ...] = tuple(
            WarningList(slug=i["slug"], name=i["name"], description=i["description"],
                        type=i["type"], category=i["category"], kinds=tuple(i["kinds"]),
                        version=i["version"], entries=i["entries"]) for i in header["lists"])
        self._names: dict[int, tuple[str, ...]] = {}
        self._kind_mask: dict[str, int] = {}
        self._benign_mask = 0
        for idx, wl in enumerate(self.lists):
            for kind in wl.kinds:
                self._kind_mask[kind] = self._kind_mask.get(kind, 0) | (1 << idx)
            if wl.category == "false-positive":
                self._benign_mask |= 1 << idx
        compiled: dict[int, list[re.Pattern[str]]] = {}
        for idx, expr in header["regexes"]:
            rx = _php_regex(expr)
            if rx is not None:
                compiled.setdefault(idx, []).append(rx)
        self._regexes: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        for idx, rxs in compiled.items():
            combined = re.compile("|".join(f"(?:{r.pattern})" for r in rxs),
                                  rxs[0].flags & ~re.UNICODE)
            for kind in self.lists[idx].kinds:
                self._regexes.setdefault(kind, []).append((idx, combined))

    def close(self) -> None:
        for attr in ("_bitmap", "_keys", "_key_ids", "_v4_starts", "_v4_ids", "_v6_ids"):
            getattr(self, attr).release()
        self._map.close()

    def _lookup(self, key: bytes) -> int:
        b = zlib.crc32(key) & self._bits_mask
        if not self._bitmap[b >> 3] & (1 << (b & 7)):
            return 0
        h = self._hasher.copy()
        h.update(key)
        k = int.from_bytes(h.digest(), "little")
        keys = self._keys
        i = bisect.bisect_left(keys, k)
        if i < len(keys) and keys[i] == k:
            return self._masks[self._key_ids[i]]
        return 0

    def _hosts(self, domain: str) -> int:
        mask = 0
        for suffix in _suffixes(domain):
            mask |= self._lookup(_host(suffix))
        return mask

    def _ip(self, family: str, value: str) -> int:
        if (family == "ipv4") == (":" in value):
            return 0
        try:
            if family == "ipv4" and "/" not in value:  # normal form: a plain dotted quad
                a, b, c, d = value.split(".")
                ip = int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)
                ends = (ip, ip)
            elif "/" in value:
                net = ipaddress.ip_network(value, strict=False)
                ends = (int(net.network_address), int(net.broadcast_address))
            else:
                ip = int(ipaddress.ip_address(value))
                ends = (ip, ip)
        except ValueError:
            return 0
        if family == "ipv4":
            starts, ids = self._v4_starts, self._v4_ids
        else:
            starts, ids = self._v6_starts, self._v6_ids  # type: ignore[assignment]
        mask = -1
        for point in ends:
            i = bisect.bisect_right(starts, point) - 1
            mask &= self._masks[ids[i]] if i >= 0 else 0
        return mask

    def mask(self, kind: str, value: str) -> int:
        """The bit mask of the lists that contain the normalised ``value`` of ``kind``."""
        applies = self._kind_mask.get(kind, 0)
        if not applies or not value:
            return 0
        mask = self._lookup(_exact(kind, value))
        if kind in _IP_KINDS:
            mask |= self._ip(kind, value)
        elif kind == "domain":
            mask |= self._hosts(value)
        elif kind == "url":
            rest = value.partition("://")[2]
            host = rest.partition("/")[0].rpartition("@")[2]
            if not host.startswith("["):
                host = host.partition(":")[0]
                if not host[-1:].isdigit():
                    mask |= self._hosts(host)
        elif kind == "email":
            domain = value.rpartition("@")[2]
            if not domain.startswith("["):
                mask |= self._hosts(domain)
        for idx, rx in self._regexes.get(kind, ()):
            if rx.search(value):
                mask |= 1 << idx
        return mask & applies

    def matches(self, kind: str, value: str) -> list[WarningList]:
        """The lists that contain the normalised ``value`` of ``kind``."""
        return self._from_mask(self.mask(kind, value))

    def _from_mask(self, mask: int) -> list[WarningList]:
        out = []
        while mask:
            low = mask & -mask
            out.append(self.lists[low.bit_length() - 1])
            mask ^= low
        return out

    def check(self, kind: str, value: str) -> list[str]:
        """The names of the lists that contain the normalised ``value`` of ``kind``."""
        mask = self.mask(kind, value)
        if not mask:
            return []
        names = self._names.get(mask)
        if names is None:  # few distinct masks: remember their names
            names = self._names[mask] = tuple(wl.name for wl in self._from_mask(mask))
        return list(names)

    def is_benign(self, kind: str, value: str) -> bool:
        mask = self.mask(kind, value)
        return bool(mask & self._benign_mask) and not mask & ~self._benign_mask

    def unsafe_to_block(self, kind: str, value: str) -> bool:
        """Whether blocking the value could break something legitimate: it is likely
        benign (:meth:`is_benign`), or a false-positive list names the value itself —
        an address in a reserved, resolver or CDN range, a domain that is itself a top
        site — even when a list of known identifiers names it too (8.8.8.8 is also a
        VPN exit; bit.ly is also a URL shortener). A name that is only *under* a listed
        domain and that a list of known identifiers explains (evil.duckdns.org) is
        safe to block: blocking it blocks nobody else."""
        mask = self.mask(kind, value)
        if not mask & self._benign_mask:
            return False
        if not mask & ~self._benign_mask or kind in _IP_KINDS:
            return True
        if kind == "domain":
            own = self._lookup(_exact(kind, value)) | self._lookup(_host(value))
            return bool(own & self._kind_mask.get(kind, 0) & self._benign_mask)
        return False


# --------------------------------------------------------------------------- the hub's index

_index: WarningIndex | None = None
_lock = threading.Lock()


def build(progress: Callable[[int, int], None] | None = None) -> Path:
    """(Re)build the hub's index for the installed package; remove older ones.

    The operator command ``cyberhub refdata load`` calls this; :func:`index` calls it on
    first use when the file for the installed package version does not exist yet.
    """
    global _index
    path = build_index(default_path(), progress)
    for old in path.parent.glob("index-*.bin"):
        if old != path:
            old.unlink(missing_ok=True)
    with _lock:
        if _index is not None and _index.path == path:
            _index = None  # reopen the new file on next use
    return path


def index() -> WarningIndex:
    """The hub's index, opened once per process (built first if missing)."""
    global _index
    current = _index
    if current is not None:
        return current
    with _lock:
        if _index is None:
            path = default_path()
            if not path.exists():
                build_index(path)
            _index = WarningIndex(path)
        return _index


def check(kind: str, value: str) -> list[str]:
    """Names of the MISP warning lists that contain the normalised ``value`` of ``kind``."""
    return index().check(kind, value)


def matches(kind: str, value: str) -> list[WarningList]:
    """The MISP warning lists (name, description, category…) that contain the value."""
    return index().matches(kind, value)


def is_benign(kind: str, value: str) -> bool:
    """True when a false-positive list contains it and no list of known identifiers does."""
    return index().is_benign(kind, value)


def unsafe_to_block(kind: str, value: str) -> bool:
    """True when blocking the value could break something legitimate (blocklists leave
    it out); see :meth:`WarningIndex.unsafe_to_block`."""
    return index().unsafe_to_block(kind, value)
