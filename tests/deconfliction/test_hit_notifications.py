"""A hit reaches both registrants — inbox, e-mail, their own webhook — each carrying
only the other party's organisation and point of contact; nobody else hears of it."""

from __future__ import annotations

from typing import Any

import orjson

from cyberhub.config import Settings
from tests.api.conftest import Hub
from tests.deconfliction.conftest import WALLET
from tests.factories import PASSWORD
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    Mailbox,
    Receiver,
    receiver,
    smtp,
    webhook_settings,
)

A_CASE, A_CONTACT = "NL-OP-4711", "DS Anna Visser, +31 70 111 2222"
B_CASE, B_CONTACT = "DE-BKA-0815", "KHK Bernd Maier, bernd@police-two.example"


def _inbox(hub: Hub, who: str) -> list[dict[str, Any]]:
    r = hub.get(who, "/notifications")
    assert r.status_code == 200, r.text
    # Security notices about the user's own account (a hub admin's 2FA enrolment) aside.
    return [n for n in r.json()["items"] if n["kind"] != "account.security"]


def _register(hub: Hub, who: str, value: str, case: str, contact: str) -> None:
    r = hub.post(who, "/deconfliction/registrations", {
        "kind": "wallet", "value": value, "case_reference": case, "contact": contact})
    assert r.status_code == 201, r.text


def test_hit_reaches_both_parties_with_only_the_others_contact(
        hub: Hub, webhook_settings: Settings, receiver: Receiver,  # noqa: F811
        smtp: Mailbox) -> None:  # noqa: F811
    # police_b has a personal webhook; Police One's admin an organisation webhook.
    assert hub.post("police_b", "/webhooks",
                    {"url": receiver.url, "password": PASSWORD}).status_code == 201
    assert hub.post("police_a_admin", "/webhooks",
                    {"url": receiver.url, "for_organisation": True,
                     "password": PASSWORD}).status_code == 201
    _register(hub, "police_a", f"btc:{WALLET}", A_CASE, A_CONTACT)
    assert _inbox(hub, "police_a") == []
    _register(hub, "police_b", f"BTC:{WALLET.upper()}", B_CASE, B_CONTACT)

    [a] = _inbox(hub, "police_a")
    [b] = _inbox(hub, "police_b")
    assert a["kind"] == b["kind"] == "deconfliction.hit"
    assert a["url"].startswith("/deconfliction/hits#hit-")
    assert "Police Two" in a["summary"] and B_CONTACT in a["summary"]
    assert A_CASE in a["summary"]  # the recipient's own case reference
    assert "Police One" in b["summary"] and A_CONTACT in b["summary"] and B_CASE in b["summary"]
    for mine, theirs_case, theirs_contact in ((a, B_CASE, A_CONTACT), (b, A_CASE, B_CONTACT)):
        text = str(mine)
        assert theirs_case not in text  # never the other's case
        assert theirs_contact not in text  # nor one's own contact echoed back
        assert WALLET.lower() not in text.lower()  # nor the value
    # Nobody else: not a colleague of the registrant, not other members.
    for who in ("police_a2", "police_a_admin", "a_analyst", "b_analyst", "admin"):
        assert _inbox(hub, who) == [], who

    # E-mail: one to each registrant, with the same words.
    mails = {m["To"]: m.get_body(preferencelist=("plain",)).get_content()
             for m in smtp.messages}
    assert set(mails) == {"police_a@police.example", "police_b@police.example"}
    assert B_CONTACT in mails["police_a@police.example"]
    assert A_CASE not in mails["police_b@police.example"]
    assert all(WALLET.lower() not in body.lower() for body in mails.values())
    # Webhooks: police_b's own, never the organisation's (subject-less events).
    [got] = receiver.received
    body = orjson.loads(got.body)
    assert body["kind"] == "deconfliction.hit" and A_CONTACT in body["summary"]
    assert A_CASE not in got.body.decode()


def test_a_muted_kind_reaches_nobody(hub: Hub) -> None:
    assert hub.patch("police_a", "/notifications/settings",
                     {"muted_kinds": ["deconfliction.hit"]}).status_code == 200
    _register(hub, "police_a", f"btc:{WALLET}", A_CASE, A_CONTACT)
    _register(hub, "police_b", f"btc:{WALLET}", B_CASE, B_CONTACT)
    assert _inbox(hub, "police_a") == []
    assert len(_inbox(hub, "police_b")) == 1
    # The hit itself is on the hits page all the same.
    assert len(hub.get("police_a", "/deconfliction/hits").json()) == 1
