"""E-mail through SMTP (stdlib smtplib): one message per notification, or a daily digest.

Sent by background jobs after the transaction commits, never inside a request. The body
is the notification's title, summary and link only — what the publisher made safe for
anyone who may see the subject — in the recipient's language."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cyberhub import i18n
from cyberhub.community import notices
from cyberhub.config import get_settings
from cyberhub.i18n import _
from cyberhub.notifications.models import Notification


def enabled() -> bool:
    return bool(get_settings().smtp_host)


def link(path: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return base + path if path.startswith("/") else path


@contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    with i18n.use_locale(locale):
        yield


def _block(n: Notification) -> str:
    lines = [n.title]
    if n.summary:
        lines.append(n.summary)
    lines.append(link(n.url))
    return "\n".join(lines)


def single(to: str, n: Notification, locale: str | None) -> EmailMessage:
    with in_locale(locale):
        settings = get_settings()
        msg = _message(to, _("[%(hub)s] %(title)s") % {"hub": settings.hub_name,
                                                        "title": n.title})
        if n.kind == notices.KIND:
            footer = _("A security notice about your account on %(hub)s: it is always sent, "
                       "whatever your notification settings.") % {"hub": settings.hub_name}
        else:
            footer = (_("You receive this because of your notification settings on %(hub)s: "
                        "%(url)s") % {"hub": settings.hub_name, "url": link("/inbox/settings")})
        msg.set_content("\n\n".join([_block(n), "--", footer]) + "\n")
    return msg


def digest(to: str, items: Sequence[Notification], locale: str | None) -> EmailMessage:
    with in_locale(locale):
        settings = get_settings()
        msg = _message(to, i18n.ngettext("[%(hub)s] Your daily digest: %(n)d notification",
                                         "[%(hub)s] Your daily digest: %(n)d notifications",
                                         len(items)) % {"hub": settings.hub_name,
                                                        "n": len(items)})
        msg.set_content("\n\n".join([
            _("What happened on %(hub)s since the last digest:") % {"hub": settings.hub_name},
            *(_block(n) for n in items), "--",
            _("Your inbox: %(url)s") % {"url": link("/inbox")},
            _("Change how you are told: %(url)s") % {"url": link("/inbox/settings")}]) + "\n")
    return msg


def _message(to: str, subject: str) -> EmailMessage:
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    # Header injection: titles are single-line by construction, but make sure.
    msg["Subject"] = " ".join(subject.split())[:250]
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def send(messages: Sequence[EmailMessage]) -> None:
    """Send over one SMTP connection; raises smtplib/OSError errors to the caller."""
    settings = get_settings()
    if not messages:
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for msg in messages:
            smtp.send_message(msg)
