"""The demo hub's payments: fictional wallets valid on their chain, shared by several
incidents of a family, with generated payments; deterministic and loaded once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub import access, demo
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel.normalise import normalise
from cyberhub.ransomware import payments
from cyberhub.ransomware.models import Incident, WalletTransaction
from tests.factories import sign_in


def test_demo_payments_for_the_demo_incidents_wallets(families: Database, settings: Any,
                                                      client: TestClient) -> None:
    with families.transaction() as s:
        demo.load(s)
    with families.transaction() as s:
        first = sorted((t.wallet, t.txid, t.amount) for t in s.scalars(select(WalletTransaction)))
    with families.transaction() as s:
        demo.load(s)  # idempotent
    with families.transaction() as s:
        txs = list(s.scalars(select(WalletTransaction)))
        assert sorted((t.wallet, t.txid, t.amount) for t in txs) == first
        assert len(txs) >= 20 and all(t.is_demo and t.source == "demo" for t in txs)
        incidents = [i for i in s.scalars(select(Incident)) if i.wallets]
        assert len(incidents) >= 8
        wallets = {w for i in incidents for w in i.wallets}
        assert all(normalise("wallet", w) == w for w in wallets)  # valid on their chain
        assert {t.wallet for t in txs} == wallets
        # A RaaS wallet named by more than one incident.
        assert any(sum(w in i.wallets for i in incidents) > 1 for w in wallets)
        user = s.scalars(select(User).join(Organisation).where(
            Organisation.name == "Atlas Payments (demo)")).first()
        assert user is not None
        viewer = access.viewer_for(s, user)
        items, total = payments.list_wallets(s, viewer)
        assert total > 0 and any(w.links for w in items)
        lockbit = next(k.family_ref for w in items for k in w.links
                       if k.family_name == "LockBit")
        fam = payments.family_payments(s, viewer, lockbit)
        assert fam.totals.count > 0 and fam.totals.usd is not None
        email, some = user.email, items[0]
    # The demo member's pages render them.
    assert sign_in(client, email, demo.DEMO_PASSWORD).status_code == 303
    listing = client.get("/ransomware/wallets")
    assert listing.status_code == 200 and some.address in listing.text
    page = client.get(f"/ransomware/wallets/{some.chain}/{some.address}")
    assert page.status_code == 200
    assert "DEMO DATA" in page.text  # the demo badge on its payments and incidents
