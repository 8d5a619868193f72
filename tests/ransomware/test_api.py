"""REST: identification, families and decryptors, under the sharing rules, on both
engines."""

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
from cyberhub.intel.models import ImportStatus
from cyberhub.intel.synthetic import bundle_bytes
from tests.factories import Community, bearer
from tests.ransomware.conftest import DHARMA, LOCKBIT, WANNACRY

STAMP = "2025-03-01T10:00:00.000Z"


class Hub:
    def __init__(self, client: TestClient, database: Database, community: Community,
                 tmp: Path) -> None:
        self.client, self.database, self.community, self.tmp = client, database, community, tmp
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        for name in ("alpha", "bravo"):
            self.orgs[name] = community.org(name.title())
            self.users[name] = community.user(self.orgs[name], email=f"{name}@x.example")
            self.tokens[name] = community.token(self.users[name], scope="write")
        reader = community.user(self.orgs["alpha"], role="reader", email="reader@x.example")
        self.tokens["reader"] = community.token(reader, scope="write")

    def import_(self, who: str, objects: list[dict[str, Any]], tlp: str = "GREEN") -> None:
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

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=bearer(self.tokens[who]), **kw)

    def post(self, who: str, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post("/api/v1" + path, headers=bearer(self.tokens[who]), json=json,
                                **kw)


@pytest.fixture
def hub(client, families, community, tmp_path) -> Hub:  # type: ignore[no-untyped-def]
    return Hub(client, families, community, tmp_path)


def indicator_of(email: str, family: str) -> list[dict[str, Any]]:
    ind = f"indicator--{uuid.uuid4()}"
    return [
        {"type": "indicator", "spec_version": "2.1", "id": ind, "created": STAMP,
         "modified": STAMP, "name": "Negotiation mailbox", "pattern_type": "stix",
         "pattern": f"[email-addr:value = '{email}']", "valid_from": STAMP},
        {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
         "created": STAMP, "modified": STAMP, "relationship_type": "indicates",
         "source_ref": ind, "target_ref": family},
    ]


def test_identify_ranks_the_family_with_evidence(hub: Hub) -> None:
    r = hub.post("alpha", "/ransomware/identify", {
        "file_name": "budget.xlsx.lockbit", "note_name": "Restore-My-Files.txt"})
    assert r.status_code == 200, r.text
    body = r.json()
    first = body["candidates"][0]
    assert (first["rank"], first["family_ref"], first["name"]) == (1, LOCKBIT, "LockBit")
    assert [e["message"] for e in first["evidence"]] == [
        "extension .lockbit matches", "note file name Restore-My-Files.txt matches"]
    assert body["families"] == 6


def test_contact_point_in_a_visible_object_is_evidence_and_not_when_invisible(hub: Hub) -> None:
    email = "negotiator@example-ransom.net"
    hub.import_("bravo", indicator_of(email, DHARMA), tlp="AMBER")  # bravo's only
    note = f"Your files are encrypted. Contact {email} to get them back."
    seen = hub.post("bravo", "/ransomware/identify", {"note_text": note}).json()
    assert seen["candidates"][0]["family_ref"] == DHARMA
    assert seen["candidates"][0]["evidence"][0] == {
        "kind": "knowledge_base", "points": 2.0,
        "message": f"e-mail {email} is in 1 visible object of this hub"}
    assert seen["contacts"][0]["objects"] == 1
    unseen = hub.post("alpha", "/ransomware/identify", {"note_text": note,
                                                        "contacts": [email]}).json()
    assert all(c["family_ref"] != DHARMA for c in unseen["candidates"])
    assert unseen["contacts"] == [{"kind": "email", "value": email, "objects": 0,
                                   "warning_lists": []}]


def test_empty_input_says_what_to_give(hub: Hub) -> None:
    r = hub.post("alpha", "/ransomware/identify", {"note_text": "  \n "})
    assert r.status_code == 422
    assert "ransom note" in r.json()["error"]["message"]
    r = hub.post("alpha", "/ransomware/identify", {"contacts": ["not a contact"]})
    assert r.status_code == 422 and "contacts" in str(r.json()["error"]["details"])


def test_a_huge_note_is_refused(hub: Hub) -> None:
    r = hub.post("alpha", "/ransomware/identify", {"note_text": "x" * (10 * 1024 * 1024)})
    assert r.status_code == 413
    r = hub.post("alpha", "/ransomware/identify", {"note_text": "y " * 100_001})
    assert r.status_code == 422


def test_families_list_search_and_detail(hub: Hub) -> None:
    r = hub.get("alpha", "/ransomware/families", params={"q": ".wncry"}).json()
    assert [f["name"] for f in r["items"]] == ["WannaCry"] and r["total"] == 1
    assert hub.get("alpha", "/ransomware/families").json()["total"] == 6
    fam = hub.get("alpha", f"/ransomware/families/{LOCKBIT}").json()
    assert fam["aliases"] == ["ABCD ransomware"]
    assert fam["note_names"] == ["Restore-My-Files.txt"]
    assert fam["payment_methods"] == ["Bitcoin"]
    assert fam["description"].startswith("Ransomware-as-a-service, <b>")
    assert hub.get("alpha", "/ransomware/families/malware--nope").status_code == 404


def test_member_family_is_visible_to_its_audience_only(hub: Hub) -> None:
    from cyberhub.intel.extensions import RANSOMWARE

    fam = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
           "created": STAMP, "modified": STAMP, "name": "Quietlock", "is_family": True,
           "malware_types": ["ransomware"],
           "extensions": {RANSOMWARE.definition_id: RANSOMWARE.extension(
               file_extensions=[".quietlock"])}}
    hub.import_("bravo", [fam], tlp="AMBER")
    assert hub.get("bravo", f"/ransomware/families/{fam['id']}").status_code == 200
    assert hub.get("alpha", f"/ransomware/families/{fam['id']}").status_code == 404
    ask = {"file_name": "x.doc.quietlock"}
    assert hub.post("bravo", "/ransomware/identify", ask).json()["candidates"][0]["name"] \
        == "Quietlock"
    assert hub.post("alpha", "/ransomware/identify", ask).json()["candidates"] == []


