"""A person's own data (ASVS 8.3.2): the export on demand, and an account's erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cyberhub import audit
from cyberhub.community.models import ApiToken, SigninFailure, User, WebSession
from cyberhub.config import Settings
from cyberhub.notes.models import Note
from cyberhub.notifications.models import Notification, Watch
from tests.api.conftest import Hub, assert_error
from tests.factories import PASSWORD, sign_in
from tests.notifications.conftest import Receiver, publish, receiver, webhook_settings  # noqa: F401
from tests.state import snapshot


def _busy_user(hub: Hub, who: str, receiver_url: str) -> dict[str, Any]:
    """Give ``who`` a browser session, a named token, a note, a comment, a watch, a
    webhook, a notification and a failed sign-in; returns what was made."""
    user = hub.users[who]
    browser, _headers = hub.browser(who)
    note = hub.community.note(user, title=f"Note by {who}")
    hub.community.token(user)  # named "test"; the fixture's are too
    r = hub.post(who, "/tokens", {"name": f"token-of-{who}", "scope": "read",
                                  "password": PASSWORD})
    assert r.status_code in (201, 403), r.text  # a token may not mint tokens: use the browser
    if r.status_code == 403:
        browser2, headers = hub.browser(who)
        r = browser2.post("/api/v1/tokens", headers=headers,
                          json={"name": f"token-of-{who}", "scope": "read", "password": PASSWORD})
        assert r.status_code == 201, r.text
    r = hub.post(who, "/comments", {"target_type": "note", "target_id": str(note.id),
                                    "body": f"comment by {who}"})
    assert r.status_code == 201, r.text
    comment_id = r.json()["id"] if "id" in r.json() else r.json()["comment"]["id"]
    assert hub.post(who, "/watches", {"kind": "sector", "target": "Think Tanks"}).status_code == 201
    r = hub.post(who, "/webhooks", {"url": receiver_url, "password": PASSWORD})
    assert r.status_code == 201, r.text
    publish(hub.database, title=f"news for {who}", recipients={user.id})
    assert sign_in(browser.__class__(hub.client.app), user.email,
                   password="not the password at all").status_code == 401
    return {"note": note, "comment_id": comment_id, "token_name": f"token-of-{who}",
            "hook_secret": r.json()["secret"]}


def test_export_holds_my_data_and_nothing_of_others(
        hub: Hub, webhook_settings: Settings, receiver: Receiver) -> None:  # noqa: F811
    mine = _busy_user(hub, "a_analyst", receiver.url + "/mine")
    theirs = _busy_user(hub, "b_analyst", receiver.url + "/theirs")
    r = hub.get("a_analyst:read", "/me/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["content-disposition"] == 'attachment; filename="cyberhub-my-data.json"'
    assert r.headers["cache-control"] == "no-store"
    doc = r.json()
    text = r.text
    assert doc["account"]["email"] == "a_analyst@example.org"
    assert doc["account"]["organisation"] == "Alpha CERT"
    assert doc["account"]["role"] == "analyst" and doc["account"]["two_factor"] is False
    assert any(s["user_agent"] for s in doc["web_sessions"])
    assert mine["token_name"] in {t["name"] for t in doc["api_tokens"]}
    assert "news for a_analyst" in {n["title"] for n in doc["notifications"]}
    assert [w["url"] for w in doc["webhooks"]] == [receiver.url + "/mine"]
    assert doc["watches"] == [{"kind": "sector", "target": "Think Tanks",
                               "created_at": doc["watches"][0]["created_at"]}]
    assert len(doc["signin_failures"]) == 1
    assert "user.password" not in {e["action"] for e in doc["audit_log"]}
    mine_hook = next(e for e in doc["audit_log"] if e["action"] == "webhook.create")
    assert mine_hook["target_id"] == doc["webhooks"][0]["id"]
    assert {"token.create", "token.use"} <= {e["action"] for e in doc["audit_log"]}
    refs = {(c["type"], c["id"]) for c in doc["contributions"]}
    assert ("notes", str(mine["note"].id)) in refs and ("comments", mine["comment_id"]) in refs
    note_ref = next(c for c in doc["contributions"] if c["id"] == str(mine["note"].id))
    assert note_ref["title"] == "Note by a_analyst" and note_ref["tlp"] == "GREEN"
    # Only references: the comment's text is the community's, not in the export.
    assert "comment by a_analyst" not in text
    # Nothing of the other user.
    for absent in ("b_analyst", theirs["token_name"], "news for b_analyst", "/theirs",
                   str(theirs["note"].id), theirs["comment_id"]):
        assert absent not in text, absent
    # No hash and no secret anywhere.
    with hub.database.transaction() as s:
        me = s.get(User, hub.users["a_analyst"].id)
        assert me is not None and me.password_hash
        secrets = [me.password_hash, mine["hook_secret"], hub.tokens["a_analyst"]]
        from cyberhub.notifications.models import Webhook

        secrets += [t.token_hash for t in s.scalars(select(ApiToken))]
        secrets += [w.token_hash for w in s.scalars(select(WebSession))]
        secrets += [h.secret_enc for h in s.scalars(select(Webhook))]
    for secret in secrets:
        assert secret not in text
    for key in ("token_hash", "password_hash", "totp_secret", "secret"):
        assert f'"{key}"' not in text


def test_export_hides_second_factor_secret_and_is_audited(hub: Hub) -> None:
    user = hub.users["a_reader"]
    hub.community.enrol(user)
    r = hub.get("a_reader", "/me/export")
    assert r.status_code == 200, r.text
    assert r.json()["account"]["two_factor"] is True
    with hub.database.transaction() as s:
        me = s.get(User, user.id)
        assert me is not None and me.totp_secret_enc
        assert me.totp_secret_enc not in r.text
        entry = s.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "me.export")
                          ).one()
        assert entry.actor_user_id == user.id and entry.target_id == str(user.id)


def test_export_needs_a_signed_in_user(hub: Hub) -> None:
    assert_error(hub.client.get("/api/v1/me/export"), 401)


def test_export_from_the_profile_page(hub: Hub) -> None:
    browser, _headers = hub.browser("b_analyst")
    html = browser.get("/profile").text
    assert 'href="/api/v1/me/export"' in html and "Download my data" in html
    r = browser.get("/api/v1/me/export")
    assert r.status_code == 200 and r.json()["account"]["email"] == "b_analyst@example.org"


def _deactivate(hub: Hub, who: str) -> None:
    r = hub.patch("admin", f"/users/{hub.users[who].id}", {"is_active": False})
    assert r.status_code == 200, r.text


def test_erasure_is_refused_while_active_and_across_organisations(hub: Hub) -> None:
    uid = hub.users["a_analyst"].id
    before = hub.state()
    body = {"confirm": "a_analyst@example.org"}
    assert_error(hub.post("a_admin", f"/users/{uid}/erase", body), 409, "conflict")
    _deactivate(hub, "a_analyst")
    before = hub.state()
    assert_error(hub.post("b_admin", f"/users/{uid}/erase", body), 404, "not_found")
    assert_error(hub.post("a_analyst:read", f"/users/{uid}/erase", body), 401)
    assert_error(hub.post("b_analyst", f"/users/{uid}/erase", body), 404, "not_found")
    assert_error(hub.post("a_admin", f"/users/{uid}/erase", {"confirm": "someone else"}), 422)
    assert hub.state() == before


def test_erasure_of_a_deactivated_user(hub: Hub, webhook_settings: Settings,  # noqa: F811
                                       receiver: Receiver) -> None:  # noqa: F811
    made = _busy_user(hub, "a_analyst", receiver.url + "/mine")
    _busy_user(hub, "b_analyst", receiver.url + "/theirs")
    user = hub.users["a_analyst"]
    hub.community.enrol(user)
    _deactivate(hub, "a_analyst")
    r = hub.post("a_admin", f"/users/{user.id}/erase", {"confirm": "A_Analyst@example.org"})
    assert r.status_code == 200, r.text
    erased = r.json()
    assert erased["email"] == f"erased-{user.id.hex[:12]}@erased.invalid"
    assert erased["display_name"] == "Erased user" and erased["is_active"] is False
    # The old address is gone from every table but the audit log, which is kept as the
    # hash-chained evidence (its old entries name the actor; they are not rewritten).
    dump = repr(snapshot(hub.database, skip=frozenset({"audit_entries"})))
    assert "a_analyst@example.org" not in dump
    assert "news for a_analyst" not in dump and "token-of-a_analyst" not in dump
    assert "/mine" not in dump
    # The other user's data is untouched.
    assert "b_analyst@example.org" in dump and "token-of-b_analyst" in dump
    with hub.database.transaction() as s:
        row = s.get(User, user.id)
        assert row is not None
        assert row.password_hash is None and row.totp_secret_enc is None
        assert row.locale is None and not row.totp_enabled
        for model in (Watch, Notification, WebSession, ApiToken):
            assert not s.scalars(select(model).where(model.user_id == user.id)).all()
        assert not s.scalars(select(SigninFailure).where(
            SigninFailure.email == "a_analyst@example.org")).all()
        # Contributions stay, attributed to the erased account.
        note = s.get(Note, made["note"].id)
        assert note is not None and note.created_by_id == user.id
        assert audit.verify(s).ok
        entry = s.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "user.erase")
                          ).one()
        assert entry.target_id == str(user.id) and "a_analyst@example.org" not in str(
            entry.details)
    r = hub.get("b_analyst", f"/notes/{made['note'].id}")
    assert r.status_code == 200 and r.json()["title"] == "Note by a_analyst"
    # Signing in fails with the old address, and with the new one.
    for email in ("a_analyst@example.org", erased["email"]):
        assert sign_in(hub.client.__class__(hub.client.app), email).status_code == 401
    # Erasing twice is refused.
    assert_error(hub.post("a_admin", f"/users/{user.id}/erase",
                          {"confirm": erased["email"]}), 409)


def test_hub_admin_erases_from_the_admin_page(hub: Hub) -> None:
    _deactivate(hub, "b_analyst")
    # An org admin of another organisation does not find the user from their page.
    browser, _h = hub.browser("a_admin")
    uid = hub.users["b_analyst"].id
    r = browser.post(f"/org/users/{uid}/erase", data={
        "confirm": "b_analyst@example.org", "csrf_token": _csrf(browser, "/org")},
        follow_redirects=False)
    assert r.status_code == 404
    admin, _h = hub.browser("admin")
    html = admin.get("/admin/users").text
    assert f'action="/admin/users/{uid}/erase"' in html
    r = admin.post(f"/admin/users/{uid}/erase", data={
        "confirm": "b_analyst@example.org", "csrf_token": _csrf(admin, "/admin/users")},
        follow_redirects=False)
    assert r.status_code == 303 and "user-erased" in r.headers["location"]
    assert "b_analyst@example.org" not in admin.get("/admin/users").text


def test_org_admin_erases_from_the_org_page(hub: Hub) -> None:
    _deactivate(hub, "a_reader")
    browser, _h = hub.browser("a_admin")
    uid = hub.users["a_reader"].id
    r = browser.post(f"/org/users/{uid}/erase", data={
        "confirm": "wrong@example.org", "csrf_token": _csrf(browser, "/org")},
        follow_redirects=False)
    assert r.status_code == 422
    r = browser.post(f"/org/users/{uid}/erase", data={
        "confirm": "a_reader@example.org", "csrf_token": _csrf(browser, "/org")},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    html = browser.get("/org").text
    assert "a_reader@example.org" not in html and "Erased user" in html


def _csrf(browser: Any, path: str) -> str:
    from tests.factories import csrf_of

    return csrf_of(browser, path)
