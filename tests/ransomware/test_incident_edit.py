"""Changing an incident (PATCH and the edit form): only its reporter and their
organisation's admins may; wrong input changes nothing; the victim's identity changes
only for those who may see it; the trends' tallies follow the change. Both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cyberhub import access
from cyberhub.audit import AuditEntry
from cyberhub.community.models import User
from cyberhub.ransomware import trend_tallies, trends
from cyberhub.ransomware.models import IncidentVictim
from tests.factories import sign_in
from tests.ransomware.test_incidents_api import Members, members, report  # noqa: F401
from tests.web.helpers import post


def patch(m: Members, who: str, incident_id: str, body: dict[str, Any]) -> Any:
    return m.client.patch(f"/api/v1/ransomware/incidents/{incident_id}", json=body,
                          headers={"authorization": f"Bearer {m.tokens[who]}"})


def same_trends_both_ways(m: Members) -> None:
    with m.database.snapshot() as s:
        for user in s.scalars(select(User)):
            viewer = access.viewer_for(s, user)
            groups, names = trend_tallies.tallied(s, viewer)
            fast = trends.publish(groups, trends.Groups(), k=1, asker=str(viewer.org_id),
                                  labels={"family": {trends.UNKNOWN: "unknown", **names}})
            rows, labels = trends.visible_rows(s, viewer)
            assert fast == trends.compute(rows, k=1, asker=str(viewer.org_id),
                                          labels={"family": labels})


def test_reporter_changes_fields_and_marking(members: Members) -> None:  # noqa: F811
    made = members.post("alpha", "/ransomware/incidents", report(tlp="GREEN")).json()
    assert members.get("bravo", f"/ransomware/incidents/{made['id']}").status_code == 200
    r = patch(members, "alpha", made["id"], {"sector": "Health", "tlp": "AMBER+STRICT"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sector"] == "Health" and body["tlp"] == "AMBER+STRICT"
    # Everything not given stays, the victim included.
    assert body["demand_amount"] == 500000 and body["wallets"] == made["wallets"]
    assert body["victim"] == made["victim"] and body["victim"] is not None
    # Bravo no longer sees it: exactly as if it did not exist.
    assert members.get("bravo", f"/ransomware/incidents/{made['id']}").status_code == 404
    with members.database.snapshot() as s:
        assert s.scalar(select(AuditEntry.action).where(
            AuditEntry.action == "incident.update")) == "incident.update"
    same_trends_both_ways(members)
    # The victim's identity goes when asked to.
    r = patch(members, "alpha", made["id"], {"victim": None})
    assert r.status_code == 200 and r.json()["victim"] is None
    assert members.count(IncidentVictim) == 0


def test_others_may_not_and_wrong_input_changes_nothing(members: Members) -> None:  # noqa: F811
    made = members.post("alpha", "/ransomware/incidents", report(tlp="GREEN")).json()
    hidden = members.post("alpha", "/ransomware/incidents", report()).json()  # AMBER+STRICT
    assert patch(members, "bravo", made["id"], {"sector": "Health"}).status_code == 403
    assert patch(members, "bravo", hidden["id"], {"sector": "Health"}).status_code == 404
    assert patch(members, "admin", hidden["id"], {"sector": "Health"}).status_code == 404
    for bad, field in (({"discovered": "2999-01-01"}, "discovered"),
                       ({"demand_currency": "XYZ"}, "demand_currency"),
                       ({"discovered": None}, "discovered"),
                       ({"wallets": ["bc1-not-a-wallet"]}, "wallets"),
                       ({"tlp": "PURPLE"}, "tlp")):
        r = patch(members, "alpha", made["id"], bad)
        assert r.status_code == 422, (bad, r.text)
        assert field in r.text
    after = members.get("alpha", f"/ransomware/incidents/{made['id']}").json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == \
        {k: v for k, v in made.items() if k != "updated_at"}
    same_trends_both_ways(members)


def test_edit_form_round_trip(members: Members) -> None:  # noqa: F811
    made = members.post("alpha", "/ransomware/incidents", report(tlp="GREEN")).json()
    client = members.client
    assert sign_in(client, "alpha@x.example").status_code == 303
    shown = client.get(f"/ransomware/incidents/{made['id']}")
    assert f'/ransomware/incidents/{made["id"]}/edit' in shown.text
    form = client.get(f"/ransomware/incidents/{made['id']}/edit")
    assert form.status_code == 200
    assert 'value="2026-03-14"' in form.text and "Save changes" in form.text
    assert f'value="{made["victim"]["name"]}"' in form.text  # the reporter sees the victim
    fields = {"discovered": "2026-03-15", "family": made["family_ref"],
              "access_vector": "phishing", "sector": "Health", "country": "FR",
              "demand_amount": "250000", "demand_currency": "EUR", "paid": "no",
              "victim_name": made["victim"]["name"], "tlp": "GREEN",
              "notes": "<b>changed</b>"}
    r = post(client, f"/ransomware/incidents/{made['id']}/edit", fields)
    assert r.status_code == 303, r.text
    page = client.get(f"/ransomware/incidents/{made['id']}").text
    assert "Mar 15, 2026" in page and "&lt;b&gt;changed&lt;/b&gt;" in page
    again = members.get("alpha", f"/ransomware/incidents/{made['id']}").json()
    assert again["country"] == "FR" and again["access_vector"] == "phishing"
    # Wrong input re-shows the form with the message, and nothing changes.
    r = post(client, f"/ransomware/incidents/{made['id']}/edit",
             {**fields, "discovered": "2999-01-01"})
    assert r.status_code == 422 and "Save changes" in r.text
    assert members.get("alpha", f"/ransomware/incidents/{made['id']}").json() == again
    # Without the CSRF token nothing happens.
    r = client.post(f"/ransomware/incidents/{made['id']}/edit", data=fields,
                    follow_redirects=False)
    assert r.status_code == 403
    # Another member sees the incident but may not change it.
    client.cookies.clear()
    assert sign_in(client, "bravo@x.example").status_code == 303
    assert f"/ransomware/incidents/{made['id']}/edit" not in client.get(
        f"/ransomware/incidents/{made['id']}").text
    assert client.get(f"/ransomware/incidents/{made['id']}/edit").status_code == 403
