"""Importing chain-explorer exports: each format → stored payments, de-duplication, and
every kind of bad input refused whole (nothing stored); over HTTP, on both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cyberhub.audit import AuditEntry
from cyberhub.db import Database
from cyberhub.ransomware.demo_payments import btc_address, eth_address
from cyberhub.ransomware.models import WalletTransaction
from cyberhub.sharing import AudienceEntry
from tests.factories import Community, bearer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ransomware" / "payments"
ETH_WALLET = "eth:" + eth_address("fixture wallet")
BTC_WALLET = "btc:" + btc_address("fixture btc wallet")
TRX_WALLET = "trx:TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
TXID = "ab" * 32


class Importer:
    def __init__(self, client: TestClient, database: Database, community: Community) -> None:
        self.client, self.database = client, database
        self.alpha = community.org("Alpha")
        self.bravo = community.org("Bravo")
        self.tokens = {
            "alpha": community.token(community.user(self.alpha, email="a@x.example"), "write"),
            "bravo": community.token(community.user(self.bravo, email="b@x.example"), "write"),
            "reader": community.token(community.user(self.alpha, role="reader",
                                                     email="r@x.example"), "write")}

    def post(self, data: bytes | str, who: str = "alpha", **params: Any) -> Any:
        body = data.encode() if isinstance(data, str) else data
        return self.client.post("/api/v1/ransomware/payments/import", content=body,
                                params=params, headers=bearer(self.tokens[who]))

    def rows(self) -> list[WalletTransaction]:
        with self.database.transaction() as s:
            return list(s.scalars(select(WalletTransaction).order_by(WalletTransaction.tx_time)))

    def count(self, model: Any = WalletTransaction) -> int:
        with self.database.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def importer(client, families, community) -> Importer:  # type: ignore[no-untyped-def]
    return Importer(client, families, community)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_etherscan_csv_stores_the_payments_received(importer: Importer) -> None:
    r = importer.post(fixture("etherscan.csv"))
    assert r.status_code == 201, r.text
    assert r.json() == {"format": "etherscan-csv", "found": 2, "stored": 2, "unchanged": 0,
                        "wallets": [ETH_WALLET]}
    rows = importer.rows()
    # The outgoing transfer and the failed one are not payments received.
    assert [(t.wallet, t.asset, t.amount, t.usd_cents) for t in rows] == [
        (ETH_WALLET, "ETH", "12500000000000000000", 4250150),  # 12.5 ETH at $3,400.12
        (ETH_WALLET, "ETH", "123456789012345678", 48772)]  # all 18 decimals kept exactly
    assert rows[0].tx_time.isoformat() == "2024-03-01T00:00:00+00:00"
    assert rows[0].txid.startswith("0x") and len(rows[0].txid) == 66
    assert all(t.tlp.value == "AMBER" and t.source == "etherscan-csv" for t in rows)
    assert rows[0].owner_org_id == importer.alpha.id
    with importer.database.transaction() as s:
        assert "payments.import" in s.scalars(select(AuditEntry.action)).all()


def test_esplora_json_counts_outputs_to_the_wallet_not_its_change(importer: Importer) -> None:
    r = importer.post(fixture("esplora.json"))
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "esplora-json" and r.json()["wallets"] == [BTC_WALLET]
    rows = importer.rows()
    # tx 1: 2.5 BTC; tx 2: two outputs to the wallet added up; tx 3 spends from it (its
    # change is not a payment); tx 4 is unconfirmed.
    assert [(t.amount, t.asset, t.decimals) for t in rows] == [
        ("250000000", "BTC", 8), ("50000", "BTC", 8)]
    assert rows[0].tx_time.isoformat() == "2024-02-15T12:26:40+00:00"


def test_generic_csv_with_several_chains_and_usd(importer: Importer) -> None:
    r = importer.post(fixture("generic.csv"), tlp="GREEN")
    assert r.status_code == 201, r.text
    assert r.json()["stored"] == 4
    assert sorted(r.json()["wallets"]) == sorted([BTC_WALLET, ETH_WALLET, TRX_WALLET])
    got = {(t.wallet, t.asset, t.amount, t.usd_cents) for t in importer.rows()}
    assert got == {(BTC_WALLET, "BTC", "50000000", 3050000),
                   (BTC_WALLET, "BTC", "125000000", None),
                   (ETH_WALLET, "ETH", "2000000000000000000", 620050),
                   (TRX_WALLET, "USDT", "1500000000", 150000)}
    eth = next(t for t in importer.rows() if t.asset == "ETH")
    assert eth.tx_time.isoformat() == "2024-05-03T10:00:00+00:00"  # +02:00 → UTC


def test_re_importing_changes_nothing_but_another_org_keeps_its_own_copy(
        importer: Importer) -> None:
    assert importer.post(fixture("esplora.json")).json()["stored"] == 2
    before = [(t.id, t.amount) for t in importer.rows()]
    again = importer.post(fixture("esplora.json")).json()
    assert again["stored"] == 0 and again["unchanged"] == 2
    assert [(t.id, t.amount) for t in importer.rows()] == before
    # The same transaction with another amount is still the same transaction.
    changed = (f"chain,address,txid,time,amount,asset\nbtc,{BTC_WALLET[4:]},"
               f"{importer.rows()[0].txid},2024-02-15T12:26:40Z,9,BTC\n")
    assert importer.post(changed).json()["stored"] == 0
    assert [(t.id, t.amount) for t in importer.rows()] == before
    assert importer.post(fixture("esplora.json"), who="bravo").json()["stored"] == 2
    assert importer.count() == 4


def test_the_audience_is_written_for_each_transaction(importer: Importer) -> None:
    r = importer.post(fixture("esplora.json"), audience=[str(importer.bravo.id)])
    assert r.status_code == 201, r.text
    with importer.database.transaction() as s:
        entries = s.scalars(select(AudienceEntry.org_id)).all()
    assert entries == [importer.bravo.id, importer.bravo.id]


GENERIC = "chain,address,txid,time,amount,asset,usd\n"
GOOD = f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,0.5,BTC,100\n"


@pytest.mark.parametrize(("body", "params", "needle"), [
    (GENERIC + GOOD + f"btc,1BoatSLRHtKNngkdXEeobR76b53LETtpyU,{'cd' * 32},"
     "2024-05-01T10:00:00Z,1,BTC,\n", {}, "Line 3"),  # checksum wrong
    (GENERIC + GOOD + f"eth,0x1234,{'cd' * 32},2024-05-01T10:00:00Z,1,ETH,\n", {}, "Line 3"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,-1,BTC,\n", {}, "negative"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,abc,BTC,\n", {},
     "not a number"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,0.123456789,BTC,\n", {},
     "decimal places"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,NaN,BTC,\n", {},
     "not a number"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-02-30T10:00:00Z,1,BTC,\n", {}, "Line 2"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01 10:00:00,1,BTC,\n", {}, "time zone"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2999-01-01T00:00:00Z,1,BTC,\n", {}, "Line 2"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},nothex,2024-05-01T10:00:00Z,1,BTC,\n", {},
     "transaction id"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,1,DOGECOIN,\n", {},
     "Unknown asset"),
    (GENERIC + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,1,BTC,lots\n", {}, "USD"),
    (GENERIC + GOOD + f"btc,{BTC_WALLET[4:]},{TXID},2024-05-01T10:00:00Z,0.7,BTC,\n", {},
     "also on line 2"),
    ("chain,address,txid\nbtc,x,y\n", {}, "missing"),
    ("hello world\n", {}, "formats accepted"),
    ("", {}, "empty"),
    ("[{\"txid\": 5}]", {}, "transaction id"),
    ('[{"txid": "' + TXID + '", "status": {"block_time": 1709000000}, "vin": [], '
     '"vout": [{"scriptpubkey_address": "' + BTC_WALLET[4:] + '", "value": 1.5}]}]', {},
     "satoshi"),
    ("[1, 2", {}, "JSON"),
    (GENERIC + GOOD, {"format": "bitcoin-core"}, "Unknown format"),
    ("\xff\xfe".encode("latin-1").decode("latin-1") + GENERIC, {}, ""),
    (GENERIC + GOOD, {"tlp": "PURPLE"}, ""),
])
def test_bad_input_is_refused_whole(importer: Importer, body: str, params: dict[str, str],
                                    needle: str) -> None:
    r = importer.post(body.encode("latin-1") if body.startswith("\xff") else body, **params)
    assert r.status_code == 422, r.text
    assert needle in r.json()["error"]["message"], r.json()
    assert importer.count() == 0 and importer.count(AudienceEntry) == 0


def test_etherscan_rows_are_checked_too(importer: Importer) -> None:
    lines = fixture("etherscan.csv").decode().splitlines()
    bad = lines[3].replace('"0x', '"0xZZ', 1)  # a malformed hash on the 4th line
    r = importer.post("\n".join([*lines[:3], bad, *lines[4:]]))
    assert r.status_code == 422 and "Line 4" in r.json()["error"]["message"]
    assert r.json()["error"]["details"]["line"] == 4
    assert importer.count() == 0


def test_the_wallet_must_be_said_when_the_export_does_not_tell(importer: Importer) -> None:
    data = json.loads(fixture("esplora.json"))
    data.append({"txid": TXID, "status": {"confirmed": True, "block_time": 1709000000},
                 "vin": [], "vout": [{"scriptpubkey_address": btc_address("x"), "value": 5}]})
    body = json.dumps(data)
    r = importer.post(body)
    assert r.status_code == 422 and "Say which address" in r.json()["error"]["message"]
    ok = importer.post(body, wallet=BTC_WALLET[4:])
    assert ok.status_code == 201 and ok.json()["stored"] == 2


def test_size_limit_and_readers(importer: Importer) -> None:
    big = GENERIC + GOOD * 10 + "x" * (9 * 1024 * 1024)
    r = importer.post(big)
    assert r.status_code in (413, 422)
    assert importer.count() == 0
    assert importer.post(GENERIC + GOOD, who="reader").status_code == 403
    assert importer.count() == 0
