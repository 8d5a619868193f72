"""REST: me, organisations, users, groups and tokens, and who may change them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from cyberhub.audit import AuditEntry
from cyberhub.community import service
from cyberhub.community.models import ApiToken, SigninFailure
from cyberhub.db import utcnow
from cyberhub.errors import PermissionDenied
from cyberhub.web import csrf
from tests.api.conftest import Hub, assert_error
from tests.factories import PASSWORD, bearer, new_uuid


def test_me_describes_the_caller(hub: Hub) -> None:
    r = hub.get("a_analyst", "/me")
    assert r.status_code == 200
    me = r.json()
    assert me["email"] == "a_analyst@example.org"
    assert me["role"] == "analyst"
    assert me["org_id"] == str(hub.alpha.id)
    assert me["organisation"]["name"] == "Alpha CERT"
    assert me["organisation"]["country"] == "BE"
    assert "password_hash" not in me and "totp_secret_enc" not in me


def test_no_credentials_is_401_with_a_challenge(hub: Hub) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer chub_not-a-real-token"},
                    {"Authorization": "Bearer " + "x" * 200}):
        r = hub.client.get("/api/v1/me", headers=headers)
        assert_error(r, 401, "not_authenticated")
        assert r.headers["www-authenticate"].startswith("Bearer")


# ---------------------------------------------------------------- organisations


def test_organisations_directory_and_detail(hub: Hub) -> None:
    r = hub.get("b_analyst:read", "/organisations")
    assert r.status_code == 200
    names = {o["name"] for o in r.json()["items"]}
    assert names == {"Hub Operators", "Alpha CERT", "Beta Bank"}
    r = hub.get("b_analyst", f"/organisations/{hub.alpha.id}")
    assert r.status_code == 200
    assert r.json()["sector"] == "IT - Security"


def test_organisations_paginate_with_cursors(hub: Hub) -> None:
    for i in range(4):
        assert hub.post("admin", "/organisations",
                        {"name": f"Paged Org {i}", "kind": "other"}).status_code == 201
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = hub.get("a_reader", "/organisations", params=params).json()
        assert len(page["items"]) <= 2
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


def test_hub_admin_creates_an_organisation(hub: Hub) -> None:
    r = hub.post("admin", "/organisations",
                 {"name": "  Gamma Police ", "kind": "law-enforcement", "country": "fr",
                  "sector": "police - law enforcement", "require_2fa": True})
    assert r.status_code == 201, r.text
    org = r.json()
    assert org["name"] == "Gamma Police"
    assert org["country"] == "FR"
    assert org["sector"] == "Police - Law enforcement"
    assert org["require_2fa"] is True
    assert hub.get("a_reader", f"/organisations/{org['id']}").json()["name"] == "Gamma Police"


@pytest.mark.parametrize("who", ["a_admin", "a_analyst", "a_reader", "admin:read"])
def test_only_hub_admins_create_organisations(hub: Hub, who: str) -> None:
    before = hub.state()
    r = hub.post(who, "/organisations", {"name": "Sneaky Org", "kind": "other"})
    assert_error(r, 403, "permission_denied")
    assert hub.state() == before


def test_org_admin_renames_own_org_but_not_kind_or_others(hub: Hub) -> None:
    r = hub.patch("a_admin", f"/organisations/{hub.alpha.id}", {"name": "Alpha CSIRT"})
    assert r.status_code == 200 and r.json()["name"] == "Alpha CSIRT"
    before = hub.state()
    assert_error(hub.patch("a_admin", f"/organisations/{hub.alpha.id}", {"kind": "financial"}),
                 403)
    assert_error(hub.patch("a_admin", f"/organisations/{hub.beta.id}", {"name": "Mine"}), 403)
    assert_error(hub.patch("a_analyst", f"/organisations/{hub.alpha.id}", {"name": "Mine"}), 403)
    assert hub.state() == before
    r = hub.patch("admin", f"/organisations/{hub.beta.id}", {"kind": "telecom"})
    assert r.status_code == 200 and r.json()["kind"] == "telecom"


# ---------------------------------------------------------------- users


def test_org_admin_adds_users_to_own_org_only(hub: Hub) -> None:
    r = hub.post("a_admin", "/users", {"email": "New.Person@Example.org",
                                       "org_id": str(hub.alpha.id), "role": "analyst"})
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "new.person@example.org"
    assert r.json()["display_name"] == "new.person"
    before = hub.state()
    assert_error(hub.post("a_admin", "/users", {"email": "x@example.org",
                                                "org_id": str(hub.beta.id), "role": "analyst"}),
                 403)
    assert_error(hub.post("a_admin", "/users", {"email": "x@example.org",
                                                "org_id": str(hub.alpha.id),
                                                "role": "hub-admin"}), 403)
    assert_error(hub.post("a_analyst", "/users", {"email": "x@example.org",
                                                  "org_id": str(hub.alpha.id),
                                                  "role": "reader"}), 403)
    assert hub.state() == before


def test_users_directory_filters_by_org(hub: Hub) -> None:
    r = hub.get("b_analyst", "/users", params={"org_id": str(hub.alpha.id)})
    assert r.status_code == 200
    assert {u["email"] for u in r.json()["items"]} == {
        "a_admin@example.org", "a_analyst@example.org", "a_reader@example.org"}
    assert_error(hub.get("b_analyst", "/users", params={"org_id": new_uuid()}), 404)
    assert_error(hub.get("b_analyst", "/users", params={"org_id": "nope"}), 404)


def test_role_changes_and_deactivation(hub: Hub) -> None:
    reader = hub.users["a_reader"]
    r = hub.patch("a_admin", f"/users/{reader.id}", {"role": "analyst"})
    assert r.status_code == 200 and r.json()["role"] == "analyst"
    before = hub.state()
    # Nobody but a hub admin makes a hub admin; nobody changes their own role.
    assert_error(hub.patch("a_admin", f"/users/{reader.id}", {"role": "hub-admin"}), 403)
    assert_error(hub.patch("a_admin", f"/users/{hub.users['a_admin'].id}",
                           {"role": "analyst"}), 422)
    assert_error(hub.patch("a_admin", f"/users/{hub.users['a_admin'].id}",
                           {"is_active": False}), 422)
    assert_error(hub.patch("b_admin", f"/users/{reader.id}", {"is_active": False}), 403)
    # Flags are JSON booleans: "no", "off" or 0 must not silently deactivate someone.
    for loose in ("no", "off", "false", 0):
        assert_error(hub.patch("a_admin", f"/users/{reader.id}", {"is_active": loose}), 422,
                     "invalid_input")
    assert hub.state() == before
    # Deactivating someone ends their API access at once.
    r = hub.patch("a_admin", f"/users/{reader.id}", {"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert_error(hub.get("a_reader", "/me"), 401)


# ---------------------------------------------------------------- groups


def test_groups_crud_by_hub_admin(hub: Hub) -> None:
    analyst = hub.users["b_analyst"]
    r = hub.post("admin", "/groups", {"name": "Fraud WG", "description": "money mules",
                                      "org_ids": [str(hub.alpha.id)],
                                      "user_ids": [str(analyst.id)]})
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["org_ids"] == [str(hub.alpha.id)] and group["user_ids"] == [str(analyst.id)]
    r = hub.patch("admin", f"/groups/{group['id']}", {"org_ids": [str(hub.beta.id)]})
    assert r.status_code == 200
    assert r.json()["org_ids"] == [str(hub.beta.id)]
    assert r.json()["user_ids"] == [str(analyst.id)], "members not named stay"
    listed = hub.get("a_reader", "/groups").json()["items"]
    assert [g["name"] for g in listed] == ["Fraud WG"]
    assert hub.get("a_reader", f"/groups/{group['id']}").json()["description"] == "money mules"


def test_only_hub_admins_manage_groups(hub: Hub) -> None:
    gid = hub.post("admin", "/groups", {"name": "WG"}).json()["id"]
    before = hub.state()
    assert_error(hub.post("a_admin", "/groups", {"name": "Other WG"}), 403)
    assert_error(hub.patch("a_admin", f"/groups/{gid}", {"name": "Mine"}), 403)
    assert_error(hub.post("admin", "/groups", {"name": "Bad", "org_ids": [new_uuid()]}), 422)
    assert_error(hub.post("admin", "/groups", {"name": "Bad", "user_ids": [new_uuid()]}), 422)
    assert_error(hub.patch("admin", f"/groups/{gid}", {"user_ids": [new_uuid()]}), 422)
    assert_error(hub.post("admin", "/groups", {"name": "  wg "}), 409)
    assert hub.state() == before


# ---------------------------------------------------------------- tokens


def test_token_lifecycle(hub: Hub) -> None:
    browser, csrf_header = hub.browser("a_analyst")
    r = browser.post("/api/v1/tokens", json={"name": "siem", "scope": "read", "expires_days": 7},
                     headers=csrf_header)
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["token"]
    assert secret.startswith("chub_") and created["prefix"] == secret[:12]
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=6, hours=23) < expires - utcnow() <= timedelta(days=7)
    listed = hub.get("a_analyst", "/tokens").json()["items"]
    assert created["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed), "the secret is shown once"
    assert hub.client.get("/api/v1/me", headers=bearer(secret)).json()["email"] == \
        "a_analyst@example.org"
    # Another user cannot see or revoke it.
    assert created["id"] not in {t["id"] for t in hub.get("b_analyst", "/tokens").json()["items"]}
    assert_error(hub.delete("b_analyst", f"/tokens/{created['id']}"), 404)
    assert hub.delete("a_analyst", f"/tokens/{created['id']}").status_code == 204
    r = hub.client.get("/api/v1/me", headers=bearer(secret))
    assert_error(r, 401)
    assert r.headers["www-authenticate"] == 'Bearer realm="cyberhub"'
    assert_error(hub.delete("a_analyst", f"/tokens/{created['id']}"), 404)
    assert_error(hub.delete("a_analyst", "/tokens/not-a-uuid"), 404)


def test_write_token_needs_the_password(hub: Hub) -> None:
    """ASVS 3.7.1: over the API as on the page, a write token needs the password again; a
    wrong one counts as a failed sign-in and is audited, a missing one is only refused."""
    browser, csrf_header = hub.browser("a_analyst")
    body = {"name": "push", "scope": "write", "expires_days": 7}
    before = hub.state(skip_sessions=True)
    error = assert_error(browser.post("/api/v1/tokens", json=body, headers=csrf_header),
                         422, "invalid_input")
    assert error["details"] == {"field": "password"}
    assert error["message"] == "Enter your password to confirm this change."
    assert hub.state(skip_sessions=True) == before
    error = assert_error(browser.post("/api/v1/tokens", json={**body, "password": "guess"},
                                      headers=csrf_header), 422, "invalid_input")
    assert error["details"] == {"field": "password"} and error["message"] == "Wrong password."
    with hub.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken).where(
            ApiToken.name == "push")) == 0
        failure = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "signin.failure")).one()
        assert failure.details == {"email": "a_analyst@example.org", "reason": "write-token"}
        assert s.scalar(select(func.count()).select_from(SigninFailure)) == 1
    r = browser.post("/api/v1/tokens", json={**body, "password": PASSWORD}, headers=csrf_header)
    assert r.status_code == 201, r.text
    assert r.json()["scope"] == "write" and "password" not in r.json()
    secret = r.json()["token"]
    r = hub.client.post("/api/v1/notes", json={"title": "x", "tlp": "GREEN"},
                        headers=bearer(secret))
    assert r.status_code == 201, r.text


def test_tokens_do_not_mint_tokens(hub: Hub) -> None:
    before = hub.state()
    assert_error(hub.post("a_analyst", "/tokens", {"name": "child", "scope": "write",
                                                   "password": PASSWORD}), 403)
    assert hub.state() == before


def test_session_writes_need_the_csrf_header(hub: Hub) -> None:
    browser, csrf_header = hub.browser("a_analyst")
    assert browser.get("/api/v1/me").json()["email"] == "a_analyst@example.org"
    before = hub.state(skip_sessions=True)
    for headers in ({}, {csrf.HEADER: "forged"}, {csrf.HEADER: csrf_header[csrf.HEADER][:-1]}):
        r = browser.post("/api/v1/tokens", json={"name": "x"}, headers=headers)
        assert_error(r, 403, "csrf_failed")
        r = browser.post("/api/v1/notes", json={"title": "x", "tlp": "GREEN"}, headers=headers)
        assert_error(r, 403, "csrf_failed")
    assert hub.state(skip_sessions=True) == before


def test_read_tokens_cannot_write(hub: Hub) -> None:
    before = hub.state()
    for method, path, body in [
        ("post", "/notes", {"title": "x", "tlp": "GREEN"}),
        ("post", "/tokens", {"name": "escalate", "scope": "write"}),
        ("patch", f"/users/{hub.users['a_reader'].id}", {"role": "analyst"}),
        ("post", "/organisations", {"name": "X", "kind": "other"}),
        ("delete", f"/tokens/{new_uuid()}", None),
    ]:
        kw = {"json": body} if body is not None else {}
        r = getattr(hub.client, method)("/api/v1" + path, headers=hub.as_("a_admin:read"), **kw)
        assert_error(r, 403, "permission_denied")
    assert hub.state() == before


def test_expired_token_is_401(hub: Hub) -> None:
    with hub.database.transaction() as s:
        s.execute(update(ApiToken).where(ApiToken.user_id == hub.users["b_analyst"].id)
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
    r = hub.get("b_analyst", "/me")
    body = assert_error(r, 401, "not_authenticated")
    assert "expired" in body["message"]
    assert r.headers["www-authenticate"] == 'Bearer realm="cyberhub"'


def test_token_input_is_checked(hub: Hub) -> None:
    browser, csrf_header = hub.browser("a_analyst")
    before = hub.state(skip_sessions=True)
    for body in ({"name": "x", "scope": "admin"}, {"name": "x", "expires_days": 0},
                 {"name": "x", "expires_days": 367}, {"name": "x", "expires_days": None},
                 {"name": ""}, {"name": "x" * 101}, {"name": "x", "user_id": new_uuid()}):
        r = browser.post("/api/v1/tokens", json=body, headers=csrf_header)
        assert_error(r, 422, "invalid_input")
    assert hub.state(skip_sessions=True) == before


def test_token_secrets_are_not_stored(hub: Hub) -> None:
    with hub.database.transaction() as s:
        hashes = set(s.scalars(select(ApiToken.token_hash)))
    import hashlib

    for secret in hub.tokens.values():
        assert secret not in hashes
        assert hashlib.sha256(secret.encode()).hexdigest() in hashes


def test_org_admin_cannot_touch_a_hub_admin_in_their_org(hub: Hub) -> None:
    # The hub's operator may well belong to a member organisation.
    r = hub.post("admin", "/users", {"email": "op@example.org", "org_id": str(hub.alpha.id),
                                     "role": "hub-admin"})
    assert r.status_code == 201, r.text
    op = r.json()["id"]
    before = hub.state()
    for patch in ({"is_active": False}, {"display_name": "Mallory's puppet"},
                  {"role": "reader"}):
        assert_error(hub.patch("a_admin", f"/users/{op}", patch), 403, "permission_denied")
    # Nor through the services behind the admin pages: no password, no second factor.
    viewer = hub.community.viewer(hub.users["a_admin"])
    with hub.database.transaction() as s:
        target = service.get_user(s, viewer, op)
        with pytest.raises(PermissionDenied):
            service.set_password(s, viewer, target, "a new passphrase nobody would guess")
        with pytest.raises(PermissionDenied):
            service.reset_second_factor(s, viewer, target.id)
    assert hub.state() == before
    r = hub.patch("admin", f"/users/{op}", {"display_name": "Operator"})
    assert r.status_code == 200 and r.json()["display_name"] == "Operator"
