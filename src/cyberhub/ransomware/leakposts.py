"""Ransomware leak-site posts: the import of leak-site monitoring records (JSON Lines),
de-duplicated, matched to families, and the views over them under the sharing rules.

A post names a victim the criminals exposed. It is a shared record owned by the
organisation that imported it, under the marking chosen at import (GREEN at the widest:
never CLEAR). Every read goes through ``access``; nothing here feeds the trends, the
exports or the exchanges with partner hubs.

The input format, the de-duplication key and the family matching are described in
``docs/ransomware.md``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import IO, Any, Final, cast

import orjson
from sqlalchemy import Select, Table, bindparam, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_pap, clean_tlp
from cyberhub.community.reference import countries, sector_key
from cyberhub.db import new_id, utcnow
from cyberhub.errors import Conflict, InvalidInput, PayloadTooLarge, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.pagination import Page, paginate
from cyberhub.ransomware import groupnames
from cyberhub.ransomware import service as families
from cyberhub.ransomware.models_leakposts import LeakPost, LeakPostImport
from cyberhub.sharing import TLP, AudienceEntry

__all__ = ["FIELDS", "MAX_FILE_BYTES", "FamilyPosts", "Filters", "ImportResult", "LineError",
           "dedup_key", "family_posts", "get_post", "import_posts", "list_posts",
           "matcher_for"]

MAX_FILE_BYTES: Final = 64 * 1024 * 1024  # a year of every monitored leak site is ~20 MB
MAX_LINE: Final = 64 * 1024  # one post, as bytes of JSON
MAX_TITLE: Final = 500
MAX_GROUP: Final = 200
MAX_DESCRIPTION: Final = 5000
MAX_SITE: Final = 500
MAX_URL: Final = 2000
MAX_ERRORS_LISTED: Final = 100
MAX_NOTICES_LISTED: Final = 50
MAX_GROUPS_LISTED: Final = 200
BATCH: Final = 500
EARLIEST: Final = datetime(2010, 1, 1, tzinfo=UTC)  # before any ransomware leak site
# Markings a post may carry: it names a victim, so never the public (CLEAR).
TLPS: Final = (TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)

# Each field and the keys that give it, the first present wins (ransomware.live's
# spelling first).
FIELDS: Final = {
    "post_title": ("post_title", "title", "victim"),
    "group_name": ("group_name", "group"),
    "discovered": ("discovered", "discovered_at"),
    "published": ("published", "published_at", "date"),
    "description": ("description", "summary"),
    "site": ("website", "site", "domain"),
    "post_url": ("post_url", "url"),
    "country": ("country",),
    "sector": ("activity", "sector"),
}
# Sector names monitors use (ransomware.live's "activity") → MISP sector galaxy values.
SECTOR_SYNONYMS: Final = {
    "healthcare": "Health", "health care": "Health", "hospital": "Health",
    "financial services": "Finance", "financial": "Finance", "banking": "Bank",
    "public sector": "Government, Administration", "government": "Government, Administration",
    "telecommunication": "Telecoms", "telecommunications": "Telecoms",
    "hospitality and tourism": "Hospitality", "transportation/logistics": "Logistic",
    "logistics": "Logistic", "transportation": "Transport",
    "agriculture and food production": "Agriculture", "information technology": "IT",
    "technology": "Technology", "law firm": "Lawyers", "legal services": "Legal",
    "education": "Education", "energy": "Energy", "manufacturing": "Manufacturing",
    "construction": "Construction", "retail": "Retail", "insurance": "Insurance",
}
NO_VALUE: Final = frozenset({"", "not found", "unknown", "n/a", "na", "none", "-", "null"})
_SPACES: Final = re.compile(r"\s+")
_BIDI: Final = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)], None)


# ---------------------------------------------------------------- results


@dataclass
class LineError:
    line: int
    field: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "problem": self.problem}


@dataclass
class ImportResult:
    import_id: uuid.UUID | None = None
    lines: int = 0  # non-blank lines read
    stored: int = 0
    duplicates: int = 0  # in the file, or already stored (see dedup_key)
    skipped: int = 0  # bad lines left out (lenient mode)
    errors: list[LineError] = field(default_factory=list)  # the first MAX_ERRORS_LISTED
    error_count: int = 0
    notices: list[str] = field(default_factory=list)  # the first MAX_NOTICES_LISTED
    notice_count: int = 0
    matched: dict[str, str] = field(default_factory=dict)  # group as given → family name
    unmatched: dict[str, int] = field(default_factory=dict)  # group as given → posts

    def error(self, line: int, fieldname: str, problem: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append(LineError(line, fieldname, problem))

    def notice(self, text: str) -> None:
        self.notice_count += 1
        if len(self.notices) < MAX_NOTICES_LISTED:
            self.notices.append(text)


class _Bad(Exception):
    def __init__(self, fieldname: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem = fieldname, problem


# ---------------------------------------------------------------- one record


def _text(value: Any, fieldname: str, max_len: int, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Bad(fieldname, _("%(field)s must be text.") % {"field": fieldname})
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if not value.replace("\n", "").replace("\t", "").isprintable():  # the slow path
            value = "".join(ch if ch in "\n\t" or unicodedata.category(ch) != "Cc" else " "
                            for ch in value.translate(_BIDI))
        value = value.strip()
    else:
        if not value.isprintable():  # the slow path
            value = "".join(" " if unicodedata.category(ch) == "Cc" else ch
                            for ch in value.translate(_BIDI))
        value = _SPACES.sub(" ", value).strip()
    if len(value) > max_len:
        raise _Bad(fieldname, _("%(field)s is %(n)d characters long; at most %(max)d are "
                                "accepted.") % {"field": fieldname, "n": len(value),
                                                "max": max_len})
    return str(value)


def parse_when(value: Any, fieldname: str, *, now: datetime | None = None) -> datetime:
    """A date or date and time (ISO 8601, "2024-03-14 09:30:00.123456" as monitors write
    it); a time without an offset is UTC."""
    if not isinstance(value, str) or not value.strip():
        raise _Bad(fieldname, _("%(field)s must be a date such as 2024-03-14 or "
                                "2024-03-14 09:30:00.") % {"field": fieldname})
    text = value.strip()[:40]
    try:
        if len(text) == 10:
            when = datetime.combine(date.fromisoformat(text), time(), UTC)
        else:
            when = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text
                                          else text)
    except ValueError:
        raise _Bad(fieldname, _("%(field)s %(value)r is not a date such as 2024-03-14 or "
                                "2024-03-14 09:30:00.") % {"field": fieldname,
                                                           "value": text}) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when < EARLIEST:
        raise _Bad(fieldname, _("%(field)s %(value)s is before 2010, older than any leak "
                                "site.") % {"field": fieldname, "value": text})
    if when > (now or utcnow()) + timedelta(days=1):
        raise _Bad(fieldname, _("%(field)s %(value)s is in the future.")
                   % {"field": fieldname, "value": text})
    return when


def _pick(obj: dict[str, Any], name: str) -> Any:
    for k in FIELDS[name]:
        if k in obj and obj[k] is not None:
            return obj[k]
    return None


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    import pycountry

    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name", "alpha_3"):
            if (v := getattr(c, attr, None)) is not None:
                names[str(v).casefold()] = c.alpha_2
    names.update({"uk": "GB", "usa": "US", "united states of america": "US"})
    return names


@lru_cache(maxsize=4096)
def clean_country(value: str) -> str | None:
    """An ISO 3166 alpha-2 code from a code, an alpha-3 code or an English name."""
    text = value.strip()
    if text.upper() in countries():
        return text.upper()
    return _country_names().get(text.casefold())


@lru_cache(maxsize=4096)
def clean_sector(value: str) -> str | None:
    """A MISP sector galaxy value from its name or a monitor's usual spelling."""
    return sector_key(value) or SECTOR_SYNONYMS.get(_SPACES.sub(" ", value.strip().casefold()))


