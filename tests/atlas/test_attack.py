"""The ATT&CK heatmap: scores from what the asker may see, filters, the Navigator layer
(checked by MITRE's own mitreattack-python), and the page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from mitreattack.navlayers import Layer
from sqlalchemy import update

from cyberhub import jobs
from cyberhub.atlas import attack
from cyberhub.atlas.synthetic import CREATED
from cyberhub.intel.models import StixObject
from cyberhub.intel.synthetic import bundle_bytes
from cyberhub.sharing import TLP
from tests.atlas.test_chokepoints import actor, relationship
from tests.factories import Community, bearer
from tests.intel.test_import import run_import
from tests.web.helpers import login


def technique(attack_id: str, name: str, tactic: str, n: int) -> dict[str, Any]:
    return {"type": "attack-pattern", "spec_version": "2.1",
            "id": f"attack-pattern--00000000-0000-4000-a000-{n:012d}", "created": CREATED,
            "modified": CREATED, "name": f"{name} - {attack_id}",
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": tactic}],
            "external_references": [{"source_name": "mitre-attack", "external_id": attack_id}]}


@pytest.fixture
def attack_map(database, community: Community, tmp_path: Path) -> dict[str, Any]:
    phishing = technique("T1566.001", "Spearphishing Attachment", "initial-access", 1)
    powershell = technique("T1059.001", "PowerShell", "execution", 2)
    unused = technique("T1486", "Data Encrypted for Impact", "impact", 3)
    one, two = actor("Group One", 1), actor("Group Two", 2)
    finance = {"type": "identity", "spec_version": "2.1", "identity_class": "class",
               "id": "identity--00000000-0000-4000-b000-000000000001", "created": CREATED,
               "modified": CREATED, "name": "Finance"}
    report = {"type": "report", "spec_version": "2.1", "created": CREATED, "modified": CREATED,
              "id": "report--00000000-0000-4000-8000-0000000000c1", "name": "Campaign notes",
              "published": CREATED, "object_refs": [powershell["id"]]}
    shared = [phishing, powershell, unused, one, two, finance, report,
              relationship("uses", one["id"], phishing["id"], 1),
              relationship("uses", two["id"], phishing["id"], 2),
              relationship("uses", two["id"], powershell["id"], 3),
              relationship("targets", two["id"], finance["id"], 4)]
    alpha, beta = community.org("Alpha CERT"), community.org("Beta Bank")
    ana, ben = community.user(alpha), community.user(beta)
    assert run_import(database, community, ana, bundle_bytes(shared), tmp_path,
                      tlp="GREEN").objects_stored
    secret = [actor("Secret Group", 3), relationship("uses", actor("Secret Group", 3)["id"],
                                                     powershell["id"], 5)]
    assert run_import(database, community, ben, bundle_bytes(secret), tmp_path,
                      tlp="AMBER").objects_stored
    return {"ana": ana, "ben": ben, "one": one, "two": two, "finance": finance,
            "gina": community.user(community.org("Gamma Telecom"))}


def heatmap(client, community, user, **params: Any) -> dict[str, dict[str, Any]]:
    r = client.get("/api/v1/atlas/attack", params=params, headers=bearer(community.token(user)))
    assert r.status_code == 200, r.text
    return {t["attack_id"]: {**t, "tactic": tactic["phase"]}
            for tactic in r.json()["tactics"] for t in tactic["techniques"]}


def test_scores_count_the_visible_actors_and_reports(client, community, attack_map):
    seen = heatmap(client, community, attack_map["gina"])
    assert {k: (v["actors"], v["reports"], v["tactic"]) for k, v in seen.items()} == {
        "T1566.001": (2, 0, "initial-access"), "T1059.001": (1, 1, "execution")}
    ben = heatmap(client, community, attack_map["ben"])
    assert ben["T1059.001"]["actors"] == 2, "Beta sees its own AMBER actor too"


def test_filters_narrow_the_actors(client, community, attack_map):
    gina = attack_map["gina"]
    by_actor = heatmap(client, community, gina, actor=attack_map["one"]["id"])
    assert {k: v["score"] for k, v in by_actor.items()} == {"T1566.001": 1}
    by_sector = heatmap(client, community, gina, sector=attack_map["finance"]["id"])
    assert {k: v["score"] for k, v in by_sector.items()} == {"T1566.001": 1, "T1059.001": 1}
    later = heatmap(client, community, gina, since="2030-01-01T00:00:00Z")
    assert later == {}
    r = client.get("/api/v1/atlas/attack", params={"actor": "Group One"},
                   headers=bearer(community.token(gina)))
    assert r.status_code == 422 and "actor" in r.text


def test_the_navigator_layer_loads_in_mitres_library(client, community, attack_map):
    r = client.get("/api/v1/atlas/attack/navigator",
                   headers=bearer(community.token(attack_map["gina"])))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    body = r.json()
    layer = Layer()
    layer.from_dict(body)  # raises on a malformed layer
    assert layer.layer.versions.layer == "4.5" and layer.layer.domain == "enterprise-attack"
    scores = {(t["techniqueID"], t["tactic"]): t["score"] for t in body["techniques"]}
    assert scores == {("T1566.001", "initial-access"): 2, ("T1059.001", "execution"): 2}
    assert "Secret Group" not in r.text


def test_the_page_draws_the_matrix(client, community, attack_map):
    login(client, attack_map["gina"].email)
    r = client.get("/atlas/attack")
    assert r.status_code == 200
    assert 'class="heat heat-5" href="/objects/attack-pattern--00000000-0000-4000-a000-000000000001"' in r.text
    assert "Data Encrypted for Impact" not in r.text
    assert "Data Encrypted for Impact" in client.get("/atlas/attack", params={"all": "1"}).text
    assert "Secret Group" not in r.text
    bad = client.get("/atlas/attack", params={"since": "yesterday"})
    assert bad.status_code == 422 and "since must be a date" in html.unescape(bad.text)


def test_the_actor_is_picked_from_suggestions_or_typed_by_name(client, community, attack_map):
    login(client, attack_map["gina"].email)
    options = client.get("/atlas/attack/actors", params={"actor": "grou"}).text
    assert f'value="{attack_map["one"]["id"]}">Group One' in options
    assert "Group Two" in options and "Secret Group" not in options  # Beta's AMBER actor
    assert client.get("/atlas/attack/actors", params={"actor": "g"}).text.strip() == ""
    by_name = client.get("/atlas/attack", params={"actor": "group one"})
    assert by_name.status_code == 200
    assert f'href="/atlas/actors/{attack_map["one"]["id"]}">Profile of Group One' in by_name.text
    assert "PowerShell" not in by_name.text  # Group One does not use it
    for hidden in ("Secret Group", "intrusion-set--00000000-0000-4000-9000-000000000003",
                   "Nobody"):
        r = client.get("/atlas/attack", params={"actor": hidden})
        assert r.status_code == 422 and "No actor you may see" in html.unescape(r.text), hidden
        assert "/atlas/actors/" not in r.text and "actor-options\"><option" not in r.text


def test_the_worker_rolls_up_and_requests_answer_from_it(
        client, community, attack_map, monkeypatch, database):
    live = {who: heatmap(client, community, attack_map[who]) for who in ("gina", "ben")}
    assert jobs.refresh_attack_now() is True
    assert jobs.refresh_attack_now() is False  # current: nothing to do

    def not_live(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("counted live although the roll-up is current")

    with monkeypatch.context() as m:
        m.setattr(attack, "heatmap", not_live)
        for who in ("gina", "ben"):
            assert heatmap(client, community, attack_map[who]) == live[who]
        login(client, attack_map["ben"].email)
        assert client.get("/atlas/attack").status_code == 200
    # A filter narrows live; a change is counted at once, and rolled up again.
    assert heatmap(client, community, attack_map["gina"], actor=attack_map["one"]["id"])
    with database.transaction() as s:
        s.execute(update(StixObject).where(StixObject.stix_id == attack_map["two"]["id"])
                  .values(tlp=TLP.RED))
    after = heatmap(client, community, attack_map["gina"])
    assert after["T1566.001"]["actors"] == 1 and "T1059.001" in after  # the report stays
    assert after["T1059.001"]["actors"] == 0
    assert jobs.refresh_attack_now() is True
    assert heatmap(client, community, attack_map["gina"]) == after
