"""Web pages: identification form, family pages and the decryptor form."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Community, csrf_of, sign_in
from tests.ransomware.conftest import LOCKBIT, WANNACRY

HOSTILE = "<script>alert('owned')</script> All your important files are stolen and encrypted!"


@pytest.fixture
def analyst(client: TestClient, families: Any, community: Community) -> TestClient:
    org = community.org("Gamma")
    user = community.user(org, email="gamma@x.example")
    assert sign_in(client, user.email).status_code == 303
    return client


def test_identify_page_ranks_and_escapes_the_note(analyst: TestClient) -> None:
    page = analyst.get("/ransomware/identify")
    assert page.status_code == 200 and "What hit us?" in page.text
    token = csrf_of(analyst, "/ransomware/identify")
    r = analyst.post("/ransomware/identify", data={
        "csrf_token": token, "note_text": HOSTILE + " You must find Restore-My-Files.txt "
        "file and follow the instruction. To restore your systems you need our universal "
        "decryptor."})
    assert r.status_code == 200
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in r.text
    first = r.text.index('class="rw-candidate-name"')
    assert r.text.index("LockBit", first) < r.text.index("</li>", first)


def test_identify_page_upload_and_empty_form(analyst: TestClient) -> None:
    token = csrf_of(analyst, "/ransomware/identify")
    r = analyst.post("/ransomware/identify", data={"csrf_token": token})
    assert r.status_code == 422 and "Give at least one of" in r.text
    html = b"<html><body><p>Ooops, your important files are encrypted.</p><p>What Happened "\
           b"to My Computer? Many of your documents, photos, videos, databases and other "\
           b"files are no longer accessible because they have been encrypted.</p></body></html>"
    r = analyst.post("/ransomware/identify", data={"csrf_token": token},
                     files={"note_file": ("@Please_Read_Me@.html", html, "text/html")})
    assert r.status_code == 200
    assert f'href="/ransomware/families/{WANNACRY}"' in r.text


def test_family_page_and_decryptor_form(analyst: TestClient) -> None:
    page = analyst.get(f"/ransomware/families/{LOCKBIT}")
    assert page.status_code == 200
    assert "Restore-My-Files.txt" in page.text and "&lt;b&gt;affiliates" in page.text
    assert 'href="http://lockbit' not in page.text  # never a link to a leak site
    form = analyst.get(f"/ransomware/decryptors/new?family={LOCKBIT}")
    assert form.status_code == 200
    token = csrf_of(analyst, f"/ransomware/decryptors/new?family={LOCKBIT}")
    bad = analyst.post("/ransomware/decryptors/new", data={
        "csrf_token": token, "family_ref": LOCKBIT, "name": "Evil", "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "http:// or https://" in bad.text
    ok = analyst.post("/ransomware/decryptors/new", data={
        "csrf_token": token, "family_ref": LOCKBIT, "name": "LockBit 3.0 keys",
        "provider": "Example Police", "url": "https://example.org/lockbit", "tlp": "CLEAR"},
        follow_redirects=False)
    assert ok.status_code == 303
    page = analyst.get(f"/ransomware/families/{LOCKBIT}")
    assert ('<a class="rw-decryptor-link" href="https://example.org/lockbit" '
            'rel="noopener noreferrer" target="_blank">LockBit 3.0 keys</a>') in page.text
    listing = analyst.get("/ransomware/families?q=lock")
    assert "LockBit" in listing.text and "Locker One" in listing.text
    assert "WannaCry" not in listing.text


def test_pages_need_a_member(client: TestClient, families: Any) -> None:
    r = client.get("/ransomware/identify", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