def test_decryptors_added_listed_offered_first_and_audited(hub: Hub) -> None:
    r = hub.post("alpha", "/ransomware/decryptors", {
        "family_ref": WANNACRY, "name": "WanaKiwi", "provider": "Example CERT",
        "url": "https://example.org/wanakiwi", "released": "2017-05-19"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["tlp"] == "CLEAR" and made["family_name"] == "WannaCry"
    listed = hub.get("bravo", "/ransomware/decryptors").json()
    assert [d["name"] for d in listed] == ["WanaKiwi"]
    found = hub.post("bravo", "/ransomware/identify", {"file_name": "a.wncry"}).json()
    assert found["candidates"][0]["decryptors"][0]["url"] == "https://example.org/wanakiwi"
    fam = hub.get("bravo", f"/ransomware/families/{WANNACRY}").json()
    assert [d["name"] for d in fam["decryptors"]] == ["WanaKiwi"]
    # Only the contributor's side may change it.
    assert hub.client.patch(f"/api/v1/ransomware/decryptors/{made['id']}",
                            headers=bearer(hub.tokens["bravo"]),
                            json={"name": "x"}).status_code == 403
    r = hub.client.patch(f"/api/v1/ransomware/decryptors/{made['id']}",
                         headers=bearer(hub.tokens["alpha"]), json={"notes": "Before reboot."})
    assert r.json()["notes"] == "Before reboot." and r.json()["released"] == "2017-05-19"
    assert hub.client.delete(f"/api/v1/ransomware/decryptors/{made['id']}",
                             headers=bearer(hub.tokens["alpha"])).status_code == 204
    with hub.database.snapshot() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("decryptor.%")).order_by(AuditEntry.seq)))
    assert actions == ["decryptor.create", "decryptor.update", "decryptor.delete"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "/relative",
                                 "ftp://example.org/x", "https://"])
def test_decryptor_links_other_than_http_are_refused(hub: Hub, url: str) -> None:
    r = hub.post("alpha", "/ransomware/decryptors", {"family_ref": LOCKBIT, "name": "x",
                                                     "url": url})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "url"


def test_decryptor_rules(hub: Hub) -> None:
    base = {"family_ref": LOCKBIT, "name": "x", "url": "https://example.org/"}
    assert hub.post("alpha", "/ransomware/decryptors", base | {"tlp": "AMBER"}).status_code == 422
    assert hub.post("alpha", "/ransomware/decryptors",
                    base | {"family_ref": "malware--unknown"}).status_code == 422
    assert hub.post("reader", "/ransomware/decryptors", base).status_code == 403
    assert hub.post("alpha", "/ransomware/decryptors", base | {"tlp": "GREEN"}).status_code == 201
