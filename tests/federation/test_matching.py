"""Cross-hub matching on keyed digests: a partner learns which of its values this hub
also holds, and whom to call — never a value; AMBER+STRICT, RED and PAP:RED values are
not offered; questions are bounded per day and audited."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cyberhub import access
from cyberhub.audit import AuditEntry
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.deconfliction import keys
from cyberhub.federation import matching, peers
from cyberhub.federation.models import MatchDigest, Peer
from cyberhub.intel.synthetic import Generator
from tests.factories import Community, bearer
from tests.taxii.conftest import Hub, import_objects

KEY = "k" * 40


def ipv4_indicator(value: str, seed: int, **extra: Any) -> dict[str, Any]:
    obj = copy.deepcopy(Generator(seed=seed).indicator("ipv4"))
    obj["pattern"] = f"[ipv4-addr:value = '{value}']"
    obj.update(extra)
    return obj


def partner(database: Database, community: Community, hub: Hub, *, key: str = KEY,
            green: bool = True) -> str:
    """A partner hub "P" as this hub knows it; returns its client's token."""
    org = community.org("Hub P", kind="international-organisation")
    client_user = community.user(org, email="sync@p.example")
    with database.transaction() as s:
        admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
        peers.add_peer(s, admin, peers.PeerSpec(
            name="P", url="https://p.example/taxii2/hub/collections/shared/", org="Hub P",
            run_as="sync@p.example", secret="unused", match_key=key, match_key_id="2026-12",
            contact="desk@p.example", share_green=green))
    return community.token(client_user)


def ask(client: TestClient, token: str, values: list[str], key_id: str = "2026-12") -> Any:
    digests = [keys.digest(KEY.encode(), "ipv4", v).hex() for v in values]
    return client.post("/api/v1/federation/match", headers=bearer(token),
                       content=orjson.dumps({"key_id": key_id, "digests": digests}))


def test_partner_learns_only_what_is_offered(client: TestClient, database: Database,
                                             community: Community, hub: Hub,
                                             tmp_path: Path) -> None:
    from cyberhub.audience import Audience

    token = partner(database, community, hub)
    with database.transaction() as s:
        peer_id = s.scalar(select(Peer.id))
        p_org = s.scalar(select(Peer.org_id))
    assert peer_id is not None and p_org is not None
    import_objects(database, community, hub.ana, [ipv4_indicator("198.51.100.1", 1)], tmp_path,
                   tlp="GREEN")
    import_objects(database, community, hub.ana, [ipv4_indicator("198.51.100.2", 2)], tmp_path,
                   tlp="AMBER", audience=Audience(org_ids=[p_org]))
    import_objects(database, community, hub.ana, [ipv4_indicator("198.51.100.5", 5)], tmp_path,
                   tlp="AMBER", audience=Audience(org_ids=[hub.beta.id]))  # not for P
    import_objects(database, community, hub.ana, [ipv4_indicator("198.51.100.3", 3)], tmp_path,
                   tlp="AMBER+STRICT", audience=Audience(org_ids=[p_org]))
    import_objects(database, community, hub.ana, [ipv4_indicator("198.51.100.4", 4)], tmp_path,
                   tlp="RED")
    assert matching.rebuild_index(database, peer_id) == 2
    asked = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "203.0.113.9",
             "198.51.100.5"]
    answered = ask(client, token, asked)
    assert answered.status_code == 200, answered.text
    wanted = {keys.digest(KEY.encode(), "ipv4", v).hex() for v in asked[:2]}
    assert set(answered.json()["matches"]) == wanted
    # The values themselves are nowhere in what the hub keeps for matching.
    with database.transaction() as s:
        stored = b"".join(s.scalars(select(MatchDigest.digest)))
        assert b"198.51.100" not in stored and len(stored) == 2 * matching.DIGEST_BYTES
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "match.answer")).one()
        assert audited.details == {"asked": 6, "matched": 2}


def test_who_may_ask(client: TestClient, database: Database, community: Community,
                     hub: Hub) -> None:
    token = partner(database, community, hub)
    assert ask(client, token, ["198.51.100.1"], key_id="old-key").status_code == 403
    assert ask(client, hub.bo_token, ["198.51.100.1"]).status_code == 403  # a member, no partner
    assert client.post("/api/v1/federation/match", content=b"{}").status_code == 401
    for body in (b"[", b"{}", b'{"digests": ["zz"]}', b'{"digests": [1]}',
                 orjson.dumps({"digests": ["00" * 16] * 1001})):
        refused = client.post("/api/v1/federation/match", headers=bearer(token), content=body)
        assert refused.status_code in (400, 422), body[:40]


def test_daily_allowance(client: TestClient, database: Database, community: Community,
                         hub: Hub, settings: Any) -> None:
    settings.match_daily_limit = 3
    token = partner(database, community, hub)
    assert ask(client, token, ["198.51.100.1", "198.51.100.2"]).status_code == 200
    refused = ask(client, token, ["198.51.100.3", "198.51.100.4"])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert ask(client, token, ["198.51.100.3"]).status_code == 200
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "match.refused")) == 1


