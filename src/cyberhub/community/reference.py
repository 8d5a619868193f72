"""Reference lists for organisations: kinds, sectors (MISP galaxy), countries (ISO 3166)."""

from __future__ import annotations

import json
from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def sectors() -> tuple[str, ...]:
    """Sector names from the MISP sector galaxy, as shipped by pymispgalaxies.

    Its one file is read: the package's ``Clusters()`` loads every galaxy it ships
    first, which took 3.5 s of the first organisation form or sector check of each
    process (9 s on a busy machine)."""
    from cyberhub.refdata.galaxies import data_dir

    raw = json.loads((data_dir() / "clusters" / "sector.json").read_bytes())
    return tuple(sorted({str(v["value"]) for v in raw["values"]}))


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English short name."""
    return {c.alpha_2: c.name for c in sorted(pycountry.countries, key=lambda c: c.name)}


def sector_key(value: str) -> str | None:
    """The canonical spelling of a sector, matched case-insensitively."""
    wanted = value.strip().casefold()
    for s in sectors():
        if s.casefold() == wanted:
            return s
    return None
