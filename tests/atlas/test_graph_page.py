"""The graph page: a member gets the canvas, its scripts and translated labels; object
pages and choke points link to it."""

from __future__ import annotations

import html
import json
import re

from tests.atlas.test_chokepoints import ecosystem  # noqa: F401 - the fixture
from tests.web.helpers import login


def test_the_page_carries_its_start_scripts_and_labels(client, community, ecosystem):  # noqa: F811
    hoster = ecosystem["hoster"]["id"]
    assert client.get("/atlas/graph", follow_redirects=False).status_code in (302, 303)
    login(client, ecosystem["ana"].email)
    r = client.get("/atlas/graph", params={"start": hoster})
    assert r.status_code == 200
    assert f'data-start="{hoster}"' in r.text and 'data-budget="2000"' in r.text
    scripts = re.findall(r'<script src="([^"]+)"', r.text)
    assert scripts[-5:] == ["/static/vendor/cytoscape.min.js", "/static/vendor/layout-base.js",
                            "/static/vendor/cose-base.js", "/static/vendor/cytoscape-fcose.js",
                            "/static/js/graph.js"]
    assert "<script>" not in r.text and "style=" not in r.text  # the CSP allows neither
    labels = json.loads(html.unescape(re.search(r'data-labels="([^"]+)"', r.text).group(1)))
    assert labels["styles"]["actor"] == "Actors" and "%(nodes)s" in labels["counts"]
    assert 'href="/atlas/graph" aria-current="page"' in r.text
    for path in ("/static/js/graph.js", "/static/vendor/cytoscape-fcose.js"):
        assert client.get(path).status_code == 200


def test_object_pages_and_choke_points_link_to_the_graph(client, community, ecosystem):  # noqa: F811
    hoster = ecosystem["hoster"]["id"]
    login(client, ecosystem["ana"].email)
    link = f'href="/atlas/graph?start={hoster}"'
    assert link in client.get(f"/objects/{hoster}").text
    assert link in client.get("/atlas/chokepoints").text
