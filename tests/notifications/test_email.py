"""E-mail: a real SMTP server (aiosmtpd) on loopback receives what the hub sends."""

from __future__ import annotations

from datetime import timedelta

from cyberhub import jobs
from cyberhub.db import utcnow
from cyberhub.notifications import delivery
from tests.api.conftest import Hub
from tests.notifications.conftest import Mailbox, publish


def test_immediate_email_after_commit(hub: Hub, smtp: Mailbox) -> None:
    u = hub.users
    note = hub.community.note(u["a_admin"], tlp="GREEN", title="Inner title")
    publish(hub.database, kind="comment.reply", subject=note, title="A reply to your comment",
            summary="A participant from a CERT replied.", url=f"/notes/{note.id}",
            recipients={u["b_analyst"].id}, actor=u["a_admin"].id)
    [msg] = smtp.messages
    assert msg["To"] == "b_analyst@example.org"
    assert msg["From"] == "hub@cyberhub.example"
    assert "A reply to your comment" in msg["Subject"]
    body = msg.get_content()
    assert "A participant from a CERT replied." in body
    assert f"https://hub.example/notes/{note.id}" in body
    for leak in ("Inner title", "a_admin", "Alpha CERT"):
        assert leak not in body and leak not in msg["Subject"]
    assert hub.get("b_analyst", "/notifications").json()["unread"] == 1


def test_no_email_when_off_or_unseen(hub: Hub, smtp: Mailbox) -> None:
    u = hub.users
    assert hub.patch("b_analyst", "/notifications/settings",
                     {"email_mode": "off"}).status_code == 200
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    red = hub.community.note(u["a_admin"], tlp="RED")
    publish(hub.database, subject=note, title="in the inbox only", recipients={u["b_analyst"].id})
    publish(hub.database, subject=red, title="never", recipients={u["a_analyst"].id})
    assert smtp.messages == []
    assert [n["title"] for n in hub.get("b_analyst", "/notifications").json()["items"]] == [
        "in the inbox only"]


def test_daily_digest_bundles_the_days_items(hub: Hub, smtp: Mailbox) -> None:
    u = hub.users
    assert hub.patch("b_analyst", "/notifications/settings",
                     {"email_mode": "digest"}).status_code == 200
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    hidden = hub.community.note(u["a_analyst"], tlp="GREEN")
    for title in ("first news", "second news"):
        publish(hub.database, subject=note, title=title, recipients={u["b_analyst"].id})
    publish(hub.database, subject=hidden, title="made private later",
            recipients={u["b_analyst"].id})
    assert hub.patch("a_analyst", f"/notes/{hidden.id}", {"tlp": "RED"}).status_code == 200
    assert smtp.messages == []  # nothing until the digest
    jobs.daily_digest.call_local()
    [msg] = smtp.messages
    assert msg["To"] == "b_analyst@example.org" and "digest" in msg["Subject"]
    body = msg.get_content()
    assert "first news" in body and "second news" in body
    assert "made private later" not in body
    assert "https://hub.example/inbox" in body
    # Sent once: the next digest has nothing to say.
    with hub.database.transaction() as session:
        assert delivery.send_digests(session, utcnow() + timedelta(days=1)) == 0
    assert len(smtp.messages) == 1


def test_smtp_failure_is_recorded_not_raised(hub: Hub, smtp: Mailbox) -> None:
    u = hub.users
    hub_settings = __import__("cyberhub.config", fromlist=["get_settings"]).get_settings()
    hub_settings.smtp_port = 1  # nothing listens there
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    publish(hub.database, subject=note, title="still in the inbox",
            recipients={u["b_analyst"].id})
    assert smtp.messages == []
    assert hub.get("b_analyst", "/notifications").json()["unread"] == 1


def test_email_speaks_the_recipient_language(hub: Hub, smtp: Mailbox, tmp_path,
                                             monkeypatch) -> None:
    from cyberhub import i18n
    from cyberhub.community.models import User

    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "You receive this because of your notification settings on %(hub)s: %(url)s"\n'
        'msgstr "Vous recevez ceci selon vos réglages de notification sur %(hub)s : %(url)s"\n',
        encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    u = hub.users
    with hub.database.transaction() as s:
        s.get(User, u["b_analyst"].id).locale = "fr"  # type: ignore[union-attr]
    note = hub.community.note(u["a_admin"], tlp="GREEN")
    # Published while the sender's request speaks English: the recipient reads French.
    publish(hub.database, subject=note, title="A reply", recipients={u["b_analyst"].id,
                                                                    u["a_analyst"].id})
    bodies = {m["To"]: m.get_content() for m in smtp.messages}
    assert "Vous recevez ceci selon vos réglages" in bodies["b_analyst@example.org"]
    assert "You receive this because" in bodies["a_analyst@example.org"]
    assert i18n.get_locale() == "en"
    i18n.clear_cache()


def test_a_title_cannot_inject_mail_headers() -> None:
    """ASVS V5.2.3: user text in a subject stays in the subject."""
    from cyberhub.notifications import email
    from cyberhub.notifications.models import Notification

    n = Notification(title="Hello\r\nBcc: victim@example.org\nX-Evil: 1", summary="s",
                     url="/x")
    msg = email.single("a@example.org", n, None)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["To"] == "a@example.org"
    headers = msg.as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers and "\nX-Evil:" not in headers
