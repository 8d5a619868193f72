"""Hostile files through the import API, end to end: ``POST /api/v1/import`` for STIX,
MISP (event JSON and feed archives) and CSV, in strict and lenient mode, and the
free-text import pages (``/import/text``).

Every body starts from a real, valid document (the hub's own synthetic STIX, the MISP and
CSV fixtures) and is spoilt structurally and then byte-wise (``tests/fuzz/hostile.py``),
or is random bytes. Whatever arrives, the hub must

- refuse the request with a 4xx and the one error body naming the problem, or
- accept it (202) and run the import to an end (jobs run in-process in the tests):
  ``succeeded``, or ``rejected``/``failed`` with a message that names the problem — never
  a crash ("failed unexpectedly"), never a job left queued or running;
- store nothing at all when the import does not succeed (no objects, versions, indexed
  values or references: nothing half-written);
- when it succeeds, store exactly what its counts say, every stored object valid STIX
  2.1 and, for a STIX bundle, exactly as sent.

Bounded and deterministic (derandomized, no example database); the example counts are
in docs/security.md#fuzzing.
"""

from __future__ import annotations

import html
import io
import json
import re
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cyberhub.db import Database
from cyberhub.formats.csv import Mapping, mappings
from cyberhub.formats.stix.validate import validate_object
from cyberhub.intel import warninglists
from cyberhub.intel.models import ObservableValue, StixObject, StixObjectVersion, StixRef
from cyberhub.intel.synthetic import Generator
from cyberhub.sharing import AudienceEntry
from tests.cache import warninglists_index
from tests.factories import Community, bearer, csrf_of, sign_in
from tests.fuzz.hostile import (
    dumps,
    form,
    has_deep,
    hostile_text,
    mutated,
    scaled,
    short_text,
    spoilt_bytes,
    tar_gz,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
def fuzz(examples: int) -> settings:
    """Deterministic and bounded: the same ``examples`` cases on every run
    (``CYBERHUB_FUZZ_SCALE=10`` runs ten times as many, for a longer hunt)."""
    return settings(max_examples=scaled(examples), derandomize=True, database=None, deadline=None,
                    report_multiple_bugs=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
CRASHED = "failed unexpectedly"  # the message of an import that crashed (imports.run)
FINAL = {"succeeded", "rejected", "failed"}
MODES = st.sampled_from(["strict", "lenient"])

# A CSV of IP addresses and domains, and one of IBANs (the CSV fixtures' own mappings).
CSV_MAPPINGS = {
    "C2 sheet": Mapping(columns=("value:ipv4", "value:domain", "description", "first_seen",
                                 "labels", "confidence")),
    "IBANs": Mapping(columns=("value:iban", "name", "first_seen", "description")),
    "Hashes": Mapping(columns=("value:sha256", "value:md5", "name"), header=True),
}
CSV_FILES = {"indicators.csv": "C2 sheet", "iban_semicolon_cp1252.csv": "IBANs",
             "bom_crlf_mixed.csv": "C2 sheet", "hashes_utf16.tsv": "Hashes",
             "broken_quote.csv": "C2 sheet"}


@dataclass
class Importer:
    client: TestClient
    database: Database
    email: str
    token: str

    def post(self, body: bytes, **query: str) -> Any:
        return self.client.post("/api/v1/import?" + form({"tlp": "GREEN", **query}).decode(),
                                content=body, headers={**bearer(self.token),
                                                       "Content-Type": "application/json"})

    def job(self, location: str) -> dict[str, Any]:
        got = self.client.get(location, headers=bearer(self.token))
        assert got.status_code == 200, got.text
        return got.json()  # type: ignore[no-any-return]


@pytest.fixture
def importer(client: TestClient, database: Database, community: Community) -> Importer:
    alpha = community.org("Alpha CERT")
    ana = community.user(alpha, role="analyst", email="ana@alpha.example")
    viewer = community.viewer(ana)
    with database.transaction() as s:
        for name, mapping in CSV_MAPPINGS.items():
            mappings.save_mapping(s, viewer, name, mapping)
    return Importer(client, database, ana.email, community.token(ana, scope="write"))


def stored_state(database: Database) -> dict[str, int]:
    """How many rows the knowledge base holds: what a failed import must leave as it was."""
    with database.transaction() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                for m in (StixObject, StixObjectVersion, ObservableValue, StixRef,
                          AudienceEntry)}


def stored_by(database: Database, import_id: str) -> list[dict[str, Any]]:
    with database.transaction() as s:
        return [orjson.loads(d) for d in s.scalars(
            select(StixObject.data).where(StixObject.import_id == uuid.UUID(import_id)))]


def assert_refusal(r: Any) -> None:
    """A refused request: a 4xx with the one error body and a message."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    error = r.json()["error"]
    assert isinstance(error["message"], str) and error["message"].strip(), error


def check_import(imp: Importer, r: Any, before: dict[str, int], *, mode: str = "strict",
                 sent: list[Any] | None = None) -> dict[str, Any] | None:
    """The outcome of one import request; ``sent`` is the STIX objects the body held, when
    the body is JSON the test wrote (stored objects must be exactly these)."""
    if r.status_code != 202:
        event(f"refused {r.status_code}")
        assert_refusal(r)
        assert stored_state(imp.database) == before, "a refused upload stored something"
        return None
    return check_job(imp, r.headers["Location"], before, mode=mode, sent=sent)


def check_job(imp: Importer, location: str, before: dict[str, int], *, mode: str,
              sent: list[Any] | None = None) -> dict[str, Any]:
    """The import job at ``location`` ended, and stored all or nothing (see the module)."""
    job = imp.job(location)
    assert job["status"] in FINAL, job  # never left queued or running
    event(f"import {job['status']}")
    assert job["finished_at"], job
    after = stored_state(imp.database)
    counts = job["counts"]
    for problem in job["errors"] + job["notices"]:
        assert isinstance(problem["message"], str) and problem["message"].strip(), problem
    if job["status"] != "succeeded":
        assert job["message"].strip() and CRASHED not in job["message"], job["message"]
        assert after == before, f"{job['status']} import left rows behind: {job['message']}"
        if job["status"] == "rejected":
            assert mode == "strict" and counts["invalid"] > 0 and job["errors"], job
        return job
    assert not job["message"] or CRASHED not in job["message"], job
    assert counts["seen"] == (counts["stored"] + counts["unchanged"] + counts["new_versions"]
                              + counts["invalid"]), counts
    if mode == "strict":
        assert counts["invalid"] == 0, job
    assert after["stix_objects"] - before["stix_objects"] == counts["stored"], (counts, after)
    rows = stored_by(imp.database, job["id"])
    assert len(rows) >= counts["stored"], (len(rows), counts)
    for row in rows:
        assert validate_object(row) == [], row
    if sent is not None:
        by_id: dict[str, list[Any]] = {}
        for obj in sent:
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                by_id.setdefault(obj["id"], []).append(obj)
        for row in rows:
            assert row in by_id.get(row["id"], []), f"stored {row!r} was never sent"
    return job


# ------------------------------------------------------------------------------ STIX


def stix_bundle(seed: int) -> dict[str, Any]:
    objects = list(Generator(seed=seed).objects(8))
    return {"type": "bundle", "id": f"bundle--{objects[0]['id'].split('--')[1]}",
            "objects": objects}


@fuzz(100)
@given(data=st.data())
def test_stix_bundles(importer: Importer, data: st.DataObject) -> None:
    """Mutated synthetic bundles (and random bytes) as STIX, strict and lenient."""
    mode = data.draw(MODES, label="mode")
    if data.draw(st.integers(0, 9), label="random bytes?") == 0:
        doc, body = None, data.draw(st.binary(max_size=300), label="body")
    else:
        doc = data.draw(mutated(stix_bundle(data.draw(st.integers(0, 3))), 3), label="doc")
        body = data.draw(spoilt_bytes(dumps(doc)), label="body")
    before = stored_state(importer.database)
    r = importer.post(body, format="stix", mode=mode, filename="fuzz.json")
    intact = doc is not None and body == dumps(doc) and not has_deep(doc)
    sent = doc.get("objects") if intact and isinstance(doc, dict) else None
    check_import(importer, r, before, mode=mode,
                 sent=sent if isinstance(sent, list) else None if not intact else [])


# ------------------------------------------------------------------------------ MISP


MISP_EVENT = json.loads((FIXTURES / "misp" / "event.json").read_text())
MISP_RESPONSE = json.loads((FIXTURES / "misp" / "response.json").read_text())
FEED = {p.name: p.read_bytes() for p in sorted((FIXTURES / "misp" / "feed").iterdir())}


@fuzz(80)
@given(data=st.data())
def test_misp_events(importer: Importer, data: st.DataObject) -> None:
    """Mutated MISP event JSON (an event, the API's response list), and random bytes."""
    mode = data.draw(MODES, label="mode")
    if data.draw(st.integers(0, 9), label="random bytes?") == 0:
        body = data.draw(st.binary(max_size=300), label="body")
    else:
        source = data.draw(st.sampled_from([MISP_EVENT, MISP_RESPONSE]), label="source")
        doc = data.draw(mutated(source, 4), label="doc")
        body = data.draw(spoilt_bytes(dumps(doc)), label="body")
    before = stored_state(importer.database)
    r = importer.post(body, format="misp", mode=mode, filename="event.json")
    check_import(importer, r, before, mode=mode)


def _special_member(kind: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo({"symlink": "evil.json", "hardlink": "hard.json",
                            "dir": "manifest.json", "device": "dev.json",
                            "fifo": "fifo.json"}[kind])
    info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                 "dir": tarfile.DIRTYPE, "device": tarfile.CHRTYPE,
                 "fifo": tarfile.FIFOTYPE}[kind]
    info.linkname = "/etc/passwd" if kind in ("symlink", "hardlink") else ""
    return info


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    """A MISP feed archive with a spoilt manifest, event file, member names or archive."""
    members = dict(FEED)
    prefix = draw(st.sampled_from(["", "feed/", "./", "../", "/abs/", "a/b/c/"]))
    target = draw(st.sampled_from(sorted(members)))
    how = draw(st.sampled_from(["none", "json", "bytes", "drop", "rename", "add"]))
    if how == "json":
        members[target] = dumps(draw(mutated(json.loads(members[target]), 3)))
    elif how == "bytes":
        members[target] = draw(spoilt_bytes(members[target]))
    elif how == "drop":
        del members[target]
    elif how == "rename":
        members[draw(hostile_text.filter(lambda n: "\x00" not in n and n.strip("/."))
                     .map(lambda n: n[:90].encode("utf-8", "replace").decode()))] = \
            members.pop(target)
    elif how == "add":
        members[draw(st.sampled_from(["../escape.json", "x.json",
                                      "00000000-0000-0000-0000-000000000000.json"]))] = \
            draw(st.binary(max_size=64))
    extra = [_special_member(k) for k in draw(st.lists(st.sampled_from(
        ["symlink", "hardlink", "dir", "device", "fifo"]), max_size=2, unique=True))]
    archive = tar_gz({prefix + name: content for name, content in members.items()},
                     extra=extra)
    spoil = draw(st.sampled_from(["keep", "keep", "truncate", "flip", "not-gzipped"]))
    if spoil == "truncate":
        return archive[:draw(st.integers(2, len(archive) - 1))]
    if spoil == "flip":
        at = draw(st.integers(2, len(archive) - 1))
        return archive[:at] + bytes([archive[at] ^ draw(st.integers(1, 255))]) + archive[at + 1:]
    if spoil == "not-gzipped":
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as plain:
            for name, content in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(content)
                plain.addfile(info, io.BytesIO(content))
        return out.getvalue()
    return archive


@fuzz(60)
@given(body=feeds(), mode=MODES)
def test_misp_feed_archives(importer: Importer, body: bytes, mode: str) -> None:
    """MISP feeds as a .tar.gz: spoilt manifests, events, member names, special members
    (links, devices), broken gzip and tar."""
    before = stored_state(importer.database)
    r = importer.post(body, format="misp", mode=mode, filename="feed.tar.gz")
    check_import(importer, r, before, mode=mode)


# ------------------------------------------------------------------------------- CSV


@st.composite
def csv_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(mapping name, body): a CSV fixture with hostile cells, rows and bytes."""
    name = draw(st.sampled_from(sorted(CSV_FILES)))
    raw = (FIXTURES / "csv" / name).read_bytes()
    encoding = "utf-16" if name.endswith("utf16.tsv") else "cp1252" if "cp1252" in name \
        else "utf-8-sig"
    lines = raw.decode(encoding).splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        how = draw(st.sampled_from(["cell", "row", "drop", "wide", "quote"]))
        if how == "cell" and at < len(lines):
            cells = lines[at].rstrip("\r\n").split(draw(st.sampled_from([",", ";", "\t"])))
            cells[draw(st.integers(0, len(cells) - 1))] = draw(hostile_text)
            lines[at] = ",".join(cells) + "\n"
        elif how == "row":
            lines.insert(at, draw(hostile_text) + "\n")
        elif how == "drop" and at < len(lines):
            del lines[at]
        elif how == "wide":
            lines.insert(at, ",".join(["1.2.3.4"] * draw(st.sampled_from([50, 5000]))) + "\n")
        elif how == "quote":
            lines.insert(at, '"' + "x" * draw(st.sampled_from([10, 200_000])) + "\n")
    text = "".join(lines)
    body = text.encode(encoding, "surrogatepass") if encoding != "cp1252" else \
        text.encode("cp1252", "replace")
    return CSV_FILES[name], draw(spoilt_bytes(body))


@fuzz(80)
@given(data=st.data())
def test_csv_files(importer: Importer, data: st.DataObject) -> None:
    """CSV fixtures with hostile cells, rows, widths, quotes and encodings, and random
    bytes, through a saved mapping."""
    mode = data.draw(MODES, label="mode")
    if data.draw(st.integers(0, 9), label="random bytes?") == 0:
        mapping, body = "C2 sheet", data.draw(st.binary(max_size=300), label="body")
    else:
        mapping, body = data.draw(csv_bodies(), label="csv")
    before = stored_state(importer.database)
    r = importer.post(body, format="csv", mapping=mapping, mode=mode, filename="sheet.csv")
    check_import(importer, r, before, mode=mode)


@fuzz(40)
@given(query=st.fixed_dictionaries({}, optional={
    "format": st.one_of(st.sampled_from(["stix", "misp", "csv", "text", "STIX", ""]),
                        short_text),
    "mode": st.one_of(st.sampled_from(["strict", "lenient"]), short_text),
    "mapping": st.one_of(st.sampled_from(sorted(CSV_MAPPINGS)), short_text),
    "tlp": st.one_of(st.sampled_from(["GREEN", "amber+strict", "RED", "white"]), short_text),
    "pap": short_text, "audience": short_text, "filename": short_text}))
def test_import_parameters(importer: Importer, query: dict[str, str]) -> None:
    """Hostile query parameters around a valid bundle: refused with the field named, or
    imported."""
    before = stored_state(importer.database)
    body = dumps(stix_bundle(0))
    r = importer.post(body, **query)
    check_import(importer, r, before, mode=query.get("mode", "strict"))


# ------------------------------------------------------------------------- free text


REPORT = (FIXTURES / "text" / "report.txt").read_text()
DOCUMENTS = {"report.txt": REPORT.encode(),
             "bulletin.html": (FIXTURES / "text" / "bulletin.html").read_bytes(),
             "note.pdf": (FIXTURES / "text" / "note.pdf").read_bytes()}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CANDIDATE = re.compile(r'name="values" value="([^"]*)"')
KINDS = ["ipv4", "ipv6", "domain", "url", "email", "sha256", "md5", "iban", "phone", "cve",
         "btc", "", "nope", "IPV4"]


def assert_page_refusal(r: Any) -> None:
    """A refused form: a 4xx page whose alert (the form's, or the error page's) says
    what was wrong."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    found = re.search(r'id="form-error">(.*?)</div>', r.text, re.S) or re.search(
        r'class="card narrow error-page" role="alert">.*?</h1>\s*<p>(.*?)</p>', r.text, re.S)
    assert found, r.text[:300]
    assert re.sub(r"<[^>]+>|\s", "", found.group(1)), r.text[:300]


@st.composite
def text_uploads(draw: st.DrawFn) -> dict[str, Any]:
    """Form fields and files of a free-text upload: pasted text or a document."""
    if draw(st.booleans()):
        text = draw(st.one_of(hostile_text, st.just(REPORT), st.builds(
            lambda at, junk: REPORT[:at] + junk + REPORT[at:], st.integers(0, len(REPORT)),
            hostile_text)))
        return {"data": {"text": text}}
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    content = draw(spoilt_bytes(DOCUMENTS[name]))
    if draw(st.integers(0, 5)) == 0:
        content = draw(st.binary(max_size=200))
    filename = draw(st.one_of(st.just(name), st.sampled_from(
        ["x.pdf", "x.html", "x.txt", "x", ".pdf", "x.exe", "a/../b.txt", "x" * 400 + ".txt"])))
    return {"data": {}, "files": {"file": (filename, content, "application/octet-stream")}}


@pytest.fixture
def shared_warninglists(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's one warning-list index (building one takes seconds)."""
    monkeypatch.setattr(warninglists, "_index", warninglists.WarningIndex(warninglists_index()))


@fuzz(40)
@given(data=st.data())
def test_free_text_import(importer: Importer, shared_warninglists: None,
                          data: st.DataObject) -> None:
    """The free-text import pages: hostile pasted text and documents, then the ticked
    values (the page's candidates, or forged ``kind|value`` pairs) and sharing fields."""
    client = TestClient(importer.client.app, base_url="http://testserver")
    assert sign_in(client, importer.email).status_code == 303
    csrf = csrf_of(client, "/import/text")
    upload = data.draw(text_uploads(), label="upload")
    before = stored_state(importer.database)
    if "files" in upload:
        r = client.post("/import/text", data={"csrf_token": csrf}, files=upload["files"],
                        follow_redirects=False)
    else:
        r = client.post("/import/text", content=form({"csrf_token": csrf, **upload["data"]}),
                        headers=FORM, follow_redirects=False)
    if r.status_code != 303:
        assert_page_refusal(r)
        assert stored_state(importer.database) == before
        return
    url = r.headers["location"]
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    candidates = [html.unescape(c) for c in CANDIDATE.findall(page.text)]
    values = data.draw(st.one_of(
        st.lists(st.sampled_from(candidates), unique=True) if candidates else st.just([]),
        st.lists(st.builds(lambda k, v: f"{k}|{v}", st.sampled_from(KINDS), hostile_text),
                 max_size=4),
        st.lists(hostile_text, max_size=3)), label="values")
    fields = {"csrf_token": csrf, "values": values, "name": data.draw(hostile_text, label="name"),
            "output": data.draw(st.sampled_from(["indicator", "observable", "x", ""])),
            "tlp": data.draw(st.sampled_from(["GREEN", "CLEAR", "AMBER", "", "purple"])),
            "pap": data.draw(st.sampled_from(["", "GREEN", "x"]))}
    r = client.post(url.split("?")[0], content=form(fields), headers=FORM,
                    follow_redirects=False)
    if r.status_code != 303:
        assert_page_refusal(r)
        assert stored_state(importer.database) == before
        return
    job_id = r.headers["location"].rstrip("/").rsplit("/", 1)[-1]
    job = check_job(importer, f"/api/v1/imports/{job_id}", before, mode="strict")
    assert job["format"] == "text"
