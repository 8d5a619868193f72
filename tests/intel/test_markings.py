"""An object's TLP and PAP as the importer reads them from its markings: the strictest
named, whatever else the object holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.intel.markings import (
    PAP_BY_MARKING,
    STRICTNESS,
    TLP_BY_MARKING,
    pap_named,
    stricter_pap,
    tlp_of,
)
from cyberhub.sharing import PAP, TLP

TLP_IDS = sorted(TLP_BY_MARKING)
PAP_IDS = sorted(PAP_BY_MARKING)
OTHER_ID = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
pieces = st.sampled_from([*TLP_IDS, *PAP_IDS, OTHER_ID, "marking-definition--", "--", '"',
                          '{"object_marking_refs":[', "],", "x" * 40, "marking-"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(pieces, max_size=12).map("".join))
def test_pap_is_the_strictest_level_the_text_names_anywhere(text: str) -> None:
    expected = None
    for marking_id, level in PAP_BY_MARKING.items():
        if marking_id in text:
            expected = stricter_pap(expected, level)
    assert pap_named(text) == expected


def test_pap_named_in_an_object() -> None:
    red, green = (next(m for m, p in PAP_BY_MARKING.items() if p is level)
                  for level in (PAP.RED, PAP.GREEN))
    assert pap_named(f'{{"object_marking_refs":["{TLP_IDS[0]}","{green}"]}}') is PAP.GREEN
    assert pap_named(f'{{"granular_markings":[{{"marking_ref":"{red}"}}],'
                     f'"object_marking_refs":["{green}"]}}') is PAP.RED
    assert pap_named('{"name":"PAP:RED, in words only"}') is None


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=3),
                 st.lists(st.one_of(st.sampled_from([*TLP_IDS, OTHER_ID]), st.integers()),
                          max_size=5)),
       st.sampled_from(list(TLP)))
def test_tlp_is_the_strictest_of_the_markings_and_the_default(refs: object,
                                                              default: TLP) -> None:
    named = [TLP_BY_MARKING[m] for m in refs if isinstance(m, str) and m in TLP_BY_MARKING
             ] if isinstance(refs, list) else []
    assert tlp_of(refs, default) is max([default, *named], key=STRICTNESS.__getitem__)
