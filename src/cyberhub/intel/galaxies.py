"""One STIX id for each MISP galaxy cluster, wherever it is met.

The reference data loader (galaxies shipped by ``pymispgalaxies``) and the MISP
importer (galaxy clusters attached to events and attributes) must name a cluster the
same way, so that an event tagged with "LockBit" links to the LockBit family already on
the hub. A cluster carries a UUID that is stable across galaxy versions and MISP
instances; its STIX id is that UUID under the STIX type the galaxy maps to.

STIX 2.1 ids carry an RFC 4122 UUID (versions 1 to 5, variant ``10``): the STIX
validators, ours and OASIS's, refuse anything else. A few clusters carry other UUIDs
(version 7 from RFC 9562, or hand-made ones that fit no version). Their STIX id is a
UUIDv5 of the cluster UUID in :data:`CLUSTER_NAMESPACE`, so it is still the same
wherever the cluster is met, and still derived from the cluster alone.
"""

from __future__ import annotations

import uuid
from typing import Final

# Namespace of the ids of clusters whose own UUID is not an RFC 4122 one. Fixed forever.
CLUSTER_NAMESPACE: Final = uuid.UUID("5a0f3c52-61c4-5b8e-9d2e-2f7c3e1b8a40")

# galaxy type → STIX type. Galaxies not listed here are not turned into objects.
GALAXY_STIX_TYPES: dict[str, str] = {
    "ransomware": "malware",
    "malpedia": "malware",
    "mitre-malware": "malware",
    "mitre-enterprise-attack-malware": "malware",
    "mitre-mobile-attack-malware": "malware",
    "android": "malware",
    "banker": "malware",
    "botnet": "malware",
    "backdoor": "malware",
    "rat": "malware",
    "stealer": "malware",
    "cryptominers": "malware",
    "exploit-kit": "tool",
    "tool": "tool",
    "mitre-tool": "tool",
    "mitre-enterprise-attack-tool": "tool",
    "mitre-mobile-attack-tool": "tool",
    "threat-actor": "intrusion-set",
    "mitre-intrusion-set": "intrusion-set",
    "mitre-enterprise-attack-intrusion-set": "intrusion-set",
    "mitre-mobile-attack-intrusion-set": "intrusion-set",
    "microsoft-activity-group": "intrusion-set",
    "mitre-attack-pattern": "attack-pattern",
    "mitre-enterprise-attack-attack-pattern": "attack-pattern",
    "mitre-mobile-attack-attack-pattern": "attack-pattern",
    "mitre-course-of-action": "course-of-action",
    "country": "location",
    "region": "location",
    "sector": "identity",
}


def stix_type_of(galaxy_type: str) -> str | None:
    return GALAXY_STIX_TYPES.get(galaxy_type)


def stix_uuid(cluster_uuid: str) -> uuid.UUID | None:
    """The UUID a cluster's STIX id carries: its own when it is an RFC 4122 UUID of
    version 1 to 5, otherwise a UUIDv5 of it; None for a malformed UUID."""
    try:
        parsed = uuid.UUID(str(cluster_uuid))
    except ValueError:
        return None
    if parsed.variant == uuid.RFC_4122 and parsed.version in (1, 2, 3, 4, 5):
        return parsed
    return uuid.uuid5(CLUSTER_NAMESPACE, str(parsed))


def cluster_stix_id(galaxy_type: str, cluster_uuid: str) -> str | None:
    """``malware--<cluster uuid>`` for a ransomware cluster; None for an unmapped galaxy
    or a malformed UUID. See the module's docstring for UUIDs STIX does not accept."""
    stix_type = GALAXY_STIX_TYPES.get(galaxy_type)
    if stix_type is None:
        return None
    sid = stix_uuid(cluster_uuid)
    return None if sid is None else f"{stix_type}--{sid}"
