"""The evidence register over REST: upload and hashing, refusals that keep nothing,
custody in the register and in the audit chain, verification, visibility."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select, text

from cyberhub import audit
from cyberhub.audit import AuditEntry
from tests.api.conftest import assert_error
from tests.evidence.conftest import sha, stored_files, upload
from tests.operations.conftest import Ops
from tests.test_cli import run

DATA = b"account;iban;amount\nmule-1;NL00BANK0123456789;9500\n"


def _entries(ops: Ops, action: str) -> list[AuditEntry]:
    with ops.database.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.seq)))
        s.expunge_all()
    return rows


def test_an_upload_is_hashed_stored_under_a_random_name_and_offered_as_a_download(
        ops: Ops, lantern: dict[str, Any]) -> None:
    r = upload(ops, "alpha", lantern["id"], DATA, filename="../../etc/ledger.csv",
               location="Locker 12, forensic lab", sha256=sha(DATA).upper())
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["label"] == "E-1" and item["sha256"] == sha(DATA) and item["size"] == len(DATA)
    assert item["filename"] == "ledger.csv" and item["location"] == "Locker 12, forensic lab"
    assert item["custodian_org_id"] == str(ops.orgs["alpha"].id)
    assert item["custodian_name"] == "alpha@vet.example"
    [first] = item["custody"]
    assert first["kind"] == "registered" and first["to_org_name"] == "Alpha"

    files = stored_files()
    assert len(files) == 1 and files[0].read_bytes() == DATA
    assert "ledger" not in files[0].name and sha(DATA)[:16] not in files[0].name

    got = ops.get("bravo", f"/operations/{lantern['id']}/evidence/{item['id']}/file")
    assert got.status_code == 200 and got.content == DATA
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith('attachment; filename="ledger.csv"')
    assert got.headers["repr-digest"] == \
        "sha-256=:" + base64.b64encode(bytes.fromhex(sha(DATA))).decode() + ":"

    second = upload(ops, "bravo", lantern["id"], b"second item")
    assert second.json()["label"] == "E-2"
    listed = ops.get("charlie", f"/operations/{lantern['id']}/evidence").json()
    assert [i["label"] for i in listed] == ["E-1", "E-2"]


def test_reads_of_evidence_are_audited(ops: Ops, lantern: dict[str, Any]) -> None:
    item = upload(ops, "alpha", lantern["id"], DATA).json()
    base = f"/operations/{lantern['id']}/evidence"
    assert ops.get("bravo", base).status_code == 200
    assert ops.get("bravo", f"{base}/{item['id']}").status_code == 200
    assert ops.get("bravo", f"{base}/{item['id']}/file").status_code == 200
    for action in ("evidence.list", "evidence.read", "evidence.download"):
        [entry] = _entries(ops, action)
        assert entry.actor_user_id == ops.users["bravo"].id, action


def test_a_declared_hash_that_does_not_match_is_refused_and_nothing_is_stored(
        ops: Ops, lantern: dict[str, Any]) -> None:
    before = ops.state()
    r = upload(ops, "alpha", lantern["id"], DATA, sha256=sha(b"what the seizure log says"))
    error = assert_error(r, 422, "hash_mismatch")
    assert error["details"]["field"] == "sha256"
    assert error["details"]["computed"] == sha(DATA)
    assert "Nothing was stored" in error["message"]
    assert ops.state() == before
    assert stored_files() == []
    assert _entries(ops, "evidence.register") == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"description": ""}, "description"), ({"source": "  "}, "source"),
    ({"sha256": "not-a-hash"}, "sha256"), ({"location": "x" * 301}, "location")])
def test_bad_fields_are_refused_before_the_file_is_kept(
        ops: Ops, lantern: dict[str, Any], fields: dict[str, str], field: str) -> None:
    before = ops.state()
    r = upload(ops, "alpha", lantern["id"], DATA, **fields)
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert field in str(body["details"])
    assert ops.state() == before and stored_files() == []


def test_an_oversized_or_empty_upload_is_refused_and_nothing_is_stored(
        ops: Ops, lantern: dict[str, Any]) -> None:
    from cyberhub.config import get_settings

    before = ops.state()
    get_settings().evidence_max_bytes = 1000
    error = assert_error(upload(ops, "alpha", lantern["id"], b"x" * 5000), 413,
                         "payload_too_large")
    assert error["details"] == {"field": "file"}
    assert_error(upload(ops, "alpha", lantern["id"], b""), 422, "empty_file")
    assert ops.state() == before and stored_files() == []
    assert upload(ops, "alpha", lantern["id"], b"x" * 1000).status_code == 201


def test_a_member_s_evidence_is_held_to_a_quota(ops: Ops, lantern: dict[str, Any]) -> None:
    from cyberhub.config import get_settings

    settings = get_settings()
    settings.evidence_quota_files, settings.evidence_quota_bytes = 2, 1500
    assert upload(ops, "alpha", lantern["id"], b"a" * 1000).status_code == 201
    before = ops.state()
    err = assert_error(upload(ops, "alpha", lantern["id"], b"b" * 600), 413, "quota_exceeded")
    assert "of the 1.5 KB one member may keep" in err["message"]
    assert ops.state() == before and len(stored_files()) == 1  # the streamed file is gone
    assert upload(ops, "alpha", lantern["id"], b"b" * 500).status_code == 201
    assert_error(upload(ops, "alpha", lantern["id"], b"c"), 413, "quota_exceeded")
    assert len(stored_files()) == 2


def test_who_may_register(ops: Ops) -> None:
    op = ops.propose()
    assert_error(upload(ops, "alpha", op["id"], DATA), 409)  # still proposed
    ops.move(op, "approved")
    assert_error(upload(ops, "alpha_reader", op["id"], DATA), 403)
    assert upload(ops, "charlie", op["id"], DATA).status_code == 201
    assert len(stored_files()) == 1


def test_non_participants_meet_404_everywhere(ops: Ops, lantern: dict[str, Any]) -> None:
    item = upload(ops, "alpha", lantern["id"], DATA).json()
    base = f"/operations/{lantern['id']}/evidence"
    handover = {"to_org_id": str(ops.orgs["delta"].id), "to_name": "x", "reason": "y"}
    before = ops.state()
    for who in ("delta", "delta_admin", "echo_hub"):
        assert_error(ops.get(who, base), 404)
        assert_error(ops.get(who, f"{base}/{item['id']}"), 404)
        assert_error(ops.get(who, f"{base}/{item['id']}/file"), 404)
        assert_error(ops.post(who, f"{base}/verify"), 404)
        assert_error(ops.post(who, f"{base}/{item['id']}/custody", handover), 404)
        assert_error(upload(ops, who, lantern["id"], DATA), 404)
    assert ops.state() == before
    assert len(stored_files()) == 1
    # An item id under another operation is no item of this one.
    other = ops.propose(name="Operation Other")
    ops.move(other, "approved")
    assert_error(ops.get("alpha", f"/operations/{other['id']}/evidence/{item['id']}"), 404)


def test_a_hand_over_is_in_the_register_and_in_the_audit_chain(
        ops: Ops, lantern: dict[str, Any]) -> None:
    item = upload(ops, "alpha", lantern["id"], DATA).json()
    base = f"/operations/{lantern['id']}/evidence/{item['id']}"
    r = ops.post("alpha", f"{base}/custody", {
        "to_org_id": str(ops.orgs["charlie"].id), "to_name": "Det. Insp. Maas",
        "reason": "For forensic imaging at the national lab", "at": "2026-01-10T09:30:00Z"})
    assert r.status_code == 422  # before the item was registered
    assert r.json()["error"]["details"]["field"] == "at"
    r = ops.post("alpha", f"{base}/custody", {
        "to_org_id": str(ops.orgs["charlie"].id), "to_name": "Det. Insp. Maas",
        "reason": "For forensic imaging at the national lab"})
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["seq"] == 2 and event["kind"] == "handover"
    assert event["from_org_name"] == "Alpha" and event["from_name"] == "alpha@vet.example"
    assert event["to_org_name"] == "Charlie" and event["to_name"] == "Det. Insp. Maas"

    shown = ops.get("bravo", base).json()
    assert shown["custodian_org_id"] == str(ops.orgs["charlie"].id)
    assert [c["seq"] for c in shown["custody"]] == [1, 2]

    [registered] = _entries(ops, "evidence.register")
    [handed] = _entries(ops, "evidence.handover")
    assert registered.seq == shown["custody"][0]["audit_seq"]
    assert handed.seq == event["audit_seq"] and handed.hash == event["audit_hash"]
    assert handed.target_id == item["id"]
    assert handed.details["from_org_id"] == str(ops.orgs["alpha"].id)
    assert handed.details["to_org_id"] == str(ops.orgs["charlie"].id)
    assert handed.details["to_name"] == "Det. Insp. Maas"
    assert handed.details["reason"] == "For forensic imaging at the national lab"
    assert handed.details["sha256"] == sha(DATA)
    with ops.database.snapshot() as s:
        assert audit.verify(s).ok


def test_hand_over_refusals_change_nothing(ops: Ops, lantern: dict[str, Any]) -> None:
    item = upload(ops, "alpha", lantern["id"], DATA).json()
    url = f"/operations/{lantern['id']}/evidence/{item['id']}/custody"
    good = {"to_org_id": str(ops.orgs["bravo"].id), "to_name": "Fraud desk", "reason": "Tracing"}
    before = ops.state()
    cases: list[tuple[str, dict[str, Any], int, str | None]] = [
        ("alpha", good | {"to_org_id": str(ops.orgs["delta"].id)}, 422, "to_org_id"),
        ("alpha", good | {"reason": " "}, 422, "reason"),
        ("alpha", good | {"to_name": ""}, 422, "to_name"),
        ("alpha", good | {"at": "2099-01-01T00:00:00Z"}, 422, "at"),
        ("bravo", good, 403, None),          # not the custodian, not the lead
        ("alpha_reader", good, 403, None),
    ]
    for who, body, status, field in cases:
        r = ops.post(who, url, body)
        assert r.status_code == status, (who, body, r.text)
        if field:
            assert r.json()["error"]["details"]["field"] == field
    assert ops.state() == before
    assert ops.post("alpha", url, good).status_code == 201
    # Now bravo holds it and may pass it on; the lead may always record one.
    assert ops.post("bravo", url, good | {"to_org_id": str(ops.orgs["charlie"].id),
                                          "to_name": "Lab"}).status_code == 201
    assert ops.post("alpha_admin", url, good | {"to_name": "Back to the desk"}).status_code == 201


def test_verify_reports_a_tampered_file_a_missing_file_and_an_altered_custody_record(
        ops: Ops, lantern: dict[str, Any]) -> None:
    base = f"/operations/{lantern['id']}/evidence"
    items = [upload(ops, "alpha", lantern["id"], b"item %d" % i).json() for i in range(3)]
    r = ops.post("bravo", f"{base}/verify")
    assert r.status_code == 200 and r.json() == {"operation_id": lantern["id"], "checked": 3,
                                                 "ok": True, "problems": []}
    assert run("evidence", "verify").exit_code == 0

    with ops.database.transaction() as s:
        from cyberhub.operations.evidence.models import EvidenceItem

        names = {str(i.id): i.storage_name for i in s.scalars(select(EvidenceItem))}
    folder = stored_files()[0].parent
    (folder / names[items[0]["id"]]).write_bytes(b"item 0, edited")
    (folder / names[items[1]["id"]]).unlink()
    with ops.database.transaction() as s:
        s.execute(text("UPDATE evidence_custody SET to_name = 'someone else' "
                       "WHERE item_id = :i"), {"i": items[2]["id"].replace("-", "")
                                              if ops.database.engine.dialect.name == "sqlite"
                                              else items[2]["id"]})

    report = ops.post("bravo", f"{base}/verify").json()
    assert report["ok"] is False and report["checked"] == 3
    kinds = {(p["number"], p["kind"]) for p in report["problems"]}
    assert kinds == {(1, "mismatch"), (2, "missing"), (3, "custody")}
    mismatch = next(p for p in report["problems"] if p["kind"] == "mismatch")
    assert sha(b"item 0, edited") in mismatch["message"] and sha(b"item 0") in mismatch["message"]
    listed = {i["label"]: i["last_verify_result"] for i in ops.get("bravo", base).json()}
    assert listed == {"E-1": "mismatch", "E-2": "missing", "E-3": "ok"}
    assert_error(ops.get("bravo", f"{base}/{items[1]['id']}/file"), 404)

    cli = run("evidence", "verify")
    assert cli.exit_code == 1
    assert "mismatch" in cli.output and "missing" in cli.output and "custody" in cli.output
    assert "E-1" in cli.output and lantern["id"] in cli.output
    assert "item 0" not in cli.output  # ids and hashes only, no content
    [entry] = [e for e in _entries(ops, "evidence.verify") if e.actor_user_id is None][-1:]
    assert entry.details["checked"] == 3 and len(entry.details["problems"]) == 3


@pytest.fixture
def small_evidence(settings: Any) -> None:
    """A hub whose evidence limit is 2,000 bytes (set before the app is made)."""
    settings.evidence_max_bytes = 2000


def test_a_body_past_the_upload_cap_is_refused_before_it_is_read(
        small_evidence: None, ops: Ops, lantern: dict[str, Any]) -> None:
    before = ops.state()
    error = assert_error(upload(ops, "alpha", lantern["id"], b"x" * 200_000), 413,
                         "payload_too_large")
    assert "request body" in error["message"]
    error = assert_error(upload(ops, "alpha", lantern["id"], b"x" * 2001), 413)
    assert "evidence file is larger" in error["message"]
    assert ops.state() == before and stored_files() == []
