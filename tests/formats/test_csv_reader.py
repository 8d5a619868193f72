"""The CSV reader: encodings, delimiters, line ends, BOMs and broken files, with
property-based tests over what spreadsheets write, and the row → STIX rules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberhub.formats.convert import ConversionError, ConvertContext
from cyberhub.formats.csv import Mapping, preview
from cyberhub.formats.csv import reader as csvreader
from cyberhub.formats.csv.to_stix import column_name, convert, parse_moment, row_outcome
from cyberhub.formats.stix import validate_object

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "csv"
IDENTITY = "identity--1b4f3c6e-62a1-4b5e-9c8e-0f9e3a7d2c11"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# Cells as people type them: any printable text, with the characters CSV must quote.
cell = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
               | st.sampled_from([",", ";", "\t", '"', "\n", " "]), max_size=30)
table = st.lists(st.lists(cell, min_size=1, max_size=6), min_size=1, max_size=12)


def _write(rows: list[list[str]], delimiter: str, newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline,
               quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buffer.getvalue()


def _meaningful(rows: list[list[str]]) -> list[list[str]]:
    return [r for r in rows if any(c.strip() for c in r)]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=table, delimiter=st.sampled_from(csvreader.DELIMITERS),
       newline=st.sampled_from(["\r\n", "\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_what_a_spreadsheet_writes_is_read_back(tmp_path, rows, delimiter, newline, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(_write(rows, delimiter, newline).encode(encoding))
    if not path.read_bytes().strip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n"):
        return  # only white space: refused as empty, tested below
    detected = csvreader.detect(path, delimiter=delimiter)
    got = [cells for _line, cells in csvreader.records(path, detected)]
    assert got == _meaningful(rows)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_with_a_message(tmp_path, data):
    path = tmp_path / "junk.csv"
    path.write_bytes(data)
    try:
        detected = csvreader.detect(path)
        list(csvreader.records(path, detected))
    except ConversionError as exc:
        assert str(exc)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ips=st.lists(st.ip_addresses(v=4).map(str), min_size=2, max_size=10),
       delimiter=st.sampled_from(csvreader.DELIMITERS))
def test_the_delimiter_and_the_ip_column_are_found(tmp_path, ips, delimiter):
    rows = [["ip", "note"], *[[ip, f"seen {i}"] for i, ip in enumerate(ips)]]
    path = tmp_path / "ips.csv"
    path.write_text(_write(rows, delimiter, "\n"))
    result = preview(path)
    assert result.detected.delimiter == delimiter
    assert result.mapping.header is True
    assert result.mapping.columns[0] == "value:ipv4"


def test_encodings_boms_and_line_ends_of_the_fixtures_are_found():
    found = {}
    for name in ("indicators.csv", "iban_semicolon_cp1252.csv", "hashes_utf16.tsv",
                 "bom_crlf_mixed.csv"):
        d = csvreader.detect(FIXTURES / name)
        found[name] = (d.encoding_label, d.delimiter)
    assert found == {
        "indicators.csv": ("UTF-8", ","),
        "iban_semicolon_cp1252.csv": ("cp1252", ";"),
        "hashes_utf16.tsv": ("UTF-16 with byte-order mark", "\t"),
        "bom_crlf_mixed.csv": ("UTF-8 with byte-order mark", ","),
    }
    rows = [c for _l, c in csvreader.records(FIXTURES / "iban_semicolon_cp1252.csv",
                                              csvreader.detect(FIXTURES /
                                                               "iban_semicolon_cp1252.csv"))]
    assert rows[1][1] == "Société Écran SARL" and rows[1][3] == "Compte mule « urgent »"
    mixed = [c for _l, c in csvreader.records(FIXTURES / "bom_crlf_mixed.csv",
                                               csvreader.detect(FIXTURES / "bom_crlf_mixed.csv"))]
    assert [r[1] for r in mixed] == ["name", "Portal", "Defanged", "Mirror"]
    assert mixed[0][0] == "url", "the BOM is not part of the first header"


@pytest.mark.parametrize(("content", "message"), [
    (b'ip,name\n192.0.2.10,"unterminated\n192.0.2.11,fine\n', "a closing quote"),
    (b'ip,name\n192.0.2.10,"quoted"trailing\n', "Line 2 is not valid CSV"),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel or OpenDocument workbook"),
    (b"%PDF-1.7\n", "a PDF document"),
    (b"ip\n1.2.3.4\x00\n", "NUL bytes"),
    (b"   \n\n", "The file is empty."),
    (b"ip,name\n192.0.2.1," + b"x" * (csvreader.MAX_FIELD + 10) + b"\n", "longer than"),
    (b"ip\n" + b"," * (csvreader.MAX_COLUMNS + 5) + b"x\n", "columns"),
])
def test_broken_files_are_refused_with_where_and_what_to_do(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ConversionError) as caught:
        list(csvreader.records(path, csvreader.detect(path)))
    assert message in str(caught.value)


def test_a_wrong_byte_after_the_sample_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(csvreader, "SAMPLE_BYTES", 64)
    path = tmp_path / "late.csv"
    path.write_bytes(b"ip,name\n" + b"192.0.2.1,plain ascii\n" * 10 + b"192.0.2.2,caf\xe9\n")
    detected = csvreader.detect(path)
    assert detected.encoding == "utf-8"
    with pytest.raises(ConversionError, match=r"Line 12 or near it is not valid UTF-8"):
        list(csvreader.records(path, detected))


def test_column_names_and_dates():
    assert [column_name(i) for i in (0, 25, 26, 701)] == ["A", "Z", "AA", "ZZ"]
    assert parse_moment("2026-10-02") == datetime(2026, 10, 2, tzinfo=UTC)
    assert parse_moment("2026-09-15T08:30:00Z") == datetime(2026, 9, 15, 8, 30, tzinfo=UTC)
    assert parse_moment("2026-09-15 08:30") == datetime(2026, 9, 15, 8, 30, tzinfo=UTC)
    assert parse_moment("1767225600") == datetime(2026, 1, 1, tzinfo=UTC)
    for bad in ("yesterday", "02/10/2026", "0001-01-01", ""):
        assert parse_moment(bad) is None


MAPPING = Mapping(columns=("value:ipv4", "value:domain", "description", "first_seen", "labels",
                           "confidence"))


def test_a_row_becomes_valid_indicators_with_its_properties():
    out = row_outcome(["198.51.100.23", "C2.Shadow-Loader.example.", "C2 of the wave",
                       "2026-10-02", "c2; loader", "80"], MAPPING, identity_id=IDENTITY,
                      now=NOW)
    assert not out.skipped and not out.notes
    assert [o["pattern"] for o in out.objects] == [
        "[ipv4-addr:value = '198.51.100.23']",
        "[domain-name:value = 'c2.shadow-loader.example']"]
    first = out.objects[0]
    assert first["valid_from"] == "2026-10-02T00:00:00.000Z"
    assert first["labels"] == ["c2", "loader"] and first["confidence"] == 80
    assert first["description"] == "C2 of the wave" and first["created_by_ref"] == IDENTITY
    for obj in out.objects:
        assert validate_object(obj) == []
    again = row_outcome(["198.51.100.23", "", "", "", "", ""], MAPPING, identity_id=IDENTITY,
                        now=NOW)
    assert again.objects[0]["id"] == first["id"], "the same value gives the same indicator"


@pytest.mark.parametrize(("kind", "raw", "pattern"), [
    ("ipv6", "2001:DB8::1", "[ipv6-addr:value = '2001:db8::1']"),
    ("url", "hxxps://pay[.]example/a?x='1'", "[url:value = 'https://pay.example/a?x=\\'1\\'']"),
    ("email", "Boss[@]CEO-fraud.example", "[email-addr:value = 'boss@ceo-fraud.example']"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E",
     "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"),
    ("iban", "FR76 3000 6000 0112 3456 7890 189",
     "[x-cyberhub-bank-account:iban = 'FR7630006000011234567890189']"),
    ("phone", "+44 20 7946 0958", "[x-cyberhub-phone-number:value = '+442079460958']"),
    ("wallet", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
     "[x-cyberhub-cryptocurrency-wallet:chain = 'btc' AND x-cyberhub-cryptocurrency-wallet:"
     "address = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']"),
    ("social", "https://t.me/Scam_Support", "[x-cyberhub-social-account:platform = 'telegram'"
     " AND x-cyberhub-social-account:handle = 'scam_support']"),
])
def test_every_value_kind_becomes_a_valid_indicator_and_observable(kind, raw, pattern):
    for output in ("indicator", "observable"):
        mapping = Mapping(columns=(f"value:{kind}", "first_seen"), output=output)
        out = row_outcome([raw, "2026-10-01"], mapping, identity_id=IDENTITY, now=NOW)
        assert not out.skipped, out.skipped
        for obj in out.objects:
            assert validate_object(obj) == [], (obj, validate_object(obj))
        if output == "indicator":
            assert out.objects[0]["pattern"] == pattern
        else:
            assert [o["type"] for o in out.objects][1:] == ["observed-data"]


def test_skips_and_notes_say_why():
    out = row_outcome(["not-an-ip", "", "=cmd|' /C calc'!A0", "", "", ""], MAPPING,
                      identity_id=IDENTITY, now=NOW)
    assert out.skipped == ("column A: 'not-an-ip' is not a valid value of the kind "
                           "“IPv4 address or network”")
    out = row_outcome(["", "login.example", "=HYPERLINK(\"x\")", "yesterday", "", "abc"],
                      MAPPING, identity_id=IDENTITY, now=NOW)
    assert len(out.objects) == 1
    assert any("spreadsheet formula" in n for n in out.notes)
    assert any("'yesterday' is not a date" in n for n in out.notes)
    assert any("confidence 'abc'" in n for n in out.notes)
    assert out.objects[0]["description"] == "=HYPERLINK(\"x\")", "kept as text"
    assert Mapping(columns=("name", "ignore")).problems()
    assert Mapping(columns=("value:ipv4", "name", "name")).problems()


def test_the_converter_streams_a_bundle_and_reports_each_skip(tmp_path):
    target = tmp_path / "out.json"
    context = ConvertContext("Alpha", IDENTITY, options=MAPPING.as_dict())
    with target.open("wb") as out:
        notices = convert(FIXTURES / "indicators.csv", out, context)
    bundle = orjson.loads(target.read_bytes())
    assert [o["pattern"] for o in bundle["objects"]] == [
        "[ipv4-addr:value = '198.51.100.23']",
        "[domain-name:value = 'c2.shadow-loader.example']",
        "[ipv4-addr:value = '203.0.113.0/24']",
        "[domain-name:value = 'login-bank.example']"]
    messages = [n.message for n in notices]
    assert messages[0].startswith("Skipped row at line 4: column A (ip): 'not-an-ip'")
    assert "198.51.100.23 is left out at line 6: line 2 holds it already." in messages
    assert len(messages) == 4, messages  # the empty row (,,,,,) is not worth a notice
    with pytest.raises(ConversionError, match="at least one column that holds values"):
        convert(FIXTURES / "indicators.csv", io.BytesIO(),
                ConvertContext("Alpha", IDENTITY, options={"columns": ["name"]}))
    with pytest.raises(ConversionError, match="nothing to import"):
        convert(FIXTURES / "indicators.csv", io.BytesIO(), ConvertContext(
            "Alpha", IDENTITY, options={"columns": ["ignore", "ignore", "value:ipv4"]}))


def test_the_preview_guesses_a_mapping_and_counts_the_outcome():
    result = preview(FIXTURES / "indicators.csv")
    assert result.mapping.columns == MAPPING.columns and result.mapping.header
    assert (result.scanned, result.objects, result.skipped, result.duplicates) == (5, 4, 2, 1)
    assert [r.line for r in result.rows] == [2, 3, 4, 5, 6]
    assert result.rows[2].outcome.skipped and not result.rows[0].outcome.skipped
    iban = preview(FIXTURES / "iban_semicolon_cp1252.csv")
    assert iban.detected.encoding_label == "cp1252"
    assert iban.mapping.columns[0] == "value:iban"
