"""Free text: re-fanging, extraction on the corpus, HTML and PDF to text, the ``text``
converter, and the import of confirmed values through the STIX pipeline."""

from __future__ import annotations

import io
import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from cyberhub.formats.convert import ConversionError, ConvertContext
from cyberhub.formats.refang import refang
from cyberhub.formats.stix import validate_object
from cyberhub.formats.text import candidates, to_text
from cyberhub.formats.text.extract import extract
from cyberhub.formats.text.to_stix import convert
from cyberhub.intel import imports
from cyberhub.intel.models import ImportStatus, StixObject

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "text"
IDENTITY = "identity--1b4f3c6e-62a1-4b5e-9c8e-0f9e3a7d2c11"


@pytest.mark.parametrize(("defanged", "real"), [
    ("hxxp://evil[.]example/x", "http://evil.example/x"),
    ("hXXps[:]//a[.]b(.)c/x", "https://a.b.c/x"),
    ("evil[dot]example", "evil.example"),
    ("user[@]mail(dot)example", "user@mail.example"),
    ("fxp://files[.]example", "ftp://files.example"),
    ("198.51.100[.]7", "198.51.100.7"),
    ("http://ok.example/a.b?x=[1]", "http://ok.example/a.b?x=[1]"),
])
def test_refang(defanged, real):
    assert refang(defanged) == real


@given(st.text(max_size=200))
def test_refang_is_idempotent(text):
    assert refang(refang(text)) == refang(text)


def test_the_corpus_is_found_with_high_precision_and_full_recall():
    spec = json.loads((FIXTURES / "report.expected.json").read_text())
    expected = {tuple(x) for x in spec["expected"]}
    allowed = {tuple(x) for x in spec["allowed"]}
    found = {(c.kind, c.value) for c in extract((FIXTURES / "report.txt").read_text())}
    assert expected <= found, sorted(expected - found)
    assert found - expected - allowed <= {("domain", "over.onion")}
    assert ("ipv4", "2.3.4.5") not in found, "a version number is not an address"
    assert ("iban", "12345678901234567890") not in found


def test_candidates_carry_their_warning_lists():
    def lists(kind, value):
        return (["List of RFC 1918 CIDR blocks"], True) if value == "10.0.0.5" else ([], False)

    found = {c.value: c for c in candidates((FIXTURES / "report.txt").read_text(), lists)}
    assert found["10.0.0.5"].benign and found["10.0.0.5"].lists == ["List of RFC 1918 CIDR blocks"]
    assert not found["45.142.212.61"].benign
    assert found["CVE-2024-3400"].lists == [], "CVE ids are not looked up"


def test_html_and_pdf_become_text_and_nothing_runs():
    html = to_text((FIXTURES / "bulletin.html").read_bytes(), "bulletin.html")
    assert "login-verify-account[.]com" in html and "https://redirect-hop.biz/r?x=1" in html
    assert "script-only" not in html and "color:red" not in html
    values = {(c.kind, c.value) for c in extract(html)}
    assert ("iban", "GB82WEST12345698765432") in values
    assert ("domain", "redirect-hop.biz") in values
    pdf = to_text((FIXTURES / "note.pdf").read_bytes(), "note.pdf")
    assert {(c.kind, c.value) for c in extract(pdf)} >= {
        ("url", "http://pdf-c2-panel.top/gate"), ("ipv4", "185.220.101.48")}
    with pytest.raises(ConversionError, match="not one"):
        to_text((FIXTURES / "fake.pdf").read_bytes(), "fake.pdf")
    with pytest.raises(ConversionError, match="cannot be read"):
        to_text(b"%PDF-1.4\n1 0 obj garbage", "broken.pdf")
    with pytest.raises(ConversionError, match="Office documents"):
        to_text(b"PK\x03\x04rest", "report.docx")


def test_the_converter_makes_valid_objects_and_checks_the_values_again():
    values = [["url", "http://pdf-c2-panel.top/gate"], ["cve", "CVE-2024-3400"],
              ["ipv4", "not an address"], ["wallet", "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
              ["iban", "GB82WEST12345698765432"]]
    for output in ("indicator", "observable"):
        out = io.BytesIO()
        notices = convert(Path("unused"), out, ConvertContext(
            "Alpha", IDENTITY, "note.pdf", {"values": values, "output": output}))
        objects = orjson.loads(out.getvalue())["objects"]
        assert len(objects) == 4 and [n.index for n in notices] == [2]
        assert {o["type"] for o in objects} >= {"vulnerability"}
        for obj in objects:
            assert validate_object(obj) == [], obj
    with pytest.raises(ConversionError, match="No confirmed values"):
        convert(Path("unused"), io.BytesIO(), ConvertContext("A", IDENTITY, options={}))


def test_confirmed_values_are_imported(database, community, tmp_path):
    user = community.user(community.org("Alpha CERT"), email="ana@alpha.example")
    source = tmp_path / "note.txt"
    source.write_text("whatever")
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename="note.pdf", tlp="AMBER",
                                 fmt="text", options={"values": [
                                     ["domain", "pdf-c2-panel.top"], ["cve", "CVE-2024-3400"]],
                                     "output": "indicator"}, prepared=True)
        imports.stage_file(job, source)
        job_id = job.id
    job = imports.run(database, job_id, keep_source=True)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    with database.transaction() as s:
        rows = list(s.scalars(select(StixObject)))
    assert sorted(r.type for r in rows) == ["indicator", "vulnerability"]
    assert {r.tlp.value for r in rows} == {"AMBER"}
