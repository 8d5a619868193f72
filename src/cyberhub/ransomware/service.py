"""Ransomware families, identification and decryptors, under the sharing rules.

Families are read from the knowledge base (the reference families and members'
``malware`` objects with the ransomware-family extension) into one
:class:`~cyberhub.ransomware.identify.Index` per process, rebuilt when the family
records change (:func:`index_for`). The index holds every family record; what a viewer
may see is decided per query by ``access.visible`` (:func:`_visible_ids`), so one index
serves every asker.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_tlp
from cyberhub.community import system
from cyberhub.community.validation import clean_text
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.intel import service as intel
from cyberhub.intel.models import StixObject, StixRef
from cyberhub.intel.normalise import normalise, wallet_chains
from cyberhub.ransomware import catalogue
from cyberhub.ransomware.identify import (
    Candidate,
    Evidence,
    Family,
    Index,
    Query,
    contact_label,
    identify,
)
from cyberhub.ransomware.models import Decryptor
from cyberhub.sharing import TLP

__all__ = ["MAX_NOTE", "ContactHit", "FamilyView", "Identification", "create_decryptor",
           "delete_decryptor", "family", "get_decryptor", "identify_family", "index_for",
           "known_family", "list_decryptors", "list_families", "update_decryptor"]

MAX_NOTE = 200_000  # characters of a pasted or uploaded note
MAX_CONTACTS = 20
DECRYPTOR_TLPS = (TLP.CLEAR, TLP.GREEN)
_CONTACT_KINDS = ("email", "wallet", "social", "domain", "url")


# ---------------------------------------------------------------- the index


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], Index]] = {}


def _stamp(session: Session) -> tuple[Any, ...]:
    """What changes when a family record is added, changed or removed: the index key."""
    count, latest = session.execute(
        select(func.count(), func.max(StixObject.updated_at))
        .where(StixObject.type == "malware")).one()
    return (count, latest.isoformat() if latest else None)


def _rows(session: Session) -> list[catalogue.Row]:
    rows = []
    query = (select(StixObject.id, StixObject.tlp, StixObject.owner_org_id, StixObject.data)
             .where(StixObject.type == "malware",
                    or_(StixObject.data.contains(catalogue.DEFINITION_ID),
                        StixObject.data.contains('"ransomware"'))))
    for rid, tlp, owner, data in session.execute(query):
        obj = orjson.loads(data)
        rows.append(catalogue.Row(rid, tlp is TLP.CLEAR, owner == system.REFERENCE_ORG_ID, obj))
    return rows


def index_for(session: Session) -> Index:
    """The family index of this database, built once per process and rebuilt when a
    family record changes."""
    bind = session.get_bind()
    where = str(bind.engine.url) if hasattr(bind, "engine") else str(bind)
    stamp = _stamp(session)
    cached = _cache.get(where)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get(where)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        index = Index(catalogue.build_families(_rows(session)))
        _cache[where] = (stamp, index)
        return index


def _visible_ids(session: Session, viewer: Viewer) -> Callable[[set[uuid.UUID]], set[uuid.UUID]]:
    """Which of these family records the viewer may see (one query per 500)."""
    def check(ids: set[uuid.UUID]) -> set[uuid.UUID]:
        found: set[uuid.UUID] = set()
        listed = sorted(ids)
        for start in range(0, len(listed), 500):
            found.update(session.scalars(
                select(StixObject.id).where(StixObject.id.in_(listed[start:start + 500]),
                                            access.visible(StixObject, viewer))))
        return found
    return check


def _visible_family(session: Session, viewer: Viewer, fam: Family) -> bool:
    if fam.public:
        return True
    return bool(_visible_ids(session, viewer)(set(fam.record_ids)))


# ---------------------------------------------------------------- families


@dataclass
class FamilySummary:
    key: str
    name: str
    aliases: list[str]
    extensions: list[str]
    note_names: list[str]
    notes: int


def _summary(fam: Family, allowed: set[uuid.UUID] | None = None) -> FamilySummary:
    def ok(rid: uuid.UUID | None) -> bool:
        return rid is None or (allowed is not None and rid in allowed)
    return FamilySummary(
        fam.key, fam.name, fam.aliases,
        list(dict.fromkeys(e for e, r in fam.extensions if ok(r))),
        list(dict.fromkeys(n for n, r in fam.note_names if ok(r))),
        sum(1 for n in fam.notes if ok(n.record_id)))


def list_families(session: Session, viewer: Viewer, q: str = "", *, offset: int = 0,
                  limit: int = 50) -> tuple[list[FamilySummary], int]:
    """Families the viewer may see whose name, alias, extension or note name contains
    ``q`` (case-insensitive), by name; and how many match."""
    index = index_for(session)
    needle = q.strip().casefold()[:200]
    hidden = {r for f in index.families if not f.public for r in f.record_ids}
    allowed = _visible_ids(session, viewer)(hidden) if hidden else set()
    matching = []
    for fam in index.families:
        if not fam.public and not allowed & set(fam.record_ids):
            continue
        if needle:
            hay = [fam.name, *fam.aliases, *(e for e, r in fam.extensions
                                             if r is None or r in allowed),
                   *(n for n, r in fam.note_names if r is None or r in allowed)]
            if not any(needle in h.casefold() for h in hay):
                continue
        matching.append(fam)
    matching.sort(key=lambda f: (f.name.casefold(), f.key))
    return [_summary(f, allowed) for f in matching[offset:offset + limit]], len(matching)


@dataclass
class Related:
    ref: str
    name: str
    type: str
    relationship: str
    record_id: uuid.UUID


@dataclass
class FamilyView:
    key: str
    name: str
    aliases: list[str]
    description: str
    extensions: list[str]
    note_names: list[str]
    notes: list[str]
    payment_methods: list[str]
    ransom_amounts: list[str]
    encryption: list[str]
    discovered: list[str]
    records: list[StixObject]
    actors: list[Related] = field(default_factory=list)
    techniques: list[Related] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    decryptors: list[Decryptor] = field(default_factory=list)


def _family_of(session: Session, viewer: Viewer, ref: str) -> Family:
    index = index_for(session)
    i = index.by_key.get(ref[:300])
    if i is None:
        raise NotFound()
    fam = index.families[i]
    if not _visible_family(session, viewer, fam):
        raise NotFound()
    return fam


def family(session: Session, viewer: Viewer, ref: str) -> FamilyView:
    """One family as the viewer may see it: what every visible record of it says, its
    related actors, techniques and other objects, and its decryptors."""
    fam = _family_of(session, viewer, ref)
    rows = list(session.scalars(access.select_visible(StixObject, viewer).where(
        StixObject.id.in_(fam.record_ids)).order_by(StixObject.created_at)))
    access.audit_listing(session, StixObject, rows, viewer)
    view = FamilyView(fam.key, fam.name, [], "", [], [], [], [], [], [], [], rows)
    for row in rows:
        obj = intel.as_stix(row)
        details = catalogue.details_of(obj)
        view.description = view.description or str(obj.get("description") or "")
        for target, source in (
                (view.aliases, [obj.get("name"), *(obj.get("aliases") or [])]),
                (view.extensions, details.get("file_extensions") or []),
                (view.note_names, details.get("ransom_note_filenames") or []),
                (view.notes, details.get("ransom_notes") or []),
                (view.payment_methods, [details.get("payment_method")]),
                (view.ransom_amounts, [details.get("ransom_amount")]),
                (view.encryption, [details.get("encryption")]),
                (view.discovered, [details.get("discovered")])):
            for item in source:
                if isinstance(item, str) and item.strip() and item not in target:
                    target.append(item)
    view.aliases = [a for a in view.aliases if a.casefold() != fam.name.casefold()]
    seen: set[tuple[str, str]] = set()
    for row in rows:
        for link in intel.relationships(session, viewer, row, limit=300):
            other = link.other
            if other is None or other.stix_id in fam.stix_ids:
                continue
            rel = link.kind.removeprefix("relationship:")
            key = (other.stix_id, rel)
            if key in seen:
                continue
            seen.add(key)
            item = Related(other.stix_id, other.name or other.stix_id, other.type, rel, other.id)
            if other.type in ("intrusion-set", "threat-actor", "campaign"):
                view.actors.append(item)
            elif other.type == "attack-pattern":
                view.techniques.append(item)
            else:
                view.related.append(item)
    for items in (view.actors, view.techniques, view.related):
        items.sort(key=lambda r: r.name.casefold())
    view.decryptors = decryptors_for(session, viewer, [fam.key])
    return view


# ---------------------------------------------------------------- identification


@dataclass
class ContactHit:
    kind: str
    value: str
    objects: int
    warning_lists: list[str]


@dataclass
class Identification:
    candidates: list[Candidate]
    contacts: list[ContactHit]
    used: dict[str, Any]
    families: int
    notes: int
    decryptors: dict[str, list[Decryptor]]


def contact_key(raw: str) -> tuple[str, str] | None:
    """A contact point as typed (e-mail, onion address, wallet, chat ID) → (kind, value)."""
    s = raw.strip()
    if not s or len(s) > 500:
        return None
    if "@" in s and ":" not in s and (v := normalise("email", s)):
        return "email", v
    chains = wallet_chains(s) if ":" not in s else []
    if chains and (v := normalise("wallet", s, chain=chains[0])):
        return "wallet", v
    if ":" in s and "//" not in s:
        v = normalise("wallet", s)
        if v:
            return "wallet", v
        v = normalise("social", s)
        if v:
            return "social", v
    if "//" in s:
        host = urlsplit(s).hostname or ""
        if host.endswith(".onion") and (v := normalise("domain", host)):
            return "domain", v
        if v := normalise("url", s):
            return "url", v
    if v := normalise("domain", s):
        return "domain", v
    return None


def _contacts_of_note(text: str) -> list[tuple[str, str]]:
    from cyberhub.formats.text.extract import extract

    out: list[tuple[str, str]] = []
    for cand in extract(text[:MAX_NOTE]):
        if cand.kind in ("email", "wallet"):
            out.append((cand.kind, cand.value))
        elif cand.kind == "url":
            host = urlsplit(cand.value).hostname or ""
            if host.endswith(".onion"):
                out.append(("domain", host))
        elif cand.kind == "domain" and cand.value.endswith(".onion"):
            out.append(("domain", cand.value))
    return out


def identify_family(session: Session, viewer: Viewer, *, file_name: str = "",
                    note_name: str = "", note_text: str = "",
                    contacts: list[str] | None = None, limit: int = 10) -> Identification:
    """Rank the families the viewer may see for what a victim sees, with the evidence."""
    file_name, note_name = (file_name or "").strip()[:400], (note_name or "").strip()[:400]
    note_text = (note_text or "").replace("\r\n", "\n")
    if len(note_text) > MAX_NOTE:
        raise InvalidInput(_("The ransom note must be at most %(n)d characters long; paste its "
                             "first part.") % {"n": MAX_NOTE}, details={"field": "note_text"})
    typed = [c for c in (contacts or []) if c and c.strip()][:MAX_CONTACTS]
    keys: list[tuple[str, str]] = []
    unreadable = []
    for raw in typed:
        key = contact_key(raw)
        if key is None:
            unreadable.append(raw.strip()[:100])
        elif key not in keys:
            keys.append(key)
    if note_text.strip():
        keys += [k for k in _contacts_of_note(note_text) if k not in keys]
    keys = keys[:MAX_CONTACTS]
    query = Query(file_name, note_name, note_text, keys)
    if query.empty:
        if unreadable:
            raise InvalidInput(
                _("%(value)r is not an e-mail address, onion address, wallet or chat ID "
                  "(platform:handle) the hub can read.") % {"value": unreadable[0]},
                details={"field": "contacts"})
        raise InvalidInput(
            _("Give at least one of: an encrypted file's name or extension, the ransom "
              "note's file name, the note's text, or a contact point from the note."),
            details={"field": "file_name"})
    index = index_for(session)
    hits, extra = _knowledge_base(session, viewer, index, keys)
    candidates = identify(index, query, _visible_ids(session, viewer), extra, limit=limit)
    decryptors: dict[str, list[Decryptor]] = defaultdict(list)
    for d in decryptors_for(session, viewer, [c.key for c in candidates]):
        decryptors[d.family_ref].append(d)
    used = {"file_name": file_name, "note_name": note_name,
            "note_text_chars": len(note_text), "contacts": [f"{k}:{v}" if k != "email"
                                                            and k != "domain" else v
                                                            for k, v in keys],
            "unreadable_contacts": unreadable}
    return Identification(candidates, hits, used, len(index.families), index.note_count,
                          dict(decryptors))


def _knowledge_base(session: Session, viewer: Viewer, index: Index,
                    keys: list[tuple[str, str]]) -> tuple[list[ContactHit],
                                                         dict[str, list[Evidence]]]:
    """Contact points in the hub's visible objects, and the families those objects are
    related to (directly, or through one object between, such as an actor)."""
    if not keys:
        return [], {}
    hits: list[ContactHit] = []
    extra: dict[str, list[Evidence]] = defaultdict(list)
    for corr in intel.correlate_values(session, viewer, keys, limit=50):
        hits.append(ContactHit(corr.kind, corr.value, corr.total, corr.warning_lists))
        if not corr.objects:
            continue
        label = contact_label(corr.kind)
        message = ngettext("%(kind)s %(value)s is in %(n)d visible object of this hub",
                           "%(kind)s %(value)s is in %(n)d visible objects of this hub",
                           corr.total) % {"kind": label, "value": corr.value, "n": corr.total}
        for key, strength in _families_near(session, viewer, index,
                                            {o.stix_id for o in corr.objects}).items():
            extra[key].append(Evidence("knowledge_base", message, strength))
    return hits, dict(extra)


def _neighbours(session: Session, viewer: Viewer, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    listed = sorted(ids)[:500]
    out: set[str] = set()
    for src, dst in session.execute(
            select(StixRef.source_stix_id, StixRef.target_stix_id)
            .join(StixObject, StixObject.id == StixRef.object_id)
            .where(or_(StixRef.source_stix_id.in_(listed), StixRef.target_stix_id.in_(listed)),
                   access.visible(StixObject, viewer)).limit(2000)):
        out.update((src, dst))
    return out - ids


def _families_near(session: Session, viewer: Viewer, index: Index,
                   ids: set[str]) -> dict[str, float]:
    found = {i: 1.0 for i in ids if i in index.by_key}
    first = _neighbours(session, viewer, ids)
    found.update({i: 1.0 for i in first if i in index.by_key})
    second = _neighbours(session, viewer, {i for i in first if i not in index.by_key})
    for i in second:
        if i in index.by_key:
            found.setdefault(i, 0.6)
    return found


# ---------------------------------------------------------------- decryptors


def decryptors_for(session: Session, viewer: Viewer, keys: list[str]) -> list[Decryptor]:
    if not keys:
        return []
    rows = list(session.scalars(access.select_visible(Decryptor, viewer).where(
        Decryptor.family_ref.in_(keys[:500])).order_by(Decryptor.released.desc(),
                                                        Decryptor.created_at.desc())))
    access.audit_listing(session, Decryptor, rows, viewer)
    return rows


def list_decryptors(session: Session, viewer: Viewer, *, family_ref: str | None = None,
                    offset: int = 0, limit: int = 100) -> list[Decryptor]:
    query = access.select_visible(Decryptor, viewer)
    if family_ref:
        query = query.where(Decryptor.family_ref == family_ref[:300])
    rows = list(session.scalars(query.order_by(Decryptor.family_name, Decryptor.name,
                                               Decryptor.id).offset(offset).limit(limit)))
    access.audit_listing(session, Decryptor, rows, viewer)
    return rows


def get_decryptor(session: Session, viewer: Viewer, decryptor_id: uuid.UUID | str,
                  purpose: str = "read") -> Decryptor:
    return access.load(session, Decryptor, decryptor_id, viewer, purpose=purpose)


_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def clean_url(url: str) -> str:
    """An absolute http(s) URL with a host; anything else (``javascript:``, ``data:``,
    relative paths) is refused."""
    from cyberhub.formats.stix.validate import uri_ok

    value = clean_text(url, "url", max_len=2000)
    parts = urlsplit(value)
    if not _SCHEME.match(value) or not parts.hostname or not uri_ok(value):
        raise InvalidInput(_("The link must be an http:// or https:// address, such as "
                             "https://www.nomoreransom.org/…"), details={"field": "url"})
    return value


def _clean_tlp(tlp: str | TLP) -> TLP:
    value = clean_tlp(tlp)
    if value not in DECRYPTOR_TLPS:
        raise InvalidInput(_("Decryptors are shared with the whole community: mark them "
                             "TLP:CLEAR (the default) or TLP:GREEN."), details={"field": "tlp"})
    return value


def _require_contributor(viewer: Viewer) -> None:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not add decryptors. Ask your organisation's "
                                 "admin for the analyst role."))


def create_decryptor(session: Session, viewer: Viewer, *, family_ref: str, name: str,
                     url: str, provider: str = "", notes: str = "",
                     released: date | None = None, tlp: str | TLP = TLP.CLEAR) -> Decryptor:
    _require_contributor(viewer)
    assert viewer.org_id is not None and viewer.user_id is not None
    fam = _known_family(session, viewer, family_ref)
    tlp_ = _clean_tlp(tlp)
    check_audience(session, tlp_, Audience())
    row = Decryptor(family_ref=fam.key, family_name=fam.name[:250],
                    name=clean_text(name, "name", max_len=200), url=clean_url(url),
                    provider=clean_text(provider, "provider", max_len=200, min_len=0),
                    notes=_clean_notes(notes), released=_clean_date(released), tlp=tlp_,
                    owner_org_id=viewer.org_id, created_by_id=viewer.user_id)
    session.add(row)
    session.flush()
    audit.record(session, viewer.actor, "decryptor.create", target_type="ransomware_decryptors",
                 target_id=row.id, details={"family": fam.key, "url": row.url})
    return row


def known_family(session: Session, viewer: Viewer, ref: str) -> Family:
    """A family the viewer may see, by its STIX id or its name (case-insensitive);
    InvalidInput when there is none."""
    ref = (ref or "").strip()
    if not ref.startswith("malware--"):
        wanted = ref.casefold()
        index = index_for(session)
        for fam in index.families:
            if fam.name.casefold() == wanted and _visible_family(session, viewer, fam):
                return fam
    return _known_family(session, viewer, ref)


def _known_family(session: Session, viewer: Viewer, ref: str) -> Family:
    try:
        return _family_of(session, viewer, (ref or "").strip())
    except NotFound:
        raise InvalidInput(_("No ransomware family %(ref)r is known here; choose one from the "
                             "family list.") % {"ref": (ref or "")[:100]},
                           details={"field": "family_ref"}) from None


def _clean_notes(notes: str) -> str:
    notes = (notes or "").replace("\r\n", "\n").strip()
    if len(notes) > 5000:
        raise InvalidInput(_("The notes must be at most %(n)d characters long.") % {"n": 5000},
                           details={"field": "notes"})
    return notes


def _clean_date(value: date | None) -> date | None:
    if value is not None and value > utcnow().date():
        raise InvalidInput(_("The release date must not be in the future."),
                           details={"field": "released"})
    return value


def _editable(session: Session, viewer: Viewer, decryptor_id: uuid.UUID | str,
              purpose: str) -> Decryptor:
    row = get_decryptor(session, viewer, decryptor_id, purpose=purpose)
    if not (access.can_edit(row, viewer) or (viewer.is_hub_admin and viewer.user_id)):
        raise PermissionDenied(_("Only the contributor, the admins of their organisation and "
                                 "hub admins may change this decryptor."))
    return row


def update_decryptor(session: Session, viewer: Viewer, decryptor_id: uuid.UUID | str, *,
                     family_ref: str | None = None, name: str | None = None,
                     url: str | None = None, provider: str | None = None,
                     notes: str | None = None, released: date | str | None = "",
                     tlp: str | TLP | None = None) -> Decryptor:
    """Change the fields given (``released=""`` keeps the date, ``None`` clears it)."""
    row = _editable(session, viewer, decryptor_id, "edit")
    changes: dict[str, Any] = {}
    if family_ref is not None and family_ref != row.family_ref:
        fam = _known_family(session, viewer, family_ref)
        row.family_ref, row.family_name = fam.key, fam.name[:250]
        changes["family"] = fam.key
    if name is not None:
        row.name = clean_text(name, "name", max_len=200)
    if url is not None:
        row.url = clean_url(url)
        changes["url"] = row.url
    if provider is not None:
        row.provider = clean_text(provider, "provider", max_len=200, min_len=0)
    if notes is not None:
        row.notes = _clean_notes(notes)
    if released != "":
        row.released = _clean_date(released)  # type: ignore[arg-type]
    if tlp is not None:
        row.tlp = _clean_tlp(tlp)
        changes["tlp"] = row.tlp.value
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "decryptor.update", target_type="ransomware_decryptors",
                 target_id=row.id, details=changes)
    return row


def delete_decryptor(session: Session, viewer: Viewer, decryptor_id: uuid.UUID | str) -> None:
    row = _editable(session, viewer, decryptor_id, "delete")
    audit.record(session, viewer.actor, "decryptor.delete", target_type="ransomware_decryptors",
                 target_id=row.id, details={"family": row.family_ref, "name": row.name})
    session.delete(row)
    session.flush()
