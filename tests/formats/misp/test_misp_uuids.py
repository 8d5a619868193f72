"""A MISP uuid becomes the UUID of the STIX id: as it is when it is RFC 4122 of versions
1-5 (what stix2-validator takes), derived from it otherwise. The quick path for the usual
form gives what parsing it gives."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from cyberhub.formats.misp.to_stix import MISP_NAMESPACE, _uuid


def parsed(value: str) -> str | None:
    try:
        u = uuid.UUID(value)
    except ValueError:
        return None
    if u.variant != uuid.RFC_4122 or u.version not in (1, 2, 3, 4, 5):
        u = uuid.uuid5(MISP_NAMESPACE, str(u))
    return str(u)


forms = st.uuids().flatmap(lambda u: st.sampled_from(
    [str(u), str(u).upper(), u.hex, "{" + str(u) + "}", "urn:uuid:" + str(u)]))
versions = st.builds(lambda n, v: str(uuid.UUID(int=n & ~(0xF << 76) | v << 76)),
                     st.integers(0, 2**128 - 1), st.integers(0, 15))


@given(st.one_of(forms, versions, st.text(max_size=40)))
def test_a_uuid_is_taken_or_derived_as_parsing_it_decides(value: str) -> None:
    assert _uuid(value) == parsed(value)
