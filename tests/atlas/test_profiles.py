"""Actor profiles: what the asker may see about one actor, sorted; invisible actors are
not found; the list searches names and aliases; the pages link the profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cyberhub.atlas.synthetic import CREATED
from cyberhub.intel import extensions
from cyberhub.intel.synthetic import bundle_bytes, sco_id
from tests.atlas.test_attack import technique
from tests.atlas.test_chokepoints import actor, chain, relationship
from tests.factories import Community, bearer
from tests.intel.test_import import run_import
from tests.web.helpers import login


def sdo(stix_type: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"type": stix_type, "spec_version": "2.1", "created": CREATED, "modified": CREATED,
            "id": f"{stix_type}--00000000-0000-4000-a000-{n:012d}", **extra}


@pytest.fixture
def profile_data(database, community: Community, tmp_path: Path) -> dict[str, Any]:
    hoster = extensions.new_criminal_service("Bulletproof Example", "bulletproof-hosting",
                                             created=CREATED)
    group = actor("Group One", 1) | {"aliases": ["G1", "Quiet Lynx"],
                                     "description": "A test group."}
    links = chain(group, 1, hoster)  # group → domain → address → hoster
    loader = sdo("malware", 20, name="Test Loader", is_family=True)
    phishing = technique("T1566.001", "Spearphishing Attachment", "initial-access", 21)
    finance = sdo("identity", 22, name="Finance", identity_class="class")
    france = sdo("location", 23, name="France", country="FR")
    vietnam = sdo("location", 24, name="Vietnam", country="VN")
    campaign = sdo("campaign", 25, name="Spring wave")
    wallet = extensions.new_cryptocurrency_wallet("bitcoin", "bc1qtestwallet0001")
    email = {"type": "email-addr", "spec_version": "2.1", "value": "boss@crime.example",
             "id": sco_id("email-addr", {"value": "boss@crime.example"})}
    other = actor("Group Two", 2)
    shared = [hoster, *links, loader, phishing, finance, france, vietnam, campaign, wallet,
              email, *chain(other, 2, hoster),
              relationship("uses", group["id"], loader["id"], 101),
              relationship("uses", group["id"], phishing["id"], 102),
              relationship("targets", group["id"], finance["id"], 103),
              relationship("targets", group["id"], france["id"], 104),
              relationship("originates-from", group["id"], vietnam["id"], 105),
              relationship("attributed-to", campaign["id"], group["id"], 106),
              relationship("related-to", group["id"], wallet["id"], 107),
              relationship("related-to", group["id"], email["id"], 108)]
    alpha, beta, gamma = (community.org(n) for n in ("Alpha CERT", "Beta Bank", "Gamma Telecom"))
    ana, ben, gina = community.user(alpha), community.user(beta), community.user(gamma)
    job = run_import(database, community, ana, bundle_bytes(shared), tmp_path, tlp="GREEN")
    assert job.objects_stored == len(shared), (job.message, job.errors)
    domain = links[1]
    seen = sdo("sighting", 30, sighting_of_ref=domain["id"], count=3,
               first_seen="2025-06-01T00:00:00.000Z", last_seen="2025-06-02T00:00:00.000Z")
    assert run_import(database, community, gina, bundle_bytes([seen]), tmp_path,
                      tlp="GREEN").objects_stored
    # Beta alone knows a second domain of the group, and a group of its own.
    hidden = {"type": "domain-name", "spec_version": "2.1", "value": "hidden.crime.example",
              "id": sco_id("domain-name", {"value": "hidden.crime.example"})}
    secret_group = actor("Secret Group", 3)
    secret = [hidden, relationship("uses", group["id"], hidden["id"], 200), secret_group]
    assert run_import(database, community, ben, bundle_bytes(secret), tmp_path,
                      tlp="AMBER").objects_stored
    return {"group": group, "domain": domain, "ip": links[2], "hoster": hoster,
            "secret_group": secret_group, "ana": ana, "ben": ben, "gina": gina,
            "other": other, "hidden": hidden}


def get(client, community, user, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers=bearer(community.token(user)))


def names(items: list[dict[str, Any]]) -> list[str]:
    return [i["name"] for i in items]


def test_a_profile_sorts_what_the_asker_may_see(client, community, profile_data):
    d = profile_data
    r = get(client, community, d["gina"], f"/api/v1/atlas/actors/{d['group']['id']}")
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["name"], p["aliases"], p["description"]) == (
        "Group One", ["G1", "Quiet Lynx"], "A test group.")
    assert names(p["artefacts"]["domains"]) == ["d1.crime.example"]
    assert p["artefacts"]["addresses"] == [{
        "stix_id": d["ip"]["id"], "type": "ipv4-addr", "name": "198.51.100.1",
        "via": "d1.crime.example", "detail": ""}]
    assert names(p["artefacts"]["wallets"]) == ["bc1qtestwallet0001"]
    assert names(p["artefacts"]["emails"]) == ["boss@crime.example"]
    assert [(i["name"], i["via"]) for i in p["infrastructure"]] == [
        ("Bulletproof Example", "d1.crime.example")]
    assert names(p["tools"]) == ["Test Loader"]
    assert [(i["name"], i["detail"]) for i in p["techniques"]] == [
        ("Spearphishing Attachment", "T1566.001")]
    assert names(p["sectors"]) == ["Finance"]
    assert [(i["name"], i["detail"]) for i in p["countries"]] == [("France", "FR")]
    assert [(i["name"], i["detail"]) for i in p["origins"]] == [("Vietnam", "VN")]
    assert names(p["campaigns"]) == ["Spring wave"]
    kinds = sorted(e["kind"] for e in p["timeline"])
    assert kinds.count("sighting") == 1 and kinds.count("relationship:uses") == 3
    sighting = next(e for e in p["timeline"] if e["kind"] == "sighting")
    assert sighting["when"].startswith("2025-06-01") and sighting["organisation"] == "Gamma Telecom"
    sources = {s["organisation"]: s for s in p["sources"]}
    assert set(sources) == {"Alpha CERT", "Gamma Telecom"}
    assert (sources["Alpha CERT"]["copies"], sources["Alpha CERT"]["relationships"]) == (1, 9)
    assert sources["Gamma Telecom"]["sightings"] == 1
    assert p["vetting"] == "unverified" and p["copies"] == [
        {"organisation": "Alpha CERT", "vetting": "unverified", "tlp": "GREEN"}]
    # Nothing of Beta's AMBER knowledge, nor of the other group sharing the hoster.
    assert "hidden.crime.example" not in r.text and "Group Two" not in r.text
    assert "d2.crime.example" not in r.text
    by_record = get(client, community, d["gina"], f"/api/v1/atlas/actors/{p['id']}")
    assert by_record.json() == p
    ben = get(client, community, d["ben"], f"/api/v1/atlas/actors/{d['group']['id']}").json()
    assert names(ben["artefacts"]["domains"]) == ["d1.crime.example", "hidden.crime.example"]


def test_an_actor_the_asker_may_not_see_is_not_found(client, community, profile_data):
    d = profile_data
    secret = f"/api/v1/atlas/actors/{d['secret_group']['id']}"
    missing = "/api/v1/atlas/actors/intrusion-set--00000000-0000-4000-9000-000000000999"
    not_actor = f"/api/v1/atlas/actors/{d['domain']['id']}"
    bodies = []
    for path in (secret, missing, not_actor, "/api/v1/atlas/actors/not-an-id"):
        r = get(client, community, d["gina"], path)
        assert r.status_code == 404, path
        bodies.append(r.json())
    assert all(b == bodies[0] for b in bodies)
    assert get(client, community, d["ben"], secret).status_code == 200
    assert client.get(secret).status_code == 401


def test_the_list_searches_names_and_aliases(client, community, profile_data):
    d = profile_data
    everyone = get(client, community, d["gina"], "/api/v1/atlas/actors").json()
    assert [a["name"] for a in everyone["actors"]] == ["Group One", "Group Two"]
    assert everyone["total"] == 2 and everyone["actors"][0]["relationships"] == 8
    lynx = get(client, community, d["gina"], "/api/v1/atlas/actors", q="lynx").json()
    assert [a["name"] for a in lynx["actors"]] == ["Group One"]
    assert get(client, community, d["gina"], "/api/v1/atlas/actors",
               q="secret").json() == {"total": 0, "actors": []}
    assert get(client, community, d["ben"], "/api/v1/atlas/actors",
               q="secret").json()["total"] == 1
    assert get(client, community, d["gina"], "/api/v1/atlas/actors",
               q="test group").json()["total"] == 0, "descriptions are not searched"


def test_the_pages_show_and_link_the_profiles(client, community, profile_data):
    d = profile_data
    login(client, d["gina"].email)
    listing = client.get("/atlas/actors", params={"q": "g1"})
    assert listing.status_code == 200
    assert f'href="/atlas/actors/{d["group"]["id"]}"' in listing.text
    assert "Group Two" not in listing.text
    r = client.get(f"/atlas/actors/{d['group']['id']}")
    assert r.status_code == 200
    for text in ("Group One", "Quiet Lynx", "d1.crime.example", "Bulletproof Example",
                 "Spearphishing Attachment", "Finance", "France", "Vietnam", "Spring wave",
                 "Gamma Telecom", "Alpha CERT"):
        assert text in r.text, text
    assert f'href="/atlas/attack?actor={d["group"]["id"]}"' in r.text
    assert "hidden.crime.example" not in r.text
    assert client.get(f"/atlas/actors/{d['secret_group']['id']}").status_code == 404
    chokepoints = client.get("/atlas/chokepoints").text
    assert f'<a href="/atlas/actors/{d["group"]["id"]}">Group One</a>' in chokepoints
    attack = client.get("/atlas/attack", params={"actor": d["group"]["id"]}).text
    assert f'href="/atlas/actors/{d["group"]["id"]}"' in attack
