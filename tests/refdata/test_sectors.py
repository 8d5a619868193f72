"""The organisations' sector list is read from the sector galaxy's own file; it must be
exactly what pymispgalaxies' API gives for that galaxy."""

from __future__ import annotations

from cyberhub.community import reference


def test_the_sector_list_is_the_galaxy_s_as_the_package_reads_it() -> None:
    from pymispgalaxies import Clusters  # type: ignore[attr-defined]

    cluster = Clusters().get("sector")
    assert cluster is not None
    expected = tuple(sorted(v.value for v in cluster.cluster_values.values()))
    assert reference.sectors() == expected
    assert len(expected) > 100 and "Finance" in expected
    assert reference.sector_key("  finance ") == "Finance"
    assert reference.sector_key("Dragons") is None
