"""Who said it: the one place that decides how a contribution's author is shown.

Every output of a dialogue — pages, API JSON, transcripts, search results, event titles
and the rendering of @mentions — asks this module. Under the Chatham House Rule an
author is only ever "a participant from <kind of organisation>" (or "you", to the author
themself); never a name, an e-mail address or an organisation. Even the convenor sees
only kinds. The author's identity is stored, and written to the audit log when they
post, for edit rights and abuse handling; it is never serialised from here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import markdown, mentions
from cyberhub.access import Viewer
from cyberhub.community.models import OrgKind, User
from cyberhub.dialogue.models import Dialogue
from cyberhub.i18n import _

# The same pattern as ``mentions`` uses, so every handle it would resolve is masked.
_MENTION = mentions._MENTION
_PARTICIPANT_MENTION = "@participant"


def kind_phrase(kind: str) -> str:
    """'a participant from …' for one kind of organisation."""
    phrases = {
        OrgKind.LAW_ENFORCEMENT.value: _("a participant from law enforcement"),
        OrgKind.CERT.value: _("a participant from a CERT"),
        OrgKind.FINANCIAL.value: _("a participant from a bank or financial institution"),
        OrgKind.TELECOM.value: _("a participant from a telecom operator"),
        OrgKind.HOSTING.value: _("a participant from a hosting provider"),
        OrgKind.ONLINE_PLATFORM.value: _("a participant from an online platform"),
        OrgKind.SECURITY_VENDOR.value: _("a participant from a security vendor"),
        OrgKind.INTERNATIONAL.value: _("a participant from an international organisation"),
        OrgKind.NON_PROFIT.value: _("a participant from a non-profit"),
        OrgKind.ACADEMIA.value: _("a participant from academia"),
    }
    return phrases.get(kind, _("a participant from another kind of organisation"))


@dataclass(frozen=True)
class Attribution:
    """How one author is shown to one viewer. ``user_id`` and ``organisation`` are None
    under the Chatham House Rule, whoever looks."""

    label: str
    is_you: bool = False
    org_kind: str | None = None
    user_id: uuid.UUID | None = None
    organisation: str | None = None


class Attributor:
    """Attribution for one dialogue as one viewer sees it (caches names in open rooms)."""

    def __init__(self, session: Session, dialogue: Dialogue, viewer: Viewer) -> None:
        self.session = session
        self.dialogue = dialogue
        self.viewer = viewer
        self._users: dict[uuid.UUID, User | None] = {}

    @property
    def chatham_house(self) -> bool:
        return self.dialogue.chatham_house

    def author(self, user_id: uuid.UUID, org_kind: str, *, third_person: bool = False
               ) -> Attribution:
        """The author of a contribution (or an attachment). ``third_person`` for texts
        that others read too (event titles): never "you"."""
        is_you = user_id == self.viewer.user_id
        if self.chatham_house:
            if is_you and not third_person:
                return Attribution(_("you"), is_you=True, org_kind=org_kind)
            return Attribution(kind_phrase(org_kind), org_kind=org_kind)
        user = self._user(user_id)
        if user is None:
            return Attribution(_("a former member"))
        return Attribution(user.display_name, is_you=is_you and not third_person,
                           org_kind=org_kind,
                           user_id=user.id, organisation=user.organisation.name)

    def convenor(self) -> Attribution:
        """Who convened: under the rule, as the kind of the convening organisation."""
        d = self.dialogue
        if self.chatham_house:
            org_kind = self._org_kind(d.convenor_id)
            if d.convenor_id == self.viewer.user_id:
                return Attribution(_("you"), is_you=True, org_kind=org_kind)
            return Attribution(kind_phrase(org_kind), org_kind=org_kind)
        return self.author(d.convenor_id, self._org_kind(d.convenor_id))

    def _user(self, user_id: uuid.UUID) -> User | None:
        if user_id not in self._users:
            self._users[user_id] = self.session.get(User, user_id)
        return self._users[user_id]

    def _org_kind(self, user_id: uuid.UUID) -> str:
        user = self._user(user_id)
        return user.organisation.kind.value if user is not None else OrgKind.OTHER.value

    def text(self, markdown_text: str) -> str:
        """User Markdown as this room may show it (mentions masked under the rule)."""
        return mask_mentions(self.dialogue, markdown_text)


def mask_mentions(dialogue: Dialogue, text: str) -> str:
    """Under the Chatham House Rule an @mention shows as "@participant", not the address."""
    if not dialogue.chatham_house:
        return text
    return _MENTION.sub(_PARTICIPANT_MENTION, text)


def render(dialogue: Dialogue, text: str) -> str:
    """User Markdown to sanitised HTML with the room's mention rule applied."""
    return markdown.render(mask_mentions(dialogue, text))


def excerpt(dialogue: Dialogue, text: str, length: int = 300) -> str:
    """A plain one-line excerpt (quotes, search results), mentions masked."""
    flat = re.sub(r"\s+", " ", mask_mentions(dialogue, text)).strip()
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def org_kind_of(session: Session, user_id: uuid.UUID) -> str:
    user = session.scalars(select(User).where(User.id == user_id)).one()
    return user.organisation.kind.value


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def contribution_title(attributor: Attributor, author_id: uuid.UUID, org_kind: str) -> str:
    """An event title safe for anyone who may see the dialogue."""
    who = attributor.author(author_id, org_kind, third_person=True).label
    return _("%(who)s contributed to “%(topic)s”") % {"who": _sentence(who),
                                                    "topic": attributor.dialogue.topic}


def reply_title(attributor: Attributor, author_id: uuid.UUID, org_kind: str) -> str:
    who = attributor.author(author_id, org_kind, third_person=True).label
    return _("%(who)s replied to your contribution in “%(topic)s”") % {
        "who": _sentence(who), "topic": attributor.dialogue.topic}


def mention_title(attributor: Attributor, author_id: uuid.UUID, org_kind: str) -> str:
    who = attributor.author(author_id, org_kind, third_person=True).label
    return _("%(who)s mentioned you in “%(topic)s”") % {"who": _sentence(who),
                                                      "topic": attributor.dialogue.topic}
