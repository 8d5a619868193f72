"""Reference lists for organisations: kinds, sectors (MISP galaxy), countries (ISO 3166)."""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def sectors() -> tuple[str, ...]:
    """Sector names from the MISP sector galaxy, as shipped by pymispgalaxies."""
    # Imported when first needed: pymispgalaxies pulls in jsonschema (most of a second).
    from pymispgalaxies import Clusters  # type: ignore[attr-defined]

    cluster = Clusters().get("sector")
    assert cluster is not None, "pymispgalaxies ships the sector galaxy"
    return tuple(sorted(v.value for v in cluster.cluster_values.values()))


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
