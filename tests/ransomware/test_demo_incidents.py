"""The demo hub's incidents: fictional, from several organisations, some trend cells
published and some withheld; loading twice adds nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cyberhub import access, demo
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.ransomware import trends
from cyberhub.ransomware.models import Decryptor, Incident, IncidentTally, IncidentVictim


def test_demo_incidents_feed_the_trends(families: Database, settings: Any) -> None:
    with families.transaction() as s:
        demo.load(s)
    with families.transaction() as s:
        demo.load(s)  # idempotent
    with families.transaction() as s:
        rows = list(s.scalars(select(Incident)))
        assert len(rows) == 40 and all(r.is_demo and r.notes.startswith("[DEMO]") for r in rows)
        assert len({r.owner_org_id for r in rows}) == 7
        victims = list(s.scalars(select(IncidentVictim.name)))
        assert victims and all(v.startswith("[DEMO]") for v in victims)
        # A demo member of an organisation that reported nothing sees the trends.
        user = s.scalars(select(User).join(Organisation).where(
            Organisation.name == "Atlas Payments (demo)")).first()
        assert user is not None
        t = trends.trends(s, access.viewer_for(s, user))
        assert t.total is not None and t.total < 40  # AMBER+STRICT ones are not visible
        family = next(d for d in t.dimensions if d.name == "family")
        assert "LockBit" in [c.label for c in family.cells]
        assert any(d.withheld for d in t.dimensions)
        assert any(d.cells for d in t.dimensions if d.name == "country")
        assert s.scalar(select(func.count()).select_from(Incident).where(
            Incident.via_link.is_(True))) == 0
        # The demo catalogue offers decryptors for families of the reference data, once.
        tools = list(s.scalars(select(Decryptor)))
        assert {d.family_name for d in tools} >= {"LockBit"}
        assert all(d.name.startswith("[DEMO]") and ".demo.cyberhub.example/" in d.url
                   for d in tools)
        assert len(tools) == len({d.url for d in tools})
        # The running tallies count every demo incident.
        assert s.scalar(select(func.sum(IncidentTally.count)).where(
            IncidentTally.dimension == "paid")) == 40
