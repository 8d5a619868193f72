"""Web pages: the wallet list and page, the family's "Wallets and payments" section and
the import form (CSRF, errors re-shown, nothing stored on a bad file); both engines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cyberhub.db import Database
from cyberhub.ransomware.demo_payments import btc_address
from cyberhub.ransomware.models import WalletTransaction
from tests.factories import Community, bearer, csrf_of, sign_in
from tests.ransomware.conftest import LOCKBIT

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ransomware" / "payments"
BTC = btc_address("fixture btc wallet")  # the wallet of esplora.json


@pytest.fixture
def analyst(client: TestClient, families: Any, community: Community) -> TestClient:
    org = community.org("Delta")
    user = community.user(org, email="delta@x.example")
    token = community.token(user, scope="write")
    r = client.post("/api/v1/ransomware/incidents", headers=bearer(token), json={
        "discovered": "2024-02-01", "family": LOCKBIT, "wallets": [f"btc:{BTC}"],
        "tlp": "AMBER+STRICT", "notes": "<script>alert(1)</script>"})
    assert r.status_code == 201, r.text
    assert sign_in(client, user.email).status_code == 303
    return client


def count(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(WalletTransaction)) or 0)


def upload(client: TestClient, data: bytes, name: str = "export.json",
           **fields: Any) -> Any:
    token = csrf_of(client, "/ransomware/payments/import")
    return client.post("/ransomware/payments/import",
                       data={"csrf_token": token, "tlp": "AMBER", **fields},
                       files={"file": (name, data, "application/octet-stream")})


def test_import_through_the_form_then_see_the_wallet(analyst: TestClient,
                                                     database: Database) -> None:
    form = analyst.get(f"/ransomware/payments/import?wallet={BTC}")
    assert form.status_code == 200 and 'name="file"' in form.text and BTC in form.text
    r = upload(analyst, (FIXTURES / "esplora.json").read_bytes())
    assert r.status_code == 201, r.text
    assert "2 payments found, 2 stored, 0 already imported" in r.text
    assert f'href="/ransomware/wallets/btc/{BTC}"' in r.text
    page = analyst.get(f"/ransomware/wallets/btc/{BTC}")
    assert page.status_code == 200
    assert "LockBit" in page.text and "incident discovered 2024-02-01" in page.text
    assert "2.5005" in page.text  # 2.5 + 0.0005 BTC, exactly
    assert '<script src="/static/js/wallet.js" defer></script>' in page.text
    island = re.search(r'<script type="application/json" id="wallet-data">(.*?)</script>',
                       page.text, re.S)
    assert island is not None
    months = json.loads(island.group(1))["months"]
    assert months == [{"month": "2024-02", "asset": "BTC", "amount": "2.5005", "count": 2}]
    assert "<script>alert" not in page.text
    listing = analyst.get("/ransomware/wallets?q=lockbit")
    assert listing.status_code == 200 and BTC in listing.text
    assert BTC not in analyst.get("/ransomware/wallets?q=dharma").text
    family = analyst.get(f"/ransomware/families/{LOCKBIT}")
    assert "Wallets and payments" in family.text and BTC in family.text
    assert "2.5005" in family.text
    assert 'href="/ransomware/wallets"' in family.text  # the Wallets entry of the nav


def test_a_bad_file_re_shows_the_form_with_the_line_and_stores_nothing(
        analyst: TestClient, database: Database) -> None:
    bad = (f"chain,address,txid,time,amount,asset\n"
           f"btc,{BTC},{'ab' * 32},2024-05-01T10:00:00Z,1,BTC\n"
           f"btc,{BTC},{'cd' * 32},yesterday,1,BTC\n").encode()
    r = upload(analyst, bad, "pay.csv")
    assert r.status_code == 422
    assert "Line 3" in r.text and 'aria-invalid="true"' in r.text
    assert count(database) == 0


def test_the_form_needs_its_csrf_token(analyst: TestClient, database: Database) -> None:
    r = analyst.post("/ransomware/payments/import", data={"tlp": "AMBER"},
                     files={"file": ("x.json", (FIXTURES / "esplora.json").read_bytes())})
    assert r.status_code == 403
    assert count(database) == 0


def test_another_org_gets_404_for_a_wallet_only_invisible_records_name(
        analyst: TestClient, community: Community) -> None:
    assert upload(analyst, (FIXTURES / "esplora.json").read_bytes()).status_code == 201
    other = community.user(community.org("Echo"), email="echo@x.example")
    analyst.cookies.clear()
    assert sign_in(analyst, other.email).status_code == 303
    assert analyst.get(f"/ransomware/wallets/btc/{BTC}").status_code == 404
    assert BTC not in analyst.get("/ransomware/wallets").text
    assert BTC not in analyst.get(f"/ransomware/families/{LOCKBIT}").text
