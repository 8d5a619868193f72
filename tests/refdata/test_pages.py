"""Reference data in the browser: the object page shows a family's details, /reference
lists what is loaded."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from cyberhub.db import Database
from cyberhub.refdata import galaxies as g
from cyberhub.refdata import service as refdata
from tests.factories import Community
from tests.web.helpers import login


def small_ransomware(tmp_path: Path) -> Path:
    """A few real clusters of the ransomware galaxy: LockBit and families with notes."""
    data = json.loads((g.data_dir() / "clusters" / "ransomware.json").read_bytes())
    keep = [v for v in data["values"] if v["value"] == "LockBit"]
    keep += [v for v in data["values"] if "ransomnotes" in v.get("meta", {})][:3]
    data["values"] = keep
    path = tmp_path / "ransomware.json"
    path.write_text(json.dumps(data))
    return path


def test_object_page_shows_the_family_and_reference_lists_it(
        database: Database, community: Community, client: TestClient, tmp_path: Path) -> None:
    refdata.load(database, ["mitre-attack-pattern"], files=[small_ransomware(tmp_path)])
    user = community.user(community.org("Alpha CERT"))
    login(client, user.email)
    found = client.get("/api/v1/objects", params={"type": "malware", "q": "lockbit"}).json()
    lockbit = next(o for o in found["items"] if o["name"] == "LockBit")
    html = client.get(f"/objects/{lockbit['id']}").text
    for text in ("Ransomware family", "Extensions of encrypted files", ".abcd",
                 "Restore-My-Files.txt", "cyberhub reference data", "reference data",
                 "MISP galaxy ransomware, version"):
        assert text in html, text
    noted = next(o for o in client.get("/api/v1/objects", params={
        "type": "malware", "limit": "10"}).json()["items"]
        if o["name"] != "LockBit")
    assert "Ransom notes" in client.get(f"/objects/{noted['id']}").text
    technique = next(o for o in client.get("/api/v1/objects", params={
        "type": "attack-pattern", "q": "T1059.001"}).json()["items"] if "T1059.001" in o["name"])
    page = client.get(f"/objects/{technique['id']}").text
    details = page[page.index('id="details"'):page.index('id="correlations"')]
    assert "T1059.001" in details and "mitre-attack: execution" in details, details
    listing = client.get("/reference").text
    assert "Ransomware" in listing and "file ransomware.json" in listing
    assert 'label=misp%3Agalaxy-type%3D%22mitre-attack-pattern%22' in listing


def test_reference_page_before_anything_is_loaded(community: Community,
                                                  client: TestClient) -> None:
    login(client, community.user(community.org("Alpha CERT")).email)
    assert "No reference data is loaded yet" in client.get("/reference").text
