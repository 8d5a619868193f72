"""Chain-explorer exports → the payments each wallet received.

Three formats, read whole and checked row by row before anything is stored (the first
wrong row refuses the file with a message naming its line):

``etherscan-csv``
    The "Download CSV Export" of a normal-transactions list on Etherscan and the other
    EVM explorers built on it (BscScan, PolygonScan…): ``Txhash`` (or ``Transaction
    Hash``), ``UnixTimestamp``, ``DateTime (UTC)``, ``From``, ``To``,
    ``Value_IN(ETH)``, ``Value_OUT(ETH)``, ``Historical $Price/Eth``, ``Status``…
    A row is a payment to the wallet when ``To`` is the wallet and ``Value_IN`` is more
    than zero; failed transactions (``Status`` other than empty or ``Success``…) moved
    nothing and are skipped.
``esplora-json``
    The JSON list of ``GET /api/address/:address/txs`` on an Esplora server
    (mempool.space, blockstream.info): ``txid``, ``status.block_time``,
    ``vin[].prevout.scriptpubkey_address``, ``vout[].scriptpubkey_address`` and
    ``vout[].value`` in satoshi. The wallet received, in a transaction that it did not
    fund itself, the sum of the outputs paying it; transactions it spends from (its
    change coming back) are not payments received. Unconfirmed ones are skipped.
``generic-csv``
    ``chain,address,txid,time,amount,asset[,usd]`` with a header: ``amount`` in whole
    units of ``asset`` (``0.25`` BTC), ``time`` ISO 8601 with a zone (``2026-03-14T10:00:00Z``)
    or Unix seconds, ``usd`` optional (the value in US dollars when received).

Amounts are exact: :class:`decimal.Decimal` read from the text, stored as integers in
the asset's smallest unit (never a float).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel.normalise import normalise, wallet_chains

__all__ = ["ASSET_DECIMALS", "FORMATS", "MAX_ROWS", "Payment", "detect", "parse"]

FORMATS = ("etherscan-csv", "esplora-json", "generic-csv")
MAX_ROWS = 50_000  # rows (transactions) in one file
MAX_AMOUNT_UNITS = 10**40  # no ransom is worth 10^22 ETH: such an amount is a typo
EARLIEST = datetime(2009, 1, 3, tzinfo=UTC)  # the Bitcoin genesis block
# Decimals of the assets a generic CSV may name (their smallest units).
ASSET_DECIMALS = {"BTC": 8, "LTC": 8, "BCH": 8, "ETH": 18, "XMR": 12, "TRX": 6,
                  "USDT": 6, "USDC": 6, "BNB": 18, "MATIC": 18, "POL": 18, "DAI": 18}
# The asset native to each chain (an Esplora export is in its chain's coin).
NATIVE_ASSET = {"btc": "BTC", "ltc": "LTC", "bch": "BCH", "eth": "ETH", "xmr": "XMR",
                "trx": "TRX"}
_HEX64 = re.compile(r"(?:0x)?[0-9a-fA-F]{64}")
_TXID_OTHER = re.compile(r"[A-Za-z0-9]{16,128}")
_VALUE_IN = re.compile(r"value_in\s*\(([a-z0-9]{1,10})\)", re.IGNORECASE)
_FAILED = re.compile(r"error|fail|revert", re.IGNORECASE)


@dataclass(frozen=True)
class Payment:
    """One payment a wallet received in one transaction (amounts to the same wallet in
    one transaction are added up)."""

    wallet: str  # chain:address, normalised
    txid: str
    time: datetime
    asset: str
    decimals: int
    amount: int  # smallest units
    usd_cents: int | None
    line: int  # where it was in the file (1 = the first line)

    @property
    def chain(self) -> str:
        return self.wallet.partition(":")[0]


def _bad(line: int | None, message: str) -> InvalidInput:
    text = (_("Line %(line)d: %(message)s") % {"line": line, "message": message}
            if line is not None else message)
    return InvalidInput(text, details={"field": "file", "line": line})


# ---------------------------------------------------------------- values


def clean_address(chain: str, raw: str, line: int | None) -> str:
    """``chain:address`` normalised by the knowledge base's wallet rules, or an error."""
    raw = (raw or "").strip()
    value = normalise("wallet", raw, chain=chain) if chain else None
    if value is None and not chain:
        chains = wallet_chains(raw)
        value = normalise("wallet", raw, chain=chains[0]) if chains else None
    if value is None:
        raise _bad(line, _("%(value)r is not a valid %(chain)s address.")
                   % {"value": raw[:100], "chain": chain or _("wallet")})
    return value


