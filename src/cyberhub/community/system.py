"""System organisations: data the hub itself maintains, owned by nobody who signs in.

Reference data (the MISP galaxies: ransomware families, ATT&CK, actors, countries,
sectors) needs an owner organisation and a contributing user like every record. They
are :data:`REFERENCE_ORG_ID` and :data:`REFERENCE_USER_ID`, created by
``cyberhub refdata load``: the user is inactive and has no password, so nobody signs in
or holds a token as it, and the services refuse to add users to the organisation or to
change its user. Records owned by it can be changed only by loading reference data
again. See ``docs/decisions/0011-reference-data.md``.
"""

from __future__ import annotations

import uuid
from typing import Final

REFERENCE_ORG_ID: Final = uuid.UUID("9ec818d3-5e7c-428d-b0b5-148714d568c9")
REFERENCE_USER_ID: Final = uuid.UUID("cb831ef8-f93c-4ba7-a243-cce17e71fd9c")
REFERENCE_ORG_NAME: Final = "cyberhub reference data"
REFERENCE_USER_EMAIL: Final = "reference-data@system.invalid"
REFERENCE_USER_NAME: Final = "MISP data packages"

SYSTEM_ORG_IDS: Final = frozenset({REFERENCE_ORG_ID})
SYSTEM_USER_IDS: Final = frozenset({REFERENCE_USER_ID})


def is_system_org(org_id: uuid.UUID | None) -> bool:
    return org_id in SYSTEM_ORG_IDS


def is_system_user(user_id: uuid.UUID | None) -> bool:
    return user_id in SYSTEM_USER_IDS
