"""REST: wallets, their links to families, transaction imports and totals."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from cyberhub.audience import Audience
from cyberhub.community import service as community
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _
from cyberhub.ransomware import payments
from cyberhub.ransomware.models import WalletTransaction
from cyberhub.ransomware.payment_schemas import (
    EvidenceOut,
    FamilyPaymentsOut,
    ImportOut,
    LinkOut,
    TotalOut,
    TotalsOut,
    TransactionOut,
    WalletDetailOut,
    WalletListOut,
    WalletOut,
)

router = APIRouter(tags=["ransomware"])


def totals_out(t: payments.Totals) -> TotalsOut:
    return TotalsOut(
        received=[TotalOut(asset=x.asset, decimals=x.decimals, amount=x.text,
                           units=str(x.units), count=x.count,
                           usd=payments.decimal_text(x.usd) if x.usd is not None else None,
                           usd_count=x.usd_count)
                  for x in sorted(t.by_asset.values(), key=lambda x: x.asset)],
        count=t.count, first_seen=t.first_seen, last_seen=t.last_seen)


def links_out(links: list[payments.Link]) -> list[LinkOut]:
    return [LinkOut(family_ref=k.family_ref, family_name=k.family_name, evidence=[
        EvidenceOut(kind=e.kind, incident_id=e.incident_id, relationship_ref=e.stix_id,
                    relationship=e.relationship) for e in k.evidence]) for k in links]


def wallet_out(w: payments.WalletSummary) -> WalletOut:
    return WalletOut(wallet=w.wallet, chain=w.chain, address=w.address,
                     families=links_out(w.links), totals=totals_out(w.totals),
                     incidents=w.incidents)


def transaction_out(t: WalletTransaction) -> TransactionOut:
    amount = payments.Total(t.asset, t.decimals, int(t.amount)).text
    return TransactionOut(id=t.id, txid=t.txid, time=t.tx_time, asset=t.asset,
                          amount=amount, units=t.amount,
                          usd=payments.Total("USD", 2, t.usd_cents).text
                          if t.usd_cents is not None else None,
                          source=t.source, tlp=t.tlp, owner_org_id=t.owner_org_id,
                          is_demo=t.is_demo)


@router.get("/wallets", response_model=WalletListOut)
def list_wallets(ctx: ApiCtx, q: Annotated[str, Query(max_length=200)] = "",
                 offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> WalletListOut:
    items, total = payments.list_wallets(ctx.session, ctx.viewer, q, offset=offset,
                                         limit=limit)
    return WalletListOut(items=[wallet_out(w) for w in items], total=total)


@router.get("/wallets/{chain}/{address}", response_model=WalletDetailOut)
def get_wallet(chain: str, address: str, ctx: ApiCtx,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> WalletDetailOut:
    w = payments.wallet(ctx.session, ctx.viewer, chain, address)
    txs, count = payments.transactions(ctx.session, ctx.viewer, w.wallet, offset=offset,
                                       limit=limit)
    return WalletDetailOut(
        **wallet_out(w).model_dump(), incident_ids=[i.id for i in w.incident_rows],
        objects=[o.stix_id for o in w.kb_objects],
        transactions=[transaction_out(t) for t in txs], transactions_total=count,
        months=w.months)


@router.get("/families/{ref}/payments", response_model=FamilyPaymentsOut)
def family_payments(ref: str, ctx: ApiCtx) -> FamilyPaymentsOut:
    f = payments.family_payments(ctx.session, ctx.viewer, ref)
    return FamilyPaymentsOut(family_ref=f.family_ref, family_name=f.family_name,
                             totals=totals_out(f.totals),
                             wallets=[wallet_out(w) for w in f.wallets])


def _org(ctx: ApiCtx, ref: str) -> uuid.UUID:
    found = community.find_organisation(ctx.session, ref)
    if found is None:
        try:
            found = community.get_organisation(ctx.session, ctx.viewer, ref)
        except NotFound:
            raise InvalidInput(_("No organisation %(ref)r for the audience.") % {"ref": ref},
                               details={"field": "audience"}) from None
    return found.id


@router.post("/payments/import", response_model=ImportOut, status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}},
                 "application/json": {"schema": {"type": "array"}}}}})
async def import_payments(
    request: Request, ctx: ApiCtx,
    format: Annotated[str | None, Query(
        max_length=20, description="etherscan-csv, esplora-json or generic-csv; "
        "found from the file when not given.")] = None,
    chain: Annotated[str, Query(max_length=16, description="Chain of an Esplora export.")]
    = "btc",
    wallet: Annotated[str | None, Query(
        max_length=300, description="The address an explorer export is about.")] = None,
    tlp: Annotated[str, Query(max_length=16)] = "AMBER",
    pap: Annotated[str | None, Query(max_length=16)] = None,
    audience: Annotated[list[str] | None, Query(
        max_length=500, description="Recipient organisation ids or names (repeat).")] = None,
) -> ImportOut:
    """Upload an explorer export as the request body (at most 8 MiB); every row is
    checked before anything is stored."""
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > payments.MAX_UPLOAD:
            break
    aud = Audience(org_ids=[_org(ctx, a) for a in audience or []])
    r = payments.import_payments(ctx.session, ctx.viewer, bytes(data), fmt=format or None,
                                 chain=chain, address=wallet, tlp=tlp, pap=pap or None,
                                 audience=aud)
    return ImportOut(format=r.format, found=r.found, stored=r.stored, unchanged=r.unchanged,
                     wallets=r.wallets)
