"""The landscape dashboard: its figures equal a plain computation over the same generated
data, count only what the asker may see, follow the period, and the page draws them."""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from cyberhub.atlas.landscape import CATEGORIES, CATEGORY_ORDER, RANKED
from cyberhub.atlas.synthetic import Ecosystem
from cyberhub.intel.models import StixObject, Vetting
from cyberhub.intel.synthetic import bundle_bytes
from tests.factories import Community, bearer
from tests.intel.test_import import run_import
from tests.web.helpers import login

ACTORS = ("intrusion-set", "threat-actor", "campaign")


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected(objects: list[dict[str, Any]], stored_at: datetime, vetted: dict[str, datetime],
             since: datetime, until: datetime, nweeks: int) -> dict[str, Any]:
    """The dashboard's figures for these objects, written plainly (docs/atlas.md)."""
    def week(moment: datetime) -> int | None:
        if not since <= moment <= until:
            return None
        return int((moment - since) / timedelta(weeks=1))

    new: dict[str, list[set[str]]] = {c: [set() for _ in range(nweeks)]
                                      for c in CATEGORY_ORDER}
    sightings: list[set[str]] = [set() for _ in range(nweeks)]
    for o in objects:
        w = week(_moment(o["created"]) if "created" in o else stored_at)
        if w is None:
            continue
        if o["type"] in CATEGORIES:
            new[CATEGORIES[o["type"]]][w].add(o["id"])
        elif o["type"] == "sighting":
            sightings[w].add(o["id"])
    vetted_weeks = [0] * nweeks
    for moment in vetted.values():
        w = week(moment)
        if w is not None:
            vetted_weeks[w] += 1
    by_id = {o["id"]: o for o in objects}
    in_window = [o for o in objects if o["type"] in ("relationship", "sighting")
                 and week(_moment(o["modified"])) is not None]
    targets: dict[str, set[str]] = defaultdict(set)
    origins: dict[str, set[str]] = defaultdict(set)
    for r in in_window:
        if r["type"] != "relationship" or not r["source_ref"].startswith(
                tuple(f"{t}--" for t in ACTORS)):
            continue
        target = by_id.get(r["target_ref"])
        if r["relationship_type"] == "targets" and target is not None:
            key = target.get("country") or (target["name"] if target["type"] == "identity"
                                            else None)
            if key:
                targets[key].add(r["source_ref"])
        elif r["relationship_type"] == "originates-from" and target and "country" in target:
            origins[target["country"]].add(r["source_ref"])
    top: dict[str, list[tuple[str, int]]] = {}
    for name, types in RANKED.items():
        counts: dict[str, int] = defaultdict(int)
        for r in in_window:
            ends = [r["sighting_of_ref"]] if r["type"] == "sighting" else \
                [r["source_ref"], r["target_ref"]]
            for end in ends:
                if end.split("--")[0] in types and end in by_id:
                    counts[end] += 1
        top[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {"new": {c: [len(s) for s in weeks] for c, weeks in new.items()},
            "sightings": [len(s) for s in sightings], "vetted": vetted_weeks,
            "targets": {k: len(v) for k, v in targets.items()},
            "origins": {k: len(v) for k, v in origins.items()}, "top": top}


@pytest.fixture
def landscape_data(database, community: Community, tmp_path: Path) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    eco = Ecosystem(seed=11, until=now - timedelta(hours=1))
    shared = list(eco.objects(12, extras=True, reference_objects=True))
    shared += [s for _n, s in eco.sightings(observers=1, ratio=0.3)]
    alpha, beta = community.org("Alpha CERT"), community.org("Beta Bank")
    ana, ben = community.user(alpha), community.user(beta)
    assert run_import(database, community, ana, bundle_bytes(shared), tmp_path,
                      tlp="GREEN").objects_stored == len(shared)
    stored_at = datetime.now(UTC)
    # Beta's own AMBER knowledge: more actors, targets, origins, sightings; one vetted.
    other = Ecosystem(seed=99, until=now - timedelta(hours=1))
    secret = list(other.objects(3, extras=True))
    secret += [s for _n, s in other.sightings(observers=1, ratio=0.5)]
    assert run_import(database, community, ben, bundle_bytes(secret), tmp_path,
                      tlp="AMBER").objects_stored
    vetted_ids = [o["id"] for o in shared if o["type"] == "intrusion-set"][:3]
    with database.transaction() as s:
        s.execute(update(StixObject).where(StixObject.stix_id.in_(vetted_ids))
                  .values(vetting=Vetting.VETTED))
        hidden = next(o["id"] for o in secret if o["type"] == "intrusion-set")
        s.execute(update(StixObject).where(StixObject.stix_id == hidden)
                  .values(vetting=Vetting.VETTED))
    vetted_at = datetime.now(UTC)
    return {"objects": shared, "secret": secret, "stored_at": stored_at, "ana": ana,
            "ben": ben, "gina": community.user(community.org("Gamma Telecom")),
            "vetted": dict.fromkeys(vetted_ids, vetted_at)}


def fetch(client, community, user, **params: Any) -> Any:
    return client.get("/api/v1/atlas/landscape", params=params,
                      headers=bearer(community.token(user)))


def check(body: dict[str, Any], data: dict[str, Any]) -> None:
    since, until = _moment(body["since"]), _moment(body["until"])
    want = expected(data["objects"], data["stored_at"], data["vetted"], since, until,
                    len(body["weeks"]))
    got = {s["category"]: s["counts"] for s in body["new_objects"]}
    assert got == want["new"]
    assert body["sightings"] == want["sightings"]
    # The vetting moment is taken after the fact: allow the week boundary either way.
    assert sum(body["vetted"]) == sum(want["vetted"])
    assert {s["name"]: s["actors"] for s in body["sectors"]} == {
        k: v for k, v in want["targets"].items() if len(k) != 2}
    assert {c["code"]: c["targeted"] for c in body["countries"] if c["targeted"]} == {
        k: v for k, v in want["targets"].items() if len(k) == 2}
    assert {c["code"]: c["origin"] for c in body["countries"] if c["origin"]} == want["origins"]
    for name, ranked in want["top"].items():
        assert [(r["stix_id"], r["activity"]) for r in body["top"][name]] == ranked, name


def test_figures_equal_a_plain_computation_for_each_period(client, community, landscape_data):
    for period in ("30d", "90d", "1y", "2y"):
        r = fetch(client, community, landscape_data["gina"], period=period)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["period"] == period
        assert _moment(body["since"]).weekday() == 0
        check(body, landscape_data)
    two_years = fetch(client, community, landscape_data["gina"], period="2y").json()
    month = fetch(client, community, landscape_data["gina"], period="30d").json()
    assert len(two_years["weeks"]) > 100 and len(month["weeks"]) in (5, 6)
    assert sum(two_years["sightings"]) > sum(month["sightings"]) > 0
    assert two_years["countries"] and two_years["top"]["actors"]
    assert all(c["numeric"].isdigit() for c in two_years["countries"])


def test_an_amber_object_of_another_org_changes_nothing_for_an_outsider(
        client, community, landscape_data):
    gina = fetch(client, community, landscape_data["gina"], period="2y")
    ana = fetch(client, community, landscape_data["ana"], period="2y")
    assert {**gina.json(), "until": ""} == {**ana.json(), "until": ""}
    check(gina.json(), landscape_data)
    for hidden in landscape_data["secret"]:
        if hidden["type"] == "intrusion-set":
            assert hidden["id"] not in gina.text
    ben = fetch(client, community, landscape_data["ben"], period="2y").json()
    assert sum(ben["sightings"]) > sum(gina.json()["sightings"])
    assert sum(ben["vetted"]) == sum(gina.json()["vetted"]) + 1
    assert sum(c["origin"] for c in ben["countries"]) > sum(
        c["origin"] for c in gina.json()["countries"])


def test_a_bad_period_is_refused(client, community, landscape_data):
    r = fetch(client, community, landscape_data["gina"], period="5y")
    assert r.status_code == 422
    assert r.json()["error"]["details"] == {"field": "period"}
    assert "30d, 90d, 1y, 2y" in r.json()["error"]["message"]
    assert client.get("/api/v1/atlas/landscape").status_code == 401


def test_the_page_carries_the_figures_and_the_lists(client, community, landscape_data):
    login(client, landscape_data["gina"].email)
    r = client.get("/atlas", params={"period": "1y"})
    assert r.status_code == 200
    start = r.text.index('<script type="application/json" id="landscape-data">')
    island = r.text[start:].split(">", 1)[1].split("</script>", 1)[0]
    data = orjson.loads(html.unescape(island))
    assert data["figures"]["period"] == "1y"
    assert data["labels"]["sightings"] == "Sightings"
    top = data["figures"]["top"]["actors"][0]
    assert f'href="/atlas/actors/{top["stix_id"]}"' in r.text
    assert '<script src="/static/js/landscape.js" defer></script>' in r.text
    assert '<script src="/static/vendor/echarts.min.js" defer></script>' in r.text
    assert 'aria-current="page">1 year' in r.text
    bad = client.get("/atlas", params={"period": "forever"})
    assert bad.status_code == 422 and "Unknown period" in html.unescape(bad.text)
    nav = client.get("/atlas/attack").text
    assert '<a href="/atlas" aria-current="page">Threat map</a>' in nav
    assert '<a class="btn btn-small" href="/atlas">Landscape</a>' in nav


def test_visitors_must_sign_in(client):
    r = client.get("/atlas", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
