"""The STIX 2.1 validator against the OASIS stix2-validator and stix2-patterns.

The corpus (tests/formats/stix_corpus.py) holds valid objects of every STIX 2.1 type
and of cyberhub's crime-artefact types, and thousands of mutations of them. For each,
our verdict must equal stix2-validator's, except where the specification is stricter
than stix2-validator: those departures are listed in DEPARTURES (and in
docs/extensions.md), and each disagreement must be explained by one of them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from cyberhub.formats.stix import Problem, simple_comparisons, validate_object
from cyberhub.formats.stix.patterns import _fast, _Unsure, pattern_problems
from cyberhub.intel import extensions as ext
from tests.formats import stix_corpus as corpus

OPTIONS = ValidationOptions(version="2.1")

# Where we follow the STIX 2.1 specification and stix2-validator is more lenient: a
# problem whose message matches one of these may make us reject what it accepts.
DEPARTURES = {
    # §3.1: property names are 3-250 chars of a-z, 0-9 and _ (it only checks a prefix).
    "property name": re.compile(r"is not a valid property name"),
    # §3.2, §6, §5: *_ref(s) point to the listed object types (it checks SDO refs only
    # partly and SCO refs not at all, not even their identifier syntax).
    "reference type": re.compile(r"must refer to an|must be a STIX identifier"),
    # §3.2: spec_version is "2.1" for 2.1 content (it accepts "2.0" as 2.1 content).
    "spec_version": re.compile(r"^must be 2\.1$"),
    # §2.9: the type part of an id is the object's type (unchecked for custom types).
    "id prefix": re.compile(r"^must start with "),
    # §7.3: created_by_ref is required on an extension-definition.
    "extension-definition creator": re.compile(r"^is required$"),
}


def stix2validator_says_valid(obj: dict[str, Any]) -> bool:
    try:
        return bool(validate_instance(obj, OPTIONS).is_valid)
    except Exception:  # it crashes on some invalid input (e.g. "created": null)
        return False


def _explained(obj: dict[str, Any], problems: list[Problem]) -> bool:
    for p in problems:
        if not any(rx.search(p.message) for rx in DEPARTURES.values()):
            return False
        if p.message == "is required" and not (
                obj.get("type") == "extension-definition" and p.path == "created_by_ref"):
            return False
    return True


def _lang_case_only(obj: dict[str, Any]) -> bool:
    # RFC 5646 tags are case-insensitive; stix2-validator accepts only its own spellings.
    lang = obj.get("lang")
    return isinstance(lang, str) and lang != lang.lower() and lang.lower() in {"en", "fr", "de"}


def test_differential_against_stix2_validator() -> None:
    total = agree = departures = 0
    unexplained: list[str] = []
    for label, obj in corpus.corpus():
        total += 1
        problems = validate_object(obj)
        assert isinstance(problems, list)
        ours = not problems
        if obj.get("type") in ext.TYPES:
            # stix2-validator has no schema for our types: it only checks the common
            # rules, so we may be stricter, never more lenient.
            if ours:
                assert stix2validator_says_valid(obj) or _lang_case_only(obj), label
            agree += 1
            continue
        theirs = stix2validator_says_valid(obj)
        if ours == theirs:
            agree += 1
        elif (theirs and _explained(obj, problems)) or (ours and _lang_case_only(obj)):
            departures += 1
        else:
            unexplained.append(f"{label}: ours={ours} theirs={theirs} {problems[:2]}")
    print(f"\n{total} objects: {agree} agree, {departures} documented departures")
    assert not unexplained, "\n".join(unexplained[:40])
    assert total > 10_000


def test_the_quick_path_answers_like_the_full_validator() -> None:
    """validate_object answers "valid" from per-shape plans when it can; it must never
    hide a problem the full rule walk finds (and it must serve the common types)."""
    from cyberhub.formats.stix.validate import _quick_ok, _validate

    quick = 0
    for label, obj in corpus.corpus():
        full = _validate(obj, embedded=False)
        assert validate_object(obj) == full, label
        if _quick_ok(obj):
            assert full == [], label
            quick += 1
    assert quick > 100


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.text("az09-.X_", min_size=1, max_size=12), min_size=1, max_size=5)
       .map(".".join))
def test_plain_host_names_skip_idna_only_when_idna_accepts_them(name: str) -> None:
    import idna

    from cyberhub.formats.stix.validate import _PLAIN_HOST_RE

    if _PLAIN_HOST_RE.fullmatch(name):
        idna.encode(name)


@pytest.mark.parametrize("obj", corpus.VALID, ids=lambda o: f"{o['type']}:{o['id'][-4:]}")
def test_every_valid_example_is_valid_for_both(obj: dict[str, Any]) -> None:
    assert validate_object(obj) == []
    result = validate_instance(obj, OPTIONS)
    assert result.is_valid, [str(e) for e in result.errors]


def test_every_stix_type_is_in_the_corpus() -> None:
    from cyberhub.formats.stix.validate import META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES

    covered = {o["type"] for o in corpus.VALID}
    assert SDO_TYPES | SRO_TYPES | SCO_TYPES | META_TYPES | set(ext.TYPES) <= covered


# --- patterns ---------------------------------------------------------------------


@pytest.mark.parametrize("pattern", corpus.PATTERNS_VALID + corpus.PATTERNS_INVALID)
def test_pattern_verdict_matches_stix2_patterns(pattern: str) -> None:
    ours = pattern_problems(pattern)
    indicator = {**corpus.VALID[6], "pattern": pattern}
    assert (not ours) == stix2validator_says_valid(indicator), ours
    try:
        fast = _fast(pattern)[1]
    except _Unsure:
        return
    assert (not fast) == (not run_validator(pattern, "2.1")), pattern


_paths = st.sampled_from([
    "ipv4-addr:value", "domain-name:value", "url:value", "file:name", "file:hashes.MD5",
    "file:hashes.'SHA-256'", "email-message:to_refs[*].value", "network-traffic:dst_ref.value",
    "x-cyberhub-cryptocurrency-wallet:address", "x-custom-thing:some_prop.inner"])
_literals = st.text(st.sampled_from("ab1.:/@ '\\é"), max_size=12).map(
    lambda t: "'" + t.replace("\\", "\\\\").replace("'", "\\'") + "'")
_comparison = st.tuples(_paths, st.sampled_from(["=", " = ", "  =\t"]), _literals).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_comparison, min_size=1, max_size=4),
       st.lists(st.sampled_from([" AND ", " OR ", "\nAND  "]), min_size=3, max_size=3),
       st.sampled_from(["[{}]", "[ {} ]", " [{}]\n"]))
def test_values_read_from_a_checked_pattern_are_those_read_afresh(
        comparisons: list[str], joins: list[str], frame: str) -> None:
    """The importer indexes an indicator's values from the comparisons its validation
    just read (patterns.checked_comparisons): they must be what reading it again gives."""
    from cyberhub.formats.stix import patterns
    from cyberhub.intel import normalise

    body = comparisons[0] + "".join(j + c for j, c in zip(joins, comparisons[1:]))
    pattern = frame.format(body)
    if pattern_problems(pattern):
        return
    checked = patterns.checked_comparisons(pattern)
    assert checked is None or checked == list(normalise._comparisons(pattern))
    afresh = normalise.pattern_values(pattern + " ")  # not the pattern just checked
    assert normalise.pattern_values(pattern) == afresh


def test_fast_path_takes_simple_patterns() -> None:
    sha = corpus.SHA256
    assert simple_comparisons("[ipv4-addr:value = '1.2.3.4']") == [("ipv4-addr:value", "1.2.3.4")]
    assert simple_comparisons(f"[file:hashes.'SHA-256' = '{sha}' OR file:name = 'it\\'s']") == [
        ("file:hashes.'SHA-256'", sha), ("file:name", "it's")]
    assert simple_comparisons("[domain-name:value = 'x' OR url:value = 'y']") == [
        ("domain-name:value", "x"), ("url:value", "y")]
    assert simple_comparisons("[file:size > 3]") is None
    assert simple_comparisons("[file:name = 'a'] AND [file:name = 'b']") is None
    assert simple_comparisons("[file:hashes.MD5 = 'nothex']") is None
    # Capitals past the first path component, as the spec spells hashes; keywords defer.
    assert simple_comparisons(f"[file:hashes.MD5 = '{'a' * 32}']") == [
        ("file:hashes.MD5", "a" * 32)]
    assert simple_comparisons("[file:hashes.IN = 'a']") is None


_ident = st.sampled_from(["file", "ipv4-addr", "url", "x-acme-y", "true", "File", "ab", "a-b"])
_prop = st.sampled_from(["name", "value", "hashes.'SHA-256'", "hashes.MD5", "hashes.AND",
                         "Name", "id", "nm", "x_y", "parent_ref.name", "hashes.'a\\'b'",
                         "hashes.SHA1", "hashes.Md5", "hashes.TIMES", "hashes.true",
                         "x_y.Key_2", "x_y._K", "hashes.ANDx", "NAME.x"])
_lit = st.one_of(st.text(alphabet="ab'\\ 09fF-%", max_size=8).map(lambda s: f"'{s}'"),
                 st.sampled_from(["'" + "a" * 64 + "'", "'" + "0" * 32 + "'", "1", "'x"]))
_ws = st.sampled_from(["", " ", "  ", "\t", "\n"])


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 3))
    parts = []
    for i in range(n):
        if i:
            parts.append(draw(st.sampled_from([" AND ", " OR ", " and ", "OR", " XOR "])))
        parts.append(f"{draw(_ws)}{draw(_ident)}:{draw(_prop)}{draw(_ws)}="
                     f"{draw(_ws)}{draw(_lit)}")
    return f"{draw(_ws)}[{''.join(parts)}]{draw(_ws)}"


@settings(max_examples=400, deadline=None)
@given(_patterns())
def test_fast_path_never_accepts_what_stix2_patterns_rejects(pattern: str) -> None:
    try:
        pairs, problems = _fast(pattern)
    except _Unsure:
        return
    if not problems:
        assert run_validator(pattern, "2.1") == [], pattern
        assert pairs
    indicator = {**corpus.VALID[6], "pattern": pattern}
    assert (not problems) == stix2validator_says_valid(indicator), pattern


# --- robustness -------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4),
    max_leaves=20)
_keys = st.sampled_from(["type", "id", "spec_version", "created", "modified", "name",
                         "pattern", "pattern_type", "valid_from", "extensions", "labels",
                         "granular_markings", "object_marking_refs", "external_references",
                         "value", "hashes", "objects", "object_refs", "source_ref",
                         "is_multipart", "body_multipart", "definition", "definition_type"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.one_of(_keys, st.text(max_size=6)), _json, max_size=8))
def test_random_dicts_never_crash(obj: dict[str, Any]) -> None:
    problems = validate_object(obj)
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(corpus.VALID), st.lists(st.tuples(_keys, _json), max_size=3))
def test_mutated_valid_objects_never_crash(base: dict[str, Any],
                                           changes: list[tuple[str, Any]]) -> None:
    obj = copy.deepcopy(base)
    for k, v in changes:
        obj[k] = v
    problems = validate_object(obj)
    assert all(isinstance(p, Problem) for p in problems)


def test_not_a_dict_and_deep_nesting() -> None:
    assert validate_object([])  # type: ignore[arg-type]
    deep: Any = "x"
    for _ in range(5000):
        deep = {"a_b_c": deep}
    obj = {**corpus.VALID[5], "x_acme_deep": deep}
    assert isinstance(validate_object(obj), list)


# --- crime artefacts --------------------------------------------------------------


def test_extension_definitions_pass_stix2_validator() -> None:
    for obj in [*ext.EXTENSION_DEFINITIONS, ext.IDENTITY]:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, [str(e) for e in result.errors]
        assert validate_object(obj) == []
        assert obj["created_by_ref" if obj["type"] != "identity" else "id"] == ext.IDENTITY_ID


def test_extension_ids_are_stable() -> None:
    assert [d["id"] for d in ext.EXTENSION_DEFINITIONS] == [
        "extension-definition--b9bc051b-62a4-4dc3-aeda-64b459d4fd17",
        "extension-definition--0934b060-2cde-49ce-8d78-628a7e54bfc0",
        "extension-definition--4420e5a1-ad88-4dfc-a622-6e68a7a13cb3",
        "extension-definition--74f97dbb-ddd2-494a-874b-9aee359f2323",
        "extension-definition--054c10d2-d73b-469f-baaf-30febc5f984b",
        "extension-definition--72e5e503-a901-4ed4-871d-1e483ac2fe0b",
    ]
    a = ext.new_bank_account(iban="de89 3704 0044 0532 0130 00")
    b = ext.new_bank_account(iban="DE89370400440532013000")
    assert a["id"] == b["id"] == "x-cyberhub-bank-account--" + str(
        __import__("uuid").uuid5(ext.STIX_NAMESPACE, '{"iban":"DE89370400440532013000"}'))
    assert ext.new_phone_number("+33612345678")["id"] != ext.new_phone_number("+33612345679")["id"]


@pytest.mark.parametrize(("obj", "path"), [
    (ext.new_bank_account(iban="DE89370400440532013001"), "iban"),
    (ext.new_bank_account(iban="DE89 3704 0044 0532 0130 00") | {"iban": "de89370400440532013000"},
     "iban"),
    (ext.new_bank_account(iban="DE89370400440532013000", bic="NOTABIC"), "bic"),
    (ext.new_bank_account(bank_name="only a name"), "(object)"),
    (ext.new_bank_account(account_number="1", country="France"), "country"),
    (ext.new_phone_number("0612345678"), "value"),
    (ext.new_phone_number("+0612345678"), "value"),
    (ext.new_cryptocurrency_wallet("bitcoin", "x") | {"chain": "Bitcoin"}, "chain"),
    (ext.new_cryptocurrency_wallet("bitcoin", "x") | {"address": ""}, "address"),
    (ext.new_social_account("telegram", "@x", url="not a url"), "url"),
    (ext.new_social_account("telegram", "@x") | {"extensions": {
        ext.SOCIAL_ACCOUNT.definition_id: {"extension_type": "property-extension"}}},
     "extensions"),
    ({k: v for k, v in ext.new_criminal_service("X", "marketplace", created=corpus.TS).items()
      if k != "service_type"}, "service_type"),
    (ext.new_criminal_service("X", "marketplace", created=corpus.TS, urls=["nope"]), "urls[0]"),
])
def test_crime_artefacts_are_checked(obj: dict[str, Any], path: str) -> None:
    assert path in [p.path for p in validate_object(obj)]


def test_crime_artefact_patterns_take_the_fast_path() -> None:
    phone = "[x-cyberhub-phone-number:value = '+33612345678']"
    assert simple_comparisons(phone) == [("x-cyberhub-phone-number:value", "+33612345678")]


# --- the ransomware-family property extension -------------------------------------


def _family(**details: Any) -> dict[str, Any]:
    return {"type": "malware", "spec_version": "2.1", "id": "malware--8eda8bf1-db5a-412d-8511-45e2f7621d51",
            "created": "2016-01-01T00:00:00.000Z", "modified": "2016-01-01T00:02:43.000Z",
            "name": "LockBit", "is_family": True,
            "extensions": {ext.RANSOMWARE.definition_id: {"extension_type": "property-extension",
                                                          **details}}}


def test_ransomware_extension_is_valid_stix_and_checked() -> None:
    good = _family(file_extensions=[".abcd"], ransom_note_filenames=["Restore-My-Files.txt"],
                   ransom_notes=["All your files are encrypted."], payment_method="Bitcoin",
                   ransom_amount="0.5 BTC", encryption="AES-256", discovered="September 2019",
                   ransom_note_refs=["https://example.org/note.png"],
                   sites=["http://lockbitexample.onion/"])
    assert validate_object(good) == []
    assert validate_instance(good, OPTIONS).is_valid
    assert validate_instance(ext.RANSOMWARE.definition(), OPTIONS).is_valid
    d = ext.RANSOMWARE.definition_id
    assert {p.path for p in validate_object(_family(file_extensions=".abcd", sites=["x y"]))} == {
        f"extensions.{d}.file_extensions", f"extensions.{d}.sites[0]"}
    assert [p.path for p in validate_object(_family())] == [f"extensions.{d}"]
    on_tool = {**_family(encryption="AES"), "type": "tool",
               "id": "tool--8eda8bf1-db5a-412d-8511-45e2f7621d51"}
    on_tool.pop("is_family")
    assert [p.message for p in validate_object(on_tool)] == ["is only defined for malware objects"]
    assert ext.RANSOMWARE.extension(file_extensions=[], encryption=None) is None
    with pytest.raises(ValueError, match="no properties"):
        ext.RANSOMWARE.extension(colour="red")


# --- languages --------------------------------------------------------------------


def test_problems_are_written_in_the_active_language_and_english_by_default() -> None:
    from cyberhub import i18n

    bad = {**corpus.VALID[6], "confidence": 101, "created": "yesterday"}
    english = {p.path: p.message for p in validate_object(bad)}
    assert english["confidence"] == "must be between 0 and 100"
    with i18n.use_locale("fr"):
        french = {p.path: p.message for p in validate_object(bad)}
        assert french["confidence"] == (i18n.gettext("must be between %(lo)s and %(hi)s")
                                         % {"lo": 0, "hi": 100})
        assert french["created"] == i18n.gettext(
            "must be a timestamp such as 2024-05-01T12:00:00.000Z (RFC 3339, UTC)")
    assert french.keys() == english.keys()
    assert french["confidence"] != english["confidence"]


def test_a_cached_pattern_verdict_speaks_the_language_that_asks() -> None:
    from cyberhub import i18n

    pattern = "[x_y:value != 'a']"  # the slow path: parsed once, then cached
    assert pattern_problems(pattern) == ["'x_y' is not a valid observable type name"]
    with i18n.use_locale("es"):
        assert pattern_problems(pattern) == [
            i18n.gettext("'%(type)s' is not a valid observable type name") % {"type": "x_y"}]
    assert pattern_problems(pattern) == ["'x_y' is not a valid observable type name"]
    # What the stix2-patterns validator says stays as it says it.
    broken = "ipv4-addr:value = '1'"
    english = pattern_problems(broken)
    assert english and english[0].startswith("FAIL: ")
    with i18n.use_locale("es"):
        assert pattern_problems(broken) == english