def clean_txid(chain: str, raw: str, line: int | None) -> str:
    s = (raw or "").strip()
    if chain in ("btc", "ltc", "bch", "eth", "trx", "xmr"):
        if not _HEX64.fullmatch(s):
            raise _bad(line, _("%(value)r is not a transaction id (64 hexadecimal digits).")
                       % {"value": s[:100]})
        s = s.lower()
        if chain == "eth":
            return s if s.startswith("0x") else "0x" + s
        return s.removeprefix("0x")
    if not _TXID_OTHER.fullmatch(s):
        raise _bad(line, _("%(value)r is not a transaction id.") % {"value": s[:100]})
    return s


def to_units(raw: str, decimals: int, line: int | None, what: str | None = None) -> int:
    """A decimal amount in whole units (``"1.5"``) → the integer in smallest units."""
    what = what or _("amount")
    s = (raw or "").strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise _bad(line, _("The %(what)s %(value)r is not a number.")
                   % {"what": what, "value": raw[:40]}) from None
    if not value.is_finite():
        raise _bad(line, _("The %(what)s %(value)r is not a number.")
                   % {"what": what, "value": raw[:40]})
    if value < 0:
        raise _bad(line, _("The %(what)s must not be negative.") % {"what": what})
    units = value.scaleb(decimals)
    if units != units.to_integral_value():
        raise _bad(line, _("The %(what)s %(value)r has more than %(n)d decimal places.")
                   % {"what": what, "value": raw[:40], "n": decimals})
    result = int(units)
    if result >= MAX_AMOUNT_UNITS:
        raise _bad(line, _("The %(what)s %(value)r is too large; check it.")
                   % {"what": what, "value": raw[:40]})
    return result


