"""A Chatham House dialogue from invitation to published insight, through the REST API,
with the notifications it causes caught where they land: the inbox, a real SMTP server
(aiosmtpd on loopback) and a loopback webhook whose signature is checked with hmac.
Nothing any participant receives names another participant or their organisation."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
import stix2validator

from cyberhub import events
from cyberhub.config import Settings
from tests.api.conftest import Hub, assert_error
from tests.dialogue.conftest import Room
from tests.factories import PASSWORD
from tests.notifications.conftest import (  # noqa: F401 - fixtures used by name
    Mailbox,
    Receiver,
    receiver,
    smtp,
    webhook_settings,
)

TOPIC = "SIM-swap fraud against bank customers"


def _text_of(message: Any) -> str:
    """Subject, sender and every text part of an e-mail (the recipient's own address in
    To: is theirs to see)."""
    parts = [str(message["Subject"]), str(message["From"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def _signed(hook: dict[str, Any], got: Any) -> dict[str, Any]:
    timestamp = got.headers["x-cyberhub-timestamp"]
    expected = hmac.new(str(hook["secret"]).encode(), timestamp.encode() + b"." + got.body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-cyberhub-signature"], "sha256=" + expected)
    return orjson.loads(got.body)  # type: ignore[no-any-return]


def test_chatham_house_dialogue_from_invitation_to_published_insight(
        people: Hub, heard: list[events.Event], smtp: Mailbox,  # noqa: F811
        webhook_settings: Settings, receiver: Receiver) -> None:  # noqa: F811
    hub = people
    gamma_org = str(hub.users["g_analyst"].org_id)

    # Invitation: Alpha CERT convenes Beta Bank and Gamma Police; Delta is not invited.
    made = hub.post("a_admin", "/dialogues", {
        "topic": TOPIC, "rule": "chatham_house",
        "description": "1. What each sector sees\n2. What we change",
        "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T11:00:00Z",
        "audience": {"org_ids": [str(hub.beta.id), gamma_org]}})
    assert made.status_code == 201, made.text
    room = Room(hub, made.json()["id"], heard)
    assert hub.get("b_analyst", f"/dialogues/{room.id}").json()["status"] == "planned"
    assert_error(hub.get("d_analyst", f"/dialogues/{room.id}"), 404)

    # The police analyst watches the room and takes e-mail at once and webhooks.
    assert hub.patch("g_analyst", "/notifications/settings",
                     {"email_mode": "immediate", "webhook_enabled": True}).status_code == 200
    hook_r = hub.post("g_analyst", "/webhooks", {"url": receiver.url, "password": PASSWORD})
    assert hook_r.status_code == 201, hook_r.text
    hook = hook_r.json()
    assert hub.post("g_analyst", "/watches", {"kind": "dialogue", "target": room.id}
                    ).status_code == 201
    assert hub.post("a_admin", f"/dialogues/{room.id}/open").status_code == 200

    # The conversation: a post that mentions the police analyst, their reply, a third post.
    first = room.post("b_analyst", "Ports-out happen at night. @g_analyst@example.org "
                                   "have you seen it?")
    assert first.status_code == 201, first.text
    reply = hub.post("g_analyst", f"/dialogues/{room.id}/contributions/"
                                  f"{first.json()['id']}/replies",
                     {"body": "Yes, always from the same two shops."})
    assert reply.status_code == 201, reply.text
    assert room.post("a_analyst", "Carriers could hold port-outs for an hour.").status_code == 201

    # Close with outcomes and publish what was learnt as an insight that cites the room.
    closed = hub.post("a_admin", f"/dialogues/{room.id}/close",
                      {"outcomes": "- Banks flag a port-out as a risk signal\n"
                                   "- Carriers pilot a one-hour hold"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    draft = hub.post("a_admin", "/insights", {
        "title": "Night-time port-outs precede SIM-swap fraud",
        "summary": "What the SIM-swap dialogue concluded.",
        "body": "Port-outs at night are a risk signal; carriers pilot a hold.",
        "tlp": "AMBER", "audience": {"org_ids": [str(hub.beta.id), gamma_org]},
        "source": f"dialogue:{room.id}"})
    assert draft.status_code == 201, draft.text
    insight = hub.post("a_admin", f"/insights/{draft.json()['id']}/publish").json()
    assert insight["status"] == "published"
    assert hub.get("g_analyst", f"/insights/{insight['id']}").json()["source_url"] == (
        f"/dialogues/{room.id}")
    assert_error(hub.get("d_analyst", f"/insights/{insight['id']}"), 404)
    bundle = hub.get("g_analyst", f"/insights/{insight['id']}/stix")
    assert bundle.status_code == 200
    assert stix2validator.validate_string(bundle.text).is_valid

    # What the police analyst received, on every channel, names no one else.
    others = room.identities("a_admin", "a_analyst", "b_analyst")
    inbox = hub.get("g_analyst", "/notifications").json()
    kinds = {item["kind"] for item in inbox["items"]}
    assert {"mention", "dialogue.contribution", "insight.published"} <= kinds, kinds
    mails = [m for m in smtp.messages if m["To"] == "g_analyst@example.org"]
    hooks = [_signed(hook, got) for got in receiver.received]
    assert len(mails) == len(hooks) == len(inbox["items"]) >= 4
    assert {h["kind"] for h in hooks} == kinds
    outputs = [orjson.dumps(inbox).decode(), *(_text_of(m) for m in mails),
               *(orjson.dumps(h).decode() for h in hooks)]
    for text in outputs:
        for ident in others:
            assert ident not in text, ident
    assert any("a participant from a bank or financial institution" in t.lower()
               for t in outputs)

    # The bank analyst's reply notice names the police analyst by kind only.
    b_inbox = hub.get("b_analyst", "/notifications").json()
    assert "dialogue.reply" in {item["kind"] for item in b_inbox["items"]}
    b_text = orjson.dumps(b_inbox).decode()
    for ident in room.identities("g_analyst"):
        assert ident not in b_text, ident
    b_mails = [_text_of(m) for m in smtp.messages if m["To"] == "b_analyst@example.org"]
    assert b_mails and all(i not in t for t in b_mails for i in room.identities("g_analyst"))

    # The uninvited organisation heard nothing at all.
    assert hub.get("d_analyst", "/notifications").json()["items"] == []
    assert not [m for m in smtp.messages if m["To"] == "d_analyst@example.org"]
