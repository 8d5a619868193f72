"""What a partner hub's client may take and send, in process on both engines: TAXII
serves it only what may leave to it (BRIEF §3); what it sends marked AMBER+STRICT or RED
is refused and audited; a version the hub already holds is not stored twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cyberhub import access
from cyberhub.audience import Audience
from cyberhub.audit import AuditEntry
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.federation import peers
from cyberhub.intel.markings import MARKING_BY_TLP
from cyberhub.intel.synthetic import Generator
from cyberhub.sharing import TLP
from cyberhub.taxii.media import TAXII
from tests.factories import Community, bearer
from tests.taxii.conftest import Hub, add_collection, import_objects


def objects(n: int, seed: int) -> list[dict[str, Any]]:
    found = [o for o in Generator(seed=seed).objects(n * 20) if o["type"] == "indicator"][:n]
    assert len(found) == n
    return found


def partner(database: Database, community: Community, hub: Hub, *, green: bool) -> tuple[
        str, str]:
    org = community.org("Hub P", kind="international-organisation")
    user = community.user(org, email="sync@p.example")
    with database.transaction() as s:
        admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
        peers.add_peer(s, admin, peers.PeerSpec(
            name="P", url="https://p.example/taxii2/hub/collections/x/", org="Hub P",
            run_as="sync@p.example", share_green=green, tlp="GREEN"))
    return community.token(user, "write"), str(org.id)


@pytest.mark.parametrize("green", [True, False])
def test_partner_takes_only_what_may_leave(client: TestClient, database: Database,
                                           community: Community, hub: Hub, tmp_path: Path,
                                           green: bool) -> None:
    token, _org = partner(database, community, hub, green=green)
    with database.transaction() as s:
        p_org = s.scalar(select(User.org_id).where(User.email == "sync@p.example"))
    sets = {
        "clear": objects(3, 1), "green": objects(3, 2), "amber_p": objects(3, 3),
        "amber_other": objects(3, 4), "strict_p": objects(3, 5), "red": objects(3, 6)}
    import_objects(database, community, hub.ana, sets["clear"], tmp_path, tlp="CLEAR")
    import_objects(database, community, hub.ana, sets["green"], tmp_path, tlp="GREEN")
    import_objects(database, community, hub.ana, sets["amber_p"], tmp_path, tlp="AMBER",
                   audience=Audience(org_ids=[p_org]))  # type: ignore[list-item]
    import_objects(database, community, hub.ana, sets["amber_other"], tmp_path, tlp="AMBER",
                   audience=Audience(org_ids=[hub.beta.id]))
    import_objects(database, community, hub.ana, sets["strict_p"], tmp_path,
                   tlp="AMBER+STRICT", audience=Audience(org_ids=[p_org]))  # type: ignore[list-item]
    import_objects(database, community, hub.ana, sets["red"], tmp_path, tlp="RED")
    c = add_collection(database, hub.operator, title="All", writable=True)
    got = client.get(f"/taxii2/hub/collections/{c.id}/objects/",
                     headers={**bearer(token), "Accept": TAXII}).json()
    served = {o["id"] for o in got.get("objects", [])}
    expected = {o["id"] for o in sets["clear"] + sets["amber_p"]}
    if green:
        expected |= {o["id"] for o in sets["green"]}
    assert served == expected
    # What the partner itself sent is never served back to it.
    posted = client.post(f"/taxii2/hub/collections/{c.id}/objects/",
                         headers={**bearer(token), "Accept": TAXII, "Content-Type": TAXII},
                         content=orjson.dumps({"objects": objects(2, 7)}))
    assert posted.status_code == 202
    again = client.get(f"/taxii2/hub/collections/{c.id}/objects/",
                       headers={**bearer(token), "Accept": TAXII}).json()
    assert {o["id"] for o in again.get("objects", [])} == expected


def test_partner_sending_what_must_not_travel(client: TestClient, database: Database,
                                              community: Community, hub: Hub,
                                              tmp_path: Path) -> None:
    token, _org = partner(database, community, hub, green=True)
    c = add_collection(database, hub.operator, title="Inbox", writable=True)
    fine = objects(2, 11)
    red = [dict(o, object_marking_refs=[MARKING_BY_TLP[TLP.RED]]) for o in objects(2, 12)]
    strict = [dict(o, object_marking_refs=[MARKING_BY_TLP[TLP.AMBER_STRICT]])
              for o in objects(1, 13)]
    known = objects(1, 14)
    import_objects(database, community, hub.ana, known, tmp_path, tlp="GREEN")
    posted = client.post(f"/taxii2/hub/collections/{c.id}/objects/",
                         headers={**bearer(token), "Accept": TAXII, "Content-Type": TAXII},
                         content=orjson.dumps({"objects": fine + red + strict + known}))
    status = client.get(f"/taxii2/hub/status/{posted.json()['id']}/",
                        headers={**bearer(token), "Accept": TAXII}).json()
    assert status["failure_count"] == 3
    assert {f["id"] for f in status["failures"]} == {o["id"] for o in red + strict}
    assert all("never leaves" in f["message"] for f in status["failures"])
    with database.transaction() as s:
        refused = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "federation.refused_marking")).one()
        assert set(refused.details["ids"]) == {o["id"] for o in red + strict}
    # The version Alpha already holds was not stored a second time under the partner.
    mine = client.get(f"/taxii2/hub/collections/{c.id}/objects/",
                      headers={**bearer(hub.ana_token), "Accept": TAXII}).json()["objects"]
    assert [o["id"] for o in mine].count(known[0]["id"]) == 1


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tlp=st.sampled_from(list(TLP)), named=st.booleans(), green=st.booleans(),
       own=st.booleans())
def test_may_leave_matches_the_table(tlp: TLP, named: bool, green: bool, own: bool) -> None:
    """access.may_leave_to against BRIEF §3, record by record (in SQL on SQLite)."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from cyberhub.notes.models import Note
    from cyberhub.sharing import AudienceEntry

    partner_org, owner = uuid.uuid4(), uuid.uuid4()
    engine = create_engine("sqlite://")
    Note.metadata.create_all(engine, tables=[Note.__table__, AudienceEntry.__table__])  # type: ignore[list-item]
    with Session(engine) as s:
        note = Note(id=uuid.uuid4(), tlp=tlp, owner_org_id=partner_org if own else owner,
                    created_by_id=uuid.uuid4(), title="t")
        s.add(note)
        if named:
            s.add(AudienceEntry(id=uuid.uuid4(), record_id=note.id, org_id=partner_org))
        s.flush()
        leaves = s.scalar(select(Note.id).where(access.may_leave_to(
            Note, access.Partner(partner_org, green)))) is not None
    expected = not own and (tlp is TLP.CLEAR or (tlp is TLP.GREEN and green)
                            or (tlp is TLP.AMBER and named))
    assert leaves == expected


