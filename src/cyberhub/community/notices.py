"""Security notices: the user is told when their password, second factor or API tokens
change, and when a used sign-in code is entered again (ASVS 2.2.3, 2.5.5, 2.8.5).

A notice goes to the user's inbox and, when the hub sends e-mail, by e-mail at once
whatever the user's e-mail settings (it cannot be muted). It says what changed and when,
never a secret: no password, token or code, only a token's name and scope."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cyberhub import events, i18n
from cyberhub.community.models import User
from cyberhub.db import utcnow
from cyberhub.i18n import _

KIND = "account.security"

# What changed (names of changes, not secrets).
PASSWORD_CHANGED = "password"  # noqa: S105
PASSWORD_SET = "password-set"  # noqa: S105
TOTP_ON = "totp-on"
TOTP_OFF = "totp-off"
TOTP_RESET = "totp-reset"
TOTP_REPLAYED = "totp-replayed"
TOKEN_CREATED = "token"  # noqa: S105


def _title(change: str, detail: dict[str, str]) -> str:
    if change == PASSWORD_CHANGED:
        return _("Your password was changed")
    if change == PASSWORD_SET:
        return _("An administrator set a new password for your account")
    if change == TOTP_ON:
        return _("Two-factor sign-in was turned on for your account")
    if change == TOTP_OFF:
        return _("Two-factor sign-in was turned off for your account")
    if change == TOTP_RESET:
        return _("An administrator turned off two-factor sign-in for your account")
    if change == TOTP_REPLAYED:
        return _("A sign-in code of yours was used again")
    if change == TOKEN_CREATED:
        return _("A new API token was created for your account: %(name)s (%(scope)s)") % detail
    raise ValueError(change)


def _summary(change: str, when: str) -> str:
    if change == TOTP_REPLAYED:
        return _("At %(when)s UTC someone who knew your password entered a code from your "
                 "authenticator app that had already been used, and was refused. If this was "
                 "not you, change your password now and tell your organisation's "
                 "administrator.") % {"when": when}
    return _("At %(when)s UTC. If this was not you, change your password now and tell your "
             "organisation's administrator.") % {"when": when}


def account_changed(session: Session, user: User, change: str, **detail: str) -> None:
    """Tell ``user`` of a security-relevant change to their account, in their language."""
    when = utcnow().strftime("%Y-%m-%d %H:%M")
    with i18n.use_locale(user.locale):
        title = _title(change, detail)
        summary = _summary(change, when)
    url = "/profile/tokens" if change == TOKEN_CREATED else (
        "/profile/2fa" if change.startswith("totp") else "/profile")
    # No actor: the user is told of their own act too (a stolen session acts as them).
    events.publish(session, events.Event(kind=KIND, title=title, summary=summary, url=url,
                                         recipients=frozenset({user.id})))
