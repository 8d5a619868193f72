"""A small community with a knowledge base and TAXII collections, built through the
services; clients talk to the hub over HTTP."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cyberhub import access
from cyberhub.audience import Audience
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.models import Import, ImportStatus
from cyberhub.taxii import service
from cyberhub.taxii.media import TAXII
from cyberhub.taxii.models import TaxiiCollection
from tests.factories import Community


def basic(email: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{email}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}", "Accept": TAXII}


def import_objects(database: Database, community: Community, user: User,
                   objects: list[dict[str, Any]], tmp_path: Path, *, tlp: str = "GREEN",
                   audience: Audience | None = None) -> Import:
    import orjson

    path = tmp_path / f"{uuid.uuid4()}.json"
    path.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                   "objects": objects}))
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename=path.name, tlp=tlp,
                                 audience=audience)
        imports.stage_file(job, path)
        job_id = job.id
    job = imports.run(database, job_id, keep_source=True)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    return job


def add_collection(database: Database, admin: User, **spec: Any) -> TaxiiCollection:
    with database.transaction() as s:
        viewer = access.viewer_for(s, s.get(User, admin.id))  # type: ignore[arg-type]
        return service.save_collection(s, viewer, service.CollectionSpec(
            title=spec.pop("title", "Everything"), **spec))


@dataclass
class Hub:
    operator: User
    alpha: Organisation
    beta: Organisation
    ana: User  # analyst at Alpha
    bo: User  # analyst at Beta
    reader: User  # reader at Beta
    ana_token: str
    bo_token: str
    reader_token: str


@pytest.fixture
def hub(community: Community) -> Hub:
    ops = community.org("Hub Operators", kind="international-organisation")
    alpha, beta = community.org("Alpha CERT"), community.org("Beta Bank", kind="financial")
    operator = community.user(ops, role="hub-admin", email="operator@hub.example")
    ana = community.user(alpha, email="ana@alpha.example")
    bo = community.user(beta, email="bo@beta.example")
    reader = community.user(beta, role="reader", email="rita@beta.example")
    return Hub(operator, alpha, beta, ana, bo, reader, community.token(ana, "write"),
               community.token(bo, "write"), community.token(reader, "read"))