def test_partner_accounts_use_taxii_only(client: TestClient, database: Database,
                                         community: Community, hub: Hub) -> None:
    from tests.factories import sign_in

    token, _org = partner(database, community, hub, green=False)
    # The REST API would apply the ordinary sharing rules, not what may leave to P.
    refused = client.get("/api/v1/objects", headers=bearer(token))
    assert refused.status_code == 403 and "partner hub" in refused.json()["error"]["message"]
    assert client.post("/api/v1/import?tlp=GREEN", headers=bearer(token),
                       content=b"{}").status_code == 403
    from tests.factories import PASSWORD

    with database.transaction() as s:
        user = s.scalar(select(User).where(User.email == "sync@p.example"))
        assert user is not None
    from cyberhub.community import security

    with database.transaction() as s:
        stored = s.get(User, user.id)
        assert stored is not None
        stored.password_hash = security.hash_password(PASSWORD)
    sign_in(client, "sync@p.example")
    assert client.get("/objects").status_code == 403


def test_earlier_versions_stay_with_their_owner(client: TestClient, database: Database,
                                               community: Community, hub: Hub,
                                               tmp_path: Path) -> None:
    """An earlier version stored under a stricter marking must not travel with the
    current one."""
    import copy

    token, _org = partner(database, community, hub, green=True)
    first = objects(1, 21)[0]
    second = copy.deepcopy(first)
    second["modified"] = "2031-01-01T00:00:00.000Z"
    import_objects(database, community, hub.ana, [first], tmp_path, tlp="RED")
    import_objects(database, community, hub.ana, [second], tmp_path, tlp="CLEAR")
    c = add_collection(database, hub.operator, title="All")
    url = f"/taxii2/hub/collections/{c.id}/objects/"
    for who, expected in ((token, [second["modified"]]), (hub.bo_token, [second["modified"]]),
                          (hub.ana_token, [first["modified"], second["modified"]])):
        got = client.get(url, headers={**bearer(who), "Accept": TAXII},
                         params={"match[version]": "all"}).json()
        assert [o["modified"] for o in got["objects"]] == expected
    assert [v["modified"] for v in client.get(
        f"/api/v1/objects/{first['id']}/versions", headers=bearer(hub.bo_token)).json()] == [
        second["modified"]]


def test_a_granular_red_marking_marks_the_whole_record(client: TestClient, database: Database,
                                                      community: Community, hub: Hub,
                                                      tmp_path: Path) -> None:
    """The hub shares objects whole: a TLP:RED marking on one property makes the record
    RED, so it neither reaches other members nor leaves to partners."""
    token, _org = partner(database, community, hub, green=True)
    obj = dict(objects(1, 22)[0], granular_markings=[
        {"marking_ref": MARKING_BY_TLP[TLP.RED], "selectors": ["description"]}],
        description="the part only the author may read")
    import_objects(database, community, hub.ana, [obj], tmp_path, tlp="GREEN")
    c = add_collection(database, hub.operator, title="All")
    url = f"/taxii2/hub/collections/{c.id}/objects/"
    for who in (token, hub.bo_token):
        assert client.get(url, headers={**bearer(who), "Accept": TAXII}).json() == {}
    mine = client.get(url, headers={**bearer(hub.ana_token), "Accept": TAXII}).json()
    assert [o["id"] for o in mine["objects"]] == [obj["id"]]
