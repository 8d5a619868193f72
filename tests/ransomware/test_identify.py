"""The matcher on crafted inputs, without a database: exact and noisy extensions, note
names and note texts, contact points in known notes, visibility of members' entries,
and a property test that it never crashes."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberhub.ransomware import catalogue
from cyberhub.ransomware.identify import Family, Index, Note, Query, identify
from cyberhub.refdata import galaxies as g
from tests.ransomware.conftest import DHARMA, DJVU, LOCKBIT, SMALL_GALAXY, WANNACRY


def small_families() -> list[Family]:
    objs = [o for o in g.Builder([g.read_file(SMALL_GALAXY)]).objects()
            if o["type"] == "malware"]
    return catalogue.build_families(catalogue.Row(uuid.uuid4(), True, True, o) for o in objs)


INDEX = Index(small_families())


def top(query: Query, index: Index = INDEX, **kw: object) -> list[str]:
    return [c.key for c in identify(index, query, **kw)]  # type: ignore[arg-type]


def test_exact_extension_in_any_case_and_without_its_dot() -> None:
    assert top(Query(file_name="Q3 budget.xlsx.LOCKBIT"))[0] == LOCKBIT
    assert top(Query(file_name="C:\\Users\\x\\photo.jpg.wncry"))[0] == WANNACRY
    assert top(Query(file_name="djvu"))[0] == DJVU
    [best] = identify(INDEX, Query(file_name="a.doc.lockbit"))
    assert best.evidence[0].message == "extension .lockbit matches"


def test_placeholders_of_the_galaxy_become_patterns() -> None:
    found = identify(INDEX, Query(file_name="db.sql.id-1E857D00.[decrypt@cock.li].cezar"))
    assert found[0].key == DHARMA
    assert "pattern" in found[0].evidence[0].message


def test_a_shared_extension_ranks_every_family_that_uses_it_lower() -> None:
    found = identify(INDEX, Query(file_name="x.doc.locked"))
    assert len(found) == 2 and found[0].score == found[1].score
    assert found[0].score < identify(INDEX, Query(file_name="x.doc.lockbit"))[0].score
    # Prose in the galaxy ("RANDOM 3 LETTERS ARE ADDED") matches nothing.
    assert top(Query(file_name="report.pdf.abc")) == []


def test_note_file_name_exact_and_with_typos_or_copy_numbers() -> None:
    assert top(Query(note_name="Restore-My-Files.txt"))[0] == LOCKBIT
    assert top(Query(note_name="restore-my-files (2).TXT"))[0] == LOCKBIT
    assert top(Query(note_name="Restore-My-Flies.txt"))[0] == LOCKBIT
    assert top(Query(note_name="@Please_Read_Me@ - Copy.txt"))[0] == WANNACRY


def test_note_text_with_other_ids_addresses_and_wrapping() -> None:
    note = ("Ooops, your important files are encrypted.\nWhat Happened to My\nComputer? "
            "Your important files are encrypted. Many of your documents, photos, videos, "
            "databases and other files are no longer accessible. Send $600 worth of bitcoin "
            "to this address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    found = identify(INDEX, Query(note_text=note))
    assert found[0].key == WANNACRY
    assert found[0].evidence[0].kind == "note_text"
    assert "distinctive phrases" in found[0].evidence[0].message


def test_contact_point_of_a_known_note() -> None:
    found = identify(INDEX, Query(contacts=[("email", "restoreback@airmail.cc")]))
    assert [c.key for c in found] == [DHARMA]
    assert found[0].evidence[0].message == \
        "e-mail restoreback@airmail.cc appears in a known note of this family"


def test_members_entries_count_only_when_the_asker_may_see_them() -> None:
    fams = small_families()
    secret = uuid.uuid4()
    fams.append(Family(key="malware--00000000-0000-4000-8000-000000000001", name="Quiet",
                       extensions=[(".quietlock", secret)],
                       notes=[Note("pay the quiet people in monero now", secret)],
                       record_ids=[secret]))
    index = Index(fams)
    query = Query(file_name="a.doc.quietlock")
    assert top(query, index) == ["malware--00000000-0000-4000-8000-000000000001"]
    assert top(query, index, visible=lambda ids: set()) == []


def test_nothing_given_finds_nothing() -> None:
    assert Query().empty and top(Query(note_text="   ")) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_name=st.text(max_size=300), note_name=st.text(max_size=300),
       note_text=st.text(max_size=3000))
def test_identification_never_crashes_and_ranks_with_evidence(file_name: str, note_name: str,
                                                              note_text: str) -> None:
    found = identify(INDEX, Query(file_name, note_name, note_text))
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    for c in found:
        assert c.evidence and c.score > 0
        assert all(e.message for e in c.evidence)
