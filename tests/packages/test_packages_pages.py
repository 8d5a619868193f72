"""Package pages: the boxes, the draft form (CSRF, errors in place), "Add to a package"
from the object page, actions by state and role, and the print view."""

from __future__ import annotations

import re

from tests.vetting.world import World
from tests.web.helpers import alert, login, post


def test_a_package_through_its_pages(world: World) -> None:
    world.add_user("alpha2", "alpha")
    record = world.indicator("alpha", name="Kitten C2")
    for who in ("bravo", "charlie"):
        world.vote(who, record, "confirm", "Checked.")
    client = world.client
    login(client, "alpha@vet.example")
    assert "Start a package with it" in client.get(f"/objects/{record}").text

    r = client.post("/packages/new", data={"title": "No token"}, follow_redirects=False)
    assert r.status_code == 403
    r = post(client, "/packages/new", {"title": "", "narrative": "x"})
    assert r.status_code == 422 and "title" in alert(r.text)
    r = post(client, "/packages/new", {"title": "Kitten infrastructure",
                                       "narrative": "Their *C2*.", "object": record})
    assert r.status_code == 303
    url = r.headers["location"].split("?")[0]
    page = client.get(url).text
    assert "<em>C2</em>" in page and "Kitten C2" in page and "Submit for review" in page
    assert 'href="/packages"' in page  # in the main navigation

    second = world.indicator("alpha", name="Second C2")
    page = client.get(f"/objects/{second}").text
    pid = url.rsplit("/", 1)[1]
    assert f'<option value="{pid}">Kitten infrastructure</option>' in page
    r = post(client, "/packages/add", {"package": pid, "object": second})
    assert r.status_code == 303
    assert "Second C2" in client.get(url).text
    r = post(client, f"/packages/{pid}/objects/{second}/remove", token_from=url)
    assert r.status_code == 303 and "Second C2" not in client.get(url).text
    assert post(client, f"/packages/{pid}/submit", token_from=url).status_code == 303
    assert "Approve" not in client.get(url).text  # not for the author

    client.cookies.clear()
    login(client, "alpha2@vet.example")
    assert "Kitten infrastructure" in client.get("/packages").text
    r = post(client, f"/packages/{pid}/review", {"decision": "approve"}, token_from=url)
    assert r.status_code == 303
    page = client.get(url).text
    assert "Release package" in page
    charlie = str(world.orgs["charlie"].id)
    assert f'<option value="{charlie}">Charlie</option>' in page
    assert f'value="{world.orgs["bravo"].id}"' not in page  # not law enforcement
    r = post(client, f"/packages/{pid}/release", {"tlp": "AMBER", "org_ids": [str(world.orgs["bravo"].id)]},
             token_from=url)
    assert r.status_code == 422 and "law enforcement" in alert(r.text)
    r = post(client, f"/packages/{pid}/release", {"tlp": "AMBER", "org_ids": [charlie]},
             token_from=url)
    assert r.status_code == 303

    client.cookies.clear()
    login(client, "charlie@vet.example")
    assert "Kitten infrastructure" in client.get("/packages").text
    assert "Acknowledge receipt" in client.get(url).text
    assert post(client, f"/packages/{pid}/acknowledge", token_from=url).status_code == 303
    page = client.get(url).text
    assert "Receipt acknowledged" in page and "charlie" in page
    r = client.get(f"{url}/print")
    assert r.status_code == 200 and "<h1>Kitten infrastructure</h1>" in r.text
    csp = r.headers["content-security-policy"]
    style = re.search(r"<style>(.*?)</style>", r.text, re.S)
    assert style and "style-src 'sha256-" in csp and "default-src 'none'" in csp
    assert '<html lang="en" dir="ltr">' in r.text
    # The report speaks the reader's language, right to left in Arabic.
    r = client.get(f"{url}/print", headers={"accept-language": "ar"})
    assert '<html lang="ar" dir="rtl">' in r.text

    client.cookies.clear()
    login(client, "delta@vet.example")
    assert client.get(url).status_code == 404
    assert "Kitten infrastructure" not in client.get("/packages").text
