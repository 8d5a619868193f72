"""MISP galaxy clusters → STIX objects: ids, provenance, details, relations, bad files."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

from cyberhub.formats.stix.validate import validate_object
from cyberhub.intel import extensions
from cyberhub.refdata import galaxies as g

OPTIONS = ValidationOptions(version="2.1")
RANSOM = extensions.RANSOMWARE.definition_id


def build(*names: str) -> tuple[g.Builder, list[dict[str, Any]]]:
    builder = g.Builder([g.read_galaxy(n) for n in names])
    return builder, list(builder.objects())


def by_name(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objects if o.get("name") == name)


def test_ransomware_family_with_its_details_and_provenance() -> None:
    _builder, objects = build("ransomware")
    lockbit = by_name(objects, "LockBit")
    assert lockbit["id"] == "malware--8eda8bf1-db5a-412d-8511-45e2f7621d51"
    assert lockbit["is_family"] is True and lockbit["malware_types"] == ["ransomware"]
    galaxy = g.read_galaxy("ransomware")
    assert lockbit["created"] == "2016-01-01T00:00:00.000Z"
    assert lockbit["modified"] == g.stix_time(g.modified_for(galaxy.version))
    details = lockbit["extensions"][RANSOM]
    assert details["extension_type"] == "property-extension"
    assert ".abcd" in details["file_extensions"]
    assert "Restore-My-Files.txt" in details["ransom_note_filenames"]
    assert all(s.startswith("http") for s in details["sites"])
    assert lockbit["labels"] == ['misp:galaxy-type="ransomware"',
                                 'misp:galaxy-name="Ransomware"']
    provenance = lockbit["external_references"][0]
    assert provenance == {"source_name": "misp-galaxy",
                          "external_id": "8eda8bf1-db5a-412d-8511-45e2f7621d51",
                          "description": f"MISP galaxy ransomware, version {galaxy.version}"}
    noted = [o for o in objects if o["type"] == "malware"
             and "ransom_notes" in o.get("extensions", {}).get(RANSOM, {})]
    assert noted and all(isinstance(t, str) for o in noted
                         for t in o["extensions"][RANSOM]["ransom_notes"])
    paying = [o for o in objects if "payment_method" in o.get("extensions", {}).get(RANSOM, {})]
    assert len(paying) > 100
    # "similar" and "uses" among the galaxy's own clusters
    kinds = {o["relationship_type"] for o in objects if o["type"] == "relationship"}
    assert {"similar"} <= kinds


def test_attack_patterns_have_tactics_and_attack_ids() -> None:
    _builder, objects = build("mitre-attack-pattern")
    powershell = next(o for o in objects if o["type"] == "attack-pattern"
                      and any(r.get("external_id") == "T1059.001"
                              for r in o["external_references"]))
    attack = [r for r in powershell["external_references"] if r["source_name"] == "mitre-attack"]
    assert attack == [{"source_name": "mitre-attack", "external_id": "T1059.001",
                       "url": "https://attack.mitre.org/techniques/T1059/001"}]
    assert {"kill_chain_name": "mitre-attack", "phase_name": "execution"} in \
        powershell["kill_chain_phases"]
    assert "T1059.001" in powershell["name"]
    assert "Windows" in powershell["x_mitre_platforms"]
    sub = [o for o in objects if o["type"] == "relationship"
           and o["source_ref"] == powershell["id"]]
    assert [o["relationship_type"] for o in sub] == ["subtechnique-of"]
    assert any(o.get("revoked") for o in objects)


def test_actors_link_to_countries_and_sectors() -> None:
    builder, objects = build("threat-actor", "country", "sector")
    ids = {o["id"]: o for o in objects}
    rels = [o for o in objects if o["type"] == "relationship"]
    origins = [r for r in rels if r["relationship_type"] == "originates-from"]
    assert len(origins) > 100
    assert all(ids[r["target_ref"]]["type"] == "location" for r in origins)
    targets = {ids[r["target_ref"]]["type"] for r in rels if r["relationship_type"] == "targets"}
    assert targets == {"identity", "location"}
    china = by_name(objects, "China")
    assert china["country"] == "CN" and china["type"] == "location"
    apt = next(o for o in objects if o["type"] == "intrusion-set" and o["name"] == "APT1")
    assert any(r["source_ref"] == apt["id"] and r["target_ref"] == china["id"]
               for r in origins)
    assert by_name(objects, "Activists")["identity_class"] == "class"
    # relations to galaxies not loaded are counted, not made
    assert builder.counts.dangling_relations > 0
    assert all(r["target_ref"] in ids for r in rels)


def test_built_objects_pass_the_oasis_validator() -> None:
    _builder, objects = build("ransomware", "mitre-attack-pattern", "mitre-intrusion-set",
                              "country", "region", "sector", "tool")
    assert len({o["id"] for o in objects}) == len(objects)
    sample = objects[::25] + [o for o in objects if RANSOM in o.get("extensions", {})][:40]
    for obj in sample:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])
    for definition in (extensions.RANSOMWARE.definition(), extensions.IDENTITY):
        assert validate_instance(definition, OPTIONS).is_valid
        assert validate_object(definition) == []


def test_ransomware_extension_is_checked() -> None:
    _builder, objects = build("ransomware")
    lockbit = by_name(objects, "LockBit")
    assert validate_object(lockbit) == []
    bad = json.loads(json.dumps(lockbit))
    bad["extensions"][RANSOM]["file_extensions"] = ".abcd"
    bad["extensions"][RANSOM]["sites"] = ["not a url"]
    paths = {p.path for p in validate_object(bad)}
    assert paths == {f"extensions.{RANSOM}.file_extensions", f"extensions.{RANSOM}.sites[0]"}
    empty = json.loads(json.dumps(lockbit))
    empty["extensions"][RANSOM] = {"extension_type": "property-extension"}
    assert [p.path for p in validate_object(empty)] == [f"extensions.{RANSOM}"]
    tool = {"type": "tool", "spec_version": "2.1", "id": f"tool--{uuid.uuid4()}", "name": "x",
            "created": lockbit["created"], "modified": lockbit["modified"],
            "extensions": {RANSOM: {"extension_type": "property-extension",
                                    "encryption": "AES"}}}
    assert [p.message for p in validate_object(tool)] == ["is only defined for malware objects"]


def galaxy_file(tmp_path: Path, data: Any, raw: bytes | None = None) -> Path:
    path = tmp_path / "galaxy.json"
    path.write_bytes(raw if raw is not None else json.dumps(data).encode())
    return path


GOOD = {"type": "ransomware", "name": "Ransomware", "version": 7, "values": [
    {"value": "Example", "uuid": "0b5b2b6e-9f0a-4f55-a8b4-7d0c8bd1c001"}]}


@pytest.mark.parametrize(("data", "raw", "message"), [
    (None, b"{not json", "is not valid JSON"),
    ([1, 2], None, "is not a MISP galaxy cluster file"),
    ({**GOOD, "type": "sigma-rules"}, None, "does not turn galaxies of type 'sigma-rules'"),
    ({**GOOD, "version": "7"}, None, "\"version\" must be a whole number"),
    ({**GOOD, "values": {}}, None, "\"values\" must be the list of clusters"),
    ({**GOOD, "values": [{"value": "X", "uuid": "nope"}]}, None,
     "cluster 0 ('X') has no valid \"uuid\""),
    ({**GOOD, "values": [{"uuid": "0b5b2b6e-9f0a-4f55-a8b4-7d0c8bd1c001"}]}, None,
     "has no \"value\""),
    ({**GOOD, "values": [{**GOOD["values"][0], "related": [{"type": "uses"}]}]}, None,  # type: ignore[dict-item]
     "\"related\" entries without \"dest-uuid\""),
])
def test_a_malformed_galaxy_file_says_what_is_wrong(tmp_path: Path, data: Any,
                                                    raw: bytes | None, message: str) -> None:
    with pytest.raises(g.GalaxyError) as failure:
        g.read_file(galaxy_file(tmp_path, data, raw))
    assert message in str(failure.value)
    assert str(tmp_path / "galaxy.json") in str(failure.value)


def test_unknown_galaxy_names_the_known_ones() -> None:
    with pytest.raises(g.GalaxyError, match=r"known galaxies: .*ransomware"):
        g.read_galaxy("ransomwear")
    assert set(g.DEFAULT_GALAXIES) <= set(g.available())
