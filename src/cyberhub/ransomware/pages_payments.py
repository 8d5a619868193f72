"""Web pages: wallets linked to families, one wallet's payments, and the import of
chain-explorer exports."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from cyberhub import access, i18n
from cyberhub.audience import Audience
from cyberhub.community import service as community
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.ransomware import payment_formats, payments
from cyberhub.ransomware.models import WalletTransaction
from cyberhub.web.common import MemberCtx, on_error, page, view

router = APIRouter()  # under /ransomware (pages.py includes it)

PAGE_SIZE = 50
TX_PAGE = 50


def _tx_view(t: WalletTransaction, orgs: dict[uuid.UUID, str]) -> SimpleNamespace:
    return view(t, "txid", "tx_time", "asset", "tlp", "source", "is_demo",
                amount=payments.Total(t.asset, t.decimals, int(t.amount)).text,
                usd=i18n.format_money(payments.Total("USD", 2, t.usd_cents).amount, "USD", 2)
                if t.usd_cents is not None else None,
                owner=orgs.get(t.owner_org_id, ""))


def _orgs(ctx: Ctx) -> dict[uuid.UUID, str]:
    return {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}


@router.get("/wallets")
def wallets(ctx: MemberCtx, q: Annotated[str, Query(max_length=200)] = "",
            page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1) -> Response:
    items, total = payments.list_wallets(ctx.session, ctx.viewer, q,
                                         offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)

    def link(n: int) -> str:
        return "/ransomware/wallets?" + urlencode({"q": q, "page": n})
    return page(ctx, "ransomware/wallets.html", {
        "wallets": items, "total": total, "q": q,
        "newer": link(page_no - 1) if page_no > 1 else None,
        "older": link(page_no + 1) if page_no * PAGE_SIZE < total else None,
        "can_import": access.can_contribute(ctx.viewer)})


@router.get("/wallets/{chain}/{address}")
def wallet(ctx: MemberCtx, chain: str, address: str,
           page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> Response:
    w = payments.wallet(ctx.session, ctx.viewer, chain, address)
    txs, count = payments.transactions(ctx.session, ctx.viewer, w.wallet,
                                       offset=(page_no - 1) * TX_PAGE, limit=TX_PAGE)
    orgs = _orgs(ctx)
    base = f"/ransomware/wallets/{w.chain}/{w.address}?page="
    return page(ctx, "ransomware/wallet.html", {
        "w": w, "transactions": [_tx_view(t, orgs) for t in txs], "tx_count": count,
        "incidents": [view(i, "id", "discovered", "family_ref", "family_name", "tlp",
                           "is_demo", owner=orgs.get(i.owner_org_id, ""))
                      for i in w.incident_rows],
        "objects": [view(o, "id", "stix_id", "type", "name", "tlp") for o in w.kb_objects],
        "chart": {"months": w.months},
        "newer": f"{base}{page_no - 1}" if page_no > 1 else None,
        "older": f"{base}{page_no + 1}" if page_no * TX_PAGE < count else None,
        "can_import": access.can_contribute(ctx.viewer)})


# ---------------------------------------------------------------- import


def _import_context(ctx: Ctx, values: dict[str, Any], result: Any = None) -> dict[str, Any]:
    return {"form": SimpleNamespace(**values), "result": result,
            "formats": payment_formats.FORMATS, "max_upload": payments.MAX_UPLOAD,
            "assets": sorted(payment_formats.ASSET_DECIMALS),
            "orgs": [SimpleNamespace(id=str(o.id), label=o.name)
                     for o in community.list_organisations(ctx.session, ctx.viewer)
                     if o.id != ctx.viewer.org_id],
            "can_import": access.can_contribute(ctx.viewer)}


def _defaults(wallet: str = "") -> dict[str, Any]:
    return {"format": "", "chain": "btc", "wallet": wallet, "tlp": "AMBER", "org_ids": []}


@router.get("/payments/import")
def import_form(ctx: MemberCtx,
                wallet: Annotated[str, Query(max_length=300)] = "") -> Response:
    return page(ctx, "ransomware/payments_import.html", _import_context(ctx, _defaults(wallet)))


@router.post("/payments/import")
async def import_payments(
        ctx: MemberCtx, file: Annotated[UploadFile, File()],
        format: Annotated[str, Form(max_length=20)] = "",
        chain: Annotated[str, Form(max_length=16)] = "btc",
        wallet: Annotated[str, Form(max_length=300)] = "",
        tlp: Annotated[str, Form(max_length=16)] = "AMBER",
        org_ids: Annotated[list[str], Form(max_length=50)] = []  # noqa: B006
) -> Response:
    values = {"format": format, "chain": chain, "wallet": wallet, "tlp": tlp,
              "org_ids": org_ids}
    on_error(ctx, "ransomware/payments_import.html", _import_context(ctx, values))
    data = await file.read(payments.MAX_UPLOAD + 1)
    try:
        aud = Audience(org_ids=[uuid.UUID(i) for i in org_ids if i])
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None
    result = payments.import_payments(ctx.session, ctx.viewer, data, fmt=format or None,
                                      chain=chain, address=wallet or None, tlp=tlp,
                                      audience=aud)
    return page(ctx, "ransomware/payments_import.html",
                _import_context(ctx, values, result), status_code=201)
