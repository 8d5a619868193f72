"""One STIX id for each MISP galaxy cluster, wherever it is met.

The reference data loader (galaxies shipped by ``pymispgalaxies``) and the MISP
importer (galaxy clusters attached to events and attributes) must name a cluster the
same way, so that an event tagged with "LockBit" links to the LockBit family already on
the hub. A cluster carries a UUID that is stable across galaxy versions and MISP
instances; its STIX id is that UUID under the STIX type the galaxy maps to.
"""

from __future__ import annotations

import uuid

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


def cluster_stix_id(galaxy_type: str, cluster_uuid: str) -> str | None:
    """``malware--<cluster uuid>`` for a ransomware cluster; None for an unmapped galaxy
    or a malformed UUID."""
    stix_type = GALAXY_STIX_TYPES.get(galaxy_type)
    if stix_type is None:
        return None
    try:
        return f"{stix_type}--{uuid.UUID(str(cluster_uuid))}"
    except ValueError:
        return None
