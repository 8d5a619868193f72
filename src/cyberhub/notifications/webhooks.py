"""Signed webhooks: registration (with the checks that keep the hub from being turned
against its own network), signing, and delivery with retries.

Signature: ``X-Cyberhub-Signature: sha256=<hex>`` where ``<hex>`` is HMAC-SHA256 with the
webhook's secret over ``<timestamp>.<raw body>``, and ``X-Cyberhub-Timestamp`` carries
the timestamp (Unix seconds), so a receiver can refuse replays of old deliveries."""

from __future__ import annotations

import fnmatch
import ipaddress
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access, audit, keyring
from cyberhub.access import Viewer
from cyberhub.community import auth, security
from cyberhub.community.models import Organisation, Role, User
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.keyring import MacKey
from cyberhub.notifications.models import Webhook, WebhookDelivery

SIGNATURE_HEADER = "X-Cyberhub-Signature"
TIMESTAMP_HEADER = "X-Cyberhub-Timestamp"
MAX_URL = 2000
MAX_PER_OWNER = 5
# Delivery attempts, and the waits between them (the last one gives up).
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
USER_AGENT = "cyberhub (webhook)"


class WebhookUrlError(InvalidInput):
    """The webhook's URL was refused; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, details={"field": "url"})


# ---------------------------------------------------------------- the URL


def allowed_host(host: str, patterns: str) -> bool:
    wanted = [p.strip().lower() for p in patterns.split(",") if p.strip()]
    return any(fnmatch.fnmatchcase(host.lower(), p) for p in wanted)


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        return [literal]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookUrlError(_("The webhook's host %(host)s is not known (DNS).")
                              % {"host": host[:200]}) from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str) -> str:
    """The URL, tidied, or WebhookUrlError saying what is wrong. Checked again before
    each delivery (a name may come to point somewhere else)."""
    return str(_check(url)[0])


def _check(url: str) -> tuple[httpx2.URL, list[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    """The parsed URL and the addresses its host resolved to, all of them checked."""
    settings = get_settings()
    text = (url or "").strip()
    if not text:
        raise WebhookUrlError(_("Give the webhook's URL, e.g. https://hooks.example.org/cyberhub."))
    if len(text) > MAX_URL:
        raise WebhookUrlError(_("The webhook's URL is longer than %(n)d characters.")
                              % {"n": MAX_URL})
    try:
        parsed = httpx2.URL(text)
    except (httpx2.InvalidURL, TypeError, ValueError):
        raise WebhookUrlError(_("The webhook's URL is not a valid URL.")) from None
    if parsed.scheme not in ("http", "https"):
        raise WebhookUrlError(_("The webhook's URL must start with https:// (got %(scheme)s).")
                              % {"scheme": (parsed.scheme or _("no scheme"))[:20]})
    if not parsed.host:
        raise WebhookUrlError(_("The webhook's URL names no host."))
    if parsed.userinfo:
        raise WebhookUrlError(_("The webhook's URL must not carry a user name or password; "
                                "the signature authenticates the hub."))
    host = parsed.host.lower()
    if not allowed_host(host, settings.webhook_allow):
        raise WebhookUrlError(_("The host %(host)s is not on this hub's list of allowed "
                                "webhook hosts (CYBERHUB_WEBHOOK_ALLOW); ask the operator.")
                              % {"host": host[:200]})
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _addresses(host, port)
    if not addresses:
        raise WebhookUrlError(_("The webhook's host %(host)s is not known (DNS).")
                              % {"host": host[:200]})
    private = [a for a in addresses if not a.is_global]
    if private and not settings.webhook_private_addresses:
        raise WebhookUrlError(_("The webhook's host %(host)s is a loopback, private or "
                                "reserved address; webhooks go to public addresses only.")
                              % {"host": host[:200]})
    if parsed.scheme == "http" and not all(a.is_loopback for a in addresses):
        raise WebhookUrlError(_("The webhook's URL must use https:// (plain http is accepted "
                                "for loopback test receivers only)."))
    return parsed, addresses


def _pinned(url: httpx2.URL, address: ipaddress.IPv4Address | ipaddress.IPv6Address
            ) -> tuple[httpx2.URL, dict[str, str], dict[str, str]]:
    """The request goes to the address that was checked, not to whatever the name
    resolves to a moment later (DNS rebinding): the URL names the address, the Host
    header and TLS (SNI and certificate check) keep the name."""
    host = url.host
    netloc_host = host if url.port is None else f"{host}:{url.port}"
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    return url.copy_with(host=str(address)), {"Host": netloc_host}, extensions


# ---------------------------------------------------------------- registering


@dataclass
class NewWebhook:
    webhook: Webhook
    secret: str  # shown once, never again


def _owner_filter(viewer: Viewer, org: bool) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    if viewer.user_id is None or viewer.org_id is None:
        raise NotFound()
    if org:
        if viewer.role not in (Role.ORG_ADMIN, Role.HUB_ADMIN):
            raise PermissionDenied(_("Only your organisation's admins may register a webhook "
                                     "for the whole organisation."))
        return None, viewer.org_id
    return viewer.user_id, None


def create_webhook(session: Session, viewer: Viewer, *, url: str, password: str | None,
                   for_organisation: bool = False) -> NewWebhook:
    """Register a webhook. It sends what its owner may see to an outside address for as
    long as it lives, whatever becomes of the session or token that made it, so the
    user's ``password`` is asked again (ASVS 3.7.1), after the URL and the limit."""
    user_id, org_id = _owner_filter(viewer, for_organisation)
    clean = check_url(url)
    owned = list_webhooks(session, viewer, for_organisation=for_organisation)
    if len(owned) >= MAX_PER_OWNER:
        message = (ngettext("An organisation may have at most %(n)d webhook; remove it first.",
                            "An organisation may have at most %(n)d webhooks; remove one "
                            "first.", MAX_PER_OWNER) if for_organisation else
                   ngettext("You may have at most %(n)d webhook of your own; remove it first.",
                            "You may have at most %(n)d webhooks of your own; remove one "
                            "first.", MAX_PER_OWNER))
        raise InvalidInput(message % {"n": MAX_PER_OWNER})
    assert viewer.user_id is not None
    user = session.get(User, viewer.user_id)
    if user is None:
        raise NotFound()
    auth.confirm_password(session, user, password, ip=viewer.ip, reason="webhook")
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook(user_id=user_id, org_id=org_id, created_by_id=viewer.user_id, url=clean,
                   secret_enc=security.encrypt_secret(secret), is_enabled=True)
    session.add(hook)
    session.flush()
    audit.record(session, viewer.actor, "webhook.create", target_type="webhooks",
                 target_id=hook.id, details={"url": clean, "organisation": bool(org_id)})
    return NewWebhook(hook, secret)


