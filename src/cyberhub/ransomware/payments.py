"""Ransom payments: wallets linked to families, transactions imported from chain
explorers, and what each wallet and family received — all under the sharing rules.

Nothing here is stored as a link. Each read derives, for the viewer:

- **links** from the incidents the viewer may see (an incident of a family naming the
  wallet) and from the knowledge base (a relationship the viewer may see between a
  wallet object the viewer may see and a family the viewer may see);
- **totals** from the transactions the viewer may see (``access.select_visible``), the
  same transaction imported by two organisations counted once.

So no link, amount or wallet shows that rests on a record the viewer may not see.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_pap, clean_tlp
from cyberhub.db import new_id
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.intel.importer import value_key
from cyberhub.intel.models import ObservableValue, StixObject, StixRef
from cyberhub.intel.normalise import normalise
from cyberhub.ransomware import payment_formats as formats
from cyberhub.ransomware import service as families
from cyberhub.ransomware.models import Incident, WalletTransaction
from cyberhub.sharing import PAP, TLP, AudienceEntry

__all__ = ["MAX_UPLOAD", "FamilyPayments", "ImportResult", "Link", "Total", "WalletSummary",
           "WalletView", "family_payments", "import_payments", "list_wallets",
           "store_payments", "transactions", "wallet", "wallet_value"]

MAX_UPLOAD = 8 * 1024 * 1024  # bytes of one explorer export
WALLET_TYPE = "x-cyberhub-cryptocurrency-wallet"


# ---------------------------------------------------------------- what a page shows


@dataclass
class Evidence:
    kind: str  # "incident" or "knowledge-base"
    label: str
    incident_id: uuid.UUID | None = None
    stix_id: str | None = None  # the relationship (knowledge base)
    relationship: str | None = None


@dataclass
class Link:
    family_ref: str
    family_name: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Total:
    """What one wallet (or family) received in one asset."""

    asset: str
    decimals: int
    units: int = 0
    count: int = 0
    usd_cents: int = 0
    usd_count: int = 0  # how many of the transactions gave a USD value

    @property
    def amount(self) -> Decimal:
        return Decimal(self.units).scaleb(-self.decimals)

    @property
    def usd(self) -> Decimal | None:
        return Decimal(self.usd_cents).scaleb(-2) if self.usd_count else None

    @property
    def text(self) -> str:
        """The amount as exact decimal text without trailing zeros (``0.25``)."""
        return decimal_text(self.amount)


def decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


@dataclass
class Totals:
    by_asset: dict[str, Total] = field(default_factory=dict)
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def add(self, tx: WalletTransaction) -> None:
        total = self.by_asset.setdefault(tx.asset, Total(tx.asset, tx.decimals))
        total.units += int(tx.amount)
        total.count += 1
        if tx.usd_cents is not None:
            total.usd_cents += tx.usd_cents
            total.usd_count += 1
        self.count += 1
        if self.first_seen is None or tx.tx_time < self.first_seen:
            self.first_seen = tx.tx_time
        if self.last_seen is None or tx.tx_time > self.last_seen:
            self.last_seen = tx.tx_time

    @property
    def usd(self) -> Decimal | None:
        given = [t.usd for t in self.by_asset.values() if t.usd is not None]
        return sum(given, Decimal(0)) if given else None


@dataclass
class WalletSummary:
    wallet: str
    chain: str
    address: str
    links: list[Link]
    totals: Totals
    incidents: int = 0
    objects: int = 0


@dataclass
class WalletView(WalletSummary):
    incident_rows: list[Incident] = field(default_factory=list)
    kb_objects: list[StixObject] = field(default_factory=list)
    months: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FamilyPayments:
    family_ref: str
    family_name: str
    wallets: list[WalletSummary]
    totals: Totals


@dataclass
class ImportResult:
    format: str
    found: int  # payments in the file
    stored: int
    unchanged: int  # already imported by the organisation
    wallets: list[str]


def wallet_value(chain: str, address: str) -> str:
    """``chain:address`` normalised, or NotFound (a malformed address names nothing)."""
    value = normalise("wallet", address or "", chain=(chain or "")[:32])
    if value is None:
        raise NotFound()
    return value


def split(value: str) -> tuple[str, str]:
    chain, _sep, address = value.partition(":")
    return chain, address


# ---------------------------------------------------------------- links


def _like_wallet(value: str) -> Any:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(Incident.wallets, String).like(f'%"{escaped}"%', escape="\\")


def _visible_incidents(session: Session, viewer: Viewer, wallet: str | None = None,
                       family_ref: str | None = None) -> list[Incident]:
    """Visible incidents that name a wallet (that one, or of that family)."""
    query = access.select_visible(Incident, viewer).where(
        cast(Incident.wallets, String).not_in(["[]", "null"]))
    if wallet is not None:
        query = query.where(_like_wallet(wallet))
    if family_ref is not None:
        query = query.where(Incident.family_ref == family_ref)
    rows = [r for r in session.scalars(query.order_by(Incident.discovered.desc(), Incident.id))
            if r.wallets and (wallet is None or wallet in r.wallets)]
    return rows


def _family_names(session: Session, viewer: Viewer) -> tuple[dict[str, str], dict[str, str]]:
    """{STIX id of any family record: family key} and {family key: name}, for the
    families the viewer may see."""
    index = families.index_for(session)
    hidden = {r for f in index.families if not f.public for r in f.record_ids}
    allowed = families._visible_ids(session, viewer)(hidden) if hidden else set()
    by_stix: dict[str, str] = {}
    names: dict[str, str] = {}
    for fam in index.families:
        if not fam.public and not allowed & set(fam.record_ids):
            continue
        names[fam.key] = fam.name
        for sid in fam.stix_ids:
            by_stix.setdefault(sid, fam.key)
        by_stix.setdefault(fam.key, fam.key)
    return by_stix, names


def _wallet_objects(session: Session, viewer: Viewer,
                    values: Iterable[str] | None = None) -> dict[str, str]:
    """{STIX id: wallet value} of the visible wallet objects (carrying those values)."""
    query = (select(StixObject.stix_id, ObservableValue.value)
             .join(ObservableValue, ObservableValue.object_id == StixObject.id)
             .where(StixObject.type == WALLET_TYPE, ObservableValue.kind == "wallet",
                    access.visible(StixObject, viewer)))
    if values is not None:
        wanted = list(values)
        if not wanted:
            return {}
        query = query.where(or_(*[and_(ObservableValue.key == value_key("wallet", v),
                                       ObservableValue.value == v) for v in wanted[:500]]))
    return {sid: value for sid, value in session.execute(query)}


def _objects_with(session: Session, viewer: Viewer, value: str,
                  limit: int = 50) -> list[StixObject]:
    """The visible knowledge-base objects carrying the wallet (its SCOs, indicators…),
    newest first (as ``intel.correlate_values``, without the warning lists: no list names
    a wallet, and compiling them costs seconds on a hub's first use)."""
    rows = list(session.scalars(
        select(StixObject).join(ObservableValue, ObservableValue.object_id == StixObject.id)
        .where(ObservableValue.key == value_key("wallet", value),
               ObservableValue.kind == "wallet", ObservableValue.value == value,
               access.visible(StixObject, viewer))
        .order_by(ObservableValue.object_id.desc()).limit(limit)))
    access.audit_listing(session, StixObject, rows, viewer)
    return rows


def _kb_links(session: Session, viewer: Viewer, by_stix: dict[str, str],
              wallet: str | None = None) -> list[tuple[str, str, str, str]]:
    """(wallet value, family key, relationship type, carrier STIX id) for each visible
    relationship between a visible wallet object and a visible family. Starts from the
    visible wallet objects (by type, indexed) and follows their references (indexed both
    ways), so it never scans the relationships of the whole knowledge base."""
    objects = _wallet_objects(session, viewer, [wallet] if wallet is not None else None)
    ends = sorted(objects)
    pairs: set[tuple[str, str, str, str]] = set()
    for start in range(0, len(ends), 500):
        chunk = ends[start:start + 500]
        for src, dst, kind, carrier in session.execute(
                select(StixRef.source_stix_id, StixRef.target_stix_id, StixRef.kind,
                       StixObject.stix_id)
                .join(StixObject, StixObject.id == StixRef.object_id)
                .where(or_(StixRef.source_stix_id.in_(chunk),
                           StixRef.target_stix_id.in_(chunk)),
                       StixRef.kind.like("relationship:%"),
                       access.visible(StixObject, viewer))):
            if src in objects and dst in by_stix:
                pairs.add((objects[src], by_stix[dst], kind, carrier))
            elif dst in objects and src in by_stix:
                pairs.add((objects[dst], by_stix[src], kind, carrier))
    return [(w, fam, kind.removeprefix("relationship:"), carrier)
            for w, fam, kind, carrier in sorted(pairs)]


def _links(session: Session, viewer: Viewer, incidents: list[Incident],
           kb: list[tuple[str, str, str, str]], names: dict[str, str]
           ) -> dict[str, dict[str, Link]]:
    """{wallet: {family key: Link}} from incidents and knowledge-base relationships."""
    out: dict[str, dict[str, Link]] = defaultdict(dict)
    for inc in incidents:
        if not inc.family_ref or inc.family_ref not in names:
            continue
        for w in inc.wallets:
            link = out[w].setdefault(inc.family_ref, Link(inc.family_ref, names[inc.family_ref]))
            link.evidence.append(Evidence(
                "incident", _("incident discovered %(date)s") % {
                    "date": inc.discovered.isoformat()}, incident_id=inc.id))
    for w, fam, rel, carrier in kb:
        link = out[w].setdefault(fam, Link(fam, names[fam]))
        if not any(e.stix_id == carrier for e in link.evidence):
            link.evidence.append(Evidence(
                "knowledge-base", _("knowledge base: %(rel)s") % {"rel": rel},
                stix_id=carrier, relationship=rel))
    return out


# ---------------------------------------------------------------- transactions


def _visible_txs(session: Session, viewer: Viewer,
                 wallets: Iterable[str] | None = None) -> list[WalletTransaction]:
    """The transactions the viewer may see (of those wallets), one per (wallet, txid):
    the viewer's own organisation's copy first, then the oldest."""
    query = access.select_visible(WalletTransaction, viewer)
    if wallets is not None:
        wanted = sorted(set(wallets))
        if not wanted:
            return []
        rows: list[WalletTransaction] = []
        for start in range(0, len(wanted), 500):
            rows.extend(session.scalars(query.where(
                WalletTransaction.wallet.in_(wanted[start:start + 500]))))
    else:
        rows = list(session.scalars(query))
    rows.sort(key=lambda t: (t.owner_org_id != viewer.org_id, t.created_at, str(t.id)))
    seen: set[tuple[str, str]] = set()
    out = []
    for tx in rows:
        if (tx.wallet, tx.txid) not in seen:
            seen.add((tx.wallet, tx.txid))
            out.append(tx)
    out.sort(key=lambda t: (t.tx_time, t.txid), reverse=True)
    return out


def totals_of(txs: Iterable[WalletTransaction]) -> Totals:
    totals = Totals()
    for tx in txs:
        totals.add(tx)
    return totals


def _months(txs: Iterable[WalletTransaction]) -> list[dict[str, Any]]:
    """Received per month and asset, oldest first, amounts as decimal text."""
    cells: dict[tuple[str, str], Total] = {}
    for tx in txs:
        key = (tx.tx_time.strftime("%Y-%m"), tx.asset)
        cell = cells.setdefault(key, Total(tx.asset, tx.decimals))
        cell.units += int(tx.amount)
        cell.count += 1
    return [{"month": m, "asset": a, "amount": t.text, "count": t.count}
            for (m, a), t in sorted(cells.items())]


def transactions(session: Session, viewer: Viewer, value: str, *, offset: int = 0,
                 limit: int = 50) -> tuple[list[WalletTransaction], int]:
    """A page of a wallet's visible transactions, newest first, and how many there are."""
    txs = _visible_txs(session, viewer, [value])
    page = txs[offset:offset + limit]
    access.audit_listing(session, WalletTransaction, page, viewer)
    return page, len(txs)


# ---------------------------------------------------------------- reads


def wallet(session: Session, viewer: Viewer, chain: str, address: str) -> WalletView:
    """One wallet as the viewer may see it; NotFound when nothing visible names it."""
    value = wallet_value(chain, address)
    by_stix, names = _family_names(session, viewer)
    incidents = _visible_incidents(session, viewer, wallet=value)
    kb = _kb_links(session, viewer, by_stix, wallet=value)
    objects = _objects_with(session, viewer, value)
    txs = _visible_txs(session, viewer, [value])
    if not incidents and not objects and not txs:
        raise NotFound()
    access.audit_listing(session, Incident, incidents, viewer)
    links = _links(session, viewer, incidents, kb, names).get(value, {})
    c, a = split(value)
    return WalletView(value, c, a, sorted(links.values(), key=lambda k: k.family_name.casefold()),
                      totals_of(txs), len(incidents), len(objects), incidents,
                      objects, _months(txs))


def _summaries(session: Session, viewer: Viewer, links: dict[str, dict[str, Link]],
               incidents: list[Incident], extra: Iterable[str] = ()) -> list[WalletSummary]:
    counts: dict[str, int] = defaultdict(int)
    for inc in incidents:
        for w in inc.wallets:
            counts[w] += 1
    values = set(links) | set(counts) | set(extra)
    txs_by: dict[str, list[WalletTransaction]] = defaultdict(list)
    for tx in _visible_txs(session, viewer, values):
        txs_by[tx.wallet].append(tx)
    out = []
    for v in values:
        c, a = split(v)
        out.append(WalletSummary(v, c, a, sorted(links.get(v, {}).values(),
                                                 key=lambda k: k.family_name.casefold()),
                                 totals_of(txs_by.get(v, [])), counts.get(v, 0)))
    return out


def list_wallets(session: Session, viewer: Viewer, q: str = "", *, offset: int = 0,
                 limit: int = 50) -> tuple[list[WalletSummary], int]:
    """The wallets visible incidents or knowledge-base relationships link to a family, or
    with visible transactions; by last payment, newest first. ``q`` matches the address
    or a family's name."""
    by_stix, names = _family_names(session, viewer)
    incidents = _visible_incidents(session, viewer)
    links = _links(session, viewer, incidents, _kb_links(session, viewer, by_stix), names)
    with_txs = {w for (w,) in session.execute(
        select(WalletTransaction.wallet).where(access.visible(WalletTransaction, viewer))
        .distinct())}
    access.audit_listing(session, Incident, incidents, viewer)
    items = _summaries(session, viewer, links, incidents, with_txs)
    needle = q.strip().casefold()[:200]
    if needle:
        items = [w for w in items if needle in w.wallet.casefold()
                 or any(needle in k.family_name.casefold() for k in w.links)]
    items.sort(key=lambda w: (w.totals.last_seen is None,
                              -(w.totals.last_seen.timestamp() if w.totals.last_seen else 0),
                              w.wallet))
    return items[offset:offset + limit], len(items)


def family_payments(session: Session, viewer: Viewer, family_ref: str) -> FamilyPayments:
    """A family's wallets (linked by visible incidents or relationships) and what they
    received, as far as the viewer may see; NotFound when the family is not visible."""
    fam = families._family_of(session, viewer, family_ref)
    by_stix, names = _family_names(session, viewer)
    incidents = _visible_incidents(session, viewer, family_ref=fam.key)
    kb = [k for k in _kb_links(session, viewer, by_stix) if k[1] == fam.key]
    links = _links(session, viewer, incidents, kb, names)
    access.audit_listing(session, Incident, incidents, viewer)
    items = _summaries(session, viewer, links, incidents)
    items.sort(key=lambda w: (-w.totals.count, w.wallet))
    totals = Totals()
    for item in items:
        for asset, t in item.totals.by_asset.items():
            into = totals.by_asset.setdefault(asset, Total(asset, t.decimals))
            into.units += t.units
            into.count += t.count
            into.usd_cents += t.usd_cents
            into.usd_count += t.usd_count
        totals.count += item.totals.count
        for moment in (item.totals.first_seen, item.totals.last_seen):
            if moment is not None:
                totals.first_seen = min(totals.first_seen or moment, moment)
                totals.last_seen = max(totals.last_seen or moment, moment)
    return FamilyPayments(fam.key, fam.name, items, totals)


# ---------------------------------------------------------------- import


def import_payments(session: Session, viewer: Viewer, data: bytes, *, fmt: str | None = None,
                    chain: str = "btc", address: str | None = None,
                    tlp: str | TLP = TLP.AMBER, pap: str | None = None,
                    audience: Audience | None = None) -> ImportResult:
    """Store the payments of an explorer export for the viewer's organisation: every row
    checked first (InvalidInput naming the line, and nothing stored), transactions the
    organisation already holds left as they are."""
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not import transactions. Ask your "
                                 "organisation's admin for the analyst role."))
    assert viewer.org_id is not None and viewer.user_id is not None
    if len(data) > MAX_UPLOAD:
        raise InvalidInput(_("The file is larger than %(n)d bytes; split it.")
                           % {"n": MAX_UPLOAD}, details={"field": "file"})
    if not data.strip():
        raise InvalidInput(_("The file is empty."), details={"field": "file"})
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    pap_ = clean_pap(pap)
    fmt = fmt or formats.detect(data)
    payments = formats.parse(data, fmt, chain=chain, address=address)
    result = store_payments(session, viewer, payments, source=fmt, tlp=tlp_, pap=pap_,
                            audience=aud)
    if result.stored:
        audit.record(session, viewer.actor, "payments.import",
                     target_type="ransomware_wallet_transactions",
                     details={"format": fmt, "stored": result.stored, "tlp": tlp_.value,
                              "wallets": result.wallets[:20]})
    return result


