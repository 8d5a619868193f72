"""Making a drawn world real: organisations, users, groups and records, each through the
service or the REST endpoint an ordinary member would use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from cyberhub.audience import Audience
from cyberhub.community import service as community_service
from cyberhub.community.models import Group, Organisation, User
from cyberhub.db import Database
from cyberhub.deps import SESSION_COOKIE
from cyberhub.federation import peers
from cyberhub.federation.models import Peer
from cyberhub.intel import imports
from cyberhub.intel.models import ImportStatus
from cyberhub.sharing import TLP
from cyberhub.taxii import service as taxii_service
from tests.factories import Community, bearer, sign_in
from tests.leak.world import Drawn, RecordSpec, sees, while_built

MATCH_KEY = "k" * 40
MATCH_KEY_ID = "leak-test"
STAMP = "2026-02-03T04:05:06.000Z"


@dataclass
class Built:
    drawn: Drawn
    orgs: list[Organisation]
    users: list[User]
    groups: list[Group]
    tokens: list[str]
    browsers: list[TestClient]
    ids: dict[int, str] = field(default_factory=dict)  # record index → record id
    stix_ids: dict[int, str] = field(default_factory=dict)  # STIX records → STIX id
    import_ids: dict[int, str] = field(default_factory=dict)  # STIX records → their import
    collection_id: str = ""
    peer_id: uuid.UUID | None = None


def mentions(d: Drawn) -> str:
    """Everyone in the world, @mentioned: each is told who may see what mentions them."""
    return " ".join(f"@w{d.seed}u{i}@leak.example" for i in range(len(d.users)))


def _audience_json(b: Built, rec: RecordSpec) -> dict[str, list[str]]:
    return {"org_ids": [str(b.orgs[i].id) for i in sorted(rec.orgs)],
            "group_ids": [str(b.groups[i].id) for i in sorted(rec.groups)],
            "user_ids": [str(b.users[i].id) for i in sorted(rec.users)]}


def _created(response: Any) -> str:
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def _stix_object(b: Built, rec: RecordSpec) -> dict[str, Any]:
    d = b.drawn
    base = {"spec_version": "2.1", "created": STAMP, "modified": STAMP,
            "description": f"{rec.marker} in {d.word}"}
    if rec.kind == "indicator":
        stix_id = b.stix_ids[rec.same_stix_as] if rec.same_stix_as is not None else \
            f"indicator--{uuid.uuid4()}"
        return base | {"type": "indicator", "id": stix_id, "name": f"{rec.marker} {d.word}",
                       "pattern": f"[ipv4-addr:value = '{rec.value}']",
                       "pattern_type": "stix", "valid_from": STAMP}
    assert rec.on is not None
    if rec.kind == "relationship":
        assert rec.to is not None
        return base | {"type": "relationship", "id": f"relationship--{uuid.uuid4()}",
                       "relationship_type": "related-to", "source_ref": b.stix_ids[rec.on],
                       "target_ref": b.stix_ids[rec.to]}
    return base | {"type": "sighting", "id": f"sighting--{uuid.uuid4()}", "count": 1,
                   "sighting_of_ref": b.stix_ids[rec.on]}


def _import(database: Database, community: Community, b: Built, rec: RecordSpec,
            tmp: Path) -> None:
    obj = _stix_object(b, rec)
    path = tmp / f"{uuid.uuid4()}.json"
    path.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                   "objects": [obj]}))
    viewer = community.viewer(b.users[rec.author])
    with database.transaction() as s:
        job = imports.new_import(s, viewer, filename=path.name, tlp=rec.tlp.value, audience=Audience(
            [b.orgs[i].id for i in sorted(rec.orgs)], [b.groups[i].id for i in sorted(rec.groups)],
            [b.users[i].id for i in sorted(rec.users)]))
        imports.stage_file(job, path)
        job_id = job.id
    done = imports.run(database, job_id, keep_source=True)
    assert done.status is ImportStatus.SUCCEEDED, (done.message, done.errors)
    b.stix_ids[rec.index] = obj["id"]
    b.import_ids[rec.index] = str(job_id)
    r = client_get(b, rec.author, f"/objects/{obj['id']}")
    assert r.status_code == 200, r.text
    b.ids[rec.index] = str(r.json()["id"])


def client_get(b: Built, user: int, path: str, **kw: Any) -> Any:
    return b.browsers[user].get("/api/v1" + path, headers=bearer(b.tokens[user]), **kw)


def _post(b: Built, user: int, path: str, body: dict[str, Any]) -> Any:
    return b.browsers[user].post("/api/v1" + path, headers=bearer(b.tokens[user]), json=body)


def _create(b: Built, rec: RecordSpec) -> str:
    d, who, m = b.drawn, rec.author, rec.marker
    common = {"tlp": rec.tlp.value, "audience": _audience_json(b, rec)}
    if rec.kind == "note":
        return _created(_post(b, who, "/notes", {"title": f"{m} {d.word}",
                                                 "body": f"Body of {m}"} | common))
    if rec.kind == "insight":
        rid = _created(_post(b, who, "/insights", {"title": f"{m} {d.word}",
                                                   "summary": f"Summary of {m}"} | common))
        if rec.published:
            r = _post(b, who, f"/insights/{rid}/publish", {})
            assert r.status_code == 200, r.text
        return rid
    if rec.kind == "dialogue":
        rid = _created(_post(b, who, "/dialogues", {"topic": f"{m} {d.word}",
                                                    "description": f"About {m}"} | common))
        r = _post(b, who, f"/dialogues/{rid}/open", {})
        assert r.status_code == 200, r.text
        r = _post(b, who, f"/dialogues/{rid}/contributions",
                  {"body": f"Said in {m} to {mentions(d)}"})
        assert r.status_code == 201, r.text
        return rid
    if rec.kind == "lesson":
        return _created(_post(b, who, "/lessons", {"title": f"{m} {d.word}",
                                                   "what_happened": f"In {m}"} | common))
    if rec.kind == "meeting":
        return _created(_post(b, who, "/meetings", {"title": f"{m} {d.word}",
                                                    "starts_at": "2026-05-01T09:00:00Z",
                                                    "agenda": f"Agenda of {m}"} | common))
    if rec.kind == "incident":
        return _created(_post(b, who, "/ransomware/incidents", {
            "discovered": "2026-03-14", "access_vector": "phishing",
            "notes": f"Notes of {m} {d.word}"} | common))
    if rec.kind == "operation":
        participants = rec.orgs if rec.tlp is TLP.AMBER_STRICT else \
            frozenset(d.users[u].org for u in rec.users)
        return _created(_post(b, who, "/operations", {
            "name": f"{m} {d.word}", "legal_basis": f"Warrant {m}",
            "objectives": f"Objectives of {m}", "tlp": rec.tlp.value,
            "participant_org_ids": [str(b.orgs[i].id) for i in sorted(participants)],
            "member_ids": [str(b.users[i].id) for i in sorted(rec.users)]}))
    if rec.kind == "package":
        return _created(_post(b, who, "/packages", {"title": f"{m} {d.word}",
                                                    "narrative": f"Narrative of {m}"}))
    if rec.kind == "comment":
        assert rec.on is not None
        return _created(_post(b, who, "/comments", {"target_type": "note",
                                                    "target_id": b.ids[rec.on],
                                                    "body": f"Comment {m} {mentions(d)}"}))
    raise AssertionError(rec.kind)


def _watch(b: Built) -> None:
    """Everyone (but the partner hub's account, which uses TAXII only) watches every
    dialogue: a watch on one they may not see is refused like one that does not exist.
    Then each dialogue's author adds to it, and its watchers are told."""
    d = while_built(b.drawn)
    for user, spec in enumerate(d.users):
        if spec.org == d.partner:
            continue
        for rec in d.records:
            if rec.kind == "dialogue":
                r = _post(b, user, "/watches", {"kind": "dialogue", "target": b.ids[rec.index]})
                assert r.status_code == (201 if sees(d, user, rec) else 404), (user, rec, r.text)
    for rec in d.records:
        if rec.kind == "dialogue":
            r = _post(b, rec.author, f"/dialogues/{b.ids[rec.index]}/contributions",
                      {"body": f"More on {rec.marker}"})
            assert r.status_code == 201, r.text


def build(app: Any, database: Database, community: Community, d: Drawn, tmp: Path) -> Built:
    orgs = [community.org(f"Leak {d.seed} org {i}", kind=k) for i, k in enumerate(d.org_kinds)]
    users = [community.user(orgs[u.org], u.role.value, email=f"w{d.seed}u{i}@leak.example")
             for i, u in enumerate(d.users)]
    groups = [community.group(f"Leak {d.seed} group {i}", orgs=[orgs[o] for o in sorted(g.orgs)],
                              users=[users[u] for u in sorted(g.users)])
              for i, g in enumerate(d.groups)]
    tokens = [community.token(u, scope="write") for u in users]
    browsers = []
    for u in users:
        browser = TestClient(app, base_url="http://testserver")
        r = sign_in(browser, u.email)
        assert r.status_code == 303 and browser.cookies.get(SESSION_COOKIE), r.text
        browsers.append(browser)
    b = Built(d, orgs, users, groups, tokens, browsers)
    for rec in d.records:
        if rec.kind in ("indicator", "relationship", "sighting"):
            _import(database, community, b, rec, tmp)
        else:
            b.ids[rec.index] = _create(b, rec)
    with database.transaction() as s:
        b.collection_id = str(taxii_service.save_collection(
            s, community.system, taxii_service.CollectionSpec(title=f"Leak {d.seed}")).id)
        if d.partner is not None:
            run_as = next(u for u, spec in zip(users, d.users, strict=True)
                          if spec.org == d.partner)
            peer: Peer = peers.add_peer(s, community.system, peers.PeerSpec(
                name=f"partner-{d.seed}",
                url=f"http://127.0.0.1:9/taxii2/hub/collections/{uuid.uuid4()}/",
                org=str(orgs[d.partner].id), run_as=run_as.email, direction="push",
                share_green=d.share_green, match_key=MATCH_KEY, match_key_id=MATCH_KEY_ID))
            b.peer_id = peer.id
    _watch(b)
    for rec in d.records:
        if rec.narrowed:
            r = b.browsers[rec.author].patch(
                f"/api/v1/notes/{b.ids[rec.index]}", headers=bearer(b.tokens[rec.author]),
                json={"tlp": "RED", "audience": {"user_ids": [str(users[rec.author].id)]}})
            assert r.status_code == 200, r.text
    # People who have left: their tokens and browser sessions must stop showing anything.
    for user, spec in zip(users, d.users, strict=True):
        if not spec.active:
            with database.transaction() as s:
                community_service.update_user(s, community.system, user.id, is_active=False)
    return b
