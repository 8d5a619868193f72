"""The words the interface uses for a dialogue's status, in the active language: one
place for the pages, the transcripts and the API's messages."""

from __future__ import annotations

from cyberhub.dialogue.models import Status
from cyberhub.i18n import _, pgettext


def status_label(status: Status) -> str:
    return {Status.PLANNED: _("Planned"), Status.OPEN: pgettext("dialogue status", "Open"),
            Status.CLOSED: _("Closed")}[status]
