"""Whatever JSON arrives as "MISP", the converter answers a clear ConversionError or a
bundle whose every object is valid STIX 2.1 (no crash, no invalid object)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberhub.formats.convert import ConversionError, ConvertContext
from cyberhub.formats.misp.mapping import OBSERVABLE_TYPES
from cyberhub.formats.misp.to_stix import convert
from cyberhub.formats.stix.validate import validate_object

CONTEXT = ConvertContext("Alpha CERT", "identity--8779210d-d293-476d-9005-305585e2bd90")
FIXTURES = Path(__file__).parents[2] / "fixtures" / "misp"

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**62, 2**62),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20)
types = st.sampled_from(sorted(OBSERVABLE_TYPES | {"text", "yara", "cookie", "vulnerability",
                                                   "", "x"}))
values = st.one_of(st.text(max_size=60), st.sampled_from([
    "192.0.2.1", "2001:db8::1", "10.0.0.0/8", "evil.example", "https://x.example/a'b",
    "d41d8cd98f00b204e9800998ecf8427e", "DE89370400440532013000", "+33612345678",
    "a.exe|d41d8cd98f00b204e9800998ecf8427e", "x.example|192.0.2.9", "192.0.2.1|443",
    "AS64500", "0612345678", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "123"]),
    st.integers(-2**62, 2**62), st.none())
uuids = st.one_of(st.uuids().map(str), st.text(max_size=8), st.none())
tags = st.lists(st.one_of(
    st.fixed_dictionaries({"name": st.sampled_from(
        ["tlp:red", "tlp:clear", "TLP:AMBER+STRICT", "PAP:RED", "pap:white", "x", ""])}),
    json_values), max_size=3)
stamps = st.one_of(st.integers(-10, 2**35).map(str), st.integers(-10, 2**35), st.text(max_size=12),
                   st.none())
attributes = st.fixed_dictionaries(
    {"type": types, "value": values},
    optional={"uuid": uuids, "to_ids": st.one_of(st.booleans(), st.sampled_from(["0", "1"])),
              "timestamp": stamps, "Tag": tags, "category": scalars, "comment": scalars,
              "distribution": st.one_of(st.integers(-1, 6), st.text(max_size=2)),
              "first_seen": st.one_of(st.text(max_size=30), st.just("2025-01-01T00:00:00Z")),
              "last_seen": st.one_of(st.text(max_size=30), st.just("2024-01-01T00:00:00Z")),
              "Sighting": st.lists(st.fixed_dictionaries(
                  {"date_sighting": stamps}, optional={"type": scalars, "uuid": uuids,
                                                       "source": scalars}), max_size=2),
              "Galaxy": st.lists(st.fixed_dictionaries({
                  "type": st.sampled_from(["ransomware", "country", "sector", "nope"]),
                  "GalaxyCluster": st.lists(st.fixed_dictionaries({
                      "uuid": uuids, "value": st.text(max_size=10),
                      "meta": st.one_of(st.just({"ISO": "FR"}), json_values)}), max_size=2)}),
                  max_size=2)})
objects = st.fixed_dictionaries(
    {"name": st.sampled_from(["file", "domain-ip", "person", "bank-account", "x", ""]),
     "Attribute": st.lists(attributes.map(
         lambda a: {**a, "object_relation": a.get("type")}), max_size=4)},
    optional={"uuid": uuids, "timestamp": stamps, "ObjectReference": st.lists(
        st.fixed_dictionaries({"referenced_uuid": uuids, "relationship_type": scalars}),
        max_size=2), "distribution": st.integers(0, 5)})
events = st.fixed_dictionaries(
    {"uuid": uuids},
    optional={"info": scalars, "timestamp": stamps, "date": st.one_of(
        st.text(max_size=10), st.just("2025-02-30"), st.just("2025-01-01")),
        "Attribute": st.one_of(st.lists(attributes, max_size=5), json_values),
        "Object": st.lists(objects, max_size=3), "Tag": tags,
        "distribution": st.one_of(st.integers(-1, 6), st.text(max_size=2)),
        "threat_level_id": scalars, "analysis": scalars, "published": scalars,
        "publish_timestamp": stamps, "SharingGroup": json_values,
        "EventReport": st.lists(st.fixed_dictionaries(
            {"content": scalars}, optional={"name": scalars, "uuid": uuids}), max_size=1)})
documents = st.one_of(
    events.map(lambda e: {"Event": e}), events, st.lists(events.map(lambda e: {"Event": e}),
                                                         max_size=3),
    st.lists(events, max_size=2).map(lambda es: {"response": [{"Event": e} for e in es]}),
    json_values)


def check(document: Any, tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(orjson.dumps(document))
    out = io.BytesIO()
    try:
        convert(path, out, CONTEXT)
    except ConversionError as exc:
        assert str(exc)
        return
    bundle = orjson.loads(out.getvalue())
    assert bundle["type"] == "bundle"
    seen: set[str] = set()
    for obj in bundle["objects"]:
        assert validate_object(obj) == [], (obj, validate_object(obj))
        assert obj["id"] not in seen or obj["type"] == "marking-definition", obj["id"]
        seen.add(obj["id"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(documents)
def test_any_json_is_a_clear_error_or_a_valid_bundle(tmp_path: Path, document: Any) -> None:
    check(document, tmp_path)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_are_a_clear_error_or_a_bundle(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(raw)
    try:
        convert(path, io.BytesIO(), CONTEXT)
    except ConversionError as exc:
        assert str(exc)


@pytest.mark.parametrize("name", ["event.json", "response.json"])
def test_the_fixtures_convert_cleanly(tmp_path: Path, name: str) -> None:
    check(json.loads((FIXTURES / name).read_text()), tmp_path)
