"""The privacy notice (ASVS 8.3.3): open to everyone, signed in or not.

Two parts: what the hub itself stores about a person and for how long, written from the
settings that decide it (so it cannot drift from what the code does); and the notice of
whoever runs the hub (who they are, why they hold the data, whom to ask), a Markdown
file the operator writes from docs/privacy-notice-template.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

from cyberhub import markdown
from cyberhub.config import Settings, get_settings
from cyberhub.deps import WebCtx
from cyberhub.i18n import _, get_locale
from cyberhub.web.common import page

router = APIRouter()

MAX_NOTICE_BYTES = 256 * 1024


def _kept(days: int) -> str:
    if days == 0:
        return _("kept until the hub's operator deletes it")
    return _("deleted %(n)d days after it ends") % {"n": days}


def stored_about_you(s: Settings) -> list[tuple[str, str]]:
    """(what, how long) for each kind of personal data the hub keeps."""
    return [
        (_("Your account: name, e-mail address, organisation, role and language"),
         _("kept while your organisation keeps your account; an administrator deactivates it")),
        (_("Your password, as an Argon2id hash, and your second factor's seed, encrypted"),
         _("replaced when you change them")),
        (_("Your security keys and passkeys: their names, public keys, and when they were "
           "added and last used"), _("deleted when you remove them")),
        (_("Your sessions: when and from which address you used the hub, your browser's "
           "name"), _kept(s.retention_sessions_days)),
        (_("Failed sign-ins: the e-mail address typed and the address it came from"),
         _kept(s.retention_signin_failures_days)),
        (_("Your API tokens' names, scopes and last use"), _kept(s.retention_tokens_days)),
        (_("Your notifications"),
         _("deleted %(n)d days after you read them") % {"n": s.retention_notifications_days}
         if s.retention_notifications_days else _kept(0)),
        (_("The audit log: who signed in, read sensitive records, changed or shared what"),
         _("kept: it is the evidence of what happened, and cannot be edited")),
        (_("What you contribute: intelligence, comments, dialogues, files"),
         _("kept with the community, under the sharing level you chose, with your name or "
           "your organisation's kind as each space states")),
    ]


def operator_notice(s: Settings, locale: str) -> str | None:
    """The operator's notice as safe HTML, in the reader's language when there is one."""
    base = Path(s.privacy_notice) if s.privacy_notice else s.var_dir / "privacy.md"
    for path in (base.with_name(f"{base.stem}.{locale}{base.suffix}"), base):
        if path.is_file() and path.stat().st_size <= MAX_NOTICE_BYTES:
            return markdown.render(path.read_text(encoding="utf-8", errors="replace"))
    return None


@router.get("/privacy")
def privacy(ctx: WebCtx) -> Response:
    s = get_settings()
    return page(ctx, "community/privacy.html", {
        "stored": stored_about_you(s), "notice": operator_notice(s, get_locale())})
