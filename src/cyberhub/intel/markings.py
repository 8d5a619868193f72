"""Markings carried by STIX data, mapped to the hub's TLP 2.0.

The hub recognises the TLP 1.0 marking definitions of the STIX 2.1 specification and
the TLP 2.0 ones published by OASIS; any other marking definition is kept in the data
as it is but does not change who may see the object.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from cyberhub.sharing import PAP, TLP

TLP1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
TLP2 = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
}
TLP_BY_MARKING = {**TLP1, **TLP2}
MARKING_BY_TLP = {tlp: mid for mid, tlp in TLP2.items()}

# The TLP 2.0 marking-definition objects exactly as OASIS publishes them
# (cti-stix-common-objects, extension-definition-specifications/tlp-2.0): STIX 2.1 does
# not predefine them, so a bundle that references one carries the object itself.
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"


def _tlp2_definition(marking_id: str, tlp: TLP) -> dict[str, object]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": TLP2_CREATED,
        "name": f"TLP:{tlp.value}",
        "extensions": {
            TLP2_EXTENSION_ID: {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.value.lower(),
            },
        },
    }


TLP2_DEFINITIONS: dict[str, dict[str, object]] = {
    mid: _tlp2_definition(mid, tlp) for mid, tlp in TLP2.items()}
"""marking-definition id → the official TLP 2.0 marking-definition object."""

STRICTNESS = {TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.AMBER_STRICT: 3, TLP.RED: 4}


def strictest(tlps: Iterable[TLP]) -> TLP:
    return max(tlps, key=STRICTNESS.__getitem__)


def tlp_of(marking_refs: object, default: TLP) -> TLP:
    """The object's TLP: the strictest of its TLP markings and the import's default.

    Honouring the data means never sharing more widely than it says; the importer may
    still restrict it further."""
    found, rank = default, STRICTNESS[default]
    if isinstance(marking_refs, list):
        for m in marking_refs:
            tlp = TLP_BY_MARKING.get(m) if isinstance(m, str) else None
            if tlp is not None and STRICTNESS[tlp] > rank:
                found, rank = tlp, STRICTNESS[tlp]
    return found


# The identity that represents each member organisation in STIX data it exports.
_ORG_NAMESPACE = uuid.UUID("6f0f5e8c-2d0e-5b4a-9a51-7c1e3b0c4d21")


def org_identity_id(org_id: uuid.UUID) -> str:
    return f"identity--{uuid.uuid5(_ORG_NAMESPACE, str(org_id))}"


# PAP as STIX marking definitions: the OASIS PAP extension (cti-stix-common-objects,
# extension-definition-specifications/pap-marking-definition-f8d), one official
# marking-definition per level. PAP:WHITE is the older name of PAP:CLEAR.
PAP_EXTENSION_ID = "extension-definition--f8d78575-edfd-406e-8e84-6162a8450f5b"
_PAP_MARKINGS: dict[str, tuple[PAP, str, str]] = {
    "marking-definition--ad15a0cd-55b6-4588-a14c-a66105329b92": (
        PAP.CLEAR, "clear", "2022-10-01T00:00:00.000Z"),
    "marking-definition--a3bea94c-b469-41dc-9cfe-d6e7daba7730": (
        PAP.CLEAR, "white", "2022-10-01T00:00:00.000Z"),
    "marking-definition--c43594d1-4b11-4c59-93ab-1c9b14d53ce9": (
        PAP.GREEN, "green", "2022-10-09T00:00:00.000Z"),
    "marking-definition--60f8932b-e51e-4458-b265-a2e8be9a80ab": (
        PAP.AMBER, "amber", "2022-10-02T00:00:00.000Z"),
    "marking-definition--740d36e5-7714-4c30-961a-3ae632ceee0e": (
        PAP.RED, "red", "2022-10-06T00:00:00.000Z"),
}
PAP_BY_MARKING: dict[str, PAP] = {mid: pap for mid, (pap, _c, _t) in _PAP_MARKINGS.items()}
MARKING_BY_PAP: dict[PAP, str] = {pap: mid for mid, (pap, colour, _t) in _PAP_MARKINGS.items()
                                  if colour != "white"}
PAP_DEFINITIONS: dict[str, dict[str, object]] = {
    mid: {"type": "marking-definition", "spec_version": "2.1", "id": mid, "created": created,
          "name": f"PAP:{colour.upper()}",
          "extensions": {PAP_EXTENSION_ID: {"extension_type": "property-extension",
                                            "pap": colour}}}
    for mid, (_pap, colour, created) in _PAP_MARKINGS.items()}
"""marking-definition id → the official PAP marking-definition object."""

_PAP_ORDER = (PAP.CLEAR, PAP.GREEN, PAP.AMBER, PAP.RED)


def stricter_pap(a: PAP | None, b: PAP | None) -> PAP | None:
    """The stricter of two PAP levels (no level is the weakest)."""
    if a is None or b is None:
        return a or b
    return a if _PAP_ORDER.index(a) >= _PAP_ORDER.index(b) else b


def pap_named(data: str) -> PAP | None:
    """The strictest PAP whose marking definition ``data`` (an object's JSON) names
    anywhere: in object_marking_refs, granular markings or an embedded reference."""
    # Each marking-definition id the text holds, looked up (most objects name one or
    # two), rather than a search of the text for each PAP level.
    found = None
    start = data.find(_MARKING_PREFIX)
    while start >= 0:
        level = PAP_BY_MARKING.get(data[start:start + _MARKING_ID_LENGTH])
        if level is not None:
            found = stricter_pap(found, level)
        start = data.find(_MARKING_PREFIX, start + len(_MARKING_PREFIX))
    return found


_MARKING_PREFIX = "marking-definition--"
_MARKING_ID_LENGTH = len(_MARKING_PREFIX) + 36
