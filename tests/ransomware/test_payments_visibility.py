"""Wallet ↔ family links and payment totals under the sharing rules: nothing shows that
rests on a record the viewer may not see; over HTTP, on both engines."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.audience import Audience
from cyberhub.audit import AuditEntry
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.extensions import new_cryptocurrency_wallet
from cyberhub.intel.models import ImportStatus
from cyberhub.intel.synthetic import bundle_bytes
from cyberhub.ransomware.demo_payments import btc_address, eth_address
from tests.factories import Community, bearer
from tests.ransomware.conftest import DHARMA, LOCKBIT

STAMP = "2025-03-01T10:00:00.000Z"
W1 = btc_address("visibility one")
W2 = btc_address("visibility two")
W3 = eth_address("visibility three")
UNSEEN = btc_address("never named")


def csv_rows(*rows: tuple[str, str, str, str, str]) -> str:
    """(chain, address, txid seed, amount, asset) → a generic CSV."""
    lines = ["chain,address,txid,time,amount,asset,usd"]
    for i, (chain, address, seed, amount, asset) in enumerate(rows):
        txid = uuid.uuid5(uuid.NAMESPACE_URL, seed).hex * 2
        lines.append(f"{chain},{address},{txid},2025-0{i % 9 + 1}-15T10:00:00Z,{amount},"
                     f"{asset},{int(float(amount) * 1000)}")
    return "\n".join(lines) + "\n"


class Hub:
    def __init__(self, client: TestClient, database: Database, community: Community,
                 tmp: Path) -> None:
        self.client, self.database, self.community, self.tmp = client, database, community, tmp
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        for name in ("alpha", "bravo", "charlie"):
            self.orgs[name] = community.org(name.title())
            self.users[name] = community.user(self.orgs[name], email=f"{name}@x.example")
            self.tokens[name] = community.token(self.users[name], scope="write")
        admin = community.user(self.orgs["charlie"], role="hub-admin", email="op@x.example")
        self.tokens["admin"] = community.token(admin, scope="write")

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=bearer(self.tokens[who]), **kw)

    def incident(self, who: str, wallets: list[str], tlp: str = "AMBER+STRICT",
                 family: str = LOCKBIT) -> str:
        r = self.client.post("/api/v1/ransomware/incidents", headers=bearer(self.tokens[who]),
                             json={"discovered": "2025-02-01", "family": family,
                                   "wallets": wallets, "tlp": tlp})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def payments(self, who: str, body: str, tlp: str = "AMBER") -> Any:
        r = self.client.post("/api/v1/ransomware/payments/import", content=body.encode(),
                             params={"tlp": tlp}, headers=bearer(self.tokens[who]))
        assert r.status_code == 201, r.text
        return r.json()

    def knowledge(self, who: str, objects: list[dict[str, Any]], tlp: str) -> None:
        path = self.tmp / f"{uuid.uuid4()}.json"
        path.write_bytes(bundle_bytes(objects))
        viewer = self.community.viewer(self.users[who])
        with self.database.transaction() as s:
            job = imports.new_import(s, viewer, filename=path.name, tlp=tlp,
                                     audience=Audience())
            imports.stage_file(job, path)
            job_id = job.id
        done = imports.run(self.database, job_id, keep_source=True)
        assert done.status is ImportStatus.SUCCEEDED, (done.message, done.errors)


def wallet_related_to(address: str, family: str, rel: str = "related-to") -> list[dict[str, Any]]:
    wallet = new_cryptocurrency_wallet("bitcoin", address)
    return [wallet, {
        "type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "relationship_type": rel,
        "source_ref": wallet["id"], "target_ref": family}]


@pytest.fixture
def hub(client, families, community, tmp_path) -> Hub:  # type: ignore[no-untyped-def]
    return Hub(client, families, community, tmp_path)


def received(body: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {t["asset"]: (t["amount"], t["count"]) for t in body["received"]}


def test_a_strict_incidents_wallet_shows_to_its_owner_only(hub: Hub) -> None:
    iid = hub.incident("alpha", [f"btc:{W1}"])
    hub.payments("alpha", csv_rows(("btc", W1, "a1", "1.5", "BTC"),
                                   ("btc", W1, "a2", "0.25", "BTC")), tlp="AMBER+STRICT")
    mine = hub.get("alpha", f"/ransomware/wallets/btc/{W1}")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [(f["family_ref"], f["evidence"][0]["kind"], f["evidence"][0]["incident_id"])
            for f in body["families"]] == [(LOCKBIT, "incident", iid)]
    assert received(body["totals"]) == {"BTC": ("1.75", 2)}
    assert body["incident_ids"] == [iid] and body["transactions_total"] == 2
    # Another organisation, and a hub admin, get exactly what a never-named wallet gets.
    unseen = hub.get("bravo", f"/ransomware/wallets/btc/{UNSEEN}")
    for who in ("bravo", "admin"):
        hidden = hub.get(who, f"/ransomware/wallets/btc/{W1}")
        assert hidden.status_code == unseen.status_code == 404
        assert hidden.json() == unseen.json()
        assert hub.get(who, "/ransomware/wallets").json() == {"items": [], "total": 0}
        fam = hub.get(who, f"/ransomware/families/{LOCKBIT}/payments").json()
        assert fam["wallets"] == [] and fam["totals"]["count"] == 0
    fam = hub.get("alpha", f"/ransomware/families/{LOCKBIT}/payments").json()
    assert [w["wallet"] for w in fam["wallets"]] == [f"btc:{W1}"]
    assert received(fam["totals"]) == {"BTC": ("1.75", 2)}
    # Listing AMBER+STRICT transactions is a read of them.
    with hub.database.transaction() as s:
        lists = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "record.list",
            AuditEntry.target_type == "ransomware_wallet_transactions")).all()
    assert lists


def test_a_knowledge_base_relationship_links_only_when_visible(hub: Hub) -> None:
    hub.knowledge("alpha", wallet_related_to(W2, LOCKBIT), tlp="AMBER")
    hub.payments("bravo", csv_rows(("btc", W2, "b1", "2", "BTC")), tlp="GREEN")
    seen = hub.get("alpha", f"/ransomware/wallets/btc/{W2}").json()
    assert [(f["family_ref"], f["evidence"][0]["kind"], f["evidence"][0]["relationship"])
            for f in seen["families"]] == [(LOCKBIT, "knowledge-base", "related-to")]
    assert received(seen["totals"]) == {"BTC": ("2", 1)}  # bravo's GREEN payment
    assert len(seen["objects"]) == 1
    # Bravo sees its own payment, not alpha's AMBER relationship nor its wallet object.
    other = hub.get("bravo", f"/ransomware/wallets/btc/{W2}").json()
    assert other["families"] == [] and other["objects"] == []
    assert received(other["totals"]) == {"BTC": ("2", 1)}
    assert hub.get("bravo", f"/ransomware/families/{LOCKBIT}/payments").json()["wallets"] == []
    alpha_fam = hub.get("alpha", f"/ransomware/families/{LOCKBIT}/payments").json()
    assert received(alpha_fam["totals"]) == {"BTC": ("2", 1)}
    # Charlie sees neither the relationship nor an AMBER payment: the payment is GREEN.
    assert hub.get("charlie", f"/ransomware/wallets/btc/{W2}").json()["families"] == []


def test_a_relationship_the_viewer_may_not_see_is_no_link_even_to_a_visible_wallet(
        hub: Hub) -> None:
    objects = wallet_related_to(W2, DHARMA)
    hub.knowledge("alpha", objects[:1], tlp="GREEN")  # the wallet: everyone
    hub.knowledge("alpha", objects[1:], tlp="AMBER+STRICT")  # the link: alpha only
    assert hub.get("bravo", f"/ransomware/wallets/btc/{W2}").json()["families"] == []
    assert [f["family_ref"] for f in
            hub.get("alpha", f"/ransomware/wallets/btc/{W2}").json()["families"]] == [DHARMA]


def test_the_same_transaction_imported_twice_counts_once(hub: Hub) -> None:
    hub.incident("alpha", [f"eth:{W3}", f"btc:{W1}"], tlp="GREEN")
    body = csv_rows(("eth", W3, "e1", "0.000000000000000001", "ETH"),
                    ("eth", W3, "e2", "3", "ETH"))
    hub.payments("alpha", body, tlp="GREEN")
    hub.payments("bravo", body, tlp="GREEN")
    got = hub.get("charlie", f"/ransomware/wallets/eth/{W3}").json()
    assert received(got["totals"]) == {"ETH": ("3.000000000000000001", 2)}
    assert got["totals"]["received"][0]["units"] == "3000000000000000001"
    listed = hub.get("charlie", "/ransomware/wallets").json()
    assert listed["total"] == 2
    assert {w["wallet"] for w in listed["items"]} == {f"eth:{W3}", f"btc:{W1}"}
    assert hub.get("charlie", "/ransomware/wallets", params={"q": W3[:12]}).json()["total"] == 1
    assert hub.get("charlie", "/ransomware/wallets",
                   params={"q": "lockb"}).json()["total"] == 2
    assert hub.get("charlie", "/ransomware/wallets", params={"q": "dharma"}).json()["total"] == 0


def test_a_malformed_or_unknown_address_is_not_found(hub: Hub) -> None:
    assert hub.get("alpha", "/ransomware/wallets/btc/not-an-address").status_code == 404
    assert hub.get("alpha", f"/ransomware/wallets/eth/{W1}").status_code == 404
    assert hub.get("alpha", f"/ransomware/wallets/btc/{UNSEEN}").status_code == 404
    assert hub.get("alpha", "/ransomware/families/malware--nope/payments").status_code == 404
