"""TLP, PAP and admiralty-scale tags of the MISP taxonomies → the hub's markings and
STIX confidence."""

from __future__ import annotations

import json

import pytest

from cyberhub.refdata import taxonomies as tx
from cyberhub.sharing import PAP, TLP

B = 'admiralty-scale:source-reliability="b"'
TWO = 'admiralty-scale:information-credibility="2"'


@pytest.mark.parametrize(("tag", "tlp"), [
    ("tlp:clear", TLP.CLEAR), ("tlp:white", TLP.CLEAR), ("tlp:green", TLP.GREEN),
    ("tlp:amber", TLP.AMBER), ("tlp:amber+strict", TLP.AMBER_STRICT), ("tlp:red", TLP.RED),
    ("TLP:AMBER", TLP.AMBER), ("  tlp : red ", TLP.RED),
    ("tlp:ex:chr", None), ("tlp:unclear", None), ("tlp:purple", None), ("PAP:RED", None),
    ("amber", None), ("", None), ('tlp:amber="x"', None),
])
def test_tlp_tags(tag: str, tlp: TLP | None) -> None:
    assert tx.tlp_of_tag(tag) is tlp


@pytest.mark.parametrize(("tag", "pap"), [
    ("PAP:RED", PAP.RED), ("pap:amber", PAP.AMBER), ("PAP:GREEN", PAP.GREEN),
    ("PAP:CLEAR", PAP.CLEAR), ("PAP:WHITE", PAP.CLEAR), ("PAP:PURPLE", None),
    ("tlp:red", None),
])
def test_pap_tags(tag: str, pap: PAP | None) -> None:
    assert tx.pap_of_tag(tag) is pap


def test_tags_written_for_misp_read_back() -> None:
    assert [tx.tlp_tag(t) for t in TLP] == [
        "tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"]
    assert [tx.pap_tag(p) for p in PAP] == ["PAP:CLEAR", "PAP:GREEN", "PAP:AMBER", "PAP:RED"]
    for t in TLP:
        assert tx.tlp_of_tag(tx.tlp_tag(t)) is t
    for p in PAP:
        assert tx.pap_of_tag(tx.pap_tag(p)) is p


@pytest.mark.parametrize("name", ["tlp", "PAP", "admiralty-scale"])
def test_the_taxonomies_read_as_pytaxonomies_reads_them(name: str) -> None:
    from pytaxonomies.api import Taxonomy

    theirs = Taxonomy(json.loads(tx._taxonomy_file(name).read_bytes()))
    ours = tx._taxonomy(name)
    assert ours.name == theirs.name
    assert {p: (q.expanded, q.description, {e: (v.expanded, v.description, v.numerical_value)
                                            for e, v in q.entries.items()})
            for p, q in ours.predicates.items()} == {
        p: (q.expanded, q.description, {e: (v.expanded, v.description, v.numerical_value)
                                        for e, v in q.entries.items()})
        for p, q in theirs.predicates.items()}


def test_admiralty_grades_come_from_the_taxonomy() -> None:
    grade = tx.admiralty_of_tag(B)
    assert grade is not None
    assert (grade.axis, grade.code, grade.label, grade.value) == (
        "source-reliability", "b", "Usually reliable", 75)
    assert grade.tag == B
    assert tx.admiralty_of_tag("admiralty-scale:information-credibility=6").judged is False
    assert tx.admiralty_of_tag('admiralty-scale:source-reliability="z"') is None
    assert tx.admiralty_of_tag("admiralty-scale:source-reliability") is None
    terms = tx.admiralty_terms()
    assert {g.code for g in terms if g.axis == "source-reliability"} == set("abcdefg")
    assert {g.code for g in terms if g.axis == "information-credibility"} == set("123456")


@pytest.mark.parametrize(("tags", "confidence"), [
    ([B, TWO], 75),
    (['admiralty-scale:source-reliability="a"', 'admiralty-scale:information-credibility="1"'],
     100),
    (['admiralty-scale:source-reliability="a"', 'admiralty-scale:information-credibility="5"'],
     50),
    ([TWO], 75),
    (['admiralty-scale:source-reliability="g"'], 0),
    # "cannot be judged" states nothing
    (['admiralty-scale:source-reliability="f"', TWO], 75),
    (['admiralty-scale:information-credibility="6"'], None),
    # the lowest grade of an axis counts
    ([B, 'admiralty-scale:source-reliability="d"'], 25),
    (["tlp:amber", "PAP:RED"], None),
    ([], None),
])
def test_confidence_from_the_admiralty_scale(tags: list[str], confidence: int | None) -> None:
    assert tx.confidence_of_tags(tags) == confidence


def test_markings_of_an_events_tags() -> None:
    m = tx.markings_of_tags(["tlp:green", "tlp:amber", "PAP:GREEN", "PAP:RED", B, TWO,
                             'misp-galaxy:ransomware="LockBit"'])
    assert (m.tlp, m.pap, m.confidence) == (TLP.AMBER, PAP.RED, 75)
    assert [g.tag for g in m.grades] == [B, TWO]
    assert tx.markings_of_tags([]) == tx.Markings()


def test_vocabulary_carries_the_taxonomies_descriptions() -> None:
    terms = tx.tlp_terms()
    assert [t.label for t in terms] == ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER",
                                        "TLP:AMBER+STRICT", "TLP:RED"]
    assert all(t.description for t in terms)
    assert [t.label for t in tx.pap_terms()] == ["PAP:CLEAR", "PAP:GREEN", "PAP:AMBER",
                                                 "PAP:RED"]
