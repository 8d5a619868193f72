"""Leak-site group names → families: the matching table, and the normaliser's rules as
properties (idempotent; case- and punctuation-insensitive)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberhub.ransomware.groupnames import Matcher, key, stem

FAMILIES = [
    ("malware--lockbit", "LockBit", ["ABCD ransomware"]),
    ("malware--lockbit3", "Lockbit3", []),
    ("malware--blackcat", "BlackCat", ["ALPHV", "Noberus"]),
    ("malware--clop", "Clop", ["Cl0p"]),
    ("malware--play", "PLAY Ransomware", []),
    ("malware--wannacry", "WannaCry", ["WCry", "WanaCrypt0r"]),
    ("malware--one", "Locker One", []),
    ("malware--two", "Locker Two", []),
    ("malware--8base", "8base", []),
]


@pytest.mark.parametrize(("group", "family", "how"), [
    ("lockbit3", "Lockbit3", "exact"),  # the galaxy knows LockBit 3 as a family of its own
    ("LockBit 3.0", "Lockbit3", "name"),
    ("LOCKBIT", "LockBit", "exact"),
    ("Lockbït", "LockBit", "name"),  # accents go
    ("lockbit2", "LockBit", "stem"),  # an older version: the unversioned family
    ("lockbitsupp", "LockBit", "leak-site name"),
    ("alphv", "BlackCat", "exact"),  # a galaxy synonym
    ("ALPHV Blog", "BlackCat", "synonym"),
    ("Cl0p^_- LEAKS", "Clop", "synonym"),
    ("clop", "Clop", "exact"),
    ("PLAY Ransomware", "PLAY Ransomware", "exact"),
    ("play news", "PLAY Ransomware", "name"),
    ("WanaCrypt0r 2.0", "WannaCry", "stem"),
    ("locker-one", "Locker One", "name"),
    ("8Base", "8base", "exact"),
    ("abcd", "LockBit", "synonym"),  # "ransomware" is a noise word
])
def test_the_matching_table(group: str, family: str, how: str) -> None:
    found = Matcher(FAMILIES).match(group)
    assert found is not None, group
    assert (found.name, found.how) == (family, how)
    assert found.key == next(k for k, n, _a in FAMILIES if n == family)


@pytest.mark.parametrize("group", ["Locker Three", "team", "", "   ", "---", "akira",
                                   "lockbitsupport"])
def test_groups_matched_to_no_family(group: str) -> None:
    assert Matcher(FAMILIES).match(group) is None


def test_a_stem_two_families_share_matches_neither() -> None:
    matcher = Matcher([("malware--a", "Foo1", []), ("malware--b", "Foo2", [])])
    assert matcher.match("foo7") is None
    assert matcher.match("foo 2").name == "Foo2"  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "expected"), [
    ("lockbit3", "lockbit3"), ("LockBit 3.0", "lockbit3"), ("Cl0p^_- LEAKS", "cl0p"),
    ("PLAY Ransomware", "play"), ("Lockbït", "lockbit"), ("team", "team"), ("x_y", "xy"),
    ("Babuk 2.0", "babuk2"), ("0mega", "0mega"), ("ＬｏｃｋＢｉｔ", "lockbit")])
def test_keys(name: str, expected: str) -> None:
    assert key(name) == expected


def test_stems() -> None:
    assert [stem(k) for k in ("lockbit3", "lockbitv2", "8base", "3am", "v1")] == [
        "lockbit", "lockbit", "8base", "3am", "v1"]


@given(st.text(max_size=80))
def test_key_is_idempotent(name: str) -> None:
    assert key(key(name)) == key(name)


@given(st.text(max_size=80))
def test_stem_of_key_is_idempotent(name: str) -> None:
    assert stem(stem(key(name))) == stem(key(name))


LATIN = st.text(st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-_éüñçÅØ"), max_size=40)


@given(LATIN)
def test_key_ignores_case(name: str) -> None:
    assert key(name.upper()) == key(name.lower()) == key(name)


WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789éü"), min_size=1,
               max_size=10)
SEPARATOR = st.text(st.sampled_from(" .-_/^!()[]:;,'\"\t~*+&"), min_size=1, max_size=4)


@given(st.lists(WORD, min_size=1, max_size=5), st.lists(SEPARATOR, min_size=6, max_size=6),
       st.lists(SEPARATOR, min_size=6, max_size=6))
def test_key_ignores_punctuation_and_spacing(words: list[str], one: list[str],
                                             other: list[str]) -> None:
    def spell(seps: list[str]) -> str:
        return seps[0] + "".join(w + s for w, s in zip(words, seps[1:], strict=False))

    assert key(spell(one)) == key(spell(other)) == key(" ".join(words))


@given(st.lists(WORD, min_size=1, max_size=4))
def test_matching_is_case_and_punctuation_insensitive(words: list[str]) -> None:
    name = " ".join(words)
    matcher = Matcher([("malware--x", name, [])])
    found = matcher.match("--" + "_".join(w.upper() for w in words) + "!")
    assert found is not None and found.key == "malware--x"