def list_webhooks(session: Session, viewer: Viewer, *, for_organisation: bool | None = None
                  ) -> list[Webhook]:
    """The viewer's own webhooks, and their organisation's when they administer it."""
    if viewer.user_id is None:
        return []
    mine = Webhook.user_id == viewer.user_id
    theirs = Webhook.org_id == viewer.org_id
    is_admin = viewer.role in (Role.ORG_ADMIN, Role.HUB_ADMIN)
    if for_organisation is True:
        where = theirs if is_admin else None
    elif for_organisation is False:
        where = mine
    else:
        where = mine | theirs if is_admin else mine
    if where is None:
        return []
    return list(session.scalars(select(Webhook).where(where).order_by(Webhook.created_at)))


def get_webhook(session: Session, viewer: Viewer, webhook_id: uuid.UUID | str) -> Webhook:
    try:
        wid = uuid.UUID(str(webhook_id))
    except ValueError:
        raise NotFound() from None
    for hook in list_webhooks(session, viewer):
        if hook.id == wid:
            return hook
    raise NotFound()


def delete_webhook(session: Session, viewer: Viewer, webhook_id: uuid.UUID | str) -> None:
    hook = get_webhook(session, viewer, webhook_id)
    session.delete(hook)
    session.flush()
    audit.record(session, viewer.actor, "webhook.delete", target_type="webhooks",
                 target_id=hook.id, details={"url": hook.url})


# ---------------------------------------------------------------- signing and delivery


def sign(secret: MacKey, timestamp: str, body: bytes) -> str:
    return "sha256=" + secret.mac(timestamp.encode() + b"." + body).hex()


def org_viewer(session: Session, org_id: uuid.UUID) -> Viewer:
    """The organisation as a whole: what every one of its users may see (its groups,
    its own non-RED records, what names it) — never what names one person only."""
    from cyberhub.community.models import GroupMember

    groups = frozenset(session.scalars(select(GroupMember.group_id).where(
        GroupMember.org_id == org_id)))
    return Viewer(user_id=uuid.uuid4(), org_id=org_id, role=Role.READER,
                  label="organisation webhook", org_group_ids=groups)


def _recipient_viewer(session: Session, hook: Webhook) -> Viewer | None:
    from cyberhub.community.models import User

    if hook.user_id is not None:
        user = session.get(User, hook.user_id)
        return access.viewer_for(session, user) if user is not None and user.is_active else None
    if hook.org_id is not None and session.get(Organisation, hook.org_id) is not None:
        return org_viewer(session, hook.org_id)
    return None


def deliver(session: Session, delivery_id: uuid.UUID) -> bool:
    """One attempt to deliver; records the outcome on the delivery and on the webhook.
    True when the receiver answered 2xx."""
    from cyberhub.notifications import subjects

    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return False
    hook = session.get(Webhook, delivery.webhook_id)
    now = utcnow()
    delivery.attempts += 1
    viewer = _recipient_viewer(session, hook) if hook is not None and hook.is_enabled else None
    if hook is None or viewer is None or not subjects.can_see(
            session, delivery.subject_type, delivery.subject_id, viewer):
        # The subject went out of sight (or the webhook went away): never sent.
        delivery.status, delivery.last_error = "failed", "not deliverable"
        session.flush()
        return False
    ok, status = _post(hook, delivery.body.encode())
    hook.last_attempt_at, hook.last_status, hook.last_ok = now, status[:300], ok
    delivery.last_error = "" if ok else status[:300]
    if ok:
        delivery.status = "sent"
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    session.flush()
    return ok


def _post(hook: Webhook, body: bytes) -> tuple[bool, str]:
    settings = get_settings()
    secret = keyring.sealed(hook.secret_enc)  # the secret itself stays in the keyring
    if secret is None:
        return False, "the secret can no longer be read (the hub's secret key changed)"
    try:
        checked, addresses = _check(hook.url)
    except InvalidInput as exc:
        return False, exc.message
    url, host_header, extensions = _pinned(checked, addresses[0])
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body),
               **host_header}
    try:
        with httpx2.Client(timeout=settings.webhook_timeout, follow_redirects=False,
                           trust_env=False) as client:
            request = client.build_request("POST", url, content=body, headers=headers,
                                           extensions=extensions)
            response = client.send(request)
    except httpx2.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"[:300]
    ok = 200 <= response.status_code < 300
    return ok, f"HTTP {response.status_code}"


def due_deliveries(session: Session, limit: int = 200) -> list[uuid.UUID]:
    return list(session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.attempts > 0,
        WebhookDelivery.next_attempt_at <= utcnow()).order_by(
        WebhookDelivery.next_attempt_at).limit(limit)))
