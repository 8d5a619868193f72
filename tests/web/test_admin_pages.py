"""Organisation admin (/org) and hub admin (/admin) pages."""

from __future__ import annotations

import re

from tests.factories import PASSWORD, sign_in
from tests.web.helpers import alert, login, post

STRONG = "amber lighthouse keeps nine quiet ravens"


# ---------------------------------------------------------------- /org


def test_org_page_for_org_admins_only(client, community):
    org = community.org("Police North", country="NL")
    admin, analyst = community.user(org, role="org-admin"), community.user(org, role="analyst")
    login(client, analyst.email)
    assert client.get("/org").status_code == 403
    r = post(client, "/org/users", {"email": "x@example.org", "role": "analyst",
                                    "password": STRONG})
    assert r.status_code == 403
    client.cookies.clear()
    login(client, admin.email)
    html = client.get("/org").text
    assert "Police North" in html and analyst.email in html and "Netherlands" in html


def test_org_admin_updates_details(client, community):
    org = community.org("Bank One")
    admin = community.user(org, role="org-admin")  # enrolled: admins must be, to administer
    member = community.user(org, role="analyst")
    login(client, admin.email)
    r = post(client, "/org", {"name": "Bank One", "country": "DE", "sector": "Bank",
                              "require_2fa": "on"}, token_from="/org")
    assert r.status_code == 303
    assert "Bank One" in client.get(r.headers["location"]).text
    # A member without a second factor is sent to enrol at their next page.
    client.cookies.clear()
    login(client, member.email)
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/profile/2fa"
    assert "Required by your organisation" in client.get("/profile/2fa").text


def test_org_details_refuse_bad_input(client, community):
    org = community.org("Bank Two")
    community.org("Taken Name")
    admin = community.user(org, role="org-admin")
    login(client, admin.email)
    for data, status, message in [
        ({"name": "", "country": "", "sector": ""}, 422, "name is required"),
        ({"name": "Bank Two", "country": "XX", "sector": ""}, 422, "Unknown country"),
        ({"name": "Bank Two", "country": "", "sector": "Underwater basket"}, 422,
         "Unknown sector"),
        ({"name": "taken name", "country": "", "sector": ""}, 409, "already exists"),
    ]:
        r = post(client, "/org", data, token_from="/org")
        assert r.status_code == status, data
        assert message in alert(r.text)
    assert "Bank Two" in client.get("/org").text


def test_org_admin_adds_user_changes_role_and_deactivates(client, community):
    org = community.org("CERT Z")
    admin = community.user(org, role="org-admin")
    login(client, admin.email)
    r = post(client, "/org/users", {"email": "New.Person@Example.org", "role": "reader",
                                    "display_name": "New Person", "password": STRONG},
             token_from="/org")
    assert r.status_code == 303
    html = client.get("/org").text
    assert "new.person@example.org" in html
    user_id = re.search(r'/org/users/([0-9a-f-]+)/role', html).group(1)
    assert post(client, f"/org/users/{user_id}/role", {"role": "analyst"},
                token_from="/org").status_code == 303
    assert post(client, f"/org/users/{user_id}/active", {"active": "0"},
                token_from="/org").status_code == 303
    html = client.get("/org").text
    assert "Deactivated" in html and "Reactivate" in html
    client.cookies.clear()
    assert sign_in(client, "new.person@example.org", password=STRONG).status_code == 401


def test_org_admin_cannot_appoint_hub_admin_or_touch_other_orgs(client, community):
    org, other = community.org(), community.org()
    admin = community.user(org, role="org-admin")
    user = community.user(org)
    outsider = community.user(other)
    login(client, admin.email)
    assert 'value="hub-admin"' not in client.get("/org").text
    r = post(client, f"/org/users/{user.id}/role", {"role": "hub-admin"}, token_from="/org")
    assert r.status_code == 403
    r = post(client, f"/org/users/{outsider.id}/active", {"active": "0"}, token_from="/org")
    assert r.status_code == 404
    r = post(client, f"/org/users/{admin.id}/active", {"active": "0"}, token_from="/org")
    assert r.status_code == 422 and "cannot deactivate yourself" in alert(r.text)


def test_add_user_refuses_bad_input(client, community):
    org = community.org()
    admin = community.user(org, role="org-admin")
    existing = community.user(org)
    login(client, admin.email)
    for data, status, message in [
        ({"email": "not-an-email", "role": "analyst", "password": STRONG}, 422,
         "not a valid e-mail"),
        ({"email": "a@example.org", "role": "boss", "password": STRONG}, 422, "Unknown role"),
        ({"email": "a@example.org", "role": "analyst", "password": "short"}, 422,
         "at least 12"),
        ({"email": existing.email, "role": "analyst", "password": STRONG}, 409,
         "already exists"),
    ]:
        r = post(client, "/org/users", data, token_from="/org")
        assert r.status_code == status, data
        assert message in alert(r.text)
        assert f'value="{data["email"]}"' in r.text  # the form keeps what was typed
    assert "a@example.org" not in client.get("/org").text


# ---------------------------------------------------------------- /admin


def test_admin_pages_for_hub_admins_only(client, community):
    org = community.org()
    org_admin = community.user(org, role="org-admin")
    login(client, org_admin.email)
    for path in ("/admin", "/admin/orgs", "/admin/users", "/admin/groups", "/admin/audit",
                 f"/admin/orgs/{org.id}"):
        assert client.get(path).status_code == 403, path
    assert post(client, "/admin/orgs", {"name": "Evil", "kind": "cert"}).status_code == 403
    assert post(client, "/admin/audit/verify").status_code == 403


