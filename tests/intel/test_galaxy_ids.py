"""One STIX id per MISP galaxy cluster, valid for STIX whatever UUID the cluster has."""

from __future__ import annotations

import uuid

from stix2validator import ValidationOptions, validate_instance

from cyberhub.formats.stix.validate import validate_object
from cyberhub.intel.galaxies import CLUSTER_NAMESPACE, cluster_stix_id


def test_cluster_ids_stay_valid_stix_ids() -> None:
    assert cluster_stix_id("ransomware", "8EDA8BF1-DB5A-412D-8511-45E2F7621D51") == \
        "malware--8eda8bf1-db5a-412d-8511-45e2f7621d51"
    # Version 7 (RFC 9562) and hand-made UUIDs fit no STIX id: a UUIDv5 of them does.
    v7 = "019514dc-c894-751f-8cfd-ff2b932ff451"
    assert cluster_stix_id("threat-actor", v7) == \
        f"intrusion-set--{uuid.uuid5(CLUSTER_NAMESPACE, v7)}"
    odd = "a7ee1722-c3c5-aeff-3212-c777e4733217"
    for cluster in (v7, odd):
        sid = cluster_stix_id("tool", cluster)
        assert sid is not None and sid == cluster_stix_id("tool", cluster.upper())
        obj = {"type": "tool", "spec_version": "2.1", "id": sid, "name": "x",
               "created": "2016-01-01T00:00:00.000Z", "modified": "2016-01-01T00:00:00.000Z"}
        assert validate_object(obj) == []
        assert validate_instance(obj, ValidationOptions(version="2.1")).is_valid
    assert cluster_stix_id("no-such-galaxy", v7) is None
    assert cluster_stix_id("tool", "not a uuid") is None
