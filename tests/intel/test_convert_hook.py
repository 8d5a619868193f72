"""The converter hook: a non-STIX format becomes a bundle and goes through the STIX
pipeline; notices are kept with the import; an unreadable source stores nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pytest
from sqlalchemy import func, select

from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.errors import InvalidInput
from cyberhub.formats import convert
from cyberhub.intel import importer, imports
from cyberhub.intel.models import Import, ImportStatus, StixObject
from tests.factories import Community


def lines_objects(source: Path, emit: convert.Emit,
                  context: convert.ConvertContext) -> list[convert.Notice]:
    """A toy format: one IPv4 address per line; a line that is not one is skipped."""
    assert context.options == {"column": 1}
    notices = []
    for index, line in enumerate(source.read_text().splitlines()):
        if line == "boom":
            raise convert.ConversionError(f"line {index + 1} explodes")
        if line == "bug":  # a converter's own failure, not the source's
            raise KeyError(line)
        if line == "invalid":  # an object the STIX validator refuses
            emit({"type": "ipv4-addr", "spec_version": "2.1", "value": 7,
                  "id": f"ipv4-addr--{uuid.uuid4()}"})
            continue
        if not line[:1].isdigit():
            notices.append(convert.Notice(index, None, "", f"skipped {line!r}"))
            continue
        emit({"type": "ipv4-addr", "spec_version": "2.1", "value": line,
              "id": f"ipv4-addr--{uuid.uuid5(uuid.NAMESPACE_URL, line)}"})
    return notices


def lines_to_stix(source: Path, target: BinaryIO,
                  context: convert.ConvertContext) -> list[convert.Notice]:
    """The toy format written as a bundle, the objects before the header, which a bundle
    may do (the header check then reads the whole file)."""
    objects: list[dict[str, Any]] = []
    notices = lines_objects(source, objects.append, context)
    target.write(orjson.dumps({"objects": objects, "type": "bundle",
                               "id": f"bundle--{uuid.uuid4()}"}))
    return notices


def _more() -> list[dict[str, Any]]:
    """More than a batch of the importer of valid objects."""
    return [{"type": "ipv4-addr", "spec_version": "2.1", "value": f"192.0.2.{n % 250}",
             "id": f"ipv4-addr--{uuid.uuid4()}"} for n in range(importer.BATCH + 500)]


def too_deep_then_more(source: Path, target: BinaryIO,
                       context: convert.ConvertContext) -> list[convert.Notice]:
    """A bundle whose first object nests too deep for the reader, then more objects."""
    target.write(b'{"type": "bundle", "id": "bundle--' + str(uuid.uuid4()).encode()
                 + b'", "objects": [' + b'{"a": ' * 70 + b"1" + b"}" * 70)
    for obj in _more():
        target.write(b", " + orjson.dumps(obj))
    target.write(b"]}")
    return []


def too_deep_objects(source: Path, emit: convert.Emit,
                     context: convert.ConvertContext) -> list[convert.Notice]:
    """An object that nests too deep, made by a converter, then more objects."""
    deep: dict[str, Any] = {"a": 1}
    for _ in range(69):
        deep = {"a": deep}
    emit({"type": "x-deep", "spec_version": "2.1", "id": f"x-deep--{uuid.uuid4()}",
          "nested": deep})
    for obj in _more():
        emit(obj)
    return []


@pytest.fixture(params=["file", "streamed"])
def lines_format(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The toy format, converted into a file before the import, or while it imports, its
    objects validated as they are made (importer.import_converted, as large sources of
    formats with an object converter are)."""
    monkeypatch.setitem(convert._CONVERTERS, "lines", f"{__name__}:lines_to_stix")
    if request.param == "streamed":
        monkeypatch.setitem(convert._OBJECT_CONVERTERS, "lines", f"{__name__}:lines_objects")
        monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(importer, "two_cores", lambda: True)
        monkeypatch.setattr(imports, "_convert", None)  # never into a file
    return str(request.param)


@pytest.fixture
def member(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), role="analyst",
                          email="ana@alpha.example")


def run_lines(database: Database, community: Community, user: User, text: str,
              tmp_path: Path, mode: str = "strict") -> Import:
    path = tmp_path / "values.txt"
    path.write_text(text)
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename=path.name, tlp="GREEN",
                                 fmt="lines", options={"column": 1}, mode=mode)
        imports.stage_file(job, path)
        job_id = job.id
    return imports.run(database, job_id, keep_source=True)


def stored(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(StixObject)) or 0


