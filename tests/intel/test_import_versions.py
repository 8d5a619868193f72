"""New versions of stored objects, many at once: each earlier version becomes history
(with when it was stored), the newest becomes current with its values and references —
also when one batch holds several new versions of one object."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cyberhub.db import Database
from cyberhub.intel.models import ObservableValue, StixObject, StixObjectVersion
from cyberhub.intel.synthetic import Generator
from tests.factories import Community
from tests.taxii.conftest import import_objects


def indicators(n: int, seed: int) -> list[dict[str, Any]]:
    return [o for o in Generator(seed=seed).objects(n * 20) if o["type"] == "indicator"][:n]


def revised(obj: dict[str, Any], modified: str, value: str) -> dict[str, Any]:
    new = copy.deepcopy(obj)
    new["modified"] = modified
    new["pattern"] = f"[ipv4-addr:value = '{value}']"
    return new


def test_many_stored_objects_get_new_versions(database: Database, community: Community,
                                              tmp_path: Path) -> None:
    ana = community.user(community.org("Alpha CERT"))
    first = indicators(60, 31)
    import_objects(database, community, ana, first, tmp_path)
    with database.transaction() as s:
        stored_at = dict(s.execute(select(StixObject.stix_id, StixObject.updated_at)).all())
    second = [revised(o, "2031-01-01T00:00:00.000Z", f"10.0.{i // 250}.{i % 250}")
              for i, o in enumerate(first)]
    third = [revised(o, "2032-01-01T00:00:00.000Z", f"10.1.{i // 250}.{i % 250}")
             for i, o in enumerate(first[:10])]
    job = import_objects(database, community, ana, second + third, tmp_path)
    assert job.objects_new_versions == 70 and job.objects_stored == 0
    with database.transaction() as s:
        current = {r.stix_id: r for r in s.scalars(select(StixObject))}
        history = s.execute(select(StixObject.stix_id, StixObjectVersion.stix_modified,
                                   StixObjectVersion.created_at)
                            .join(StixObject, StixObject.id == StixObjectVersion.object_id)
                            ).all()
        values = dict(s.execute(select(StixObject.stix_id, ObservableValue.value)
                                .join(StixObject, StixObject.id == ObservableValue.object_id)
                                .where(ObservableValue.kind == "ipv4")).all())
    assert len(current) == 60
    for i, o in enumerate(first):
        newest = third[i] if i < 10 else second[i]
        assert current[o["id"]].data.count(newest["modified"]) == 1
        assert values[o["id"]] == newest["pattern"].split("'")[1]
    by_object: dict[str, list[Any]] = {}
    for stix_id, modified, created_at in history:
        by_object.setdefault(stix_id, []).append((modified, created_at))
    assert all(len(v) == (2 if sid in {o["id"] for o in first[:10]} else 1)
               for sid, v in by_object.items())
    assert len(by_object) == 60
    # The first version keeps when it was stored (TAXII's date added).
    for sid, versions in by_object.items():
        oldest = min(versions, key=lambda v: v[0])
        assert oldest[1] == stored_at[sid]


def test_a_new_version_takes_the_pap_its_own_data_names(database: Database,
                                                          community: Community,
                                                          tmp_path: Path) -> None:
    from cyberhub.intel.markings import MARKING_BY_PAP
    from cyberhub.sharing import PAP

    ana = community.user(community.org("Alpha CERT"))
    first = indicators(3, 37)
    marked = [dict(o, object_marking_refs=[*o.get("object_marking_refs", []),
                                           MARKING_BY_PAP[pap]])
              for o, pap in zip(first, (PAP.AMBER, PAP.GREEN, PAP.RED), strict=True)]
    import_objects(database, community, ana, marked, tmp_path)
    # Newer versions: the first now names PAP:RED, the second names none, the third
    # names PAP:CLEAR beside PAP:AMBER (the stricter wins).
    second = [revised(first[0], "2031-01-01T00:00:00.000Z", "10.9.0.1"),
              revised(first[1], "2031-01-01T00:00:00.000Z", "10.9.0.2"),
              revised(first[2], "2031-01-01T00:00:00.000Z", "10.9.0.3")]
    second[0]["object_marking_refs"] = [MARKING_BY_PAP[PAP.RED]]
    second[2]["object_marking_refs"] = [MARKING_BY_PAP[PAP.CLEAR], MARKING_BY_PAP[PAP.AMBER]]
    with database.transaction() as s:
        before = dict(s.execute(select(StixObject.stix_id, StixObject.pap)).all())
    assert before == {first[0]["id"]: PAP.AMBER, first[1]["id"]: PAP.GREEN,
                      first[2]["id"]: PAP.RED}
    job = import_objects(database, community, ana, second, tmp_path)
    assert job.objects_new_versions == 3
    with database.transaction() as s:
        after = dict(s.execute(select(StixObject.stix_id, StixObject.pap)).all())
    assert after == {first[0]["id"]: PAP.RED, first[1]["id"]: None,
                     first[2]["id"]: PAP.AMBER}
