"""Deterministic SCO ids (STIX §2.9): the fast canonical JSON and UUIDv5 derivation give
exactly the ids the standard library's way gives, and the OASIS library's, so that ids
made before and after, and by other tools, agree."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import stix2
from hypothesis import given
from hypothesis import strategies as st

from cyberhub.intel.extensions import STIX_NAMESPACE, sco_id


def reference(obj_type: str, contributing: dict[str, Any]) -> str:
    present = {k: v for k, v in contributing.items() if v is not None}
    canonical = json.dumps(present, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{obj_type}--{uuid.uuid5(STIX_NAMESPACE, canonical)}"


# Any text that can be encoded (no lone surrogates: no SCO value can hold one).
text = st.text(st.characters(blacklist_categories=("Cs",)))
values = st.one_of(text, st.none(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                   st.dictionaries(text, text, max_size=4), st.lists(text, max_size=3))


@given(st.dictionaries(text, values, max_size=4))
def test_an_sco_id_is_the_standard_librarys(contributing: dict[str, Any]) -> None:
    assert sco_id("x-thing", contributing) == reference("x-thing", contributing)


@pytest.mark.parametrize(("sco", "contributing"), [
    (stix2.IPv4Address(value="198.51.100.3"), {"value": "198.51.100.3"}),
    (stix2.File(hashes={"SHA-256": "ab" * 32}), {"hashes": {"SHA-256": "ab" * 32}}),
    (stix2.DomainName(value="bücher.example"), {"value": "bücher.example"}),
    (stix2.EmailAddress(value='a"b@x.example'), {"value": 'a"b@x.example'}),
])
def test_ids_agree_with_the_oasis_library(sco: Any, contributing: dict[str, Any]) -> None:
    assert sco_id(sco.type, contributing) == sco.id
