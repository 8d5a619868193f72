"""What a TAXII request asks for (section 3.4 filters, 3.5 pagination) and ``next`` tokens.

Filters: ``added_after`` (strictly after), ``limit``, ``next``, and ``match[id]``,
``match[type]``, ``match[version]``, ``match[spec_version]``. Values within one ``match``
are OR-ed (comma-separated, or the parameter repeated); different fields are AND-ed.

A ``next`` token is the position after the last item of a page — (date added, record
id, version row) — signed with the hub's secret and bound to the asker, the endpoint,
the collection and the other filters, with an expiry. Every page is still filtered by
the sharing rules: a token says where to continue, never what may be seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from cyberhub import keyring
from cyberhub.errors import HubError
from cyberhub.i18n import _

MAX_LIMIT: Final = 1000
TOKEN_TTL_SECONDS: Final = 3600
MAX_MATCH_VALUES: Final = 100
SPEC_VERSIONS: Final = ("2.1",)
MATCH_FIELDS: Final = ("id", "type", "version", "spec_version")


class BadFilter(HubError):
    status_code = 400
    code = "bad_filter"


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last item's date added, record id and version row
    (0 for the current version)."""

    added: datetime
    record_id: uuid.UUID
    seq: int


@dataclass(frozen=True)
class Request:
    added_after: datetime | None = None
    limit: int = MAX_LIMIT
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()
    after: Position | None = None
    # The filters as given (without next/limit), what a token is bound to.
    fingerprint: str = ""
    explicit: frozenset[str] = field(default_factory=frozenset)

    @property
    def version_timestamps(self) -> tuple[datetime, ...]:
        return tuple(parse_timestamp(v, "match[version]") for v in self.versions
                     if v not in ("first", "last", "all"))


def parse_timestamp(value: str, name: str) -> datetime:
    text = value.strip()
    try:
        if not text.endswith(("Z", "z")) or "T" not in text:
            raise ValueError
        moment = datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        raise BadFilter(_("%(name)s must be a STIX timestamp such as "
                          "2026-01-31T12:00:00.000Z, not %(value)r.")
                        % {"name": name, "value": value[:60]}) from None
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """A STIX timestamp: milliseconds, or microseconds when the moment has them."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    fraction = (f"{moment.microsecond // 1000:03d}" if moment.microsecond % 1000 == 0
                else f"{moment.microsecond:06d}")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"


def _values(params: Iterable[tuple[str, str]], name: str) -> tuple[str, ...]:
    found: list[str] = []
    for key, value in params:
        if key == name:
            found.extend(v.strip() for v in value.split(","))
    if any(not v for v in found):
        raise BadFilter(_("%(name)s has an empty value.") % {"name": name})
    if len(found) > MAX_MATCH_VALUES:
        raise BadFilter(_("%(name)s takes at most %(n)d values.")
                        % {"name": name, "n": MAX_MATCH_VALUES})
    return tuple(dict.fromkeys(found))


def parse(params: list[tuple[str, str]], *, endpoint: str, scope: str, user_id: uuid.UUID,
          allowed: tuple[str, ...] = MATCH_FIELDS, default_version: str = "last") -> Request:
    """Check a request's filters. ``allowed`` are the match fields the endpoint takes;
    ``scope`` (the collection, and the object for per-object endpoints) binds ``next``."""
    names = {k for k, _v in params}
    for name in names:
        if name.startswith("match[") and name.endswith("]"):
            what = name[6:-1]
            if what not in allowed:
                raise BadFilter(_("This endpoint does not filter on %(name)s; it takes "
                                  "%(allowed)s.") % {"name": name, "allowed": ", ".join(
                                      f"match[{a}]" for a in allowed) or "no match filter"})
    added_after = None
    given = [v for k, v in params if k == "added_after"]
    if len(given) > 1:
        raise BadFilter(_("Give added_after once."))
    if given:
        added_after = parse_timestamp(given[0], "added_after")
    limit = MAX_LIMIT
    given = [v for k, v in params if k == "limit"]
    if len(given) > 1:
        raise BadFilter(_("Give limit once."))
    if given:
        try:
            limit = int(given[0])
        except ValueError:
            raise BadFilter(_("limit must be a whole number, not %(value)r.")
                            % {"value": given[0][:40]}) from None
        if limit < 1:
            raise BadFilter(_("limit must be at least 1."))
        limit = min(limit, MAX_LIMIT)
    ids = _values(params, "match[id]")
    for i in ids:
        if "--" not in i or len(i) > 300:
            raise BadFilter(_("match[id] takes STIX ids (type--UUID), not %(value)r.")
                            % {"value": i[:60]})
    types = _values(params, "match[type]")
    for t in types:
        if len(t) > 250 or not all(c.isalnum() or c == "-" for c in t):
            raise BadFilter(_("match[type] takes STIX type names, not %(value)r.")
                            % {"value": t[:60]})
    versions = _values(params, "match[version]") or (default_version,)
    for v in versions:
        if v not in ("first", "last", "all"):
            parse_timestamp(v, "match[version]")
    spec_versions = _values(params, "match[spec_version]")
    for s in spec_versions:
        if len(s) > 8 or not all(c.isdigit() or c == "." for c in s):
            raise BadFilter(_("match[spec_version] takes versions such as 2.1, not %(value)r.")
                            % {"value": s[:20]})
    fingerprint = hashlib.sha256(orjson.dumps([
        endpoint, scope, str(user_id), given_after(params), ids, types, versions,
        spec_versions])).hexdigest()[:32]
    tokens = [v for k, v in params if k == "next"]
    if len(tokens) > 1:
        raise BadFilter(_("Give next once."))
    after = read_token(tokens[0], fingerprint) if tokens else None
    return Request(added_after=added_after, limit=limit, ids=ids, types=types,
                   versions=versions, spec_versions=spec_versions, after=after,
                   fingerprint=fingerprint, explicit=frozenset(names))


def given_after(params: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in params if k == "added_after"), None)


# ------------------------------------------------------------------ next tokens

def _sign(payload: bytes) -> str:
    return keyring.sign("secret", b"taxii-next:" + payload)[:32]


def make_token(position: Position, fingerprint: str) -> str:
    payload = orjson.dumps([position.added.isoformat(), position.record_id.hex, position.seq,
                            fingerprint, int(time.time()) + TOKEN_TTL_SECONDS])
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{encoded}.{_sign(payload)}"


def read_token(token: str, fingerprint: str) -> Position:
    invalid = BadFilter(_("The next token is not valid for this request: repeat the request "
                          "with the same filters, or start again without next."))
    encoded, _sep, signature = token.partition(".")
    if len(token) > 400 or not signature:
        raise invalid
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    # A token signed before a key rotation still pages on (previous_secret_keys).
    if not keyring.verify("secret", b"taxii-next:" + payload, signature, length=32):
        raise invalid
    try:
        added, record, seq, bound, expires = orjson.loads(payload)
        position = Position(datetime.fromisoformat(added), uuid.UUID(hex=record), int(seq))
    except (ValueError, TypeError):
        raise invalid from None
    if bound != fingerprint:
        raise invalid
    if int(expires) < time.time():
        raise BadFilter(_("The next token has expired; start again without next, using "
                          "added_after to resume."))
    return position


def to_params(items: Any) -> list[tuple[str, str]]:
    """Query parameters as (name, value) pairs, repeated names kept."""
    return [(str(k), str(v)) for k, v in items]
