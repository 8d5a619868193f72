"""Security notices: the user is told when their password, second factor (authenticator
app, security keys) or API tokens change, when a used sign-in code is entered again or a
security key looks copied (ASVS 2.2.3, 2.5.5, 2.8.5), and a week before an API token
expires, with how to renew it (ASVS 2.3.3).

A notice goes to the user's inbox and, when the hub sends e-mail, by e-mail at once
whatever the user's e-mail settings (it cannot be muted). It says what changed and when,
never a secret: no password, token or code, only a token's name and scope."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cyberhub import events, i18n
from cyberhub.community.models import ApiToken, User
from cyberhub.db import utcnow
from cyberhub.i18n import _, ngettext

KIND = "account.security"

# What changed (names of changes, not secrets).
PASSWORD_CHANGED = "password"  # noqa: S105
PASSWORD_SET = "password-set"  # noqa: S105
TOTP_ON = "totp-on"
TOTP_OFF = "totp-off"
TOTP_RESET = "totp-reset"
TOTP_REPLAYED = "totp-replayed"
# The app is gone, a security key remains: the account still has a second factor.
TOTP_APP_OFF = "totp-app-off"
KEY_ADDED = "key-added"
KEY_REMOVED = "key-removed"
KEY_CLONED = "key-cloned"
TOKEN_CREATED = "token"  # noqa: S105

# How long before an API token expires its owner is told (once), so there is time to
# make a new one and put it in place.
TOKEN_EXPIRY_WARNING = timedelta(days=7)


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
    if change == TOTP_APP_OFF:
        return _("The authenticator app was removed from your account's two-factor sign-in")
    if change == KEY_ADDED:
        return _("A security key was added to your account: %(name)s") % detail
    if change == KEY_REMOVED:
        return _("A security key was removed from your account: %(name)s") % detail
    if change == KEY_CLONED:
        return _("Your security key %(name)s may have been copied") % detail
    if change == TOKEN_CREATED:
        return _("A new API token was created for your account: %(name)s (%(scope)s)") % detail
    raise ValueError(change)


def _summary(change: str, when: str, detail: dict[str, str]) -> str:
    if change == KEY_CLONED:
        return _("At %(when)s UTC someone who knew your password signed in with your security "
                 "key %(name)s, but its signature counter was not above the one of its last "
                 "use, as happens when a key has been copied. The sign-in was refused. If this "
                 "was not you, change your password now, remove the key from your profile and "
                 "tell your organisation's administrator.") % {**detail, "when": when}
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
        summary = _summary(change, when, detail)
    url = "/profile/tokens" if change == TOKEN_CREATED else (
        "/profile/2fa" if change.startswith(("totp", "key")) else "/profile")
    # No actor: the user is told of their own act too (a stolen session acts as them).
    events.publish(session, events.Event(kind=KIND, title=title, summary=summary, url=url,
                                         recipients=frozenset({user.id})))


def days_left(expires_at: datetime, now: datetime) -> int:
    """Days until ``expires_at``, to the nearest whole day (a token just made for three
    days has 3 left, not 2), and at least 1 until it has expired; 0 after."""
    if expires_at <= now:
        return 0
    return max(1, math.floor((expires_at - now) / timedelta(days=1) + 0.5))


def token_expiring(session: Session, token: ApiToken, now: datetime) -> None:
    """Tell a token's owner, in their language, that it expires soon and how to renew it:
    its name, scope and expiry, never the secret (which the hub does not keep)."""
    user = token.user
    assert token.expires_at is not None
    days = days_left(token.expires_at, now)
    detail = {"name": token.name, "scope": token.scope.value, "n": days,
              "when": token.expires_at.strftime("%Y-%m-%d %H:%M")}
    with i18n.use_locale(user.locale):
        title = ngettext("Your API token %(name)s (%(scope)s) expires in %(n)d day",
                         "Your API token %(name)s (%(scope)s) expires in %(n)d days",
                         days) % detail
        summary = _("It stops working at %(when)s UTC. To renew it, create a new token on "
                    "your API tokens page (/profile/tokens), put it in place of the old one "
                    "in your scripts and tools, then revoke the old one. A token cannot be "
                    "extended.") % detail
    events.publish(session, events.Event(kind=KIND, title=title, summary=summary,
                                         url="/profile/tokens",
                                         recipients=frozenset({user.id})))