def test_a_converted_format_is_stored_with_its_notices(database, community, member,
                                                       lines_format, tmp_path):
    job = run_lines(database, community, member, "192.0.2.1\nnot an address\n192.0.2.2\n",
                    tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, job.message
    assert job.objects_stored == 2 and stored(database) == 2
    assert job.notices == [{"index": 1, "id": None, "path": "",
                            "message": "skipped 'not an address'"}]
    assert not list(imports.staging_dir().glob(f"{job.id}*")), "the converted file is removed"


def test_an_unreadable_source_fails_with_the_converters_message(database, community, member,
                                                                lines_format, tmp_path):
    job = run_lines(database, community, member, "192.0.2.1\nboom\n", tmp_path)
    assert job.status is ImportStatus.FAILED
    assert job.message == "line 2 explodes"
    assert stored(database) == 0


def test_a_converter_that_fails_stores_nothing_and_says_so(database, community, member,
                                                            lines_format, tmp_path, caplog):
    job = run_lines(database, community, member, "192.0.2.1\nbug\n", tmp_path)
    assert job.status is ImportStatus.FAILED
    assert job.message.startswith("The import failed unexpectedly and nothing was stored.")
    assert "KeyError: 'bug'" in caplog.text, "the cause is in the hub's log"
    assert stored(database) == 0


def test_strict_mode_rejects_a_converted_file_with_an_invalid_object(
        database, community, member, lines_format, tmp_path):
    text = "192.0.2.1\ninvalid\n192.0.2.2\n"
    job = run_lines(database, community, member, text, tmp_path)
    assert job.status is ImportStatus.REJECTED and job.objects_invalid == 1
    assert stored(database) == 0
    job = run_lines(database, community, member, text, tmp_path, mode="lenient")
    assert job.status is ImportStatus.SUCCEEDED and job.objects_invalid == 1
    assert stored(database) == 2


def test_an_object_nested_too_deep_is_refused_and_nothing_stored(
        database, community, member, lines_format, monkeypatch, tmp_path):
    monkeypatch.setitem(convert._CONVERTERS, "lines", f"{__name__}:too_deep_then_more")
    if lines_format == "file":  # the bundle's reader refuses the file before decoding
        job = run_lines(database, community, member, "", tmp_path)
        assert job.status is ImportStatus.FAILED and "deeper than" in job.message, job.message
    else:  # the object a converter made, alone; strict mode then rejects the import
        monkeypatch.setitem(convert._OBJECT_CONVERTERS, "lines",
                            f"{__name__}:too_deep_objects")
        job = run_lines(database, community, member, "", tmp_path)
        assert job.status is ImportStatus.REJECTED, job.message
        assert job.objects_invalid == 1 and job.objects_seen == importer.BATCH + 501
        assert "nests deeper than 62 levels" in job.errors[0]["message"]
    assert stored(database) == 0


def test_an_unknown_format_is_refused_with_the_known_ones(database, community, member):
    with database.transaction() as s, pytest.raises(InvalidInput) as caught:
        imports.new_import(s, community.viewer(member), filename="x", tlp="GREEN",
                           fmt="nope")
    assert "stix" in str(caught.value)


def test_the_status_page_and_api_show_the_notices(client, database, community, member,
                                                  lines_format, tmp_path):
    from tests.factories import bearer
    from tests.web.helpers import login

    job = run_lines(database, community, member, "<b>x</b>\n192.0.2.1\n", tmp_path)
    login(client, member.email)
    page = client.get(f"/imports/{job.id}").text
    assert "Notices from the conversion" in page
    assert "skipped &#39;&lt;b&gt;x&lt;/b&gt;&#39;" in page, "the notice is escaped"
    client.cookies.clear()
    body = client.get(f"/api/v1/imports/{job.id}", headers=bearer(community.token(member))).json()
    assert body["notices"] == [{"index": 0, "id": None, "path": "",
                                "message": "skipped '<b>x</b>'"}]


def test_text_is_imported_only_from_its_own_page(client, database, community, member):
    from tests.factories import bearer

    with database.transaction() as s, pytest.raises(InvalidInput) as caught:
        imports.new_import(s, community.viewer(member), filename="x", tlp="GREEN", fmt="text")
    assert "/import/text" in str(caught.value)
    r = client.post("/api/v1/import", params={"format": "text", "tlp": "GREEN"}, content=b"hi",
                    headers=bearer(community.token(member, "write")))
    assert r.status_code == 422 and "/import/text" in r.text
    assert "text" not in imports.file_formats() and "text" in imports.formats()


def test_the_upload_page_offers_only_formats_it_can_take(client, community, member):
    from tests.web.helpers import login, post

    login(client, member.email)
    page = client.get("/import").text
    assert 'value="stix"' in page and 'value="misp"' in page
    assert 'value="csv"' not in page and 'value="text"' not in page
    r = post(client, "/import", {"format": "csv", "tlp": "GREEN"}, token_from="/import",
             files={"file": ("rows.csv", b"ip\n192.0.2.1\n", "text/csv")})
    assert r.status_code == 422 and "/import/csv" in r.text