def store_payments(session: Session, viewer: Viewer, payments: list[formats.Payment], *,
                   source: str, tlp: TLP, pap: PAP | None = None,
                   audience: Audience | None = None, is_demo: bool = False) -> ImportResult:
    """Store checked payments for the viewer's organisation, skipping those it holds."""
    assert viewer.org_id is not None and viewer.user_id is not None
    aud = audience or Audience()
    wallets = sorted({p.wallet for p in payments})
    held: set[tuple[str, str]] = set()
    for start in range(0, len(wallets), 500):
        held.update((w, t) for w, t in session.execute(
            select(WalletTransaction.wallet, WalletTransaction.txid)
            .where(WalletTransaction.owner_org_id == viewer.org_id,
                   WalletTransaction.wallet.in_(wallets[start:start + 500]))))
    stored = 0
    for p in payments:
        if (p.wallet, p.txid) in held:
            continue
        row = WalletTransaction(
            id=new_id(), wallet=p.wallet, chain=p.chain, txid=p.txid, tx_time=p.time, asset=p.asset,
            decimals=p.decimals, amount=str(p.amount), usd_cents=p.usd_cents,
            source=source, is_demo=is_demo, tlp=tlp, pap=pap,
            owner_org_id=viewer.org_id, created_by_id=viewer.user_id)
        session.add(row)
        session.add_all(
            [AudienceEntry(record_id=row.id, org_id=i) for i in aud.org_ids]
            + [AudienceEntry(record_id=row.id, group_id=i) for i in aud.group_ids]
            + [AudienceEntry(record_id=row.id, user_id=i) for i in aud.user_ids])
        held.add((p.wallet, p.txid))
        stored += 1
    session.flush()
    return ImportResult(source, len(payments), stored, len(payments) - stored, wallets)
