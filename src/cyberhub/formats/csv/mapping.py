"""A CSV column mapping: what each column of a member's spreadsheet holds.

A column is an observable **value** of one kind (``value:ipv4``, ``value:sha256``…),
a **property** of the objects its row becomes (``name``, ``description``, ``labels``,
``first_seen``, ``last_seen``, ``confidence``), or ``ignore``. The mapping also says
whether the first record is a header, whether rows become indicators (with STIX
patterns) or plain observables, and how to read phone numbers without a country code.

It travels as a plain dict (:meth:`Mapping.as_dict`): in an import job's ``options``
and in a saved mapping's ``spec``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any, Final

from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel.normalise import normalise

__all__ = ["OUTPUTS", "PROPERTIES", "VALUE_KINDS", "Mapping", "guess_roles", "role_label"]

# Value kinds a column may hold, in the order the mapping page offers them.
VALUE_KINDS: Final[dict[str, Callable[[], str]]] = {
    "ipv4": lambda: _("IPv4 address or network"),
    "ipv6": lambda: _("IPv6 address or network"),
    "domain": lambda: _("Domain name"),
    "url": lambda: _("URL"),
    "email": lambda: _("E-mail address"),
    "md5": lambda: _("File hash MD5"),
    "sha1": lambda: _("File hash SHA-1"),
    "sha256": lambda: _("File hash SHA-256"),
    "sha512": lambda: _("File hash SHA-512"),
    "iban": lambda: _("IBAN"),
    "phone": lambda: _("Phone number"),
    "wallet": lambda: _("Cryptocurrency wallet"),
    "social": lambda: _("Social-media account (platform:handle or profile URL)"),
}
PROPERTIES: Final[dict[str, Callable[[], str]]] = {
    "name": lambda: _("Name"),
    "description": lambda: _("Description"),
    "labels": lambda: _("Labels (separated by ; or ,)"),
    "first_seen": lambda: _("First seen"),
    "last_seen": lambda: _("Last seen"),
    "confidence": lambda: _("Confidence (0–100)"),
}
OUTPUTS: Final = ("indicator", "observable")
MAX_NAME: Final = 100


def role_label(role: str) -> str:
    if role.startswith("value:") and role[6:] in VALUE_KINDS:
        return VALUE_KINDS[role[6:]]()
    if role in PROPERTIES:
        return PROPERTIES[role]()
    return _("Ignore")


def all_roles() -> list[str]:
    return ["ignore", *(f"value:{k}" for k in VALUE_KINDS), *PROPERTIES]


@dataclass(frozen=True)
class Mapping:
    columns: tuple[str, ...]  # one role per column, in the file's order
    header: bool = True
    output: str = "indicator"
    region: str = ""  # ISO 3166 code for phone numbers without a country code
    encoding: str = ""  # empty: detected
    delimiter: str = ""  # empty: detected
    name: str = field(default="", compare=False)  # the saved mapping it came from

    @property
    def value_columns(self) -> list[tuple[int, str]]:
        return [(i, r[6:]) for i, r in enumerate(self.columns) if r.startswith("value:")]

    def column_of(self, role: str) -> int | None:
        return self.columns.index(role) if role in self.columns else None

    def problems(self) -> list[str]:
        """What keeps this mapping from importing anything; empty when it is usable."""
        out: list[str] = []
        if not self.value_columns:
            out.append(_("Choose at least one column that holds values (an IP address, a "
                         "domain, a hash…): without one, no row becomes an object."))
        for prop in PROPERTIES:
            if self.columns.count(prop) > 1:
                out.append(_("Only one column can be the %(property)s.")
                           % {"property": PROPERTIES[prop]().lower()})
        return out

    def check(self) -> Mapping:
        problems = self.problems()
        if problems:
            raise InvalidInput(" ".join(problems), details={"field": "columns"})
        return self

    def as_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "header": self.header, "output": self.output,
                "region": self.region, "encoding": self.encoding,
                "delimiter": self.delimiter}

    @classmethod
    def from_dict(cls, data: MappingABC[str, Any], name: str = "") -> Mapping:
        """Read a mapping from options or a saved spec; InvalidInput names what is wrong."""
        columns = data.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise InvalidInput(_("A CSV mapping needs a list of column roles."),
                               details={"field": "columns"})
        known = set(all_roles())
        for i, role in enumerate(columns):
            if role not in known:
                raise InvalidInput(_("Column %(n)d: unknown role %(role)r.")
                                   % {"n": i + 1, "role": role}, details={"field": "columns"})
        output = data.get("output", "indicator")
        if output not in OUTPUTS:
            raise InvalidInput(_("Rows become indicators or observables, not %(v)r.")
                               % {"v": output}, details={"field": "output"})
        region = str(data.get("region") or "").strip().upper()
        if region and not re.fullmatch(r"[A-Z]{2}", region):
            raise InvalidInput(_("The phone region must be a two-letter country code such as "
                                 "GB."), details={"field": "region"})
        return cls(columns=tuple(columns), header=bool(data.get("header", True)),
                   output=str(output), region=region,
                   encoding=str(data.get("encoding") or ""),
                   delimiter=str(data.get("delimiter") or ""), name=name)


# ---------------------------------------------------------------- guessing

_HEADER_ROLES: Final[list[tuple[str, str]]] = [
    (r"ipv?6|ip6", "value:ipv6"), (r"ip|ipv4|address|addr|ip_?address|dst|src|cidr", "value:ipv4"),
    (r"domain|host(name)?|fqdn", "value:domain"), (r"url|uri|link", "value:url"),
    (r"e-?mail|mail|sender", "value:email"), (r"md5", "value:md5"),
    (r"sha-?1", "value:sha1"), (r"sha-?256|hash", "value:sha256"), (r"sha-?512", "value:sha512"),
    (r"iban|account", "value:iban"), (r"phone|tel|mobile|msisdn", "value:phone"),
    (r"wallet|btc|bitcoin|crypto", "value:wallet"),
    (r"social|telegram|twitter|handle", "value:social"),
    (r"name|title", "name"), (r"desc(ription)?|comment|notes?|context", "description"),
    (r"labels?|tags?|category|type", "labels"),
    (r"last[ _-]?seen|last", "last_seen"),
    (r"first[ _-]?seen|first|date|seen|timestamp|created", "first_seen"),
    (r"confidence|score", "confidence"),
]
# Tried in this order on sample cells: the first kind most cells are valid values of wins.
_GUESS_ORDER: Final = ("ipv4", "ipv6", "md5", "sha1", "sha256", "sha512", "email", "url",
                       "iban", "wallet", "domain", "phone")


def _header_role(title: str) -> str | None:
    key = title.strip().lower()
    for pattern, role in _HEADER_ROLES:
        if re.fullmatch(rf"(?:[a-z]+[ _-])?(?:{pattern})(?:[ _-][a-z]+)?", key):
            return role
    return None


def _cells_role(cells: Sequence[str]) -> str | None:
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return None
    for kind in _GUESS_ORDER:
        ok = 0
        for c in filled:
            if kind == "wallet":
                from cyberhub.intel.normalise import wallet_chains

                ok += bool(wallet_chains(c))
            else:
                ok += normalise(kind, c) is not None
        if ok * 2 > len(filled):
            return f"value:{kind}"
    return None


def guess_roles(header: Sequence[str] | None, rows: Sequence[Sequence[str]],
                width: int) -> list[str]:
    """A first mapping to show: values recognised in the cells win over header names."""
    roles: list[str] = []
    for i in range(width):
        cells = [r[i] for r in rows if i < len(r)]
        role = _cells_role(cells)
        if role is None and header is not None and i < len(header):
            role = _header_role(header[i])
        roles.append(role or "ignore")
    seen: set[str] = set()
    for i, role in enumerate(roles):  # one column per property
        if role in PROPERTIES:
            if role in seen:
                roles[i] = "ignore"
            seen.add(role)
    return roles


def looks_like_header(first: Sequence[str], rest: Sequence[Sequence[str]]) -> bool:
    """True when the first record names columns rather than holding data."""
    if not rest:
        return not any(_cells_role([c]) for c in first)
    for i, cell in enumerate(first):
        role = _cells_role([r[i] for r in rest if i < len(r)])
        if role is not None and _cells_role([cell]) is None:
            return True
    return not any(_cells_role([c]) for c in first)
