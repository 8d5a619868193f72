"""The generated ecosystem: fictional, valid, deterministic, and with the history and the
links to the reference data that the landscape and the actor profiles draw."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from cyberhub.atlas.synthetic import SPAN, Ecosystem, Reference
from cyberhub.formats.stix.validate import validate_object
from cyberhub.intel.synthetic import LABEL

UNTIL = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_reference_ids_are_those_the_reference_data_loads() -> None:
    from cyberhub.refdata.galaxies import Builder, read_galaxy

    ref = Reference.load()
    assert ref is not None and len(ref.techniques) >= 20 and len(ref.sectors) >= 10
    builder = Builder([read_galaxy("country"), read_galaxy("sector"),
                       read_galaxy("mitre-attack-pattern")])
    assert ref.countries["FR"][0] == builder.countries["fr"]
    assert {sid for sid, _name in ref.sectors} <= set(builder.sectors.values())
    assert {sid for sid, _ext, _name in ref.techniques} <= set(builder.techniques.values())
    assert all(ext == builder_ext for sid, ext, _n in ref.techniques
               for builder_ext, bsid in builder.techniques.items() if bsid == sid)


def test_the_rich_ecosystem_is_valid_fictional_and_spread_over_two_years() -> None:
    eco = Ecosystem(seed=7, until=UNTIL)
    objects = list(eco.objects(20, extras=True))
    sightings = [s for _n, s in eco.sightings(observers=3)]
    assert all(not validate_object(o) for o in objects + sightings)
    kinds = Counter(o["type"] for o in objects)
    assert kinds["campaign"] >= 20 and kinds["x-cyberhub-phone-number"] == 20
    assert sightings and all(s["labels"] == [LABEL] for s in sightings)
    sdos = [o for o in objects if "created" in o]
    assert all(LABEL in o["labels"] for o in sdos)
    assert all(o["name"].startswith("Demo ") for o in sdos if "name" in o)
    moments = [datetime.fromisoformat(o["created"]) for o in sdos]
    assert min(moments) >= UNTIL - SPAN and max(moments) <= UNTIL
    assert max(moments) - min(moments) > SPAN * 0.8
    kinds_of_rel = Counter(o["relationship_type"] for o in objects
                           if o["type"] == "relationship")
    assert {"uses", "targets", "originates-from", "attributed-to"} <= set(kinds_of_rel)
    assert all("start_time" in o for o in objects if o["type"] == "relationship")
    # Same seed, same ecosystem.
    again = Ecosystem(seed=7, until=UNTIL)
    assert list(again.objects(20, extras=True)) == objects
    assert [s for _n, s in again.sightings(observers=3)] == sightings


def test_without_extras_the_ecosystem_is_the_choke_point_graph_as_before() -> None:
    kinds = {o["type"] for o in Ecosystem(seed=3).objects(5)}
    assert kinds == {"x-cyberhub-criminal-service", "malware", "intrusion-set",
                     "relationship", "domain-name", "ipv4-addr",
                     "x-cyberhub-cryptocurrency-wallet"}
