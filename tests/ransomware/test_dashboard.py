"""The ransomware dashboard (page and API): the trends it draws are the published ones,
its lists hold only what the viewer may see, and no victim is ever named. Both engines."""

from __future__ import annotations

import json
import re

from tests.factories import bearer, sign_in
from tests.ransomware.conftest import LOCKBIT
from tests.ransomware.test_trends_api import Hub, hub  # noqa: F401 - the fixture


def dashboard(h: Hub, who: str) -> dict:  # type: ignore[type-arg]
    r = h.client.get("/api/v1/ransomware/dashboard", headers=bearer(h.tokens[who]))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_api_gathers_published_trends_and_what_the_viewer_may_see(hub: Hub) -> None:  # noqa: F811
    hub.report("a", tlp="AMBER+STRICT", sector="Energy", family=LOCKBIT)
    body = dashboard(hub, "e")
    assert body["trends"] == hub.trends("e")
    assert body["trends"]["total"] == 8  # the AMBER+STRICT report is not e's to see
    assert body["own_incidents"] == 0
    assert body["families"] == 6 and body["decryptors"] == 0
    recent = body["recent_incidents"]
    assert len(recent) == 5 and all(i["tlp"] == "GREEN" for i in recent)
    assert all(i["victim"] is None for i in recent)
    assert "SECRET-VICTIM" not in json.dumps(body)
    mine = dashboard(hub, "a")
    assert mine["own_incidents"] == 3
    assert mine["recent_incidents"][0]["tlp"] == "AMBER+STRICT"
    assert mine["recent_incidents"][0]["victim"]["name"] == "SECRET-VICTIM-a"


def test_page_draws_only_published_cells(hub: Hub) -> None:  # noqa: F811
    for who in ("a", "b", "c"):  # Germany passes k; it is then withheld to hide Luxembourg
        hub.report(who, country="DE")
    assert sign_in(hub.client, "e@x.example").status_code == 303
    page = hub.client.get("/ransomware")
    assert page.status_code == 200
    island = re.search(r'id="ransomware-dashboard-data">(.*?)</script>', page.text, re.S)
    assert island, "no chart data on the page"
    chart = json.loads(island.group(1))
    published = {d["name"]: {c["value"] for c in d["cells"]}
                 for d in hub.trends("e")["dimensions"]}
    assert {f["value"] for f in chart["families"]} == published["family"]
    assert {c["code"] for c in chart["countries"]} == published["country"] - {"unknown"}
    assert [m["label"] for m in chart["months"]] == sorted(published["month"])
    assert chart["countries"][0]["numeric"] == "528"  # the Netherlands, on the world map
    assert chart["withheld"] == {d["name"]: d["withheld"] for d in hub.trends("e")["dimensions"]}
    assert chart["withheld"]["country"]  # Luxembourg (one organisation), and Germany with it
    assert "SECRET-VICTIM" not in page.text
    assert "/static/js/ransomware-dashboard.js" in page.text
    assert 'aria-current="page"' in page.text.split('aria-label="Ransomware sections"')[1]


def test_nothing_published_below_k(client, families, community) -> None:  # type: ignore[no-untyped-def]
    h = Hub(client, families, community)
    h.report("a")
    h.report("b")
    body = dashboard(h, "c")
    assert body["trends"]["total"] is None
    assert all(not d["cells"] for d in body["trends"]["dimensions"])
    assert sign_in(client, "c@x.example").status_code == 303
    page = client.get("/ransomware")
    assert "No trend can be published yet" in page.text
    assert '"families": []' in page.text or '"families":[]' in page.text


def test_family_page_lists_the_incidents_the_viewer_may_see(hub: Hub) -> None:  # noqa: F811
    hub.report("a", tlp="AMBER+STRICT", family=LOCKBIT, sector="Energy")
    r = hub.client.get(f"/api/v1/ransomware/families/{LOCKBIT}", headers=bearer(hub.tokens["e"]))
    assert r.status_code == 200 and r.json()["incidents"] == 4
    mine = hub.client.get(f"/api/v1/ransomware/families/{LOCKBIT}",
                          headers=bearer(hub.tokens["a"]))
    assert mine.json()["incidents"] == 5
    assert sign_in(hub.client, "e@x.example").status_code == 303
    page = hub.client.get(f"/ransomware/families/{LOCKBIT}").text
    assert "4 incidents you may see" in page
    assert page.count('href="/ransomware/incidents/') == 4
    assert "Energy" not in page and "SECRET-VICTIM" not in page


def test_leak_posts_per_month_and_readiness(hub: Hub) -> None:  # noqa: F811
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(microsecond=0)
    lines = [{"post_title": f"Demo Victim {i}", "group_name": "lockbit3",
              "discovered": now.isoformat(), "published": now.isoformat(),
              "description": "", "website": "demo.example"} for i in range(3)]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    for who, tlp in (("a", "GREEN"), ("b", "AMBER+STRICT")):
        r = hub.client.post("/api/v1/ransomware/leak-posts/import", params={"tlp": tlp},
                            content=body.encode() if who == "a" else body.replace(
                                "Demo Victim", "Hidden Victim").encode(),
                            headers={**bearer(hub.tokens[who]),
                                     "content-type": "application/x-ndjson"})
        assert r.status_code == 201, r.text
    seen = dashboard(hub, "e")
    months = seen["leak_posts_per_month"]
    assert len(months) == 12 and list(months) == sorted(months)
    assert months[now.strftime("%Y-%m")] == 3  # b's AMBER+STRICT posts are not e's to see
    assert dashboard(hub, "b")["leak_posts_per_month"][now.strftime("%Y-%m")] == 6
    assert seen["readiness_score"] is None
    assert sign_in(hub.client, "e@x.example").status_code == 303
    page = hub.client.get("/ransomware").text
    assert "has not completed a readiness assessment" in page
    assert '"leaks": {"counts": [' in page and "Hidden Victim" not in page
