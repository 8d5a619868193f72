from tests.factories import bearer


def test_me_with_token(client, community):
    org = community.org("Europol", kind="law-enforcement", country="NL")
    user = community.user(org, role="analyst", email="ana@example.org")
    token = community.token(user)
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "ana@example.org"
    assert r.json()["organisation"]["name"] == "Europol"


def test_apps_in_one_process_each_serve_their_own_hub(client, community, settings, tmp_path):
    """The route groups are shared by the apps of a process (app._hub_routes): each app
    still answers from its own settings and database."""
    from fastapi.testclient import TestClient

    from cyberhub.app import create_app
    from cyberhub.config import Settings, set_settings
    from cyberhub.db import Database
    from cyberhub.migrate import upgrade

    org = community.org("Europol", kind="law-enforcement", country="NL")
    token = community.token(community.user(org, email="ana@example.org"))
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    upgrade(other_url)
    other = Settings(database_url=other_url, var_dir=tmp_path / "other-var",
                     secret_key="another-hub-key")
    database = Database(other_url)
    try:
        with TestClient(create_app(other, database)) as other_client:
            assert other_client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    finally:
        database.dispose()
        set_settings(settings)  # create_app made the other hub's settings the process's
    # The first app is untouched by the second.
    assert client.get("/api/v1/me", headers=bearer(token)).json()["email"] == "ana@example.org"
