"""Free-text import pages: paste or upload → candidates to tick (warning-list hits left
out unless asked) → a normal import; nothing is stored before."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from cyberhub.intel import warninglists
from cyberhub.intel.models import Import, ImportStatus, StixObject
from tests.web.helpers import alert, login, post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "text"


def test_paste_confirm_and_import(client, database, community, monkeypatch):
    monkeypatch.setattr(warninglists, "matches", lambda kind, value: [
        type("L", (), {"name": "List of RFC 1918 CIDR blocks"})()] if value == "10.0.0.5" else [])
    monkeypatch.setattr(warninglists, "is_benign", lambda kind, value: value == "10.0.0.5")
    user = community.user(community.org("Alpha CERT"), email="ana@alpha.example")
    login(client, user.email)
    r = post(client, "/import/text", {"text": (FIXTURES / "report.txt").read_text()},
             token_from="/import/text")
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    token = re.search(r"/import/text/([0-9a-f]{32})", url)[1]
    page = client.get(url).text
    assert "1 value on a warning list of known-benign values is left out." in page
    assert "10.0.0.5" not in page
    assert 'value="ipv4|45.142.212.61" checked' in page
    assert "written hxxp://185.220.101.47/gate.php" not in page  # only refanged spelling shown
    shown = client.get(url + "&listed=1").text
    assert 'value="ipv4|10.0.0.5">' in shown and "List of RFC 1918 CIDR blocks" in shown
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Import)) == 0

    r = post(client, f"/import/text/{token}", {"tlp": "GREEN", "name": "report.txt"},
             token_from="/import/text")
    assert r.status_code == 422 and "Tick at least one value" in alert(r.text)
    r = post(client, f"/import/text/{token}", {
        "values": ["ipv4|45.142.212.61", "cve|CVE-2024-3400", "url|http://185.220.101.47/gate.php"],
        "output": "indicator", "tlp": "GREEN", "name": "report.txt"}, token_from="/import/text")
    assert r.status_code == 303, alert(r.text)
    with database.transaction() as s:
        job = s.scalar(select(Import))
        assert job.status is ImportStatus.SUCCEEDED and job.format == "text"
        assert sorted(s.scalars(select(StixObject.type))) == ["indicator", "indicator",
                                                              "vulnerability"]


def test_files_and_bad_input(client, community):
    user = community.user(community.org("Alpha CERT"), email="ana@alpha.example")
    login(client, user.email)
    r = post(client, "/import/text", {}, token_from="/import/text",
             files={"file": ("fake.pdf", (FIXTURES / "fake.pdf").read_bytes(), "application/pdf")})
    assert r.status_code == 422 and "is not one" in alert(r.text)
    r = post(client, "/import/text", {"text": "  "}, token_from="/import/text")
    assert r.status_code == 422 and "Paste the text" in alert(r.text)
    r = post(client, "/import/text", {}, token_from="/import/text",
             files={"file": ("note.pdf", (FIXTURES / "note.pdf").read_bytes(), "application/pdf")})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "pdf-c2-panel.top" in page and "note.pdf" in page


def test_a_name_with_nul_is_refused(client, database, community):
    user = community.user(community.org("Alpha CERT"), email="ana@alpha.example")
    login(client, user.email)
    r = post(client, "/import/text", {"text": "C2 at 45.142.212.61"}, token_from="/import/text")
    token = re.search(r"/import/text/([0-9a-f]{32})", r.headers["location"])[1]
    r = post(client, f"/import/text/{token}", {
        "values": ["ipv4|45.142.212.61"], "output": "indicator", "tlp": "GREEN",
        "name": "report\x00.txt"}, token_from="/import/text")
    assert r.status_code == 422 and "NUL" in alert(r.text)
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Import)) == 0
