"""The object page's Vetting section: verdicts with their reasons, the form for other
organisations, CSRF, errors shown in place, and 404 for objects one may not see."""

from __future__ import annotations

import re

from tests.vetting.world import World
from tests.web.helpers import alert, login, post


def test_vetting_section_shows_verdicts_and_takes_a_verdict(world: World) -> None:
    record = world.indicator("alpha", tlp="AMBER", audience=("bravo",))
    world.vote("charlie", world.indicator("alpha"))  # elsewhere: not on this page
    client = world.client
    login(client, "bravo@vet.example")
    page = client.get(f"/objects/{record}").text
    assert 'id="vetting"' in page and "No organisation has confirmed" in page
    assert f'action="/objects/{record}/verdict"' in page

    # Without the CSRF token nothing is recorded.
    r = client.post(f"/objects/{record}/verdict", data={"verdict": "confirm", "reason": "x"},
                    follow_redirects=False)
    assert r.status_code == 403
    # An empty reason re-renders the page with the error in the section.
    r = post(client, f"/objects/{record}/verdict", {"verdict": "confirm", "reason": " "},
             token_from=f"/objects/{record}")
    assert r.status_code == 422
    assert "reason" in alert(r.text)
    assert re.search(r'name="reason"[^>]*aria-invalid="true"', r.text)

    r = post(client, f"/objects/{record}/verdict",
             {"verdict": "confirm", "reason": "Seen in **three** fraud cases."},
             token_from=f"/objects/{record}")
    assert r.status_code == 303
    assert r.headers["location"].endswith("flash=verdict-saved#vetting")
    page = client.get(r.headers["location"]).text
    assert "<strong>three</strong>" in page and "Corroborated" in page
    assert "Withdraw our verdict" in page and "Change your organisation" in page

    r = post(client, f"/objects/{record}/verdict/withdraw", token_from=f"/objects/{record}")
    assert r.status_code == 303
    assert "No organisation has confirmed" in client.get(f"/objects/{record}").text


def test_the_owner_sees_verdicts_but_no_form_and_outsiders_get_404(world: World) -> None:
    record = world.indicator("alpha", tlp="AMBER", audience=("bravo",))
    world.vote("bravo", record, "dispute", "Benign CDN address.")
    client = world.client
    login(client, "alpha@vet.example")
    page = client.get(f"/objects/{record}").text
    assert "Benign CDN address." in page and "Disputed" in page
    assert f'action="/objects/{record}/verdict"' not in page
    # The owner's own setting gives way to the verdicts.
    assert f'action="/objects/{record}/vetting"' not in page
    client.cookies.clear()
    login(client, "delta@vet.example")
    assert client.get(f"/objects/{record}").status_code == 404
    r = post(client, f"/objects/{record}/verdict", {"verdict": "confirm", "reason": "x"})
    assert r.status_code == 404
