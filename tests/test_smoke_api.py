from tests.factories import bearer


def test_me_with_token(client, community):
    org = community.org("Europol", kind="law-enforcement", country="NL")
    user = community.user(org, role="analyst", email="ana@example.org")
    token = community.token(user)
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "ana@example.org"
    assert r.json()["organisation"]["name"] == "Europol"
