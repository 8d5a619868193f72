"""Rows written through the bare driver (intel/bulk.py) read back through the ORM exactly
like the rows the ORM writes itself, on both engines: UUIDs, timestamps, JSON,
booleans, enums and NULLs alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from cyberhub.db import Database, new_id
from cyberhub.federation.models import MatchDigest, Peer
from cyberhub.intel import bulk
from cyberhub.intel.models import ObservableValue, StixObject, Vetting
from cyberhub.sharing import PAP, TLP
from tests.factories import Community

COLUMNS = ("id", "stix_id", "type", "spec_version", "stix_created", "stix_modified",
           "revoked", "name", "description", "confidence", "labels", "data", "vetting",
           "tlp", "pap", "owner_org_id", "created_by_id", "import_id", "source",
           "created_at", "updated_at")


def _fields(org_id: uuid.UUID, user_id: uuid.UUID, suffix: str) -> dict[str, Any]:
    when = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    return {"id": new_id(), "stix_id": f"indicator--{uuid.uuid4()}", "type": "indicator",
            "spec_version": "2.1", "stix_created": when, "stix_modified": None,
            "revoked": True, "name": f"Zürich beacon {suffix}",
            "description": "tab\there, newline\nthere, back\\slash", "confidence": 70,
            "labels": ["c2", "ünïcode"], "data": '{"k": "v\\n"}',
            "vetting": Vetting.VETTED, "tlp": TLP.AMBER, "pap": PAP.RED,
            "owner_org_id": org_id, "created_by_id": user_id, "import_id": None,
            "source": "test", "created_at": when, "updated_at": when}


def test_bulk_rows_read_back_like_orm_rows(database: Database, community: Community) -> None:
    org = community.org("Alpha CERT")
    user = community.user(org)
    through_orm, through_bulk = _fields(org.id, user.id, "orm"), _fields(org.id, user.id, "bulk")
    with database.transaction() as s:
        s.add(StixObject(**through_orm))
        table = StixObject.__table__
        bulk.insert_rows(s, table, COLUMNS,  # type: ignore[arg-type]
                         [tuple(through_bulk[c] for c in COLUMNS)])
    with database.transaction() as s:
        rows = {r.id: r for r in s.scalars(select(StixObject))}
    for expected in (through_orm, through_bulk):
        row = rows[expected["id"]]
        assert {c: getattr(row, c) for c in COLUMNS} == expected


def test_bulk_rows_in_the_importers_form_read_back_alike(database: Database,
                                                         community: Community) -> None:
    """The importer hands ids as 32 hex digits and markings as their stored names
    (``converted=True``); NULLs, empty strings and the largest integers survive too."""
    org = community.org("Alpha CERT")
    user = community.user(org)
    expected = _fields(org.id, user.id, "converted") | {
        "description": "", "name": None, "confidence": None, "labels": [],
        "stix_created": None, "id": uuid.UUID(int=2**128 - 1)}
    driver_form = {c: v.hex if isinstance(v, uuid.UUID) else
                   getattr(v, "value", v) for c, v in expected.items()}
    driver_form["labels"] = "[]"
    with database.transaction() as s:
        bulk.insert_rows(s, StixObject.__table__, COLUMNS,  # type: ignore[arg-type]
                         [tuple(driver_form[c] for c in COLUMNS)], converted=True)
        bulk.insert_rows(s, ObservableValue.__table__,  # type: ignore[arg-type]
                         ("key", "kind", "value", "object_id"),
                         [(2**63 - 1, "domain", "xn--zrich-kva.example", expected["id"].hex),
                          (-2**63, "ipv4", "10.0.0.1", expected["id"].hex)],
                         converted=True)
    with database.transaction() as s:
        row = s.get(StixObject, expected["id"])
        assert row is not None
        assert {c: getattr(row, c) for c in COLUMNS} == expected
        values = {(v.key, v.kind, v.value, v.object_id)
                  for v in s.scalars(select(ObservableValue))}
    assert values == {(2**63 - 1, "domain", "xn--zrich-kva.example", expected["id"]),
                      (-2**63, "ipv4", "10.0.0.1", expected["id"])}


def test_bulk_rows_carry_bytes_unchanged(database: Database, community: Community) -> None:
    org = community.org("Alpha CERT")
    user = community.user(org)
    digests = [bytes(range(256))[:32], b"\x00" * 32, b"\\\t\n" * 10]
    with database.transaction() as s:
        peer = Peer(name="Lyon", url="https://lyon.example/taxii2/c/", org_id=org.id,
                    run_as_id=user.id)
        s.add(peer)
        s.flush()
        bulk.insert_rows(s, MatchDigest.__table__,  # type: ignore[arg-type]
                         ("peer_id", "digest"), [(peer.id, d) for d in digests])
    with database.transaction() as s:
        stored = set(s.scalars(select(MatchDigest.digest)))
    assert stored == set(digests)