def _norm(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def site_key(site: str) -> str:
    s = _norm(site)
    s = re.sub(r"^[a-z][a-z0-9+.-]*://", "", s)
    return s.removeprefix("www.").rstrip("/")


def dedup_key(group: str, title: str, site: str) -> str:
    """SHA-256 over the group's key, the normalised title and the normalised site: the
    same post, however the monitor spelled it, has one key."""
    raw = "\n".join((groupnames.key(group), _norm(title), site_key(site)))
    return hashlib.sha256(raw.encode()).hexdigest()


def _record(obj: Any, line: int, result: ImportResult, now: datetime) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _Bad("line", _("The line is not a JSON object."))
    title = _text(_pick(obj, "post_title"), "post_title", MAX_TITLE)
    if not title:
        raise _Bad("post_title", _("post_title is missing (or title, victim)."))
    group = _text(_pick(obj, "group_name"), "group_name", MAX_GROUP)
    if not group:
        raise _Bad("group_name", _("group_name is missing (or group)."))
    raw_discovered = _pick(obj, "discovered")
    if raw_discovered is None:
        raise _Bad("discovered", _("discovered is missing."))
    discovered = parse_when(raw_discovered, "discovered", now=now)
    raw_published = _pick(obj, "published")
    if raw_published is None or raw_published == "":
        published = discovered
        result.notice(_("Line %(line)d: no published date; the date discovered is used.")
                      % {"line": line})
    else:
        published = parse_when(raw_published, "published", now=now)
    description = _text(_pick(obj, "description"), "description", MAX_DESCRIPTION,
                        multiline=True)
    site = _text(_pick(obj, "site"), "website", MAX_SITE)
    post_url = _text(_pick(obj, "post_url"), "post_url", MAX_URL)
    country = sector = None
    raw_country = _text(_pick(obj, "country"), "country", 100)
    if raw_country.casefold() not in NO_VALUE:
        country = clean_country(raw_country)
        if country is None:
            result.notice(_("Line %(line)d: unknown country %(value)r kept empty.")
                          % {"line": line, "value": raw_country[:60]})
    raw_sector = _text(_pick(obj, "sector"), "activity", 200)
    if raw_sector.casefold() not in NO_VALUE:
        sector = clean_sector(raw_sector)
        if sector is None:
            result.notice(_("Line %(line)d: unknown sector %(value)r kept empty.")
                          % {"line": line, "value": raw_sector[:60]})
    return {"group_name": group, "group_key": groupnames.key(group), "post_title": title,
            "description": description, "site": site, "post_url": post_url,
            "published": published, "discovered": discovered, "country": country,
            "sector": sector, "dedup_key": dedup_key(group, title, site)}


# ---------------------------------------------------------------- reading the file


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line, streamed; None for a line longer than MAX_LINE
    (whose rest is skipped). Refuses a file past MAX_FILE_BYTES."""
    size = 0
    number = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        size += len(raw)
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                size += len(rest)
                _check_size(size)
            size += len(rest)
            _check_size(size)
            yield number, None
            continue
        _check_size(size)
        yield number, raw


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise PayloadTooLarge(_("The file is larger than %(n)d MB; split it and import the "
                                "parts.")
                           % {"n": MAX_FILE_BYTES // (1024 * 1024)}, details={"field": "file"})


def _parse(number: int, raw: bytes | None) -> Any:
    if raw is None:
        raise _Bad("line", _("The line is longer than %(n)d bytes.") % {"n": MAX_LINE})
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Bad("line", _("The line is not valid UTF-8 (byte %(n)d).")
                   % {"n": exc.start + 1}) from None
    if not text.strip():
        return _BLANK
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _Bad("line", _("The line is not valid JSON: %(why)s")
                   % {"why": str(exc)[:120]}) from None


_BLANK: Final = object()


# ---------------------------------------------------------------- families


def matcher_for(session: Session, viewer: Viewer) -> groupnames.Matcher:
    """A matcher over the families the viewer may see (reference families and members'
    families shared with them)."""
    index = families.index_for(session)
    hidden = {r for f in index.families if not f.public for r in f.record_ids}
    allowed = families._visible_ids(session, viewer)(hidden) if hidden else set()
    return groupnames.Matcher(
        (f.key, f.name, list(f.aliases)) for f in index.families
        if f.public or allowed & set(f.record_ids))


# ---------------------------------------------------------------- the import


def _require_contributor(viewer: Viewer) -> None:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not import leak-site posts. Ask your "
                                 "organisation's admin for the analyst role."))


def clean_marking(tlp: str | TLP) -> TLP:
    value = clean_tlp(tlp)
    if value not in TLPS:
        raise InvalidInput(_("Leak-site posts name victims: mark them GREEN (the default), "
                             "AMBER, AMBER+STRICT or RED, never CLEAR."),
                           details={"field": "tlp"})
    return value


# Another organisation's post is a duplicate only when it reaches the whole community.
_COMMUNITY_WIDE: Final = (TLP.CLEAR, TLP.GREEN)


def _known(session: Session, viewer: Viewer, keys: list[str]) -> set[str]:
    """Which keys are already stored: by the viewer's organisation (any marking), or by
    another organisation at a marking that reaches the whole community (GREEN) — and
    which the viewer may see, so that the answer tells nothing about posts they may not
    see. Looked up by key alone, the keys (our own hex digests) written into the query:
    as 500 parameters of a prepared statement, PostgreSQL compares each row with each
    key in turn (0.3 s a batch at 20,000 posts); as constants it hashes them, and a
    freshly filled table's statistics cannot lure it onto the owner's index."""
    assert viewer.org_id is not None
    own: set[str] = set()
    others: list[uuid.UUID] = []
    for rid, key, owner, tlp in session.execute(
            select(LeakPost.id, LeakPost.dedup_key, LeakPost.owner_org_id, LeakPost.tlp)
            .where(LeakPost.dedup_key.in_(bindparam("keys", keys, expanding=True,
                                                     literal_execute=True)))):
        if owner == viewer.org_id:
            own.add(key)
        elif tlp in _COMMUNITY_WIDE:
            others.append(rid)
    if others:
        own |= set(session.scalars(select(LeakPost.dedup_key).where(
            LeakPost.id.in_(others), access.visible(LeakPost, viewer))))
    return own


def import_posts(session: Session, viewer: Viewer, stream: IO[bytes], *,
                 filename: str = "", tlp: str | TLP = TLP.GREEN, pap: str | None = None,
                 audience: Audience | None = None, mode: str = "strict",
                 is_demo: bool = False, now: datetime | None = None) -> ImportResult:
    """Import leak-site posts from a JSON Lines stream for the viewer's organisation.

    ``mode="strict"`` (the default): a file with any bad line stores nothing and raises
    InvalidInput listing the bad lines. ``mode="lenient"``: the good lines are stored
    and the bad ones reported. Posts already stored (see :func:`_known`) or repeated in
    the file are counted as duplicates and stored once."""
    _require_contributor(viewer)
    assert viewer.org_id is not None and viewer.user_id is not None
    if mode not in ("strict", "lenient"):
        raise InvalidInput(_("mode must be strict or lenient."), details={"field": "mode"})
    tlp_ = clean_marking(tlp)
    pap_ = clean_pap(pap)
    aud = check_audience(session, tlp_, audience or Audience())
    now = now or utcnow()
    matcher = matcher_for(session, viewer)
    job = LeakPostImport(org_id=viewer.org_id, created_by_id=viewer.user_id,
                         filename=(filename or "")[:300])
    session.add(job)
    session.flush()
    result = ImportResult(import_id=job.id)
    seen: set[bytes] = set()  # the keys of the file so far (flat otherwise)
    pending: list[dict[str, Any]] = []
    unmatched: Counter[str] = Counter()

    def store() -> None:
        if not pending:
            return
        known = _known(session, viewer, [p["dedup_key"] for p in pending])
        rows = [p for p in pending if p["dedup_key"] not in known]
        result.duplicates += len(pending) - len(rows)
        pending.clear()
        if not rows:
            return
        stamp = utcnow()
        for row in rows:
            row.update(id=new_id(), tlp=tlp_, pap=pap_, owner_org_id=viewer.org_id,
                       created_by_id=viewer.user_id, import_id=job.id, is_demo=is_demo,
                       created_at=stamp, updated_at=stamp)
        try:
            with session.begin_nested():  # one executemany per batch
                session.execute(insert(cast(Table, LeakPost.__table__)), rows)
        except IntegrityError:
            raise Conflict(_("Another import of your organisation is storing the same posts "
                             "right now; import the file again when it is done (nothing is "
                             "stored twice)."), details={"field": "file"}) from None
        entries = [{"id": new_id(), "record_id": r["id"], "org_id": o} for r in rows
                   for o in aud.org_ids] + \
                  [{"id": new_id(), "record_id": r["id"], "group_id": g} for r in rows
                   for g in aud.group_ids] + \
                  [{"id": new_id(), "record_id": r["id"], "user_id": u} for r in rows
                   for u in aud.user_ids]
        if entries:
            session.execute(insert(cast(Table, AudienceEntry.__table__)), entries)
        result.stored += len(rows)

    for number, raw in _lines(stream):
        counted = False
        try:
            obj = _parse(number, raw)
            if obj is _BLANK:
                continue
            result.lines += 1
            counted = True
            record = _record(obj, number, result, now)
        except _Bad as bad:
            result.lines += not counted
            result.error(number, bad.field, bad.problem)
            continue
        digest = bytes.fromhex(record["dedup_key"][:32])  # 128 bits: 49 bytes a post
        if digest in seen:
            result.duplicates += 1
            continue
        seen.add(digest)
        match = matcher.match(record["group_name"])
        if match is None:
            record.update(family_ref=None, family_name="")
            unmatched[record["group_name"]] += 1
        else:
            record.update(family_ref=match.key, family_name=match.name[:250])
            if len(result.matched) < MAX_GROUPS_LISTED:
                result.matched.setdefault(record["group_name"], match.name)
        if result.error_count and mode == "strict":
            continue  # nothing will be stored: keep reading to report every bad line
        pending.append(record)
        if len(pending) >= BATCH:
            store()
    result.unmatched = dict(unmatched.most_common(MAX_GROUPS_LISTED))
    if result.error_count and mode == "strict":
        raise InvalidInput(
            ngettext("%(n)d line of the file is wrong, so nothing was stored. Fix it and "
                     "import the file again.",
                     "%(n)d lines of the file are wrong, so nothing was stored. Fix them and "
                     "import the file again.", result.error_count) % {"n": result.error_count},
            details={"field": "file", "error_count": result.error_count,
                     "errors": [e.as_dict() for e in result.errors]})
    if result.lines == 0:
        raise InvalidInput(_("The file holds no posts: give one JSON object per line."),
                           details={"field": "file"})
    store()
    result.skipped = result.error_count
    job.lines, job.stored, job.duplicates, job.skipped = (
        result.lines, result.stored, result.duplicates, result.skipped)
    job.unmatched_groups = list(result.unmatched)[:MAX_GROUPS_LISTED]
    session.flush()
    audit.record(session, viewer.actor, "leakposts.import",
                 target_type="ransomware_leak_post_imports", target_id=job.id,
                 details={"tlp": tlp_.value, "stored": result.stored,
                          "duplicates": result.duplicates, "skipped": result.skipped})
    return result


# ---------------------------------------------------------------- reading


@dataclass
class Filters:
    family: str = ""  # a family's key (STIX id), or "none" for posts matched to none
    group: str = ""  # a group name, compared by key
    country: str = ""
    sector: str = ""
    month: str = ""  # YYYY-MM, by date published
    q: str = ""  # words in the title, description, site or group


def _month(value: str) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(value.strip(), "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(_("month must look like 2024-03."), details={"field": "month"}) \
            from None
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.family:
        if filters.family == "none":
            query = query.where(LeakPost.family_ref.is_(None))
        else:
            query = query.where(LeakPost.family_ref == filters.family[:300])
    if filters.group.strip():
        query = query.where(LeakPost.group_key == groupnames.key(filters.group[:200]))
    if filters.country.strip():
        query = query.where(LeakPost.country == filters.country.strip().upper()[:2])
    if filters.sector.strip():
        query = query.where(LeakPost.sector == (sector_key(filters.sector) or
                                                filters.sector.strip()[:200]))
    if filters.month.strip():
        start, end = _month(filters.month)
        query = query.where(LeakPost.published >= start, LeakPost.published < end)
    for word in filters.q.split()[:8]:
        like = "%" + word[:100].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") \
            + "%"
        query = query.where(or_(*(col.ilike(like, escape="\\") for col in (
            LeakPost.post_title, LeakPost.description, LeakPost.site, LeakPost.group_name))))
    return query


def list_posts(session: Session, viewer: Viewer, filters: Filters | None = None, *,
               cursor: str | None = None, limit: int = 50) -> Page[LeakPost]:
    """Posts the viewer may see, newest published first."""
    query = _filtered(access.select_visible(LeakPost, viewer), filters or Filters())
    page = paginate(session, query, LeakPost.published, LeakPost.id, cursor=cursor,
                    limit=limit)
    access.audit_listing(session, LeakPost, page.items, viewer)
    return page


def count_posts(session: Session, viewer: Viewer, filters: Filters | None = None) -> int:
    query = _filtered(select(func.count()).select_from(LeakPost).where(
        access.visible(LeakPost, viewer)), filters or Filters())
    return int(session.scalar(query) or 0)


def get_post(session: Session, viewer: Viewer, post_id: uuid.UUID | str) -> LeakPost:
    return access.load(session, LeakPost, post_id, viewer)


def facets(session: Session, viewer: Viewer) -> dict[str, list[tuple[str, str]]]:
    """Filter choices over the posts the viewer may see: families, countries, sectors."""
    visible = access.visible(LeakPost, viewer)
    fams = session.execute(select(LeakPost.family_ref, LeakPost.family_name).where(
        visible, LeakPost.family_ref.is_not(None)).distinct().limit(1000)).all()
    ctry = session.scalars(select(LeakPost.country).where(
        visible, LeakPost.country.is_not(None)).distinct().limit(300)).all()
    sect = session.scalars(select(LeakPost.sector).where(
        visible, LeakPost.sector.is_not(None)).distinct().limit(300)).all()
    names = countries()
    return {"families": sorted(((str(k), n) for k, n in fams), key=lambda f: f[1].casefold()),
            "countries": sorted(((c, names.get(c, c)) for c in ctry if c), key=lambda c: c[1]),
            "sectors": sorted((s, s) for s in sect if s)}


@dataclass
class FamilyPosts:
    count: int  # distinct posts (one post stored by two organisations counts once)
    latest: list[LeakPost]
    months: list[str]  # YYYY-MM, from the first month with a post to the last
    per_month: list[int]


MAX_MONTHS: Final = 60


def family_posts(session: Session, viewer: Viewer, family_key: str, *,
                 latest: int = 10) -> FamilyPosts:
    """The posts of one family the viewer may see: how many, the latest, per month."""
    visible = access.visible(LeakPost, viewer)
    where = (LeakPost.family_ref == family_key[:300], visible)
    rows = list(session.scalars(select(LeakPost).where(*where).order_by(
        LeakPost.published.desc(), LeakPost.id.desc()).limit(latest)))
    access.audit_listing(session, LeakPost, rows, viewer)
    by_month: dict[str, set[str]] = defaultdict(set)
    for key, when in session.execute(select(LeakPost.dedup_key, LeakPost.published)
                                      .where(*where)):
        by_month[when.strftime("%Y-%m")].add(key)
    months: list[str] = []
    if by_month:
        last = max(by_month)
        first = max(min(by_month), _shift(last, -(MAX_MONTHS - 1)))
        m = first
        while m <= last:
            months.append(m)
            m = _shift(m, 1)
    total = len({k for keys in by_month.values() for k in keys})
    return FamilyPosts(total, rows, months, [len(by_month.get(m, ())) for m in months])


def activity(session: Session, viewer: Viewer, *, months: int = 12,
             today: date | None = None) -> tuple[list[str], list[int]]:
    """Distinct posts the viewer may see per month published, for the last ``months``
    months (the current one included): counted in SQL, whatever the number of posts."""
    last = (today or utcnow().date()).strftime("%Y-%m")
    labels = [_shift(last, -n) for n in range(months - 1, -1, -1)]
    start = datetime.fromisoformat(labels[0] + "-01").replace(tzinfo=UTC)
    if session.get_bind().dialect.name == "postgresql":
        month = func.to_char(func.timezone("UTC", LeakPost.published), "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", LeakPost.published)
    counts: dict[str, int] = dict(session.execute(
        select(month, func.count(LeakPost.dedup_key.distinct()))
        .where(LeakPost.published >= start, access.visible(LeakPost, viewer))
        .group_by(month)).all())
    return labels, [int(counts.get(m, 0)) for m in labels]


def _shift(month: str, n: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - 1 + n
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"
