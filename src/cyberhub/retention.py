"""How long the hub keeps personal data it needs only for a while (ASVS 8.3.8).

Every night the job worker deletes, past their retention period: ended web sessions
(the browser, the address and the times of a person's use of the hub), sign-in failures
(addresses typed by anyone, with the caller's IP), expired or revoked API tokens'
records, delivered or abandoned webhook payloads, and inbox notifications already read.
The periods are settings (``CYBERHUB_RETENTION_*_DAYS``); 0 keeps that kind for ever.
What is kept on purpose, and why, is listed in docs/security.md (8.3.8): the audit log
(hash-chained: its entries are the evidence of who did what), members' accounts (until
an administrator deactivates them) and the shared intelligence itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_
from sqlalchemy.orm import Session

from cyberhub.community.models import ApiToken, SigninFailure, WebSession
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.notifications.models import Notification, WebhookDelivery


def _rules(now: datetime) -> list[tuple[str, type, int, ColumnElement[bool]]]:
    s = get_settings()

    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    sessions, failures = s.retention_sessions_days, s.retention_signin_failures_days
    tokens, deliveries = s.retention_tokens_days, s.retention_webhook_deliveries_days
    notifications = s.retention_notifications_days
    return [
        ("web_sessions", WebSession, sessions, or_(
            WebSession.expires_at < before(sessions), WebSession.revoked_at < before(sessions))),
        ("signin_failures", SigninFailure, failures, SigninFailure.at < before(failures)),
        ("api_tokens", ApiToken, tokens, or_(
            ApiToken.expires_at < before(tokens), ApiToken.revoked_at < before(tokens))),
        ("webhook_deliveries", WebhookDelivery, deliveries, and_(
            WebhookDelivery.status.in_(("sent", "failed")),
            WebhookDelivery.created_at < before(deliveries))),
        ("notifications", Notification, notifications,
         Notification.read_at < before(notifications)),
    ]


def purge(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Delete what has outlived its retention period; the number deleted of each kind."""
    deleted: dict[str, int] = {}
    for name, model, days, expired in _rules(now or utcnow()):
        if days > 0:
            result = session.execute(delete(model).where(expired))
            deleted[name] = result.rowcount  # type: ignore[attr-defined]
    return deleted
