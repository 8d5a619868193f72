"""Personal data needed only for a while is deleted once its retention period has
passed, by the nightly job, and nothing else is (ASVS 8.3.8)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from cyberhub import jobs
from cyberhub.community.models import ApiToken, SigninFailure, TokenScope, User, WebSession
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database, utcnow
from cyberhub.notifications.models import Notification, Webhook, WebhookDelivery
from tests.factories import Community


def _hash(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _fill(database: Database, user: User) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=400), now - timedelta(days=2)
    with database.transaction() as s:
        for label, created, expires, revoked in (
                ("ended long ago", old, old + timedelta(hours=12), None),
                ("revoked long ago", old, now + timedelta(hours=1), old),
                ("ended lately", recent, recent + timedelta(hours=12), None),
                ("open", now, now + timedelta(hours=12), None)):
            s.add(WebSession(token_hash=_hash(label), user_id=user.id, created_at=created,
                             last_seen_at=created, expires_at=expires, revoked_at=revoked))
        for label, expires, revoked in (("expired long ago", old, None),
                                        ("revoked long ago", None, old),
                                        ("expired lately", recent, None),
                                        ("valid", now + timedelta(days=30), None)):
            s.add(ApiToken(user_id=user.id, name=label, prefix=label[:8],
                           token_hash=_hash("t" + label), scope=TokenScope.READ,
                           expires_at=expires, revoked_at=revoked))
        for at in (old, recent):
            s.add(SigninFailure(email="someone@example.org", ip="203.0.113.7", at=at))
        for created, read in ((old, old), (old, None), (recent, recent)):
            s.add(Notification(user_id=user.id, kind="mention", title="t", url="/",
                               created_at=created, read_at=read))
        hook = Webhook(user_id=user.id, created_by_id=user.id, url="https://h.example/x",
                       secret_enc="x")
        s.add(hook)
        s.flush()
        for created, status in ((old, "sent"), (old, "failed"), (old, "pending"),
                                (recent, "sent")):
            s.add(WebhookDelivery(webhook_id=hook.id, body="{}", status=status,
                                  created_at=created))


def _count(database: Database, model: type) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_the_nightly_job_deletes_only_what_outlived_its_period(
        database: Database, community: Community) -> None:
    user = community.user(community.org("Alpha CERT"))
    _fill(database, user)
    deleted = jobs.purge_past_retention.call_local()
    assert deleted == {"web_sessions": 2, "signin_failures": 1, "api_tokens": 2,
                       "webhook_deliveries": 2, "notifications": 1}
    with database.transaction() as s:
        assert {w.token_hash for w in s.scalars(select(WebSession))} == {
            _hash("ended lately"), _hash("open")}
        assert {t.name for t in s.scalars(select(ApiToken))} >= {"expired lately", "valid"}
        assert not {t.name for t in s.scalars(select(ApiToken))} & {
            "expired long ago", "revoked long ago"}
        # A pending delivery is kept whatever its age; an unread notification too.
        assert {d.status for d in s.scalars(select(WebhookDelivery))} == {"pending", "sent"}
        assert [n.read_at is None for n in s.scalars(select(Notification)
                                                     .order_by(Notification.created_at))] \
            == [True, False]
    assert _count(database, SigninFailure) == 1
    assert jobs.purge_past_retention.call_local() == {
        "web_sessions": 0, "signin_failures": 0, "api_tokens": 0, "webhook_deliveries": 0,
        "notifications": 0}


def test_zero_keeps_a_kind_for_ever(database: Database, community: Community,
                                    settings: Settings) -> None:
    user = community.user(community.org("Alpha CERT"))
    _fill(database, user)
    set_settings(settings.model_copy(update={"retention_sessions_days": 0,
                                             "retention_notifications_days": 0}))
    deleted = jobs.purge_past_retention.call_local()
    assert "web_sessions" not in deleted and "notifications" not in deleted
    assert _count(database, WebSession) == 4 and _count(database, Notification) == 3
    assert deleted["signin_failures"] == 1
