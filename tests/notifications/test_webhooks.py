"""Signed webhooks: registration checks (SSRF, allow-list, bad URLs) and delivery to a
loopback receiver whose signature the test verifies independently with hmac."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest
from sqlalchemy import func, select

from cyberhub.audit import AuditEntry
from cyberhub.config import Settings
from cyberhub.notifications.models import Webhook
from tests.api.conftest import Hub, assert_error
from tests.factories import PASSWORD
from tests.notifications.conftest import Receiver, publish


def _register(hub: Hub, who: str, url: str, **extra: object) -> dict[str, object]:
    r = hub.post(who, "/webhooks", {"url": url, "password": PASSWORD, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_delivery_is_signed(hub: Hub, webhook_settings: Settings, receiver: Receiver) -> None:
    u = hub.users
    hook = _register(hub, "b_analyst", receiver.url)
    secret = str(hook["secret"])
    assert secret.startswith("whsec_")
    listed = hub.get("b_analyst", "/webhooks").json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    note = hub.community.note(u["a_admin"], tlp="GREEN", title="Inner title")
    publish(hub.database, kind="insight.published", subject=note, title="A new insight",
            summary="safe words", url=f"/notes/{note.id}", recipients={u["b_analyst"].id},
            actor=u["a_admin"].id)
    [got] = receiver.received
    assert got.path == "/hook" and got.headers["content-type"] == "application/json"
    timestamp = got.headers["x-cyberhub-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + got.body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-cyberhub-signature"], "sha256=" + expected)
    body = orjson.loads(got.body)
    assert (body["kind"], body["title"], body["summary"]) == (
        "insight.published", "A new insight", "safe words")
    assert body["url"].endswith(f"/notes/{note.id}")
    assert b"Inner title" not in got.body and b"a_admin" not in got.body
    status = hub.get("b_analyst", "/webhooks").json()[0]
    assert status["last_ok"] is True and status["last_status"] == "HTTP 200"


def test_registering_needs_the_password(hub: Hub, webhook_settings: Settings,
                                        receiver: Receiver) -> None:
    """ASVS 3.7.1: a webhook outlives the token or session that registers it, so neither
    is enough alone; a wrong password counts as a failed sign-in and is audited."""
    for who in ("b_analyst", "b_admin"):
        for extra, says in [({}, "Enter your password to confirm this change."),
                            ({"password": ""}, "Enter your password to confirm this change."),
                            ({"password": "a wrong guess"}, "Wrong password.")]:
            error = assert_error(hub.post(who, "/webhooks", {"url": receiver.url, **extra}),
                                 422, "invalid_input")
            assert error["message"] == says and error["details"] == {"field": "password"}
        assert hub.get(who, "/webhooks").json() == []
    error = assert_error(hub.post("b_admin", "/webhooks", {
        "url": receiver.url, "for_organisation": True, "password": PASSWORD + "!"}), 422)
    assert error["message"] == "Wrong password."
    assert hub.get("b_admin", "/webhooks").json() == []
    with hub.database.transaction() as s:
        failures = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "signin.failure").order_by(AuditEntry.seq)).all()
        assert [(f.details["email"], f.details["reason"]) for f in failures] == [
            ("b_analyst@example.org", "webhook"), ("b_admin@example.org", "webhook"),
            ("b_admin@example.org", "webhook")]
        assert s.scalar(select(func.count()).select_from(Webhook)) == 0
    # A browser session needs it too.
    browser, csrf_header = hub.browser("b_analyst")
    error = assert_error(browser.post("/api/v1/webhooks", json={"url": receiver.url},
                                      headers=csrf_header), 422)
    assert error["details"] == {"field": "password"}
    r = browser.post("/api/v1/webhooks", json={"url": receiver.url, "password": PASSWORD},
                     headers=csrf_header)
    assert r.status_code == 201, r.text
    assert str(r.json()["secret"]).startswith("whsec_") and "password" not in r.json()
    hook = _register(hub, "b_admin", receiver.url, for_organisation=True)
    assert {h["id"] for h in hub.get("b_admin", "/webhooks").json()} == {hook["id"]}


def test_nothing_unseen_and_nothing_when_switched_off(hub: Hub, webhook_settings: Settings,
                                                      receiver: Receiver) -> None:
    u = hub.users
    _register(hub, "b_analyst", receiver.url)
    red = hub.community.note(u["a_admin"], tlp="RED")
    publish(hub.database, subject=red, recipients={u["b_analyst"].id})
    assert receiver.received == []
    assert hub.patch("b_analyst", "/notifications/settings",
                     {"webhook_enabled": False}).status_code == 200
    green = hub.community.note(u["a_admin"], tlp="GREEN")
    publish(hub.database, subject=green, recipients={u["b_analyst"].id})
    assert receiver.received == []


def test_organisation_webhook_gets_only_what_the_whole_org_sees(
        hub: Hub, webhook_settings: Settings, receiver: Receiver) -> None:
    u = hub.users
    assert_error(hub.post("b_analyst", "/webhooks", {"url": receiver.url,
                                                     "for_organisation": True,
                                                     "password": PASSWORD}), 403)
    hook = _register(hub, "b_admin", receiver.url, for_organisation=True)
    assert hook["for_organisation"] is True
    personal = hub.community.note(u["a_admin"], tlp="AMBER", users=[u["b_analyst"]])
    shared = hub.community.note(u["a_admin"], tlp="AMBER", orgs=[hub.beta])
    publish(hub.database, subject=personal, title="for one person",
            recipients={u["b_analyst"].id})
    publish(hub.database, subject=shared, title="for the organisation",
            recipients={u["b_analyst"].id})
    assert [orjson.loads(r.body)["title"] for r in receiver.received] == [
        "for the organisation"]


def test_failures_are_kept_for_retry(hub: Hub, webhook_settings: Settings,
                                     receiver: Receiver) -> None:
    u = hub.users
    receiver.status = 500
    _register(hub, "b_analyst", receiver.url)
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    publish(hub.database, subject=note, recipients={u["b_analyst"].id})
    assert len(receiver.received) == 1
    status = hub.get("b_analyst", "/webhooks").json()[0]
    assert status["last_ok"] is False and status["last_status"] == "HTTP 500"
    from sqlalchemy import select

    from cyberhub.notifications.models import WebhookDelivery

    with hub.database.transaction() as session:
        [d] = session.scalars(select(WebhookDelivery))
        assert (d.status, d.attempts) == ("pending", 1)


@pytest.mark.parametrize(("url", "says"), [
    ("", "Give the webhook's URL"),
    ("not a url at all", "must start with https://"),
    ("ftp://127.0.0.1/hook", "must start with https://"),
    ("javascript:alert(1)", "must start with https://"),
    ("https://", "names no host"),
    ("https://user:pw@127.0.0.1/hook", "user name or password"),
    ("https://hooks.elsewhere.example/hook", "not on this hub's list"),
    ("http://[::1", "not a valid URL"),
    ("https://127.0.0.1/" + "x" * 2100, "longer than"),
])
def test_bad_urls_are_refused_clearly(hub: Hub, settings: Settings, url: str, says: str) -> None:
    settings.webhook_allow = "127.0.0.1"
    error = assert_error(hub.post("b_analyst", "/webhooks", {"url": url}), 422)
    assert says in error["message"], error
    assert hub.get("b_analyst", "/webhooks").json() == []


def test_private_addresses_and_plain_http(hub: Hub, settings: Settings) -> None:
    settings.webhook_allow = "127.0.0.1,10.*,localhost,192.0.2.10"
    for url in ("https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://localhost/hook"):
        error = assert_error(hub.post("b_analyst", "/webhooks", {"url": url}), 422)
        assert "loopback, private or reserved" in error["message"]
    settings.webhook_allow = "*"
    error = assert_error(hub.post("b_analyst", "/webhooks",
                                  {"url": "https://169.254.169.254/latest"}), 422)
    assert "loopback, private or reserved" in error["message"]
    settings.webhook_allow = ""
    error = assert_error(hub.post("b_analyst", "/webhooks",
                                  {"url": "https://93.184.215.14/hook"}), 422)
    assert "not on this hub's list" in error["message"]
    settings.webhook_allow = "93.184.215.14"
    error = assert_error(hub.post("b_analyst", "/webhooks",
                                  {"url": "http://93.184.215.14/hook"}), 422)
    assert "must use https://" in error["message"]
    assert _register(hub, "b_analyst", "https://93.184.215.14/hook")["url"] == \
        "https://93.184.215.14/hook"


def test_delivery_goes_to_the_address_that_was_checked(
        hub: Hub, webhook_settings: Settings, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name is resolved and checked once per delivery, and the request
    goes to that address with the name kept in the Host header."""
    import ipaddress

    from cyberhub.notifications import webhooks

    port = receiver.url.split(":")[2].split("/")[0]
    webhook_settings.webhook_allow = "hooks.rebind.example"
    looked_up: list[str] = []

    def resolve(host: str, _port: int) -> list[ipaddress.IPv4Address]:
        looked_up.append(host)
        return [ipaddress.IPv4Address("127.0.0.1")]

    monkeypatch.setattr(webhooks, "_addresses", resolve)
    _register(hub, "b_analyst", f"http://hooks.rebind.example:{port}/hook")
    note = hub.community.note(hub.users["a_admin"], tlp="GREEN")
    publish(hub.database, subject=note, recipients={hub.users["b_analyst"].id})
    # The name does not exist in DNS: only a request to the checked address arrives.
    [got] = receiver.received
    assert got.headers["host"] == f"hooks.rebind.example:{port}"
    assert looked_up == ["hooks.rebind.example", "hooks.rebind.example"]  # register, deliver
    assert hub.get("b_analyst", "/webhooks").json()[0]["last_ok"] is True


def test_the_limit_on_webhooks_says_whose_limit_it_is(
        hub: Hub, webhook_settings: Settings, receiver: Receiver) -> None:
    for n in range(5):
        _register(hub, "b_admin", f"{receiver.url}?own={n}")
        _register(hub, "b_admin", f"{receiver.url}?org={n}", for_organisation=True)
    own = assert_error(hub.post("b_admin", "/webhooks", {"url": receiver.url,
                                                         "password": PASSWORD}), 422)
    assert "You may have at most 5 webhooks of your own; remove one first." in own["message"]
    org = assert_error(hub.post("b_admin", "/webhooks", {"url": receiver.url,
                                                         "for_organisation": True,
                                                         "password": PASSWORD}), 422)
    assert "An organisation may have at most 5 webhooks; remove one first." in org["message"]
