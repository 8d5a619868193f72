"""MISP distribution levels → the hub's TLP 2.0, and back; event metadata vocabularies.

Tags (``tlp:``, ``PAP:``, admiralty scale) are read and written through
``cyberhub.refdata.taxonomies``, which builds its tables from the MISP taxonomies
themselves (``pytaxonomies``).
"""

from __future__ import annotations

from typing import Final

from cyberhub.sharing import TLP

# MISP distribution → the widest TLP it allows on the hub. Distribution says how far
# MISP may *propagate* an item; it never makes anything CLEAR (public pages): only an
# explicit tlp:clear tag does. 4 (sharing group) is AMBER with the group's member
# organisations as the audience; 5 (inherit) takes the enclosing level.
SHARING_GROUP: Final = 4
INHERIT: Final = 5
DISTRIBUTION_TLP: Final[dict[int, TLP]] = {
    0: TLP.AMBER_STRICT,  # your organisation only: the importing organisation only
    1: TLP.GREEN,  # this community only
    2: TLP.GREEN,  # connected communities
    3: TLP.GREEN,  # all communities
    4: TLP.AMBER,  # sharing group
}
# TLP → distribution on export.
TLP_DISTRIBUTION: Final[dict[TLP, int]] = {
    TLP.CLEAR: 3, TLP.GREEN: 1, TLP.AMBER: 0, TLP.AMBER_STRICT: 0, TLP.RED: 0}

THREAT_LEVELS: Final[dict[str, str]] = {"1": "high", "2": "medium", "3": "low",
                                        "4": "undefined"}
ANALYSIS: Final[dict[str, str]] = {"0": "initial", "1": "ongoing", "2": "completed"}


def distribution_of(value: object) -> int | None:
    """MISP sends distribution as a string or a number; None when absent or unknown."""
    try:
        level = int(str(value))
    except ValueError:
        return None
    return level if 0 <= level <= 5 else None
