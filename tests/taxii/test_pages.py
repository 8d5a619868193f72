"""The admin page that defines TAXII collections: hub admins create, change and delete
them; the collection then answers over TAXII; nobody else may touch them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.audit import AuditEntry
from cyberhub.db import Database
from cyberhub.taxii.media import TAXII
from cyberhub.taxii.models import TaxiiCollection
from tests.factories import bearer, csrf_of, sign_in
from tests.taxii.conftest import Hub


def test_hub_admin_manages_collections(client: TestClient, database: Database, hub: Hub) -> None:
    assert sign_in(client, "operator@hub.example").status_code == 303
    page = client.get("/admin/taxii")
    assert page.status_code == 200 and "No collections yet" in page.text
    assert "http://testserver/taxii2/" in page.text
    token = csrf_of(client, "/admin/taxii")
    made = client.post("/admin/taxii", data={
        "csrf_token": token, "title": "Wallets <b>", "alias": "wallets",
        "types": "x-cyberhub-cryptocurrency-wallet, indicator", "tlps": ["GREEN", "CLEAR"],
        "owner_org_ids": [str(hub.alpha.id)], "writable": "on", "write_tlp": "GREEN"},
        follow_redirects=False)
    assert made.status_code == 303, made.text
    listed = client.get(made.headers["location"])
    assert "The collection is created." in listed.text
    assert "Wallets &lt;b&gt;" in listed.text and "Wallets <b>" not in listed.text
    with database.transaction() as s:
        c = s.scalars(select(TaxiiCollection)).one()
        assert c.types == ["x-cyberhub-cryptocurrency-wallet", "indicator"]
        assert sorted(c.tlps) == ["CLEAR", "GREEN"] and c.writable
        assert c.owner_org_ids == [str(hub.alpha.id)]
        cid = c.id
        assert s.scalar(select(AuditEntry).where(
            AuditEntry.action == "taxii.collection_create")) is not None
    over_taxii = client.get("/taxii2/hub/collections/wallets/",
                            headers={**bearer(hub.bo_token), "Accept": TAXII})
    assert over_taxii.json()["title"] == "Wallets <b>" and over_taxii.json()["can_write"]
    # Change it: a bad type name is refused with the form kept.
    refused = client.post(f"/admin/taxii/{cid}", data={
        "csrf_token": token, "title": "Wallets", "types": "not a type!"})
    assert refused.status_code == 422 and "not a STIX type name" in refused.text
    assert 'value="not a type!"' in refused.text
    saved = client.post(f"/admin/taxii/{cid}", data={"csrf_token": token, "title": "Wallets"},
                        follow_redirects=False)
    assert saved.status_code == 303
    with database.transaction() as s:
        c = s.get(TaxiiCollection, cid)
        assert c is not None and c.types == [] and not c.writable
    gone = client.post(f"/admin/taxii/{cid}/delete", data={"csrf_token": token},
                       follow_redirects=False)
    assert gone.status_code == 303
    assert client.get("/taxii2/hub/collections/wallets/",
                      headers={**bearer(hub.bo_token), "Accept": TAXII}).status_code == 404


def test_members_may_not_manage_collections(client: TestClient, database: Database,
                                            hub: Hub) -> None:
    sign_in(client, "bo@beta.example")
    assert client.get("/admin/taxii").status_code == 403
    token = csrf_of(client, "/")
    refused = client.post("/admin/taxii", data={"csrf_token": token, "title": "Mine"})
    assert refused.status_code == 403
    with database.transaction() as s:
        assert s.scalars(select(TaxiiCollection)).first() is None


def test_form_needs_csrf(client: TestClient, database: Database, hub: Hub) -> None:
    sign_in(client, "operator@hub.example")
    refused = client.post("/admin/taxii", data={"title": "No token"})
    assert refused.status_code == 403
    with database.transaction() as s:
        assert s.scalars(select(TaxiiCollection)).first() is None
