"""/healthz answers while the process lives; /readyz names what keeps the hub from
serving: the database, its migrations, Redis when configured."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text

from cyberhub import migrate
from cyberhub.db import Database
from cyberhub.observability import health


def test_liveness(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_ready(client) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_ready_while_a_writer_holds_the_database(client, database: Database) -> None:
    # An import holds SQLite's write lock for its whole transaction; readiness only reads.
    with database.transaction() as session:
        session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE on SQLite
        r = client.get("/readyz")
    assert r.status_code == 200, r.text


def test_database_unreachable(app, client, database_url: str, tmp_path) -> None:
    url = make_url(database_url)
    bad = (f"sqlite:///{tmp_path}/no/such/dir/hub.sqlite3" if url.get_backend_name() == "sqlite"
           else url.set(port=1).render_as_string(hide_password=False))
    good = app.state.database
    app.state.database = Database(bad)
    try:
        r = client.get("/readyz")
    finally:
        app.state.database.dispose()
        app.state.database = good
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable" and "database" in body["failed"]
    assert body["checks"]["database"] != "ok"
    assert "no/such/dir" not in r.text and ":1/" not in r.text  # no address in the answer
    assert client.get("/healthz").status_code == 200  # still alive


def test_migrations_behind(client, database_url: str) -> None:
    head = next(iter(health.head_revisions()))
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"),
                         {"v": migrate.previous(head)})
        r = client.get("/readyz", headers={"Accept-Language": "en"})
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        engine.dispose()
    assert r.status_code == 503
    body = r.json()
    assert body["failed"] == ["migrations"] and body["checks"]["database"] == "ok"
    said = body["checks"]["migrations"]
    assert head in said and migrate.previous(head) in said and "cyberhub db upgrade" in said


def test_redis_unreachable_when_configured(client, settings) -> None:
    settings.redis_url = "redis://127.0.0.1:1/0"
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failed"] == ["redis"]
    assert "127.0.0.1:1" not in r.text
