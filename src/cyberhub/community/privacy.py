"""A person's own data: export on demand, and erasure of a deactivated account (ASVS 8.3.2).

The export holds what the hub keeps about the person themself — the account, where they
are signed in, their tokens, notifications, settings, sign-in failures and what they did
(the audit entries where they are the actor) — and *references* to what they
contributed (ids, types, titles, markings): the contents belong to the community that
shares them, and stay readable through the pages and the API under the usual rules.
Never a hash or a secret.

Erasure is an administrator's act (the organisation decides about its members'
accounts) and only of an account already deactivated: the personal fields are
replaced, everything that exists for the person alone is deleted, and what they
contributed stays, attributed to "Erased user". The audit log is kept as it is: it is
the hash-chained evidence of who did what (docs/security.md, 8.3.8).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.orm import Session

from cyberhub import audit
from cyberhub.access import Viewer
from cyberhub.community import service, system
from cyberhub.community.models import (
    ApiToken,
    Group,
    GroupMember,
    SecurityKey,
    SigninFailure,
    User,
    WebSession,
)
from cyberhub.errors import Conflict, InvalidInput, NotFound
from cyberhub.i18n import _

ERASED_NAME = "Erased user"
ERASED_DOMAIN = "erased.invalid"
EXPORT_FILENAME = "cyberhub-my-data.json"
FORMAT = "cyberhub-personal-data/1"

# Tables whose rows name their author in one of these columns.
_AUTHOR_COLUMNS = ("created_by_id", "author_id")
# Not contributions to the community: a webhook is listed (without its secret) on its own.
_NOT_CONTRIBUTIONS = frozenset({"webhooks"})


def is_erased(user: User) -> bool:
    return user.email.endswith("@" + ERASED_DOMAIN)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


# ---------------------------------------------------------------- export


def _authored(session: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """References to every record the person authored, in any table with an author
    column: id, type (the table), title or name where the record has one, and TLP."""
    from cyberhub.models import Base

    records: list[dict[str, Any]] = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__name__):
        table = mapper.local_table
        if (not isinstance(table, Table) or table.name in _NOT_CONTRIBUTIONS
                or mapper.inherits is not None):
            continue
        column = next((table.c[name] for name in _AUTHOR_COLUMNS if name in table.c), None)
        if column is None or "id" not in table.c:
            continue
        wanted = [table.c.id] + [table.c[name] for name in ("title", "name", "tlp",
                                                            "created_at") if name in table.c]
        for row in session.execute(select(*wanted).where(column == user_id)
                                   .order_by(table.c.id)).mappings():
            item: dict[str, Any] = {"type": table.name, "id": str(row["id"])}
            title = row.get("title", row.get("name"))
            if title is not None:
                item["title"] = title
            if "tlp" in row:
                item["tlp"] = _value(row["tlp"])
            if "created_at" in row:
                item["created_at"] = _iso(row["created_at"])
            records.append(item)
    return records


def export_own_data(session: Session, viewer: Viewer, user: User) -> dict[str, Any]:
    """Everything the hub keeps about ``user`` themself, for the user themself."""
    from cyberhub.notifications import subjects
    from cyberhub.notifications.models import Notification, NotificationSettings, Watch, Webhook

    if viewer.user_id != user.id:
        raise NotFound()
    org = user.organisation
    memberships = session.execute(
        select(Group.id, Group.name, GroupMember.user_id).join(
            GroupMember, GroupMember.group_id == Group.id)
        .where(or_(GroupMember.user_id == user.id, GroupMember.org_id == user.org_id))
        .order_by(Group.name_key)).all()
    sessions = session.scalars(select(WebSession).where(WebSession.user_id == user.id)
                               .order_by(WebSession.created_at)).all()
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.created_at)).all()
    keys = session.scalars(select(SecurityKey).where(SecurityKey.user_id == user.id)
                           .order_by(SecurityKey.created_at)).all()
    notifications = session.scalars(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.created_at)).all()
    # As in the inbox: a notice whose subject the user no longer sees (its marking was
    # narrowed) is not shown, for its title and address speak of that subject.
    shown = subjects.still_visible(session, viewer, notifications)
    notifications = [n for n in notifications if n.id in shown]
    settings = session.get(NotificationSettings, user.id)
    watches = session.scalars(select(Watch).where(Watch.user_id == user.id)
                              .order_by(Watch.created_at)).all()
    webhooks = session.scalars(select(Webhook).where(Webhook.user_id == user.id)
                               .order_by(Webhook.created_at)).all()
    failures = session.scalars(select(SigninFailure).where(SigninFailure.email == user.email)
                               .order_by(SigninFailure.at)).all()
    actions = session.scalars(select(audit.AuditEntry)
                              .where(audit.AuditEntry.actor_user_id == user.id)
                              .order_by(audit.AuditEntry.seq)).all()
    document: dict[str, Any] = {
        "format": FORMAT,
        "account": {
            "id": str(user.id), "email": user.email, "display_name": user.display_name,
            "organisation": org.name, "role": user.role.value, "language": user.locale,
            "active": user.is_active, "created_at": _iso(user.created_at),
            "two_factor": user.totp_enabled,
        },
        "group_memberships": [
            {"group_id": str(gid), "name": name,
             "as": "member" if uid == user.id else "organisation"}
            for gid, name, uid in memberships],
        "web_sessions": [
            {"created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at),
             "ip": s.ip, "user_agent": s.user_agent, "expires_at": _iso(s.expires_at),
             "revoked_at": _iso(s.revoked_at)} for s in sessions],
        "api_tokens": [
            {"id": str(t.id), "name": t.name, "prefix": t.prefix, "scope": t.scope.value,
             "created_at": _iso(t.created_at), "expires_at": _iso(t.expires_at),
             "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)}
            for t in tokens],
        "security_keys": [
            {"id": str(k.id), "name": k.name, "transports": list(k.transports or []),
             "created_at": _iso(k.created_at), "last_used_at": _iso(k.last_used_at)}
            for k in keys],
        "notifications": [
            {"id": str(n.id), "kind": n.kind, "title": n.title, "summary": n.summary,
             "url": n.url, "created_at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in notifications],
        "notification_settings": {
            "email_mode": settings.email_mode, "webhook_enabled": settings.webhook_enabled,
            "muted_kinds": list(settings.muted_kinds or []),
        } if settings is not None else None,
        "watches": [{"kind": w.kind, "target": w.target, "created_at": _iso(w.created_at)}
                    for w in watches],
        "webhooks": [{"id": str(w.id), "url": w.url, "enabled": w.is_enabled,
                      "created_at": _iso(w.created_at)} for w in webhooks],
        "signin_failures": [{"at": _iso(f.at), "ip": f.ip} for f in failures],
        "audit_log": [
            {"seq": e.seq, "at": _iso(e.at), "action": e.action, "target_type": e.target_type,
             "target_id": e.target_id, "ip": e.ip} for e in actions],
        "contributions": _authored(session, user.id),
    }
    audit.record(session, viewer.actor, "me.export", target_type="user", target_id=user.id)
    return document


# ---------------------------------------------------------------- erasure


def erase_user(session: Session, viewer: Viewer, user_id: uuid.UUID | str, *,
               confirm: str) -> User:
    """Erase a deactivated account's personal data; ``confirm`` is its e-mail, typed again.

    Users the viewer may not manage are not found, as for every other lookup; an active
    account is refused (deactivate it first, which signs it out)."""
    from cyberhub.notifications.models import (
        Notification,
        NotificationSettings,
        Watch,
        Webhook,
        WebhookDelivery,
    )

    user = service.get_user(session, viewer, user_id)
    if not service.can_manage_user(viewer, user):
        raise NotFound()
    if system.is_system_org(user.org_id):
        raise NotFound()
    service.require_admin_factor(viewer)
    # Held until the commit: a reactivation cannot slip in between the check and the erasure.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    session.refresh(user)
    if is_erased(user):
        raise Conflict(_("This account has already been erased."))
    if user.is_active:
        raise Conflict(_("Deactivate the account before erasing it."))
    if confirm.strip().lower() != user.email.lower():
        raise InvalidInput(_("Type the account's e-mail address to confirm the erasure."),
                           details={"field": "confirm"})
    old_email = user.email
    hooks = select(Webhook.id).where(Webhook.user_id == user.id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id.in_(hooks)))
    session.execute(delete(Webhook).where(Webhook.user_id == user.id))
    for model in (WebSession, ApiToken, SecurityKey, Notification, NotificationSettings,
                  Watch):
        session.execute(delete(model).where(model.user_id == user.id))
    session.execute(delete(SigninFailure).where(SigninFailure.email == old_email))
    user.email = f"erased-{user.id.hex[:12]}@{ERASED_DOMAIN}"
    user.display_name = ERASED_NAME
    user.locale = None
    user.password_hash = None
    user.password_expires_at = None
    user.totp_secret_enc = None
    user.totp_enabled = False
    user.totp_last_step = None
    session.flush()
    audit.record(session, viewer.actor, "user.erase", target_type="user", target_id=user.id)
    return user