def test_hub_admin_pages_render(client, community):
    org = community.org("Task Force", kind="international-organisation")
    hub = community.user(org, role="hub-admin")
    group = community.group("Ransomware WG", orgs=[org])
    login(client, hub.email)
    for path, text in [("/admin", "Recent activity"), ("/admin/orgs", "Task Force"),
                       (f"/admin/orgs/{org.id}", hub.email), ("/admin/users", hub.email),
                       ("/admin/groups", "Ransomware WG"),
                       (f"/admin/groups/{group.id}", "Ransomware WG"),
                       ("/admin/audit", "user.create")]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert text in r.text, path
    assert client.get("/admin/orgs/6f1c1a52-0000-4000-8000-000000000000").status_code == 404


def test_hub_admin_creates_and_edits_organisation(client, community):
    hub = community.user(community.org("Hub"), role="hub-admin")
    login(client, hub.email)
    r = post(client, "/admin/orgs", {"name": "<i>Fraud</i> Team", "kind": "financial",
                                     "country": "FR", "sector": ""})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "&lt;i&gt;Fraud&lt;/i&gt; Team" in page and "France" in page
    org_id = r.headers["location"].split("/")[3].split("?")[0]
    r = post(client, f"/admin/orgs/{org_id}", {"name": "Fraud Team", "kind": "telecom",
                                               "country": "", "sector": ""})
    assert r.status_code == 303
    assert "Telecom" in client.get(f"/admin/orgs/{org_id}").text
    r = post(client, "/admin/orgs", {"name": "Fraud Team", "kind": "cert"})
    assert r.status_code == 409 and "already exists" in alert(r.text)
    r = post(client, "/admin/orgs", {"name": "New", "kind": "pirates"})
    assert r.status_code == 422 and "Unknown organisation kind" in alert(r.text)


def test_hub_admin_manages_users(client, community):
    hub_org, org = community.org("Hub"), community.org("Members")
    hub = community.user(hub_org, role="hub-admin")
    member = community.user(org)
    login(client, hub.email)
    r = post(client, "/admin/users", {"org": str(org.id), "email": "fresh@example.org",
                                      "role": "org-admin", "password": STRONG})
    assert r.status_code == 303
    filtered = client.get(f"/admin/users?org={org.id}").text
    assert "fresh@example.org" in filtered and member.email in filtered
    assert hub.email not in filtered.split("<tbody>")[1]
    r = post(client, f"/admin/users/{member.id}/role", {"role": "hub-admin", "org": str(org.id)})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/admin/users?org={org.id}")
    r = post(client, f"/admin/users/{member.id}/active", {"active": "0"})
    assert r.status_code == 303
    r = post(client, "/admin/users", {"org": "", "email": "x@example.org", "role": "analyst",
                                      "password": STRONG})
    assert r.status_code == 422 and "organisation" in alert(r.text)
    r = post(client, f"/admin/users/{hub.id}/role", {"role": "reader"})
    assert r.status_code == 422 and "your own role" in alert(r.text)


def test_hub_admin_manages_groups(client, community):
    org_a, org_b = community.org("Alpha"), community.org("Beta")
    hub = community.user(org_a, role="hub-admin")
    person = community.user(org_b)
    login(client, hub.email)
    r = post(client, "/admin/groups", {"name": "Mule WG", "description": "money mules",
                                       "org_ids": [str(org_a.id)], "user_ids": [str(person.id)]})
    assert r.status_code == 303
    group_url = r.headers["location"].split("?")[0]
    html = client.get(group_url).text
    assert "1 organisation and 1 person" in html
    assert f'<option value="{org_a.id}" selected>' in html
    r = post(client, group_url, {"name": "Mule WG", "org_ids": [str(org_a.id), str(org_b.id)]})
    assert r.status_code == 303
    assert "2 organisations and 0 people" in client.get(group_url).text
    r = post(client, "/admin/groups", {"name": "mule wg"})
    assert r.status_code == 409 and "already exists" in alert(r.text)
    r = post(client, "/admin/groups", {"name": "G2", "org_ids": ["nope"]})
    assert r.status_code == 422


def test_audit_browser_filters_pages_and_verifies(client, community):
    org = community.org("Audited")
    hub = community.user(org, role="hub-admin")
    users = [community.user(org) for _ in range(3)]
    login(client, hub.email)
    html = client.get("/admin/audit?action=user.create").text
    assert all(u.email in html for u in users)
    assert "signin.password" not in html.split("<tbody>")[1]
    html = client.get("/admin/audit?action=signin").text
    assert "signin.password" in html.split("<tbody>")[1]
    html = client.get(f"/admin/audit?actor={hub.email.upper()}").text
    assert "signin.password" in html.split("<tbody>")[1]
    html = client.get("/admin/audit?from=2999-01-01").text
    assert "No entries" in html
    html = client.get("/admin/audit?to=2000-01-01").text
    assert "No entries" in html
    r = client.get("/admin/audit?from=yesterday")
    assert r.status_code == 422 and "YYYY-MM-DD" in alert(r.text)
    for _ in range(50):
        community.org()
    html = client.get("/admin/audit").text
    older = re.search(r'href="(/admin/audit\?before=\d+)"', html).group(1)
    assert "Newest" in client.get(older).text
    r = post(client, "/admin/audit/verify", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "The chain is intact" in r.text and "<html" not in r.text
    r = post(client, "/admin/audit/verify")
    assert r.status_code == 200 and "The chain is intact" in r.text and "<html" in r.text


def test_sign_in_page_after_sign_in_redirects(client, community):
    user = community.user(community.org())
    login(client, user.email)
    r = client.get("/signin?next=/notes", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/notes"
    assert PASSWORD  # the shared factory password signs everyone in
