"""The hub's TAXII client against a server we did not write: it subscribes to a
collection of the OASIS reference server (medallion), pulls it with its cursor, and
pushes to it — as it would with any TAXII 2.1 source or partner."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest
import requests
from sqlalchemy import select

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.federation import peers, sync
from cyberhub.intel.models import StixObject
from cyberhub.intel.synthetic import Generator
from tests.factories import Community
from tests.taxii.conftest import Hub, import_objects
from tests.taxii.medallion import PASSWORD, TAXII, USER, collection, running

pytestmark = pytest.mark.slow


def test_pull_from_and_push_to_medallion(database: Database, community: Community, hub: Hub,
                                         tmp_path: Path) -> None:
    inbox, outbox = str(uuid.uuid4()), str(uuid.uuid4())
    theirs = [o for o in Generator(seed=21).objects(60) if o["type"] == "indicator"][:5]
    ours = [o for o in Generator(seed=22).objects(60) if o["type"] == "malware"][:3]
    import_objects(database, community, hub.ana, ours, tmp_path, tlp="GREEN")
    with running(tmp_path / "medallion", [collection(outbox, "Source"),
                                          collection(inbox, "Inbox")]) as m:
        posted = requests.post(f"{m.root}collections/{outbox}/objects/",
                               auth=(USER, PASSWORD), timeout=10,
                               headers={"Accept": TAXII, "Content-Type": TAXII},
                               data=orjson.dumps({"objects": theirs}))
        assert posted.status_code == 202, posted.text
        source = community.org("OASIS reference", kind="other")
        community.user(source, email="feed@reference.example")
        with database.transaction() as s:
            admin = access.viewer_for(s, s.get(User, hub.operator.id))  # type: ignore[arg-type]
            pulled = peers.add_peer(s, admin, peers.PeerSpec(
                name="reference", url=f"{m.root}collections/{outbox}/",
                org="OASIS reference", run_as="feed@reference.example", remote_user=USER,
                secret=PASSWORD, tlp="GREEN", share_green=True, direction="both"))
            peer_id = pulled.id
        first = sync.sync_now(database, peer_id)
        assert first.error is None, first.error
        assert (first.pulled, first.stored) == (5, 5)
        with database.transaction() as s:
            got = set(s.scalars(select(StixObject.stix_id).where(
                StixObject.source == "peer:reference")))
        assert got == {o["id"] for o in theirs}
        # Our GREEN objects went the other way; nothing of theirs was sent back.
        assert first.pushed == len(ours)
        there = requests.get(f"{m.root}collections/{outbox}/objects/", auth=(USER, PASSWORD),
                             headers={"Accept": TAXII}, timeout=10).json()["objects"]
        assert {o["id"] for o in there} == {o["id"] for o in theirs + ours}
        again = sync.sync_now(database, peer_id)
        assert again.error is None and (again.stored, again.pushed) == (0, 0)
