"""A small community for the vetting and package tests: five organisations (one of them
law enforcement), an analyst and a write token each, importer-made objects."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.audience import Audience
from cyberhub.audit import AuditEntry
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.models import ImportStatus
from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.factories import Community, bearer

ORGS = (("alpha", "cert"), ("bravo", "financial"), ("charlie", "law-enforcement"),
        ("delta", "telecom"), ("echo", "hosting"))


class World:
    def __init__(self, client: TestClient, database: Database, community: Community,
                 tmp: Path) -> None:
        self.client, self.database, self.community, self.tmp = client, database, community, tmp
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        for name, kind in ORGS:
            self.orgs[name] = community.org(name.title(), kind=kind)
            self.add_user(name, name)
        self.gen = Generator(seed=2026)

    def add_user(self, key: str, org: str, role: str = "analyst") -> User:
        self.users[key] = self.community.user(self.orgs[org], role=role,
                                              email=f"{key}@vet.example")
        self.tokens[key] = self.community.token(self.users[key], scope="write")
        return self.users[key]

    def import_(self, who: str, objects: list[dict[str, Any]], tlp: str = "GREEN",
                audience: tuple[str, ...] = ()) -> None:
        path = self.tmp / f"{uuid.uuid4()}.json"
        path.write_bytes(bundle_bytes(objects))
        viewer = self.community.viewer(self.users[who])
        with self.database.transaction() as s:
            job = imports.new_import(s, viewer, filename=path.name, tlp=tlp, audience=Audience(
                org_ids=[self.orgs[a].id for a in audience]))
            imports.stage_file(job, path)
            job_id = job.id
        done = imports.run(self.database, job_id, keep_source=True)
        assert done.status is ImportStatus.SUCCEEDED, (done.message, done.errors)

    def indicator(self, who: str, tlp: str = "GREEN", audience: tuple[str, ...] = (),
                  name: str = "C2 server") -> str:
        """One new indicator owned by ``who``; returns its record id."""
        obj = self.gen.indicator("ipv4") | {"name": name}
        self.import_(who, [obj], tlp=tlp, audience=audience)
        return self.record(who, obj["id"])

    def record(self, who: str, stix_id: str) -> str:
        r = self.get(who, f"/objects/{stix_id}")
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=bearer(self.tokens[who]), **kw)

    def post(self, who: str, path: str, json: Any = None) -> Any:
        return self.client.post("/api/v1" + path, headers=bearer(self.tokens[who]), json=json)

    def patch(self, who: str, path: str, json: Any) -> Any:
        return self.client.patch("/api/v1" + path, headers=bearer(self.tokens[who]), json=json)

    def delete(self, who: str, path: str) -> Any:
        return self.client.delete("/api/v1" + path, headers=bearer(self.tokens[who]))

    def vote(self, who: str, record: str, verdict: str = "confirm",
             reason: str = "Seen in our own telemetry.") -> Any:
        return self.post(who, f"/objects/{record}/vetting",
                         {"verdict": verdict, "reason": reason})

    def audits(self, prefix: str) -> list[AuditEntry]:
        with self.database.transaction() as s:
            return list(s.scalars(select(AuditEntry).where(
                AuditEntry.action.startswith(prefix)).order_by(AuditEntry.seq)))