def _usd_cents(raw: Decimal | str | None, line: int | None) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(
            raw.strip().replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise _bad(line, _("The USD value %(value)r is not a number.")
                   % {"value": str(raw)[:40]}) from None
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 15:
        raise _bad(line, _("The USD value %(value)r is not a positive amount.")
                   % {"value": str(raw)[:40]})
    return int((value * 100).to_integral_value())


def _check_time(moment: datetime, line: int | None) -> datetime:
    if moment < EARLIEST or moment > datetime.now(UTC) + timedelta(days=1):
        raise _bad(line, _("The time %(value)s is not between 2009-01-03 and now.")
                   % {"value": moment.isoformat()})
    return moment


def parse_time(raw: str | int, line: int | None) -> datetime:
    """Unix seconds, or ISO 8601 with a time zone (``Z`` or ``+00:00``)."""
    s = str(raw).strip()
    if s.isdigit():
        try:
            return _check_time(datetime.fromtimestamp(int(s), UTC), line)
        except (OverflowError, OSError, ValueError):
            raise _bad(line, _("The time %(value)r is not a date.") % {"value": s[:40]}) from None
    try:
        moment = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad(line, _("The time %(value)r is not a date such as 2026-03-14T10:00:00Z.")
                   % {"value": s[:40]}) from None
    if moment.tzinfo is None:
        raise _bad(line, _("The time %(value)r has no time zone; add Z for UTC.")
                   % {"value": s[:40]})
    return _check_time(moment.astimezone(UTC), line)


# ---------------------------------------------------------------- reading


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad(None, _("The file is not UTF-8 text.")) from None


def detect(data: bytes) -> str:
    """Which of the formats a file is, from its first bytes."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"[", b"{")):
        return "esplora-json"
    first = head.split(b"\n", 1)[0].lower()
    if b"txhash" in first or b"transaction hash" in first or b"value_in" in first:
        return "etherscan-csv"
    if b"chain" in first and b"txid" in first:
        return "generic-csv"
    raise _bad(None, _("The file is not one of the formats accepted: an Etherscan CSV export, "
                       "an Esplora (mempool.space, blockstream.info) transactions JSON, or "
                       "the generic CSV (chain,address,txid,time,amount,asset,usd)."))


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """CSV records as {lower-cased header: value}, with the line each starts on."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise _bad(None, _("The file is empty.")) from None
    except csv.Error as exc:
        raise _bad(1, str(exc)) from None
    count = 0
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _bad(line, _("The CSV cannot be read: %(error)s") % {"error": str(exc)}) from None
        if not any(v.strip() for v in record):
            continue
        count += 1
        if count > MAX_ROWS:
            raise _bad(line, _("The file has more than %(n)d rows; split it.") % {"n": MAX_ROWS})
        if len(record) > len(header):
            raise _bad(line, _("The row has more fields than the header."))
        yield line, dict(zip(header, (v.strip() for v in record), strict=False))


def _column(header: dict[str, str], *names: str) -> str | None:
    for name in names:
        if name in header:
            return name
    return None


def _etherscan(text: str, address: str | None) -> list[Payment]:
    rows = list(_rows(text))
    if not rows:
        return []
    keys = rows[0][1]
    txcol = _column(keys, "txhash", "transaction hash", "txn hash", "hash")
    incol = next((k for k in keys if _VALUE_IN.fullmatch(k)), None)
    if txcol is None or incol is None or "to" not in keys:
        raise _bad(1, _("An Etherscan export needs the columns Txhash, To and Value_IN(ETH)."))
    asset = _VALUE_IN.fullmatch(incol).group(1).upper()  # type: ignore[union-attr]
    decimals = ASSET_DECIMALS.get(asset, 18)  # every EVM chain's coin has 18
    pricecol = next((k for k in keys if k.startswith("historical $price")), None)
    wallet = clean_address("eth", address, None) if address else _common_eth(rows)
    out = []
    for line, row in rows:
        to_raw = row.get("to", "")
        to = clean_address("eth", to_raw, line) if to_raw else None
        from_raw = row.get("from", "")
        if from_raw:
            clean_address("eth", from_raw, line)
        txid = clean_txid("eth", row.get(txcol, ""), line)
        moment = (parse_time(row["unixtimestamp"], line) if row.get("unixtimestamp")
                  else parse_time(row.get("datetime (utc)", "").replace(" ", "T") + "Z", line))
        units = to_units(row.get(incol, "") or "0", decimals, line, _("Value_IN"))
        if to != wallet or units == 0 or _FAILED.search(row.get("status", "")) \
                or row.get("errcode", ""):
            continue
        usd = None
        if pricecol and row.get(pricecol):
            price = _usd_cents(row[pricecol], line)
            if price is not None:
                usd = int((Decimal(units) * price / Decimal(10) ** decimals)
                          .to_integral_value())
        out.append(Payment(wallet, txid, moment, asset, decimals, units, usd, line))
    return out


def _common_eth(rows: list[tuple[int, dict[str, str]]]) -> str:
    """The address an export is about: the one in every row (From or To)."""
    common: set[str] | None = None
    for _line, row in rows:
        here = {v for k in ("from", "to")
                if (v := normalise("wallet", row.get(k, ""), chain="eth")) is not None}
        common = here if common is None else common & here
    found = sorted(c for c in (common or set()) if c)
    if len(found) != 1:
        raise _bad(None, _("Say which address the export is about (the wallet field)."))
    return found[0]


def _esplora(text: str, chain: str, address: str | None) -> list[Payment]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _bad(None, _("The file is not valid JSON: %(error)s") % {"error": str(exc)[:200]}
                   ) from None
    if not isinstance(data, list):
        raise _bad(None, _("An Esplora export is a JSON list of transactions."))
    if len(data) > MAX_ROWS:
        raise _bad(None, _("The file has more than %(n)d transactions; split it.")
                   % {"n": MAX_ROWS})
    asset = NATIVE_ASSET.get(chain, chain.upper())
    decimals = ASSET_DECIMALS.get(asset, 8)
    txs = [_esplora_tx(i + 1, tx, chain) for i, tx in enumerate(data)]
    if address:
        wallet = clean_address(chain, address, None)
    else:
        common: set[str] | None = None
        for _n, _txid, _t, ins, outs in txs:
            here = set(ins) | set(outs)
            common = here if common is None else common & here
        found = sorted(common or set())
        if len(found) != 1:
            raise _bad(None, _("Say which address the export is about (the wallet field)."))
        wallet = found[0]
    out = []
    for n, txid, moment, ins, outs in txs:
        if moment is None or wallet in ins or not outs.get(wallet):
            continue
        out.append(Payment(wallet, txid, moment, asset, decimals, outs[wallet], None, n))
    return out


def _esplora_tx(n: int, tx: Any, chain: str
                ) -> tuple[int, str, datetime | None, set[str], dict[str, int]]:
    """(number, txid, block time or None, input addresses, {output address: value})."""
    if not isinstance(tx, dict):
        raise _bad(n, _("Transaction %(n)d is not a JSON object.") % {"n": n})
    txid = clean_txid(chain, str(tx.get("txid", "")), n)
    status = tx.get("status") or {}
    moment = None
    if isinstance(status, dict) and status.get("confirmed", True) and \
            status.get("block_time") is not None:
        bt = status["block_time"]
        if not isinstance(bt, int) or isinstance(bt, bool):
            raise _bad(n, _("Transaction %(txid)s: block_time must be Unix seconds.")
                       % {"txid": txid})
        moment = parse_time(bt, n)
    ins: set[str] = set()
    for vin in tx.get("vin") or []:
        prev = vin.get("prevout") if isinstance(vin, dict) else None
        addr = prev.get("scriptpubkey_address") if isinstance(prev, dict) else None
        if addr:
            ins.add(clean_address(chain, str(addr), n))
    outs: dict[str, int] = {}
    for vout in tx.get("vout") or []:
        if not isinstance(vout, dict):
            raise _bad(n, _("Transaction %(txid)s: an output is not a JSON object.")
                       % {"txid": txid})
        value = vout.get("value")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 \
                or value >= MAX_AMOUNT_UNITS:
            raise _bad(n, _("Transaction %(txid)s: an output's value must be a whole number of "
                            "satoshi.") % {"txid": txid})
        addr = vout.get("scriptpubkey_address")
        if addr:  # OP_RETURN and bare scripts have none
            key = clean_address(chain, str(addr), n)
            outs[key] = outs.get(key, 0) + value
    return n, txid, moment, ins, outs


def _generic(text: str) -> list[Payment]:
    out: list[Payment] = []
    for line, row in _rows(text):
        missing = [c for c in ("chain", "address", "txid", "time", "amount", "asset")
                   if c not in row]
        if missing:
            raise _bad(1, _("The generic CSV needs the columns chain, address, txid, time, "
                            "amount, asset (and optionally usd); missing: %(cols)s")
                       % {"cols": ", ".join(missing)})
        wallet = clean_address(row["chain"].lower(), row["address"], line)
        chain = wallet.partition(":")[0]
        asset = row["asset"].strip().upper()
        if asset not in ASSET_DECIMALS:
            raise _bad(line, _("Unknown asset %(value)r; use one of: %(assets)s")
                       % {"value": asset[:20], "assets": ", ".join(ASSET_DECIMALS)})
        decimals = ASSET_DECIMALS[asset]
        units = to_units(row["amount"], decimals, line)
        out.append(Payment(wallet, clean_txid(chain, row["txid"], line),
                           parse_time(row["time"], line), asset, decimals, units,
                           _usd_cents(row.get("usd"), line), line))
    return out


def parse(data: bytes, fmt: str | None = None, *, chain: str = "btc",
          address: str | None = None) -> list[Payment]:
    """Every payment in an export, checked; InvalidInput naming the first wrong line.

    ``chain`` is the chain of an Esplora export (``btc`` or ``ltc``); ``address`` the
    wallet an Etherscan or Esplora export is about (found by itself when every row names
    it). Payments to the same wallet in the same transaction are one."""
    fmt = fmt or detect(data)
    if fmt not in FORMATS:
        raise InvalidInput(_("Unknown format %(value)r; use one of: %(formats)s")
                           % {"value": fmt[:40], "formats": ", ".join(FORMATS)},
                           details={"field": "format"})
    text = _text(data)
    address = (address or "").strip() or None
    if fmt == "etherscan-csv":
        payments = _etherscan(text, address)
    elif fmt == "esplora-json":
        c = (chain or "btc").strip().lower()
        if c not in ("btc", "ltc", "bch"):
            raise InvalidInput(_("An Esplora export is of btc, ltc or bch."),
                               details={"field": "chain"})
        payments = _esplora(text, c, address)
    else:
        payments = _generic(text)
    merged: dict[tuple[str, str], Payment] = {}
    for p in payments:
        seen = merged.get((p.wallet, p.txid))
        if seen is None:
            merged[(p.wallet, p.txid)] = p
        elif (seen.amount, seen.asset, seen.time) != (p.amount, p.asset, p.time):
            raise _bad(p.line, _("Transaction %(txid)s to %(wallet)s is also on line %(other)d "
                                 "with another amount or time.")
                       % {"txid": p.txid, "wallet": p.wallet, "other": seen.line})
    return list(merged.values())
