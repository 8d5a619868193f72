"""One-time initial passwords (ASVS 2.3.1): a password an administrator sets for someone
else works once — it must be changed at first sign-in, before any page or API call — and
stops working unused after a day. The user's own choice, and the operator's at the
command line, are not one-time."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from cyberhub.audit import AuditEntry
from cyberhub.community.models import SigninFailure, User
from cyberhub.db import Database, utcnow
from tests.factories import PASSWORD, Community, bearer, sign_in
from tests.web.helpers import login, post

INITIAL = "amber lighthouse keeps nine quiet ravens"
OWN = "copper kettles hum beside the winter canal"


def _user(database: Database, email: str) -> User:
    with database.snapshot() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        s.expunge(user)
        return user


def test_an_admins_password_must_be_changed_before_anything_else(
        client: TestClient, database: Database, community: Community) -> None:
    org = community.org("Members")
    admin = community.user(community.org("Hub"), role="hub-admin")
    assert _user(database, admin.email).password_expires_at is None  # set by the operator
    login(client, admin.email)
    r = post(client, "/admin/users", {"org": str(org.id), "email": "fresh@example.org",
                                      "role": "analyst", "password": INITIAL})
    assert r.status_code == 303, r.text
    made = _user(database, "fresh@example.org")
    assert made.password_expires_at is not None
    assert timedelta(hours=23) < made.password_expires_at - utcnow() <= timedelta(hours=24)
    client.cookies.clear()

    r = sign_in(client, "fresh@example.org", INITIAL)
    assert r.status_code == 303 and r.headers["location"] == "/profile/password"
    for path in ("/", "/profile", "/objects"):  # every page sends the user there first
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/profile/password", path
    assert client.get("/api/v1/me").status_code == 403  # nor the API, with the session
    page = client.get("/profile/password")
    assert page.status_code == 200 and "Choose your password" in page.text
    r = post(client, "/profile/password", {"current_password": INITIAL, "password": OWN,
                                           "password_confirm": OWN + "!"},
             token_from="/profile/password")
    assert r.status_code == 422 and "not the same" in r.text
    r = post(client, "/profile/password", {"current_password": INITIAL, "password": OWN,
                                           "password_confirm": OWN},
             token_from="/profile/password")
    assert r.status_code == 303 and r.headers["location"].startswith("/?")
    assert _user(database, "fresh@example.org").password_expires_at is None
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.get("/profile/password", follow_redirects=False).headers["location"] \
        == "/profile"
    client.cookies.clear()
    assert sign_in(client, "fresh@example.org", OWN).headers["location"] == "/"


def test_an_initial_password_unused_for_a_day_is_refused(
        client: TestClient, database: Database, community: Community) -> None:
    org = community.org("Hub")
    admin = community.user(org, role="hub-admin")
    r = client.post("/api/v1/users", headers=bearer(community.token(admin, "write")),
                    json={"email": "late@example.org", "org_id": str(org.id),
                          "role": "analyst", "password": INITIAL})
    assert r.status_code == 201, r.text
    with database.transaction() as s:
        s.execute(update(User).where(User.email == "late@example.org")
                  .values(password_expires_at=utcnow() - timedelta(minutes=1)))
    r = sign_in(client, "late@example.org", INITIAL)
    assert r.status_code == 401 and "expired unused" in r.text
    assert sign_in(client, "late@example.org", "wrong " + INITIAL).status_code == 401
    with database.snapshot() as s:
        assert s.scalar(select(func.count()).select_from(SigninFailure).where(
            SigninFailure.email == "late@example.org")) == 2  # both count to the throttle
        reasons = sorted(e.details["reason"] for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "signin.failure")))
    assert reasons == ["expired", "password"]


def test_passwords_people_choose_themselves_are_not_one_time(
        client: TestClient, database: Database, community: Community) -> None:
    user = community.user(community.org("Members"))
    assert _user(database, user.email).password_expires_at is None
    login(client, user.email)
    r = post(client, "/profile/password", {"current_password": PASSWORD, "password": OWN,
                                           "password_confirm": OWN})
    assert r.status_code == 303 and r.headers["location"].startswith("/profile")
    assert _user(database, user.email).password_expires_at is None