@pytest.mark.parametrize("key", ["short", ""])
def test_keys_must_be_long_enough(database: Database, community: Community, hub: Hub,
                                  key: str) -> None:
    if key:
        from cyberhub.errors import InvalidInput

        with pytest.raises(InvalidInput):
            partner(database, community, hub, key=key)
    else:
        partner(database, community, hub, key="")  # no key: no matching, and that is fine
        with database.transaction() as s:
            peer_id = s.scalar(select(Peer.id))
        assert peer_id is not None and matching.rebuild_index(database, peer_id) == 0


@pytest.mark.slow
def test_analyst_asks_a_partner_hub(client: TestClient, database: Database,
                                    community: Community, hub: Hub, settings: Any,
                                    tmp_path: Path) -> None:
    """The partner runs as its own process; only digests travel, and the analyst learns
    whom to call."""
    from tests.federation.network import HubProcess, collection, command, org, token, user

    root = tmp_path / "p"
    root.mkdir()
    p = HubProcess("p", root, f"sqlite:///{root / 'hub.sqlite3'}")
    try:
        ours_there, = p.setup(
            org("Papa CERT"), user("pia@papa.example", "Papa CERT"),
            p.importing([ipv4_indicator("192.0.2.77", 9)], "pia@papa.example", "GREEN"),
            p.importing([ipv4_indicator("192.0.2.78", 10)], "pia@papa.example", "RED"),
            org("Hub Q", kind="international-organisation"),  # stands for us there
            user("sync@q.example", "Hub Q"), token("sync@q.example"),
            collection("Shared", "--alias", "shared"),
            command("peer", "add", "Q", "https://q.example/taxii2/hub/collections/shared/",
                    "--org", "Hub Q", "--run-as", "sync@q.example", "--match-key-id",
                    "2026-12", "--share-green", env={"CYBERHUB_PEER_MATCH_KEY": KEY}))
        assert "1 value offered" in p.cli("peer", "index", "Q").stdout
        p.start()
        org = community.org("Hub P", kind="international-organisation")
        community.user(org, email="sync@p.example")
        with database.transaction() as s:
            admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
            peers.add_peer(s, admin, peers.PeerSpec(
                name="P", url=f"{p.url}/taxii2/hub/collections/shared/", org="Hub P",
                run_as="sync@p.example", secret=ours_there, match_key=KEY,
                match_key_id="2026-12", contact="desk@papa.example"))
        settings.wire_log = str(tmp_path / "wire")

        def asked(value: str) -> Any:
            got = client.get("/api/v1/values/partners", params={"value": value},
                             headers=bearer(hub.bo_token))
            assert got.status_code == 200, got.text
            return got.json()

        assert asked("192.0.2.77") == [{"partner": "P", "contact": "desk@papa.example",
                                        "kinds": ["ipv4"]}]
        assert asked("192.0.2.78") == []  # RED there: never offered
        assert asked("192.0.2.79") == []
        sent = b"".join(f.read_bytes() for f in (tmp_path / "wire").iterdir())
        assert b"192.0.2." not in sent and sent.count(b"digests") == 3
        p.kill()
        assert asked("192.0.2.77") == []  # a partner that is down holds nothing we learn
        with database.transaction() as s:
            last = s.scalars(select(AuditEntry).where(AuditEntry.action == "match.ask")
                             .order_by(AuditEntry.seq.desc())).first()
            assert last is not None and last.details["partners_asked"] == 0
    finally:
        p.stop()


def test_key_rotation(client: TestClient, database: Database, community: Community, hub: Hub,
                      tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cyberhub.cli import app as cli

    import_objects(database, community, hub.ana, [ipv4_indicator("198.51.100.1", 1)], tmp_path,
                   tlp="GREEN")
    token = partner(database, community, hub)
    with database.transaction() as s:
        peer_id = s.scalar(select(Peer.id))
    assert peer_id is not None
    matching.rebuild_index(database, peer_id)
    assert ask(client, token, ["198.51.100.1"]).json()["matches"]
    new_key = "n" * 40
    rotated = CliRunner().invoke(cli, ["peer", "key", "P", "--match-key-id", "2027-01"],
                                 env={"CYBERHUB_PEER_MATCH_KEY": new_key})
    assert rotated.exit_code == 0, rotated.output
    assert "1 value offered" in rotated.output
    assert ask(client, token, ["198.51.100.1"]).status_code == 403  # the old key id
    fresh = [keys.digest(new_key.encode(), "ipv4", "198.51.100.1").hex()]
    answered = client.post("/api/v1/federation/match", headers=bearer(token),
                           content=orjson.dumps({"key_id": "2027-01", "digests": fresh}))
    assert answered.json()["matches"] == fresh
